import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { queryLocalLake } from '#shared/adapters/local/duckdb-query.ts';
import { computeDailyRows, type DailyRow } from '#shared/domain/daily-rows.ts';
import type { Observation } from '#shared/domain/observation.ts';
import { mergeObservations } from '#shared/domain/series-history.ts';

/** Every partition file of the lake: date -> { inode, mtime, sha of bytes }. */
export const partitionFiles = async (
  dataDir: string,
): Promise<Map<string, { ino: number; mtimeMs: number; bytes: Buffer }>> => {
  const root = join(dataDir, 'curated', 'fred_daily');
  const files = new Map<string, { ino: number; mtimeMs: number; bytes: Buffer }>();
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    const dir = join(root, entry);
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const info = await stat(path);
      files.set(`${entry}/${name}`, { ino: info.ino, mtimeMs: info.mtimeMs, bytes: await readFile(path) });
    }
  }
  return files;
};

/** Every row of the lake as DuckDB reads it (hive partitions), sorted by date. */
export const lakeRows = async (dataDir: string): Promise<DailyRow[]> => {
  const result = await queryLocalLake(
    dataDir,
    "SELECT strftime(date, '%Y-%m-%d') AS date, sp500_daily_price, sp500_daily_percentage_change, cpi_level, cpi_annual_percentage_change FROM fred_daily ORDER BY date",
  );
  return result.rows as unknown as DailyRow[];
};

/** The rows the row rules give for the union of every observation FRED served (history kept). */
export const expectedRows = (sp500: Observation[][], cpi: Observation[][]): DailyRow[] =>
  computeDailyRows(
    sp500.reduce<Observation[]>((acc, next) => mergeObservations(acc, next), []),
    cpi.reduce<Observation[]>((acc, next) => mergeObservations(acc, next), []),
  );

/** Files left behind by an interrupted atomic write. */
export const temporaryFiles = async (dir: string): Promise<string[]> => {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.startsWith('.tmp-')) found.push(path);
    }
  };
  await walk(dir);
  return found;
};
