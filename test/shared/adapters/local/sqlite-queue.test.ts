import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '#shared/adapters/local/sqlite-database.ts';
import { openLocalQueues, SqliteQueue } from '#shared/adapters/local/sqlite-queue.ts';
import { QueueError } from '#shared/errors.ts';
import type { Clock } from '#shared/ports/clock.ts';
import { describeQueueContract } from '#test/contracts/queue-contract.ts';

const makeTempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'fredlake-sqlite-queue-'));

describeQueueContract('SqliteQueue', async (options) => {
  const dataDir = await makeTempDir();
  const db = openDatabase(dataDir);
  return {
    queue: new SqliteQueue(db, `contract-${randomUUID().slice(0, 8)}`, options),
    teardown: async () => {
      db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

/** A clock the test moves by hand. */
const manualClock = (iso = '2024-01-02T03:04:05.000Z') => {
  let now = new Date(iso).getTime();
  const clock: Clock = { now: () => new Date(now) };
  return { clock, advance: (ms: number) => (now += ms), nowMs: () => now };
};

describe('SqliteQueue (local specifics)', () => {
  let dataDir: string;
  let db: Database;

  beforeEach(async () => {
    dataDir = await makeTempDir();
    db = openDatabase(dataDir);
  });

  afterEach(async () => {
    if (db.open) db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('deletes a batch of deliveries at once, ignoring a stale handle as a single delete does', async () => {
    const time = manualClock();
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 5, visibilityTimeoutSeconds: 30, clock: time.clock });
    await queue.sendBatch(['a', 'b', 'c']);
    const stale = (await queue.receive({ maxMessages: 1, visibilityTimeoutSeconds: 0 }))[0];
    const delivered = await queue.receive({ maxMessages: 3 });

    await queue.deleteBatch([stale?.receiptHandle ?? 'missing', ...delivered.slice(0, 2).map((m) => m.receiptHandle)]);
    time.advance(31_000);

    expect(delivered.map((m) => m.body)).toEqual(['a', 'b', 'c']);
    expect((await queue.receive({ maxMessages: 3 })).map((m) => m.body)).toEqual(['c']);
  });

  it('keeps a received message hidden for exactly its visibility timeout', async () => {
    const time = manualClock();
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 5, visibilityTimeoutSeconds: 30, clock: time.clock });
    await queue.sendBatch(['a']);
    await queue.receive({ maxMessages: 1 });
    const receivedAt = time.nowMs();

    time.advance(29_999);
    const justBefore = await queue.receive({ maxMessages: 1 });
    const nextVisibleAt = queue.nextVisibleAt();
    time.advance(1);
    const atDeadline = await queue.receive({ maxMessages: 1 });

    expect(justBefore).toEqual([]);
    expect(nextVisibleAt).toBe(receivedAt + 30_000);
    expect(atDeadline.map((m) => [m.body, m.receiveCount])).toEqual([['a', 2]]);
  });

  it('delivers in send order and reports the first send and first receive times', async () => {
    const time = manualClock();
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 5, visibilityTimeoutSeconds: 1, clock: time.clock });
    const sentAt = time.nowMs();
    await queue.sendBatch(['1', '2', '3']);
    time.advance(500);
    await queue.sendBatch(['4']);
    time.advance(500);

    const first = await queue.receive({ maxMessages: 2 });
    time.advance(2_000);
    const again = await queue.receive({ maxMessages: 10 });

    expect(first.map((m) => m.body)).toEqual(['1', '2']);
    expect(again.map((m) => m.body)).toEqual(['1', '2', '3', '4']);
    expect(again[0]).toMatchObject({ sentTimestamp: sentAt, firstReceiveTimestamp: sentAt + 1_000, receiveCount: 2 });
    expect(again[2]).toMatchObject({ firstReceiveTimestamp: sentAt + 3_000, receiveCount: 1 });
  });

  it('ignores a stale receipt handle once the message was delivered again', async () => {
    const time = manualClock();
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 5, visibilityTimeoutSeconds: 10, clock: time.clock });
    await queue.sendBatch(['job']);
    const [first] = await queue.receive({ maxMessages: 1 });
    time.advance(10_000);
    const [second] = await queue.receive({ maxMessages: 1 });

    await queue.delete(first?.receiptHandle ?? '');
    await queue.changeVisibility(first?.receiptHandle ?? '', 0);
    const depth = await queue.depth();
    await queue.delete(second?.receiptHandle ?? '');

    expect(depth).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('moves a message to the dead-letter queue on the receive after its last allowed one', async () => {
    const time = manualClock();
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 2, visibilityTimeoutSeconds: 1, clock: time.clock });
    await queue.sendBatch(['poison', 'fine']);
    const sentAt = time.nowMs();
    await queue.receive({ maxMessages: 10 });
    time.advance(1_000);
    const second = await queue.receive({ maxMessages: 10 });
    const fine = second.find((m) => m.body === 'fine');
    await queue.delete(fine?.receiptHandle ?? '');
    time.advance(1_000);

    const third = await queue.receive({ maxMessages: 10 });
    const dead = await queue.deadLetter.receive({ maxMessages: 10 });

    expect(third).toEqual([]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ body: 'poison', receiveCount: 1, sentTimestamp: sentAt });
    expect(dead[0]?.messageId).toBe(second.find((m) => m.body === 'poison')?.messageId);
    expect(queue.deadLetter.name).toBe('q-dlq');
  });

  it('keeps dead-lettered messages and their ids across a close and reopen of the database', async () => {
    const time = manualClock();
    const queues = openLocalQueues(db, { maxReceiveCount: 1, visibilityTimeoutSeconds: 1, clock: time.clock });
    await queues.write.sendBatch(['{"date":"2024-01-02"}']);
    const [delivered] = await queues.write.receive({ maxMessages: 1 });
    time.advance(1_000);
    await queues.write.receive({ maxMessages: 1 });
    db.close();

    db = openDatabase(dataDir);
    const reopened = openLocalQueues(db, { maxReceiveCount: 1, visibilityTimeoutSeconds: 1, clock: time.clock });
    const peeked = await reopened.write.deadLetter.peek(10);
    const otherDepths = await Promise.all([reopened.fetch.deadLetter.depth(), reopened.transform.deadLetter.depth()]);

    expect(peeked).toEqual([
      {
        messageId: delivered?.messageId,
        body: '{"date":"2024-01-02"}',
        receiveCount: 0,
        sentTimestamp: expect.any(Number),
      },
    ]);
    expect(otherDepths.map((d) => d.visible)).toEqual([0, 0]);
  });

  it('redrives every dead-lettered message back with its receive count reset', async () => {
    const time = manualClock();
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 1, visibilityTimeoutSeconds: 1, clock: time.clock });
    await queue.sendBatch(['x', 'y']);
    await queue.receive({ maxMessages: 10 });
    time.advance(1_000);
    await queue.receive({ maxMessages: 10 });

    const result = await queue.redrive({ maxPerSecond: 1 });
    const redelivered = await queue.receive({ maxMessages: 10 });

    expect(result).toEqual({ moved: 2, status: 'COMPLETED' });
    expect(redelivered.map((m) => [m.body, m.receiveCount])).toEqual([
      ['x', 1],
      ['y', 1],
    ]);
    expect(await queue.deadLetter.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('purges messages older than the retention period, in the work queue and in the dead-letter queue', async () => {
    const time = manualClock();
    const queue = new SqliteQueue(db, 'q', {
      maxReceiveCount: 1,
      visibilityTimeoutSeconds: 1,
      retentionSeconds: 60,
      deadLetterRetentionSeconds: 120,
      clock: time.clock,
    });
    await queue.sendBatch(['old-dead']);
    await queue.receive({ maxMessages: 1 });
    time.advance(1_000);
    await queue.receive({ maxMessages: 1 });
    await queue.sendBatch(['old']);
    time.advance(30_000);
    await queue.sendBatch(['young']);

    time.advance(30_001);
    const afterOneMinute = await queue.receive({ maxMessages: 10 });
    const deadAfterOneMinute = await queue.deadLetter.depth();
    time.advance(60_000);
    const deadAfterTwoMinutes = await queue.deadLetter.depth();

    expect(afterOneMinute.map((m) => m.body)).toEqual(['young']);
    expect(deadAfterOneMinute.visible).toBe(1);
    expect(deadAfterTwoMinutes.visible).toBe(0);
  });

  it('sends 3,650 messages in one transaction', async () => {
    const queue = new SqliteQueue(db, 'backfill', { maxReceiveCount: 5, visibilityTimeoutSeconds: 1 });
    const bodies = Array.from({ length: 3_650 }, (_, i) => JSON.stringify({ day: i }));
    const brokenLast = [...bodies.slice(0, -1), null as unknown as string];

    const failed = await queue.sendBatch(brokenLast).then(
      () => undefined,
      (error: unknown) => error,
    );
    const depthAfterFailure = await queue.depth();
    await queue.sendBatch(bodies);
    const depth = await queue.depth();
    const first = await queue.receive({ maxMessages: 3 });

    expect(failed).toBeInstanceOf(QueueError);
    expect(depthAfterFailure.visible).toBe(0);
    expect(depth.visible).toBe(3_650);
    expect(first.map((m) => m.body)).toEqual(bodies.slice(0, 3));
  });

  it('refuses to receive more than 10 messages at once, as SQS does', async () => {
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 5, visibilityTimeoutSeconds: 1 });

    const attempt = queue.receive({ maxMessages: 11 });

    await expect(attempt).rejects.toBeInstanceOf(QueueError);
  });

  it('long-polls until a message arrives from another connection', async () => {
    const queue = new SqliteQueue(db, 'q', { maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
    const other = openDatabase(dataDir);
    const sender = new SqliteQueue(other, 'q', { maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });

    const receiving = queue.receive({ maxMessages: 1, waitTimeSeconds: 10 });
    setTimeout(() => void sender.sendBatch(['late']), 200);
    const received = await receiving;
    other.close();

    expect(received.map((m) => m.body)).toEqual(['late']);
  });
});
