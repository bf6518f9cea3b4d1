import {
  type BatchResultErrorEntry,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { QueueError } from '#shared/errors.ts';
import type {
  PeekedMessage,
  Queue,
  QueueDepth,
  ReceivedMessage,
  ReceiveOptions,
  RedriveResult,
  SourceQueue,
} from '#shared/ports/queue.ts';
import { classifyAwsError, toQueueError } from './errors.ts';

/** SQS limits: 10 entries and 1 MiB (all bodies together) per SendMessageBatch. */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_BATCH_BYTES = 1024 * 1024;

const SYSTEM_ATTRIBUTES = ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'] as const;

export interface SqsQueueOptions {
  name: string;
  queueUrl: string;
  dlqUrl: string;
  /** The DLQ's ARN; looked up with GetQueueAttributes when not given. */
  dlqArn?: string;
  /** This queue's ARN; looked up with GetQueueAttributes when not given. */
  sourceArn?: string;
  /** Must match the RedrivePolicy on the queue: SQS itself moves messages to the DLQ. */
  maxReceiveCount: number;
  /** Visibility timeout for receives that do not give one (otherwise the queue's own attribute applies). */
  visibilityTimeoutSeconds?: number;
  /** Attempts for entries SQS failed on its side (SenderFault=false). Default 3. */
  sendAttempts?: number;
  /** Pause before re-sending failed entries, multiplied by the attempt number. Default 100 ms. */
  retryDelayMs?: number;
}

export interface SqsPlainQueueOptions {
  name: string;
  queueUrl: string;
  visibilityTimeoutSeconds?: number;
  sendAttempts?: number;
  retryDelayMs?: number;
}

/** A move task as ListMessageMoveTasks reports it. */
export interface MoveTaskStatus extends RedriveResult {
  /** Messages the task meant to move when it started (ApproximateNumberOfMessagesToMove). */
  toMove: number | undefined;
  startedAt: Date | undefined;
  failureReason: string | undefined;
}

interface EntryFailure {
  index: number;
  code: string;
  message: string;
  senderFault: boolean;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const numberAttribute = (value: string | undefined, fallback: number): number => {
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
};

/** Splits bodies (with their original indexes) into batches within SQS's entry-count and byte limits. */
const planBatches = (bodies: readonly string[]): Array<Array<{ index: number; body: string }>> => {
  const batches: Array<Array<{ index: number; body: string }>> = [];
  let current: Array<{ index: number; body: string }> = [];
  let currentBytes = 0;
  bodies.forEach((body, index) => {
    const bytes = utf8Bytes(body);
    if (
      current.length === SQS_MAX_BATCH_ENTRIES ||
      (current.length > 0 && currentBytes + bytes > SQS_MAX_BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push({ index, body });
    currentBytes += bytes;
  });
  if (current.length > 0) batches.push(current);
  return batches;
};

const toReceived = (message: Message): ReceivedMessage | undefined => {
  if (!message.MessageId || message.ReceiptHandle === undefined) return undefined;
  const attributes = message.Attributes ?? {};
  const sentTimestamp = numberAttribute(attributes.SentTimestamp, Date.now());
  return {
    messageId: message.MessageId,
    body: message.Body ?? '',
    receiptHandle: message.ReceiptHandle,
    receiveCount: numberAttribute(attributes.ApproximateReceiveCount, 1),
    sentTimestamp,
    firstReceiveTimestamp: numberAttribute(attributes.ApproximateFirstReceiveTimestamp, sentTimestamp),
  };
};

const moveStatus = (status: string | undefined): RedriveResult['status'] => {
  if (status === 'COMPLETED') return 'COMPLETED';
  if (status === 'FAILED' || status === 'CANCELLED') return 'FAILED';
  return 'RUNNING';
};

/** One SQS queue without a dead-letter queue of its own (used for DLQs). */
export class SqsPlainQueue implements Queue {
  readonly name: string;
  readonly queueUrl: string;
  private readonly visibilityTimeoutSeconds: number | undefined;
  private readonly sendAttempts: number;
  private readonly retryDelayMs: number;

  constructor(
    protected readonly client: SQSClient,
    options: SqsPlainQueueOptions,
  ) {
    this.name = options.name;
    this.queueUrl = options.queueUrl;
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds;
    this.sendAttempts = Math.max(1, options.sendAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 100;
  }

  /**
   * Sends in batches of at most 10 entries (and 1 MiB). Entries SQS failed on its side are re-sent a few times;
   * whatever still failed, and every entry the sender got wrong, is reported in one QueueError after all other
   * entries were sent.
   */
  async sendBatch(bodies: readonly string[]): Promise<void> {
    const failures: EntryFailure[] = [];
    for (const batch of planBatches(bodies)) {
      const sendable = batch.filter(({ index, body }) => {
        if (utf8Bytes(body) <= SQS_MAX_BATCH_BYTES) return true;
        failures.push({
          index,
          code: 'MessageTooLong',
          message: `${utf8Bytes(body)} bytes is above the SQS limit of ${SQS_MAX_BATCH_BYTES}`,
          senderFault: true,
        });
        return false;
      });
      failures.push(...(await this.sendWithRetries(sendable)));
    }
    if (failures.length === 0) return;

    failures.sort((a, b) => a.index - b.index);
    const reasons = [...new Set(failures.map((f) => `${f.code}: ${f.message}`))].slice(0, 3).join('; ');
    const retryable = failures.every((f) => !f.senderFault);
    throw new QueueError(
      `SQS rejected ${failures.length} of ${bodies.length} messages for queue ${this.name} (${reasons}). ` +
        (retryable
          ? 'SQS failed them on its side; sending again should work.'
          : 'The rejected messages are invalid as sent; fix the producer, sending them again will not help.'),
      retryable,
      {
        queue: this.name,
        failed: failures.length,
        total: bodies.length,
        failures: failures.map(({ index, code, senderFault }) => ({ index, code, senderFault })),
      },
    );
  }

  private async sendWithRetries(batch: ReadonlyArray<{ index: number; body: string }>): Promise<EntryFailure[]> {
    const final: EntryFailure[] = [];
    let pending = [...batch];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failures = await this.sendOnce(pending);
      final.push(...failures.filter((f) => f.senderFault));
      const transient = failures.filter((f) => !f.senderFault);
      if (transient.length === 0) break;
      if (attempt >= this.sendAttempts) {
        final.push(...transient);
        break;
      }
      const again = new Set(transient.map((f) => f.index));
      pending = pending.filter((entry) => again.has(entry.index));
      await sleep(this.retryDelayMs * attempt);
    }
    return final;
  }

  /** One SendMessageBatch call; entry Ids are the bodies' indexes, unique within the call. */
  private async sendOnce(batch: ReadonlyArray<{ index: number; body: string }>): Promise<EntryFailure[]> {
    const entries: SendMessageBatchRequestEntry[] = batch.map(({ index, body }) => ({
      Id: `m${index}`,
      MessageBody: body,
    }));
    let failed: BatchResultErrorEntry[];
    try {
      const response = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
      failed = response.Failed ?? [];
    } catch (error) {
      throw toQueueError(error, 'SendMessageBatch', { queue: this.name, queueUrl: this.queueUrl });
    }
    return failed.map((entry) => ({
      index: Number((entry.Id ?? 'm-1').slice(1)),
      code: entry.Code ?? 'Unknown',
      message: entry.Message ?? 'no reason given',
      senderFault: entry.SenderFault === true,
    }));
  }

  async receive(options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const visibility = options.visibilityTimeoutSeconds ?? this.visibilityTimeoutSeconds;
    try {
      const response = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, Math.max(1, options.maxMessages)),
          WaitTimeSeconds: options.waitTimeSeconds ?? 0,
          ...(visibility !== undefined ? { VisibilityTimeout: visibility } : {}),
          MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          // Deprecated twin of MessageSystemAttributeNames (typed without the per-message names, hence 'All');
          // some SQS-compatible servers (local-aws-sqs) read only this one.
          AttributeNames: ['All'],
        }),
      );
      const seen = new Set<string>();
      const messages: ReceivedMessage[] = [];
      for (const message of response.Messages ?? []) {
        const received = toReceived(message);
        if (!received || seen.has(received.messageId)) continue;
        seen.add(received.messageId);
        messages.push(received);
      }
      return messages;
    } catch (error) {
      throw toQueueError(error, 'ReceiveMessage', { queue: this.name, queueUrl: this.queueUrl });
    }
  }

  async delete(receiptHandle: string): Promise<void> {
    try {
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }));
    } catch (error) {
      throw toQueueError(error, 'DeleteMessage', { queue: this.name, queueUrl: this.queueUrl });
    }
  }

  async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: visibilityTimeoutSeconds,
        }),
      );
    } catch (error) {
      throw toQueueError(error, 'ChangeMessageVisibility', { queue: this.name, queueUrl: this.queueUrl });
    }
  }

  /**
   * SQS has no peek: receives up to `limit` messages (hidden for a moment so the next receive pages on) and releases
   * each at once with a visibility timeout of 0. Every look counts on the message's ApproximateReceiveCount, which is
   * harmless on a DLQ (it has no redrive policy of its own).
   */
  async peek(limit: number): Promise<PeekedMessage[]> {
    const seen = new Map<string, PeekedMessage>();
    const handles: string[] = [];
    try {
      while (seen.size < limit) {
        const batch = await this.receive({
          maxMessages: Math.min(10, limit - seen.size),
          visibilityTimeoutSeconds: 30,
        });
        const fresh = batch.filter((m) => !seen.has(m.messageId));
        if (fresh.length === 0) break;
        for (const m of batch) handles.push(m.receiptHandle);
        for (const { messageId, body, receiveCount, sentTimestamp } of fresh) {
          seen.set(messageId, { messageId, body, receiveCount, sentTimestamp });
        }
      }
    } finally {
      await Promise.all(handles.map((handle) => this.changeVisibility(handle, 0).catch(() => undefined)));
    }
    return [...seen.values()].sort((a, b) => a.sentTimestamp - b.sentTimestamp);
  }

  async depth(): Promise<QueueDepth> {
    const attributes = await this.attributes([
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ]);
    return {
      visible: numberAttribute(attributes.ApproximateNumberOfMessages, 0),
      inFlight: numberAttribute(attributes.ApproximateNumberOfMessagesNotVisible, 0),
      delayed: numberAttribute(attributes.ApproximateNumberOfMessagesDelayed, 0),
    };
  }

  /** This queue's ARN (GetQueueAttributes QueueArn). */
  async arn(): Promise<string> {
    const { QueueArn } = await this.attributes(['QueueArn']);
    if (!QueueArn) {
      throw new QueueError(`SQS returned no QueueArn for queue ${this.name} (${this.queueUrl}).`, true, {
        queue: this.name,
      });
    }
    return QueueArn;
  }

  private async attributes(names: QueueAttributeName[]) {
    try {
      const response = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: names,
        }),
      );
      return response.Attributes ?? {};
    } catch (error) {
      throw toQueueError(error, 'GetQueueAttributes', { queue: this.name, queueUrl: this.queueUrl });
    }
  }
}

