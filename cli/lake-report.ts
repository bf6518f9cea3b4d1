import { RUN_ID_METADATA } from '#services/writer/write.ts';
import { queryLocalLake } from '#shared/adapters/local/duckdb-query.ts';
import type { Config } from '#shared/config.ts';
import type { Deps } from '#shared/deps.ts';
import { addDays, isoDateOf, monthOf } from '#shared/domain/calendar.ts';
import { computeDailyRows } from '#shared/domain/daily-rows.ts';
import {
  CURATED_PREFIX,
  dateOfPartitionKey,
  MANIFEST_PREFIX,
  partitionKey,
  runIdOfManifestKey,
} from '#shared/domain/keys.ts';
import { PipelineError } from '#shared/errors.ts';
import type { QueueName } from '#shared/ports/queue.ts';
import { loadState, toObservations } from '#shared/staged-state.ts';
import { type OpsRunRecord, readRecentRuns, withDeps } from './commands/ops-support.ts';
import {
  cpiFreshness,
  expectedCpiMonth,
  expectedSp500Date,
  type Freshness,
  sp500Freshness,
} from './commands/status.ts';
import { inspectDeadLetters } from './dead-letters.ts';

/**
 * What `fredlake report` draws, gathered through the ports (object store, queues, failure log, run records) and
 * DuckDB (the values). Plain data: cli/report-html.ts turns it into the page without any I/O.
 */

/**
 * written: a trading day's partition; filled: a weekend or holiday (the price carried from the day before);
 * missing: the staged state expects the date but no partition file exists; revised: a partition rewritten by one of
 * the recent fetch runs although the date was already more than REVISION_LAG_DAYS old (a CPI revision, a backfill or
 * a repair; new days are first written within a few days).
 */
export type DayState = 'written' | 'filled' | 'missing' | 'revised';

export const REVISION_LAG_DAYS = 7;

export interface ReportRun {
  runId: string;
  command: string;
  startedAt: string;
  elapsedMs: number;
  written: number;
  unchanged: number;
  deadLettered: number;
  ok: boolean;
  fredRequests: number | undefined;
  fredRateLimited: number | undefined;
}

export interface ReportDeadLetter {
  queue: QueueName;
  about: string;
  code: string | undefined;
  reason: string;
  receiveCount: number;
  failedAt: string | undefined;
}

export interface ReportData {
  generatedAt: string;
  today: string;
  dataDir: string;
  /** One entry per date the staged state expects, in date order. */
  days: { date: string; state: DayState }[];
  /** Fetch runs whose rewrites count as recent revisions, and how many those are. */
  revisedWindow: { runs: number; since: string | undefined };
  sp500: { date: string; value: number }[];
  cpiYoy: { month: string; value: number }[];
  freshness: {
    sp500: { last: string | undefined; expected: string; freshness: Freshness };
    cpi: { lastMonth: string | undefined; expectedMonth: string; freshness: Freshness };
  };
  runs: ReportRun[];
  dlq: { depths: Record<QueueName, number>; messages: ReportDeadLetter[] };
  missing: string[];
}

export interface ReportOptions {
  /** Rewrites by the last `revisedRuns` fetch runs count as recent revisions (default 5). */
  revisedRuns?: number;
  /** Run records listed (default 10). */
  runs?: number;
}

const runDate = (runId: string): string => `${runId.slice(0, 4)}-${runId.slice(4, 6)}-${runId.slice(6, 8)}`;

