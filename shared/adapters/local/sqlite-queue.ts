import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { QueueError } from '#shared/errors.ts';
import { type Clock, systemClock } from '#shared/ports/clock.ts';
import {
  type PeekedMessage,
  QUEUE_NAMES,
  type Queue,
  type QueueDepth,
  type QueueName,
  type ReceivedMessage,
  type ReceiveOptions,
  type RedriveResult,
  type SourceQueue,
} from '#shared/ports/queue.ts';
import type { Database } from './sqlite-database.ts';

const DAY_SECONDS = 24 * 60 * 60;
/** SQS defaults: 4 days on a work queue; dead-letter queues are usually given the 14-day maximum. */
const DEFAULT_RETENTION_SECONDS = 4 * DAY_SECONDS;
const DEFAULT_DEAD_LETTER_RETENTION_SECONDS = 14 * DAY_SECONDS;
const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
/** How often a long-polling receive looks at the table again. */
const POLL_INTERVAL_MS = 50;

export type { PeekedMessage };

export interface SqliteQueueOptions {
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** How long a message may wait in the work queue (default 4 days). */
  retentionSeconds?: number;
  /** How long a message may wait in the dead-letter queue, counted from its first send as SQS does (default 14 days). */
  deadLetterRetentionSeconds?: number;
  clock?: Clock;
}

interface MessageRow {
  seq: number;
  message_id: string;
  body: string;
  sent_at: number;
  receive_count: number;
  first_receive_at: number | null;
}

interface Statements {
  insert: BetterSqlite3.Statement<[string, string, string, number, number]>;
  visible: BetterSqlite3.Statement<[string, number, number], MessageRow>;
  markReceived: BetterSqlite3.Statement<[number, string, number, number]>;
  moveTo: BetterSqlite3.Statement<[string, number, number]>;
  deleteByHandle: BetterSqlite3.Statement<[string, string]>;
  changeVisibility: BetterSqlite3.Statement<[number, string, string]>;
  depth: BetterSqlite3.Statement<[number, number, string], { visible: number | null; in_flight: number | null }>;
  purge: BetterSqlite3.Statement<[string, number]>;
  nextVisibleAt: BetterSqlite3.Statement<[string, number], { at: number | null }>;
  peek: BetterSqlite3.Statement<[string, number], Omit<MessageRow, 'seq' | 'first_receive_at'>>;
  redrive: BetterSqlite3.Statement<[string, number, string]>;
}

const prepare = (db: Database): Statements => ({
  insert: db.prepare('INSERT INTO messages (queue, message_id, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)'),
  visible: db.prepare(
    `SELECT seq, message_id, body, sent_at, receive_count, first_receive_at FROM messages
     WHERE queue = ? AND visible_at <= ? ORDER BY seq LIMIT ?`,
  ),
  markReceived: db.prepare(
    `UPDATE messages SET visible_at = ?, receive_count = receive_count + 1, receipt_handle = ?,
     first_receive_at = COALESCE(first_receive_at, ?) WHERE seq = ?`,
  ),
  moveTo: db.prepare(
    `UPDATE messages SET queue = ?, visible_at = ?, receive_count = 0, receipt_handle = NULL,
     first_receive_at = NULL WHERE seq = ?`,
  ),
  deleteByHandle: db.prepare('DELETE FROM messages WHERE queue = ? AND receipt_handle = ?'),
  changeVisibility: db.prepare('UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt_handle = ?'),
  depth: db.prepare(
    'SELECT SUM(visible_at <= ?) AS visible, SUM(visible_at > ?) AS in_flight FROM messages WHERE queue = ?',
  ),
  purge: db.prepare('DELETE FROM messages WHERE queue = ? AND sent_at < ?'),
  nextVisibleAt: db.prepare('SELECT MIN(visible_at) AS at FROM messages WHERE queue = ? AND visible_at > ?'),
  peek: db.prepare(
    'SELECT message_id, body, receive_count, sent_at FROM messages WHERE queue = ? ORDER BY seq LIMIT ?',
  ),
  redrive: db.prepare(
    `UPDATE messages SET queue = ?, visible_at = ?, receive_count = 0, receipt_handle = NULL,
     first_receive_at = NULL WHERE queue = ?`,
  ),
});

/** Statements are compiled once per database, shared by every queue on it. */
const statementsByDatabase = new WeakMap<Database, Statements>();
const statementsOf = (db: Database): Statements => {
  let statements = statementsByDatabase.get(db);
  if (!statements) {
    statements = prepare(db);
    statementsByDatabase.set(db, statements);
  }
  return statements;
};

