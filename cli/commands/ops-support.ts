import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { acquireDataDirLock } from '#shared/adapters/local/local-lock.ts';
import type { Config } from '#shared/config.ts';
import { createDeps, type Deps, type DepsOverrides } from '#shared/deps.ts';
import { addDays } from '#shared/domain/calendar.ts';
import { RUNS_PREFIX, runRecordKey } from '#shared/domain/keys.ts';
import { newRunId } from '#shared/domain/run-id.ts';
import { QUEUE_NAMES, type QueueName } from '#shared/ports/queue.ts';
import { CliError, ExitCode } from '../errors.ts';
import { openPipeline, type Pipeline } from '../pipeline.ts';

/**
 * What the operations commands share: opening the ports of the configured backend, holding the data directory's
 * writer lock around anything that writes, run records under ops/runs/, and printing dates for people.
 */

/** The commands work through the ports; locally a data directory that does not exist yet holds nothing to inspect. */
const requireDataDir = (config: Config): void => {
  if (config.backend === 'local' && !existsSync(config.dataDir)) {
    throw new CliError(
      `No data directory at ${config.dataDir}: run \`fredlake run\` (or pass --data-dir) first`,
      ExitCode.usage,
    );
  }
};

/** Opens the ports for a read-only look (no lock: readers never block the writer). */
export const withDeps = async <T>(config: Config, use: (deps: Deps) => Promise<T>): Promise<T> => {
  requireDataDir(config);
  const deps = await createDeps(config);
  try {
    return await use(deps);
  } finally {
    await deps.close();
  }
};

/** Opens the local pipeline (real handlers, local runtime) while holding the data directory's writer lock. */
export const withLockedPipeline = async <T>(
  config: Config,
  use: (pipeline: Pipeline) => Promise<T>,
  options: { waitMs?: number; overrides?: DepsOverrides; create?: boolean } = {},
): Promise<T> => {
  if (options.create) await mkdir(config.dataDir, { recursive: true });
  else requireDataDir(config);
  const lock = await acquireDataDirLock(config.dataDir, { waitMs: options.waitMs ?? 0 });
  try {
    const pipeline = await openPipeline(config, options.overrides);
    try {
      return await use(pipeline);
    } finally {
      await pipeline.close();
    }
  } finally {
    await lock.release();
  }
};

/**
 * A run record as `fredlake status` reads it. runDailyFlow writes its RunSummary (a superset); backfill, redrive
 * and `audit --fix` write this shape with their own details, under the same key scheme.
 */
export interface OpsRunRecord {
  runId: string;
  /** The command that ran: `run`, `backfill`, `redrive`, `audit --fix`. */
  command: string;
  reason: string;
  startedAt: string;
  finishedAt: string;
  elapsedMs: number;
  written: number;
  unchanged: number;
  deadLettered: Record<QueueName, number>;
  ok: boolean;
  /** The run's counters (shared/metric-names.ts): what CloudWatch gets in AWS. */
  metrics?: Record<string, number>;
  details?: unknown;
}

export const newOpsRunId = (deps: Deps): string => newRunId(deps.clock.now());

export const writeRunRecord = async (deps: Deps, record: OpsRunRecord): Promise<void> => {
  await deps.store.put(runRecordKey(record.runId), JSON.stringify(record, null, 2), {
    contentType: 'application/json',
  });
};

/** The last `limit` run records, newest first (run ids sort by time). Unreadable records are skipped. */
export const readRecentRuns = async (deps: Deps, limit: number): Promise<OpsRunRecord[]> => {
  const keys = (await deps.store.list(RUNS_PREFIX))
    .map((o) => o.key)
    .filter((key) => key.endsWith('.json'))
    .sort()
    .slice(-limit)
    .reverse();
  const records: OpsRunRecord[] = [];
  for (const key of keys) {
    const object = await deps.store.get(key);
    if (!object) continue;
    try {
      const raw = JSON.parse(new TextDecoder().decode(object.body)) as Partial<OpsRunRecord> & { reason?: string };
      records.push({
        runId: String(raw.runId ?? key.slice(RUNS_PREFIX.length, -'.json'.length)),
        command: raw.command ?? (raw.reason === 'backfill' ? 'backfill' : 'run'),
        reason: String(raw.reason ?? 'unknown'),
        startedAt: String(raw.startedAt ?? ''),
        finishedAt: String(raw.finishedAt ?? ''),
        elapsedMs: Number(raw.elapsedMs ?? 0),
        written: Number(raw.written ?? 0),
        unchanged: Number(raw.unchanged ?? 0),
        deadLettered: { ...zeroByQueue(), ...(raw.deadLettered ?? {}) },
        ok: raw.ok !== false,
        ...(raw.metrics && typeof raw.metrics === 'object' ? { metrics: raw.metrics } : {}),
      });
    } catch {
      // a damaged record is not worth failing `status` for
    }
  }
  return records;
};

export const zeroByQueue = (): Record<QueueName, number> => ({ fetch: 0, transform: 0, write: 0 });

export const sumByQueue = (...counts: Record<QueueName, number>[]): Record<QueueName, number> =>
  Object.fromEntries(QUEUE_NAMES.map((q) => [q, counts.reduce((sum, c) => sum + c[q], 0)])) as Record<
    QueueName,
    number
  >;

/** Dates for reading: consecutive days collapse into `first..last (n days)`. Input need not be sorted. */
export const dateRanges = (dates: readonly string[]): string[] => {
  const sorted = [...new Set(dates)].sort();
  const ranges: string[] = [];
  let start: string | undefined;
  let end: string | undefined;
  let length = 0;
  const flush = () => {
    if (start === undefined || end === undefined) return;
    ranges.push(length === 1 ? start : `${start}..${end} (${length} days)`);
  };
  for (const date of sorted) {
    if (end !== undefined && addDays(end, 1) === date) {
      end = date;
      length += 1;
      continue;
    }
    flush();
    start = date;
    end = date;
    length = 1;
  }
  flush();
  return ranges;
};

/** `none`, or the ranges joined, shortened after `max` entries. */
export const formatDates = (dates: readonly string[], max = 12): string => {
  if (dates.length === 0) return 'none';
  const ranges = dateRanges(dates);
  const shown = ranges.slice(0, max).join(', ');
  return ranges.length > max ? `${shown}, ... (${ranges.length - max} more ranges)` : shown;
};

/** Commander parser for a positive whole number (`--max-per-second`, `--runs`). */
export const parsePositiveInt = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`expected a whole number of at least 1, got "${value}"`);
  }
  return Number(value);
};

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};
