import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCatalog } from '#shared/adapters/local/sqlite-catalog.ts';
import { type Database, openDatabase } from '#shared/adapters/local/sqlite-database.ts';
import { fixedClock } from '#shared/ports/clock.ts';

describe('SqliteCatalog', () => {
  let dataDir: string;
  let db: Database;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fredlake-catalog-'));
    db = openDatabase(dataDir);
  });

  afterEach(async () => {
    if (db.open) db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists registered partitions sorted, each once', async () => {
    const catalog = new SqliteCatalog(db);

    await catalog.registerPartitions(['2024-01-03', '2024-01-01']);
    await catalog.registerPartitions(['2024-01-02', '2024-01-01']);
    await catalog.registerPartitions([]);

    expect(await catalog.listPartitions()).toEqual(['2024-01-01', '2024-01-02', '2024-01-03']);
  });

  it('keeps the first registration time of a partition registered again', async () => {
    await new SqliteCatalog(db, { clock: fixedClock('2024-01-02T00:00:00.000Z') }).registerPartitions(['2024-01-01']);

    await new SqliteCatalog(db, { clock: fixedClock('2024-02-02T00:00:00.000Z') }).registerPartitions(['2024-01-01']);

    const row = db.prepare('SELECT registered_at FROM partitions WHERE date = ?').get('2024-01-01');
    expect(row).toEqual({ registered_at: '2024-01-02T00:00:00.000Z' });
  });

  it('keeps partitions across a close and reopen of the database', async () => {
    await new SqliteCatalog(db).registerPartitions(['2024-01-02']);
    db.close();

    db = openDatabase(dataDir);
    const partitions = await new SqliteCatalog(db).listPartitions();

    expect(partitions).toEqual(['2024-01-02']);
  });
});