interface BasicQueueOptions {
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  clock: Clock;
  /** Where a message goes when a receive finds it already received this many times. */
  deadLetter?: { name: string; maxReceiveCount: number };
}

/**
 * A queue with SQS semantics in one SQLite table: at-least-once delivery, visibility timeouts, receive counts and
 * receipt handles that go stale on re-delivery. Every mutation is one IMMEDIATE transaction, so several processes
 * may share the database file. Used as is for dead-letter queues; {@link SqliteQueue} adds the dead-letter policy.
 */
export class SqliteBasicQueue implements Queue {
  readonly name: string;
  protected readonly db: Database;
  protected readonly statements: Statements;
  protected readonly clock: Clock;
  private readonly visibilityTimeoutSeconds: number;
  private readonly retentionMs: number;
  private readonly deadLetterPolicy: { name: string; maxReceiveCount: number } | undefined;
  private readonly sendAll: (bodies: readonly string[]) => void;
  private readonly deleteAll: (receiptHandles: readonly string[]) => void;
  private readonly receiveNow: (maxMessages: number, visibilityTimeoutSeconds: number) => ReceivedMessage[];

  constructor(db: Database, name: string, options: BasicQueueOptions) {
    validateVisibility(options.visibilityTimeoutSeconds, name);
    this.db = db;
    this.name = name;
    this.clock = options.clock;
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds;
    this.retentionMs = options.retentionSeconds * 1000;
    this.deadLetterPolicy = options.deadLetter;
    this.statements = statementsOf(db);
    const send = db.transaction((bodies: readonly string[]) => {
      const now = this.nowMs();
      for (const body of bodies) this.statements.insert.run(this.name, randomUUID(), body, now, now);
    });
    this.sendAll = (bodies) => send.immediate(bodies);
    const deleteHandles = db.transaction((receiptHandles: readonly string[]) => {
      for (const handle of receiptHandles) this.statements.deleteByHandle.run(this.name, handle);
    });
    this.deleteAll = (receiptHandles) => deleteHandles.immediate(receiptHandles);
    const receive = db.transaction((maxMessages: number, timeoutSeconds: number) =>
      this.receiveInTransaction(maxMessages, timeoutSeconds),
    );
    this.receiveNow = (maxMessages, timeoutSeconds) => receive.immediate(maxMessages, timeoutSeconds);
  }

  /** Sends every body in one transaction (a backfill's thousands of messages cost one commit). */
  async sendBatch(bodies: readonly string[]): Promise<void> {
    if (bodies.length === 0) return;
    this.guard('send messages to', () => this.sendAll(bodies));
  }

