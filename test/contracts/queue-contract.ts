import { afterEach, describe, expect, it } from 'vitest';
import type { Queue, QueueDepth, ReceivedMessage, SourceQueue } from '#shared/ports/queue.ts';

export interface QueueContractOptions {
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

/**
 * The SQS semantics every SourceQueue adapter must share (the SQLite queue, SQS against an SQS-compatible server).
 * Runs on real time with 1-second visibility timeouts and polling, because SQS-compatible servers cannot be given a
 * fake clock. `setup` is called inside each test with the options that test needs and must return a fresh, empty
 * queue (with its own dead-letter queue).
 */
export function describeQueueContract(
  name: string,
  setup: (options: QueueContractOptions) => Promise<{ queue: SourceQueue; teardown?: () => Promise<void> }>,
): void {
  describe(`${name} (Queue contract)`, () => {
    const teardowns: Array<() => Promise<void>> = [];

    const open = async (options: QueueContractOptions): Promise<SourceQueue> => {
      const created = await setup(options);
      if (created.teardown) teardowns.push(created.teardown);
      return created.queue;
    };

    afterEach(async () => {
      for (const teardown of teardowns.splice(0).reverse()) await teardown();
    });

    it('delivers a batch of 25 bodies, at most 10 per receive, with bodies intact', async () => {
      const queue = await open({ maxReceiveCount: 3, visibilityTimeoutSeconds: 30 });
      const bodies = Array.from({ length: 25 }, (_, i) =>
        JSON.stringify({ version: 1, date: `2024-01-${String(i + 1).padStart(2, '0')}`, note: 'S&P 500 ✓ "q"' }),
      );

      await queue.sendBatch(bodies);
      const batchSizes: number[] = [];
      const received = await receiveUntil(queue, (all) => all.length >= 25, {
        onBatch: (batch) => batchSizes.push(batch.length),
      });

      expect(received.map((m) => m.body).sort()).toEqual([...bodies].sort());
      expect(new Set(received.map((m) => m.messageId)).size).toBe(25);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(10);
      expect(received.every((m) => m.receiveCount === 1)).toBe(true);
      expect(received.every((m) => m.sentTimestamp > 0 && m.firstReceiveTimestamp >= m.sentTimestamp - 1_000)).toBe(
        true,
      );
    });

    it('hides a received message until its visibility timeout passes, then delivers it again', async () => {
      const queue = await open({ maxReceiveCount: 5, visibilityTimeoutSeconds: 1 });
      await queue.sendBatch(['hello']);
      const [first] = await receiveUntil(queue, (all) => all.length >= 1);

      const whileHidden = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
      const [second] = await receiveUntil(queue, (all) => all.length >= 1);

      expect(first?.receiveCount).toBe(1);
      expect(whileHidden).toEqual([]);
      expect(second?.messageId).toBe(first?.messageId);
      expect(second?.body).toBe('hello');
      expect(second?.receiveCount).toBe(2);
      expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    });

    it('never delivers a deleted message again', async () => {
      const queue = await open({ maxReceiveCount: 5, visibilityTimeoutSeconds: 1 });
      await queue.sendBatch(['delete me', 'keep me']);
      const received = await receiveUntil(queue, (all) => all.length >= 2);
      const doomed = received.find((m) => m.body === 'delete me');

      await queue.delete(doomed?.receiptHandle ?? 'missing');
      const afterTimeout = await receiveUntil(queue, (all) => all.length >= 1, { timeoutMs: 10_000 });
      await queue.delete(afterTimeout[0]?.receiptHandle ?? 'missing');
      const more = await queue.receive({ maxMessages: 10, waitTimeSeconds: 2 });
      const depth = await depthUntil(queue, (d) => d.visible === 0 && d.inFlight === 0);

      expect(afterTimeout.map((m) => m.body)).toEqual(['keep me']);
      expect(more).toEqual([]);
      expect(depth).toMatchObject({ visible: 0, inFlight: 0 });
    });

    it('makes a message visible at once with changeVisibility(handle, 0)', async () => {
      const queue = await open({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
      await queue.sendBatch(['again']);
      const [first] = await receiveUntil(queue, (all) => all.length >= 1);

      await queue.changeVisibility(first?.receiptHandle ?? 'missing', 0);
      const [second] = await receiveUntil(queue, (all) => all.length >= 1, { timeoutMs: 10_000 });

      expect(second?.messageId).toBe(first?.messageId);
      expect(second?.receiveCount).toBe(2);
    });

    it('counts visible and in-flight messages in its depth', async () => {
      const queue = await open({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
      await queue.sendBatch(['one', 'two', 'three']);

      await receiveUntil(queue, (all) => all.length >= 1, { maxMessages: 1 });
      const depth = await depthUntil(queue, (d) => d.visible === 2 && d.inFlight === 1);

      expect(depth).toEqual({ visible: 2, inFlight: 1, delayed: 0 });
    });

    it('moves a message to the dead-letter queue after maxReceiveCount receives without delete', async () => {
      const queue = await open({ maxReceiveCount: 2, visibilityTimeoutSeconds: 1 });
      await queue.sendBatch(['poison']);

      const deliveries = await receiveUntilDeadLettered(queue, 1);
      const dlqDepth = await depthUntil(queue.deadLetter, (d) => d.visible === 1);
      const sourceDepth = await depthUntil(queue, (d) => d.visible === 0 && d.inFlight === 0);
      const [dead] = await receiveUntil(queue.deadLetter, (all) => all.length >= 1);

      expect(queue.maxReceiveCount).toBe(2);
      expect(deliveries.map((m) => m.receiveCount)).toEqual([1, 2]);
      expect(dlqDepth.visible).toBe(1);
      expect(sourceDepth).toMatchObject({ visible: 0, inFlight: 0 });
      expect(dead?.messageId).toBe(deliveries[0]?.messageId);
      expect(dead?.body).toBe('poison');
    });

    it('redrives dead-lettered messages back to the source queue', async () => {
      const queue = await open({ maxReceiveCount: 1, visibilityTimeoutSeconds: 1 });
      await queue.sendBatch(['r1', 'r2', 'r3']);
      await receiveUntilDeadLettered(queue, 3);

      const result = await queue.redrive();
      const redelivered = await receiveUntil(queue, (all) => all.length >= 3, { timeoutMs: 30_000 });
      const dlqDepth = await depthUntil(queue.deadLetter, (d) => d.visible === 0 && d.inFlight === 0);

      expect(result.status).not.toBe('FAILED');
      if (result.status === 'COMPLETED') expect(result.moved).toBe(3);
      expect(redelivered.map((m) => m.body).sort()).toEqual(['r1', 'r2', 'r3']);
      expect(redelivered.every((m) => m.receiveCount === 1)).toBe(true);
      expect(dlqDepth).toMatchObject({ visible: 0, inFlight: 0 });
    });

    it('lets a dead-letter queue be looked at with peek, more than one receive batch of it, and leaves every message in it', async () => {
      const queue = await open({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
      const bodies = Array.from({ length: 12 }, (_, i) => JSON.stringify({ n: i }));
      await queue.deadLetter.sendBatch(bodies);
      await depthUntil(queue.deadLetter, (d) => d.visible === 12);

      const peeked = await queue.deadLetter.peek(100);

      expect(peeked.map((m) => m.body).sort()).toEqual([...bodies].sort());
      expect(new Set(peeked.map((m) => m.messageId)).size).toBe(12);
      const after = await depthUntil(queue.deadLetter, (d) => d.visible === 12 && d.inFlight === 0);
      expect(after.visible).toBe(12);
    });

    it('answers a receive on an empty queue with [] when not long polling', async () => {
      const queue = await open({ maxReceiveCount: 5, visibilityTimeoutSeconds: 1 });

      const received = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
      const depth = await queue.depth();

      expect(received).toEqual([]);
      expect(depth).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    }, 10_000);
  });
}

/** Receives (long polling 1 s at a time) until `done` holds for everything received, or the time is up. */
async function receiveUntil(
  queue: Queue,
  done: (all: ReceivedMessage[]) => boolean,
  options: { timeoutMs?: number; maxMessages?: number; onBatch?: (batch: ReceivedMessage[]) => void } = {},
): Promise<ReceivedMessage[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const all: ReceivedMessage[] = [];
  while (!done(all) && Date.now() < deadline) {
    const batch = await queue.receive({ maxMessages: options.maxMessages ?? 10, waitTimeSeconds: 1 });
    options.onBatch?.(batch);
    all.push(...batch);
  }
  return all;
}

/**
 * Keeps receiving from the source (never deleting) until `count` messages sit in its dead-letter queue.
 * SQS moves a message at the receive that finds it over maxReceiveCount, so the receives drive the move.
 */
async function receiveUntilDeadLettered(queue: SourceQueue, count: number): Promise<ReceivedMessage[]> {
  const deadline = Date.now() + 30_000;
  const deliveries: ReceivedMessage[] = [];
  while (Date.now() < deadline) {
    const depth = await queue.deadLetter.depth();
    if (depth.visible + depth.inFlight >= count) break;
    deliveries.push(...(await queue.receive({ maxMessages: 10, waitTimeSeconds: 1 })));
  }
  return deliveries;
}

/** Polls depth until `done` holds (depth is approximate on SQS) or the time is up; returns the last reading. */
async function depthUntil(queue: Queue, done: (depth: QueueDepth) => boolean, timeoutMs = 10_000): Promise<QueueDepth> {
  const deadline = Date.now() + timeoutMs;
  let depth = await queue.depth();
  while (!done(depth) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    depth = await queue.depth();
  }
  return depth;
}
