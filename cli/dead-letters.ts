import type { Deps } from '#shared/deps.ts';
import { QUEUE_NAMES, type QueueName } from '#shared/ports/queue.ts';

/**
 * The dead-letter queues, each message with why it failed. SQS keeps no reason, so the batch wrapper records one per
 * failed delivery in the FailureLog (SQLite locally, ops/failures/ on AWS) and this joins the two by message id.
 */
export interface DeadLetterView {
  queue: QueueName;
  messageId: string;
  receiveCount: number;
  /** What the message asks for, in a few words (`fetch request (manual)`, `write 2024-01-02`). */
  about: string;
  code: string | undefined;
  reason: string;
  failedAt: string | undefined;
  sentAt: string | undefined;
  body?: string;
}

export interface DlqReport {
  depths: Record<QueueName, number>;
  messages: DeadLetterView[];
}

/** A dead letter's body in a few words. */
export const describeBody = (queue: QueueName, body: string): string => {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    if (queue === 'fetch') {
      const force = json.force as { from?: string; to?: string } | undefined;
      return `fetch request (${String(json.reason)}${force ? `, force ${force.from}..${force.to}` : ''})`;
    }
    if (queue === 'write') return `write ${String(json.date)} (run ${String(json.runId)})`;
    const records = json.Records as { s3?: { object?: { key?: string } } }[] | undefined;
    const key = records?.[0]?.s3?.object?.key;
    return key ? `transform ${decodeURIComponent(key)}` : 'transform event';
  } catch {
    return 'not JSON';
  }
};

export const inspectDeadLetters = async (
  deps: Deps,
  options: { queues?: readonly QueueName[]; bodies?: boolean; limit?: number } = {},
): Promise<DlqReport> => {
  const queues = options.queues ?? QUEUE_NAMES;
  const depths = { fetch: 0, transform: 0, write: 0 } as Record<QueueName, number>;
  const messages: DeadLetterView[] = [];
  for (const queue of queues) {
    const dlq = deps.queues[queue].deadLetter;
    const depth = await dlq.depth();
    depths[queue] = depth.visible + depth.inFlight;
    if (depths[queue] === 0) continue;
    const peeked = await dlq.peek(options.limit ?? 100);
    const failures = await deps.failures.lastFailures(peeked.map((m) => m.messageId));
    for (const message of peeked) {
      const failure = failures.get(message.messageId);
      messages.push({
        queue,
        messageId: message.messageId,
        receiveCount: failure?.receiveCount ?? message.receiveCount,
        about: describeBody(queue, message.body),
        code: failure?.code,
        reason: failure?.reason ?? 'no failure recorded',
        failedAt: failure?.at,
        sentAt: new Date(message.sentTimestamp).toISOString(),
        ...(options.bodies ? { body: message.body } : {}),
      });
    }
  }
  return { depths, messages };
};
