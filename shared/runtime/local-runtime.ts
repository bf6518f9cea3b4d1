import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describeError } from '../errors.ts';
import type { SqsBatchHandler } from '../lambda/sqs-batch-handler.ts';
import type { Logger } from '../logger.ts';
import { QUEUE_NAMES, type QueueName, type Queues, type ReceivedMessage, type SourceQueue } from '../ports/queue.ts';

export type QueueHandlers = Record<QueueName, SqsBatchHandler>;

export interface DrainOptions {
  /** Event-source batch size (SQS allows 1..10). */
  batchSize?: number;
  /** Visibility timeout for each delivery; a failed message is retried once it passes. */
  visibilityTimeoutSeconds: number;
  /** Batches of one queue handled at once (Lambda scales out the same way). */
  concurrency?: number;
  /** Stops draining after this long even if messages remain (a guard; never reached in normal operation). */
  timeoutMs?: number;
  logger: Logger;
  /** Called after every batch, for progress display. */
  onBatch?: (queue: QueueName, succeeded: number, failed: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface DrainReport {
  succeeded: Record<QueueName, number>;
  failed: Record<QueueName, number>;
  /** Messages that moved into each DLQ while draining. */
  deadLettered: Record<QueueName, number>;
  timedOut: boolean;
  elapsedMs: number;
}

const zero = (): Record<QueueName, number> => ({ fetch: 0, transform: 0, write: 0 });

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** The SQS record Lambda's event source mapping hands a function. */
export const toSqsRecord = (queue: string, message: ReceivedMessage): SQSRecord => ({
  messageId: message.messageId,
  receiptHandle: message.receiptHandle,
  body: message.body,
  attributes: {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentTimestamp),
    SenderId: 'fredlake-local',
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
  },
  messageAttributes: {},
  md5OfBody: md5(message.body),
  eventSource: 'aws:sqs',
  eventSourceARN: `arn:aws:sqs:local:000000000000:${queue}`,
  awsRegion: 'local',
});

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Plays Lambda's SQS event source mapping over local queues: receives batches, invokes the real handler with an
 * SQS event, deletes what succeeded and leaves the reported failures to reappear after the visibility timeout,
 * until every queue is empty (messages that failed `maxReceiveCount` times end in their DLQ on the way).
 */
export const drainQueues = async (
  queues: Queues,
  handlers: QueueHandlers,
  options: DrainOptions,
): Promise<DrainReport> => {
  const started = Date.now();
  const batchSize = options.batchSize ?? 10;
  // With a visibility timeout of 0 a message is visible again the moment it is received, so parallel receives of
  // one queue would hand the same message to two batches: then batches run one at a time.
  const concurrency = options.visibilityTimeoutSeconds === 0 ? 1 : (options.concurrency ?? 1);
  const sleep = options.sleep ?? defaultSleep;
  const report: DrainReport = {
    succeeded: zero(),
    failed: zero(),
    deadLettered: zero(),
    timedOut: false,
    elapsedMs: 0,
  };
  const dlqBefore = zero();
  for (const name of QUEUE_NAMES) dlqBefore[name] = (await queues[name].deadLetter.depth()).visible;

  const runBatch = async (name: QueueName, queue: SourceQueue): Promise<number> => {
    const messages = await queue.receive({
      maxMessages: batchSize,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });
    if (messages.length === 0) return 0;
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(name, m)) };
    let failedIds: Set<string>;
    try {
      const response = await handlers[name](event);
      failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      options.logger.error('handler failed the whole batch', { queue: name, reason: describeError(error) });
      failedIds = new Set(messages.map((m) => m.messageId));
    }
    const succeeded = messages.filter((m) => !failedIds.has(m.messageId));
    await deleteAll(
      queue,
      succeeded.map((m) => m.receiptHandle),
    );
    report.succeeded[name] += succeeded.length;
    report.failed[name] += failedIds.size;
    options.onBatch?.(name, succeeded.length, failedIds.size);
    return messages.length;
  };

  for (;;) {
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      report.timedOut = true;
      break;
    }
    let received = 0;
    for (const name of QUEUE_NAMES) {
      const queue = queues[name];
      // Drain one queue before the next, as far as it goes: later stages get full batches.
      for (;;) {
        const counts = await Promise.all(Array.from({ length: concurrency }, () => runBatch(name, queue)));
        const got = counts.reduce((a, b) => a + b, 0);
        received += got;
        if (got === 0) break;
      }
    }
    if (received > 0) continue;
    const depths = await Promise.all(QUEUE_NAMES.map((name) => queues[name].depth()));
    const pending = depths.reduce((sum, d) => sum + d.visible + d.inFlight + d.delayed, 0);
    if (pending === 0) break;
    // Only invisible (failed, waiting to be retried) messages remain: wait until the first reappears.
    const next = QUEUE_NAMES.map((name) => nextVisibleAt(queues[name])).filter((t): t is number => t !== undefined);
    const wait = next.length ? Math.max(10, Math.min(...next) - Date.now()) : 100;
    await sleep(Math.min(wait, 1_000));
  }

  for (const name of QUEUE_NAMES) {
    report.deadLettered[name] = Math.max(0, (await queues[name].deadLetter.depth()).visible - dlqBefore[name]);
  }
  report.elapsedMs = Date.now() - started;
  return report;
};

/** As the event source mapping does: one batch delete where the queue has one (the SQLite queue), else one by one. */
const deleteAll = async (queue: SourceQueue, receiptHandles: string[]): Promise<void> => {
  const candidate = queue as SourceQueue & { deleteBatch?: (handles: readonly string[]) => Promise<void> };
  if (typeof candidate.deleteBatch === 'function') return candidate.deleteBatch(receiptHandles);
  for (const handle of receiptHandles) await queue.delete(handle);
};

const nextVisibleAt = (queue: SourceQueue): number | undefined => {
  const candidate = queue as SourceQueue & { nextVisibleAt?: () => number | undefined };
  return typeof candidate.nextVisibleAt === 'function' ? candidate.nextVisibleAt() : undefined;
};
