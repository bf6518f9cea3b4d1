import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '#shared/adapters/local/sqlite-database.ts';
import { SqliteFailureLog } from '#shared/adapters/local/sqlite-failure-log.ts';
import type { FailureRecord } from '#shared/ports/failure-log.ts';

const failure = (overrides: Partial<FailureRecord>): FailureRecord => ({
  queue: 'write',
  messageId: 'm-1',
  code: 'FRED_UNAVAILABLE',
  reason: 'FRED answered 503 for series SP500.',
  retryable: true,
  receiveCount: 1,
  at: '2024-01-02T03:04:05.000Z',
  ...overrides,
});

describe('SqliteFailureLog', () => {
  let dataDir: string;
  let db: Database;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fredlake-failures-'));
    db = openDatabase(dataDir);
  });

  afterEach(async () => {
    if (db.open) db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps only the last failure of each message', async () => {
    const log = new SqliteFailureLog(db);
    await log.record(failure({ receiveCount: 1 }));

    await log.record(failure({ receiveCount: 2, code: 'RAW_INVALID', reason: 'hash mismatch', retryable: false }));
    const last = await log.lastFailures(['m-1']);

    expect(last.get('m-1')).toEqual(
      failure({ receiveCount: 2, code: 'RAW_INVALID', reason: 'hash mismatch', retryable: false }),
    );
  });

  it('answers only for the asked ids that failed', async () => {
    const log = new SqliteFailureLog(db);
    await log.record(failure({ messageId: 'a' }));
    await log.record(failure({ messageId: 'b', queue: 'fetch' }));

    const found = await log.lastFailures(['b', 'never-failed']);
    const none = await log.lastFailures([]);

    expect([...found.keys()]).toEqual(['b']);
    expect(found.get('b')?.queue).toBe('fetch');
    expect(none.size).toBe(0);
  });

  it('keeps failures for the next process', async () => {
    await new SqliteFailureLog(db).record(failure({ messageId: "it's-quoted" }));
    db.close();

    db = openDatabase(dataDir);
    const found = await new SqliteFailureLog(db).lastFailures(["it's-quoted"]);

    expect(found.get("it's-quoted")?.code).toBe('FRED_UNAVAILABLE');
  });
});
