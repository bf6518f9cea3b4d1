import { spawn } from 'node:child_process';
import { cp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rowValues } from '#shared/domain/daily-rows.ts';
import { hashRow } from '#shared/domain/row-hash.ts';
import type { FredServer } from '#test/support/fred-server.ts';
import { TEST_FRED_KEY } from '#test/support/fred-server.ts';
import { expectedRows } from '#test/support/lake.ts';
import { type ProcessRun, runNode } from './measure.ts';

/** The server's day for a full lake: a Saturday, so the lake ends with Friday's close. */
export const FULL_LAKE_DAY = '2026-11-21';
/** The next run: Tuesday, after Monday's close: Saturday, Sunday and Monday are new. */
export const NEXT_DAY = '2026-11-24';

export interface CliRun extends ProcessRun {
  summary: { written: number; unchanged: number; fredRequests: number; ok: boolean; audit: { expected: number } };
}

/** `node bin/fredlake.js run --data-dir <dir> --json`, whole process, against the synthetic FRED (default config). */
export const runFredlake = async (server: FredServer, dataDir: string): Promise<CliRun> => {
  const run = await runNode(['bin/fredlake.js', 'run', '--data-dir', dataDir, '--json'], {
    FRED_API_URL: server.url,
    FRED_API_KEY: TEST_FRED_KEY,
  });
  if (run.code !== 0) throw new Error(`fredlake run exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
  return { ...run, summary: JSON.parse(run.stdout) as CliRun['summary'] };
};

/** The rows of the server's current data as CSV (date + the four columns), for DuckDB. */
export const writeRowsCsv = async (server: FredServer, path: string): Promise<number> => {
  const rows = expectedRows([server.sp500()], [server.cpi()]);
  const cell = (value: number | null) => (value === null ? '' : String(value));
  const lines = rows.map(
    (row) =>
      `${row.date},${cell(row.sp500_daily_price)},${cell(row.sp500_daily_percentage_change)},${cell(row.cpi_level)},${cell(row.cpi_annual_percentage_change)}`,
  );
  await writeFile(
    path,
    `date,sp500_daily_price,sp500_daily_percentage_change,cpi_level,cpi_annual_percentage_change\n${lines.join('\n')}\n`,
  );
  return rows.length;
};

export const runDuckDbCopy = async (csv: string, outDir: string): Promise<ProcessRun> => {
  const run = await runNode(['bench/support/duckdb-copy.mjs', csv, outDir]);
  if (run.code !== 0) throw new Error(`duckdb-copy exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
  return run;
};

/** Partition file -> inode and mtime: a rewritten file has a new inode (atomic rename). */
export const snapshotPartitions = async (dataDir: string): Promise<Map<string, string>> => {
  const root = join(dataDir, 'curated', 'fred_daily');
  const files = new Map<string, string>();
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    const info = await stat(join(root, entry, 'data.parquet')).catch(() => undefined);
    if (info) files.set(entry.slice('date='.length), `${info.ino}:${info.mtimeMs}`);
  }
  return files;
};

/** Dates whose partition file is new or was replaced between two snapshots. */
export const writtenBetween = (before: Map<string, string>, after: Map<string, string>): string[] =>
  [...after].filter(([date, id]) => before.get(date) !== id).map(([date]) => date);

export const countFiles = async (dir: string, name: RegExp): Promise<number> => {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && name.test(entry.name)) count += 1;
  }
  return count;
};

/**
 * A working copy of a full lake: every object hard-linked (fredlake replaces objects by rename, never in place, so
 * the template is never touched, and inodes, which the store's metadata sidecars check, are kept), the SQLite files
 * copied.
 */
export const cloneLake = async (template: string, target: string): Promise<void> => {
  await rm(target, { recursive: true, force: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('cp', ['-al', template, target], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cp -al exited ${code}`))));
  });
  for (const name of await readdir(template)) {
    if (!name.startsWith('fredlake.sqlite')) continue;
    await rm(join(target, name));
    await cp(join(template, name), join(target, name));
  }
};

/** Dates whose row changes when the server revises CPI (what a revision run must write, and only that). */
export const datesChangedByRevision = (server: FredServer): string[] => {
  server.reviseCpi(false);
  const before = new Map(expectedRows([server.sp500()], [server.cpi()]).map((r) => [r.date, hashRow(rowValues(r))]));
  server.reviseCpi(true);
  const after = expectedRows([server.sp500()], [server.cpi()]);
  server.reviseCpi(false);
  return after.filter((row) => before.get(row.date) !== hashRow(rowValues(row))).map((row) => row.date);
};