/** The run id each partition file was last written by (HEAD through the port, a few at a time). */
const writerRuns = async (deps: Deps, dates: readonly string[]): Promise<Map<string, string | undefined>> => {
  const writers = new Map<string, string | undefined>();
  const queue = [...dates];
  const worker = async (): Promise<void> => {
    for (let date = queue.shift(); date !== undefined; date = queue.shift()) {
      const head = await deps.store.head(partitionKey(date));
      writers.set(date, head?.metadata[RUN_ID_METADATA]);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return writers;
};

const valuesFromLake = async (dataDir: string): Promise<Pick<ReportData, 'sp500' | 'cpiYoy'>> => {
  try {
    const { rows } = await queryLocalLake(
      dataDir,
      "SELECT strftime(date, '%Y-%m-%d') AS date, sp500_daily_price AS price, cpi_annual_percentage_change AS yoy FROM fred_daily ORDER BY date",
    );
    const sp500: ReportData['sp500'] = [];
    const cpiYoy: ReportData['cpiYoy'] = [];
    for (const row of rows) {
      const date = String(row.date);
      if (typeof row.price === 'number') sp500.push({ date, value: row.price });
      const month = monthOf(date);
      if (typeof row.yoy === 'number' && cpiYoy.at(-1)?.month !== month) cpiYoy.push({ month, value: row.yoy });
    }
    return { sp500, cpiYoy };
  } catch (error) {
    // No partition yet: the report still shows the state, the runs and the DLQs.
    if (error instanceof PipelineError && error.code === 'CONFIG_INVALID') return { sp500: [], cpiYoy: [] };
    throw error;
  }
};

const toReportRun = (run: OpsRunRecord): ReportRun => ({
  runId: run.runId,
  command: run.command,
  startedAt: run.startedAt,
  elapsedMs: run.elapsedMs,
  written: run.written,
  unchanged: run.unchanged,
  deadLettered: Object.values(run.deadLettered).reduce((a, b) => a + b, 0),
  ok: run.ok,
  fredRequests: run.metrics?.FredRequests,
  fredRateLimited: run.metrics?.FredRateLimited,
});

/** Gathers the report through already opened ports (the caller owns them). */
export const gatherReport = async (deps: Deps, dataDir: string, options: ReportOptions = {}): Promise<ReportData> => {
  const now = deps.clock.now();
  const today = isoDateOf(now);
  const state = await loadState(deps.store);
  const sp500Observations = state ? toObservations(state.series.sp500.observations) : [];
  const rows = state ? computeDailyRows(sp500Observations, toObservations(state.series.cpi.observations)) : [];
  const tradingDays = new Set(sp500Observations.filter((o) => o.value !== null).map((o) => o.date));

  const files = new Set(
    (await deps.store.list(CURATED_PREFIX)).map((o) => dateOfPartitionKey(o.key)).filter((d) => d !== undefined),
  );
  const fetchRuns = (await deps.store.list(MANIFEST_PREFIX)).map((o) => runIdOfManifestKey(o.key)).sort();
  const recentRuns = new Set(fetchRuns.slice(1).slice(-(options.revisedRuns ?? 5)));
  const present = rows.map((r) => r.date).filter((date) => files.has(date));
  const writers = recentRuns.size > 0 ? await writerRuns(deps, present) : new Map<string, string | undefined>();

  const days = rows.map(({ date }): { date: string; state: DayState } => {
    if (!files.has(date)) return { date, state: 'missing' };
    const writer = writers.get(date);
    if (writer !== undefined && recentRuns.has(writer) && date < addDays(runDate(writer), -REVISION_LAG_DAYS)) {
      return { date, state: 'revised' };
    }
    return { date, state: tradingDays.has(date) ? 'written' : 'filled' };
  });

  const lastSp500 = state?.series.sp500.observations.at(-1)?.[0];
  const lastCpi = state?.series.cpi.observations.at(-1)?.[0];
  const lastCpiMonth = lastCpi === undefined ? undefined : monthOf(lastCpi);
  const dlq = await inspectDeadLetters(deps);

  return {
    generatedAt: now.toISOString(),
    today,
    dataDir,
    days,
    revisedWindow: { runs: recentRuns.size, since: [...recentRuns][0] },
    ...(await valuesFromLake(dataDir)),
    freshness: {
      sp500: { last: lastSp500, expected: expectedSp500Date(today), freshness: sp500Freshness(lastSp500, today) },
      cpi: {
        lastMonth: lastCpiMonth,
        expectedMonth: expectedCpiMonth(today),
        freshness: cpiFreshness(lastCpiMonth, today),
      },
    },
    runs: (await readRecentRuns(deps, options.runs ?? 10)).map(toReportRun),
    dlq: {
      depths: dlq.depths,
      messages: dlq.messages.map((m) => ({
        queue: m.queue,
        about: m.about,
        code: m.code,
        reason: m.reason,
        receiveCount: m.receiveCount,
        failedAt: m.failedAt,
      })),
    },
    missing: days.filter((d) => d.state === 'missing').map((d) => d.date),
  };
};

/** Opens the ports read-only (no lock) and gathers the report of the configured data directory. */
export const readLakeReport = (config: Config, options: ReportOptions = {}): Promise<ReportData> =>
  withDeps(config, (deps) => gatherReport(deps, config.dataDir, options));
