/**
 * A queue with SQS's semantics: at-least-once delivery, visibility timeout, receive counts, and a dead-letter
 * queue that takes a message once it has been received more than `maxReceiveCount` times.
 */
export interface ReceivedMessage {
  messageId: string;
  body: string;
  /** Opaque token for delete/changeVisibility of this delivery. */
  receiptHandle: string;
  /** ApproximateReceiveCount, counting this delivery. */
  receiveCount: number;
  /** When the message was first sent (ms since epoch). */
  sentTimestamp: number;
  /** When the message was first received (ms since epoch). */
  firstReceiveTimestamp: number;
}

export interface ReceiveOptions {
  /** 1..10, like SQS. */
  maxMessages: number;
  /** Overrides the queue's default visibility timeout for these deliveries. */
  visibilityTimeoutSeconds?: number;
  /** Long polling; 0 returns at once. */
  waitTimeSeconds?: number;
}

/** A message looked at without being taken (for `fredlake dlq`). */
export interface PeekedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  sentTimestamp: number;
}

export interface QueueDepth {
  /** ApproximateNumberOfMessages */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed */
  delayed: number;
}

export interface Queue {
  readonly name: string;
  /** Sends the bodies, in batches of at most 10; throws when any entry was not accepted. */
  sendBatch(bodies: readonly string[]): Promise<void>;
  receive(options: ReceiveOptions): Promise<ReceivedMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void>;
  depth(): Promise<QueueDepth>;
  /**
   * Up to `limit` messages, looked at and left in the queue. SQLite reads them; SQS has no peek, so it receives them
   * and releases them at once (each look counts on ApproximateReceiveCount: use it on DLQs, which never dead-letter).
   */
  peek(limit: number): Promise<PeekedMessage[]>;
}

export interface RedriveResult {
  /** Messages moved (AWS: as reported by the move task so far). */
  moved: number;
  /** AWS: the move task's handle; local moves finish at once. */
  taskHandle?: string;
  status: 'COMPLETED' | 'RUNNING' | 'FAILED';
}

/** A work queue and its dead-letter queue. */
export interface SourceQueue extends Queue {
  readonly deadLetter: Queue;
  readonly maxReceiveCount: number;
  /** Moves the DLQ's messages back to this queue (SQS StartMessageMoveTask). */
  redrive(options?: { maxPerSecond?: number }): Promise<RedriveResult>;
}

export const QUEUE_NAMES = ['fetch', 'transform', 'write'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export type Queues = Record<QueueName, SourceQueue>;
