import type { FailureLog, FailureRecord } from '#shared/ports/failure-log.ts';
import type { Database } from './sqlite-database.ts';

interface FailureRow {
  message_id: string;
  queue: string;
  code: string;
  reason: string;
  retryable: number;
  receive_count: number;
  at: string;
}

/**
 * Why each message last failed, keyed by message id (the id survives the move to a dead-letter queue, so
 * `fredlake dlq` can join the two). A later failure of the same message replaces the earlier one.
 */
export class SqliteFailureLog implements FailureLog {
  private readonly upsert;
  private readonly select;

  constructor(db: Database) {
    this.upsert = db.prepare<[string, string, string, string, number, number, string]>(
      `INSERT OR REPLACE INTO failures (message_id, queue, code, reason, retryable, receive_count, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.select = db.prepare<[string], FailureRow>(
      'SELECT * FROM failures WHERE message_id IN (SELECT value FROM json_each(?))',
    );
  }

  async record(failure: FailureRecord): Promise<void> {
    this.upsert.run(
      failure.messageId,
      failure.queue,
      failure.code,
      failure.reason,
      failure.retryable ? 1 : 0,
      failure.receiveCount,
      failure.at,
    );
  }

  async lastFailures(messageIds: readonly string[]): Promise<Map<string, FailureRecord>> {
    const found = new Map<string, FailureRecord>();
    if (messageIds.length === 0) return found;
    for (const row of this.select.all(JSON.stringify(messageIds))) {
      found.set(row.message_id, {
        queue: row.queue,
        messageId: row.message_id,
        code: row.code,
        reason: row.reason,
        retryable: row.retryable === 1,
        receiveCount: row.receive_count,
        at: row.at,
      });
    }
    return found;
  }
}
