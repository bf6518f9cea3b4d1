import type { Database } from './sqlite-database.ts';

/** What the filesystem store keeps about an object besides its bytes (the sidecar record). */
export interface StoredMetadata {
  metadata: Record<string, string>;
  contentType?: string;
  /** Inode and size of the object file this metadata was written with. */
  ino: number;
  size: number;
}

/** Where FsObjectStore keeps user metadata: a sidecar file per object by default, or rows of the data directory's SQLite. */
export interface ObjectMetadataIndex {
  read(key: string): StoredMetadata | undefined;
  write(key: string, record: StoredMetadata): void;
  remove(key: string): void;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS object_metadata (
  key TEXT PRIMARY KEY,
  ino INTEGER NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT,
  metadata TEXT NOT NULL
) WITHOUT ROWID`;

/**
 * Object metadata as rows of the data directory's SQLite database. A put then creates one file instead of two (the
 * object, not also `.meta/<key>.json` in a folder of its own), and a head is a stat plus an indexed lookup. The rows
 * keep the sidecar's inode/size check, so a crash between the rename and the row write still never pairs new
 * content with old metadata.
 */
export class SqliteObjectMetadata implements ObjectMetadataIndex {
  private readonly select;
  private readonly upsert;
  private readonly deleteRow;

  constructor(db: Database) {
    db.exec(SCHEMA);
    this.select = db.prepare<[string], { ino: number; size: number; content_type: string | null; metadata: string }>(
      'SELECT ino, size, content_type, metadata FROM object_metadata WHERE key = ?',
    );
    this.upsert = db.prepare<[string, number, number, string | null, string]>(
      `INSERT INTO object_metadata (key, ino, size, content_type, metadata) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET ino = excluded.ino, size = excluded.size,
       content_type = excluded.content_type, metadata = excluded.metadata`,
    );
    this.deleteRow = db.prepare<[string]>('DELETE FROM object_metadata WHERE key = ?');
  }

  read(key: string): StoredMetadata | undefined {
    const row = this.select.get(key);
    if (!row) return undefined;
    const record: StoredMetadata = {
      metadata: JSON.parse(row.metadata) as Record<string, string>,
      ino: row.ino,
      size: row.size,
    };
    if (row.content_type !== null) record.contentType = row.content_type;
    return record;
  }

  write(key: string, record: StoredMetadata): void {
    this.upsert.run(key, record.ino, record.size, record.contentType ?? null, JSON.stringify(record.metadata));
  }

  remove(key: string): void {
    this.deleteRow.run(key);
  }
}