/**
 * A work queue with its dead-letter queue. SQS does the dead-lettering itself through the RedrivePolicy on the
 * source queue (`maxReceiveCount` must match it); `redrive` moves the DLQ back with a message move task.
 */
export class SqsQueue extends SqsPlainQueue implements SourceQueue {
  readonly deadLetter: SqsPlainQueue;
  readonly maxReceiveCount: number;
  private sourceArn: string | undefined;
  private dlqArn: string | undefined;

  constructor(client: SQSClient, options: SqsQueueOptions) {
    super(client, {
      name: options.name,
      queueUrl: options.queueUrl,
      ...(options.visibilityTimeoutSeconds !== undefined
        ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }
        : {}),
      ...(options.sendAttempts !== undefined ? { sendAttempts: options.sendAttempts } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
    this.deadLetter = new SqsPlainQueue(client, { name: `${options.name}-dlq`, queueUrl: options.dlqUrl });
    this.maxReceiveCount = options.maxReceiveCount;
    this.sourceArn = options.sourceArn;
    this.dlqArn = options.dlqArn;
  }

  /** Starts a message move task from the DLQ back to this queue and reports its first status. */
  async redrive(options: { maxPerSecond?: number } = {}): Promise<RedriveResult> {
    const [sourceArn, destinationArn] = await Promise.all([this.resolveDlqArn(), this.resolveSourceArn()]);
    let taskHandle: string | undefined;
    try {
      const response = await this.client.send(
        new StartMessageMoveTaskCommand({
          SourceArn: sourceArn,
          DestinationArn: destinationArn,
          ...(options.maxPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: options.maxPerSecond } : {}),
        }),
      );
      taskHandle = response.TaskHandle;
    } catch (error) {
      const facts = classifyAwsError(error);
      throw new QueueError(
        `SQS StartMessageMoveTask from ${this.deadLetter.name} to ${this.name} failed with ${facts.name}: ` +
          `${facts.message}. ${facts.retryable ? 'Try again shortly.' : 'Only one move task may run per DLQ; check moveTaskStatus() and the queue permissions.'}`,
        facts.retryable,
        { queue: this.name, sourceArn, destinationArn, awsError: facts.name },
        { cause: error },
      );
    }
    const status = await this.moveTaskStatus();
    const same =
      status && (taskHandle === undefined || status.taskHandle === undefined || status.taskHandle === taskHandle);
    return {
      moved: same ? status.moved : 0,
      status: same ? status.status : 'RUNNING',
      ...(taskHandle !== undefined ? { taskHandle } : {}),
    };
  }

  /** The most recent move task out of the DLQ (ListMessageMoveTasks), or undefined when there never was one. */
  async moveTaskStatus(): Promise<MoveTaskStatus | undefined> {
    const sourceArn = await this.resolveDlqArn();
    let latest: ListMessageMoveTasksResultEntry | undefined;
    try {
      const response = await this.client.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
      latest = response.Results?.[0];
    } catch (error) {
      throw toQueueError(error, 'ListMessageMoveTasks', {
        queue: this.deadLetter.name,
        queueUrl: this.deadLetter.queueUrl,
      });
    }
    if (!latest) return undefined;
    return {
      moved: latest.ApproximateNumberOfMessagesMoved ?? 0,
      status: moveStatus(latest.Status),
      ...(latest.TaskHandle !== undefined ? { taskHandle: latest.TaskHandle } : {}),
      toMove: latest.ApproximateNumberOfMessagesToMove,
      startedAt: latest.StartedTimestamp !== undefined ? new Date(latest.StartedTimestamp) : undefined,
      failureReason: latest.FailureReason,
    };
  }

  private async resolveSourceArn(): Promise<string> {
    this.sourceArn ??= await this.arn();
    return this.sourceArn;
  }

  private async resolveDlqArn(): Promise<string> {
    this.dlqArn ??= await this.deadLetter.arn();
    return this.dlqArn;
  }
}