  async receive(options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const { maxMessages } = options;
    if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > 10) {
      throw new QueueError(`Cannot receive ${maxMessages} messages from queue ${this.name}: ask for 1 to 10.`, false, {
        queue: this.name,
      });
    }
    const timeoutSeconds = options.visibilityTimeoutSeconds ?? this.visibilityTimeoutSeconds;
    validateVisibility(timeoutSeconds, this.name);
    const deadline = Date.now() + (options.waitTimeSeconds ?? 0) * 1000;
    for (;;) {
      const received = this.guard('receive from', () => this.receiveNow(maxMessages, timeoutSeconds));
      const left = deadline - Date.now();
      if (received.length > 0 || left <= 0) return received;
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_INTERVAL_MS, left)));
    }
  }

  /** Deletes the delivery's message; a stale handle (the message was delivered again since) is ignored, as in SQS. */
  async delete(receiptHandle: string): Promise<void> {
    this.guard('delete from', () => this.statements.deleteByHandle.run(this.name, receiptHandle));
  }

  /** Deletes several deliveries' messages in one transaction (SQS DeleteMessageBatch); stale handles are ignored. */
  async deleteBatch(receiptHandles: readonly string[]): Promise<void> {
    if (receiptHandles.length === 0) return;
    this.guard('delete from', () => this.deleteAll(receiptHandles));
  }

  /** Moves the delivery's visibility deadline to now + seconds; a stale handle is ignored. */
  async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    validateVisibility(visibilityTimeoutSeconds, this.name);
    const visibleAt = this.nowMs() + visibilityTimeoutSeconds * 1000;
    this.guard('change visibility in', () => this.statements.changeVisibility.run(visibleAt, this.name, receiptHandle));
  }

  async depth(): Promise<QueueDepth> {
    return this.guard('count', () => {
      const now = this.nowMs();
      this.statements.purge.run(this.name, now - this.retentionMs);
      const row = this.statements.depth.get(now, now, this.name);
      return { visible: row?.visible ?? 0, inFlight: row?.in_flight ?? 0, delayed: 0 };
    });
  }

  /** When (ms since epoch, by the queue's clock) the earliest in-flight message becomes visible again. */
  nextVisibleAt(): number | undefined {
    return this.guard('inspect', () => this.statements.nextVisibleAt.get(this.name, this.nowMs())?.at ?? undefined);
  }

  /** The oldest messages, visible or not, without receiving them (for `fredlake dlq`). */
  async peek(limit: number): Promise<PeekedMessage[]> {
    return this.guard('peek into', () =>
      this.statements.peek.all(this.name, limit).map((row) => ({
        messageId: row.message_id,
        body: row.body,
        receiveCount: row.receive_count,
        sentTimestamp: row.sent_at,
      })),
    );
  }

  protected nowMs(): number {
    return this.clock.now().getTime();
  }

  protected guard<T>(action: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof QueueError) throw error;
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
      const reason = error instanceof Error ? error.message : String(error);
      throw new QueueError(
        `Could not ${action} queue ${this.name}: ${reason}`,
        code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_IOERR' || code === 'SQLITE_FULL',
        { queue: this.name, sqliteCode: code },
        { cause: error },
      );
    }
  }

  private receiveInTransaction(maxMessages: number, timeoutSeconds: number): ReceivedMessage[] {
    const now = this.nowMs();
    this.statements.purge.run(this.name, now - this.retentionMs);
    const delivered: ReceivedMessage[] = [];
    const policy = this.deadLetterPolicy;
    // Each pass either delivers or dead-letters every row it reads, so the loop ends.
    while (delivered.length < maxMessages) {
      const rows = this.statements.visible.all(this.name, now, maxMessages - delivered.length);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (policy && row.receive_count >= policy.maxReceiveCount) {
          // Like SQS: the receive that finds a message over its receive limit moves it instead of delivering it.
          this.statements.moveTo.run(policy.name, now, row.seq);
          continue;
        }
        const receiptHandle = randomUUID();
        this.statements.markReceived.run(now + timeoutSeconds * 1000, receiptHandle, now, row.seq);
        delivered.push({
          messageId: row.message_id,
          body: row.body,
          receiptHandle,
          receiveCount: row.receive_count + 1,
          sentTimestamp: row.sent_at,
          firstReceiveTimestamp: row.first_receive_at ?? now,
        });
      }
    }
    return delivered;
  }
}

/**
 * A work queue and its dead-letter queue `<name>-dlq`, both in the data directory's SQLite file, so whatever a run
 * leaves in a dead-letter queue is still there for the next process.
 */
export class SqliteQueue extends SqliteBasicQueue implements SourceQueue {
  readonly deadLetter: SqliteBasicQueue;
  readonly maxReceiveCount: number;
  private readonly redriveAll: () => number;

  constructor(db: Database, name: string, options: SqliteQueueOptions) {
    if (!Number.isInteger(options.maxReceiveCount) || options.maxReceiveCount < 1) {
      throw new QueueError(`Queue ${name} needs a maxReceiveCount of at least 1.`, false, { queue: name });
    }
    const clock = options.clock ?? systemClock;
    const deadLetterName = `${name}-dlq`;
    super(db, name, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      retentionSeconds: options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS,
      clock,
      deadLetter: { name: deadLetterName, maxReceiveCount: options.maxReceiveCount },
    });
    this.maxReceiveCount = options.maxReceiveCount;
    this.deadLetter = new SqliteBasicQueue(db, deadLetterName, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      retentionSeconds: options.deadLetterRetentionSeconds ?? DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
      clock,
    });
    const redrive = db.transaction(() => this.statements.redrive.run(this.name, this.nowMs(), deadLetterName).changes);
    this.redriveAll = () => redrive.immediate();
  }

  /** Moves every dead-lettered message back, receive count reset; finishes at once (`maxPerSecond` is ignored). */
  async redrive(_options?: { maxPerSecond?: number }): Promise<RedriveResult> {
    const moved = this.guard('redrive into', () => this.redriveAll());
    return { moved, status: 'COMPLETED' };
  }
}

/** The embedded default's three work queues (and their `<name>-dlq` dead-letter queues) on one database. */
export function openLocalQueues(db: Database, options: SqliteQueueOptions): Record<QueueName, SqliteQueue> {
  return Object.fromEntries(QUEUE_NAMES.map((name) => [name, new SqliteQueue(db, name, options)])) as Record<
    QueueName,
    SqliteQueue
  >;
}

function validateVisibility(seconds: number, queue: string): void {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_TIMEOUT_SECONDS) {
    throw new QueueError(
      `Visibility timeout ${seconds} s for queue ${queue} is out of range: use 0 to ${MAX_VISIBILITY_TIMEOUT_SECONDS}.`,
      false,
      { queue },
    );
  }
}
