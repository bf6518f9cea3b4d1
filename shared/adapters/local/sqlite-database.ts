import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;

/** The one SQLite file of a data directory (next to the object tree, never listed as an object). */
export const DATABASE_FILE_NAME = 'fredlake.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_receive_at INTEGER,
  receipt_handle TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue, visible_at, seq);
CREATE INDEX IF NOT EXISTS messages_by_age ON messages (queue, sent_at);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_receipt ON messages (receipt_handle) WHERE receipt_handle IS NOT NULL;

CREATE TABLE IF NOT EXISTS failures (
  message_id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  retryable INTEGER NOT NULL,
  receive_count INTEGER NOT NULL,
  at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS partitions (
  date TEXT PRIMARY KEY,
  registered_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  started_at TEXT,
  finished_at TEXT,
  status TEXT,
  json TEXT
);
`;

/**
 * Opens (creating if needed) `<dataDir>/fredlake.sqlite`: WAL so readers never block the writer, a busy timeout so a
 * second process waits instead of failing, and every table created idempotently.
 */
export const openDatabase = (dataDir: string): Database => {
  mkdirSync(dataDir, { recursive: true });
  const db = new BetterSqlite3(join(dataDir, DATABASE_FILE_NAME));
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return db;
};
