import type { Command } from 'commander';
import type { Config } from '#shared/config.ts';
import { computeDailyRows } from '#shared/domain/daily-rows.ts';
import { loadState, toObservations } from '#shared/staged-state.ts';
import { CliError, ExitCode } from '../errors.ts';
import { plural } from '../format.ts';
import { type CommonOptions, configFrom, parseDate, withCommonOptions } from '../options.ts';
import type { RunSummary } from '../pipeline.ts';
import type { ProgressBar } from '../progress.ts';
import { formatRunSummary } from '../summary.ts';
import { formatDates, printJson, withDeps } from './ops-support.ts';
import { enqueueOnAws, NO_KEY_MESSAGE, progressFor, runLocalFlow } from './run.ts';

/** The range when no bound is given: wider than any FRED series. */
export const EARLIEST = '1900-01-01';
export const LATEST = '9999-12-31';

export interface BackfillOptions {
  from?: string;
  to?: string;
  dryRun?: boolean;
  waitMs?: number;
  /** Dates written / expected, on a terminal. */
  progress?: ProgressBar;
}

export interface BackfillPlan {
  from: string;
  to: string;
  /** The dates of the staged state inside the range: what the backfill rewrites (plus new dates FRED adds). */
  dates: string[];
  stateMissing: boolean;
}

export type BackfillOutcome =
  | { dryRun: true; plan: BackfillPlan }
  /** Without a summary (AWS) the request is on the fetch queue and the Lambdas do the rest. */
  | { dryRun: false; from: string; to: string; summary?: RunSummary };

export const resolveRange = (options: { from?: string; to?: string }): { from: string; to: string } => {
  const from = options.from ?? EARLIEST;
  const to = options.to ?? LATEST;
  if (from > to) {
    throw new CliError(
      `--from ${from} is after --to ${to}: give a range with --from on or before --to`,
      ExitCode.usage,
    );
  }
  return { from, to };
};

/** What a backfill of the range would write, from the staged state alone: reads nothing else, writes nothing. */
export const planBackfill = (config: Config, range: { from: string; to: string }): Promise<BackfillPlan> =>
  withDeps(config, async (deps) => {
    const state = await loadState(deps.store);
    const rows = state
      ? computeDailyRows(toObservations(state.series.sp500.observations), toObservations(state.series.cpi.observations))
      : [];
    const dates = rows.map((r) => r.date).filter((date) => date >= range.from && date <= range.to);
    return { ...range, dates, stateMissing: !state };
  });

/**
 * Refetches and rewrites the range: one flow whose fetch request carries `force: {from, to}`, so the transformer
 * sends a forced write for every date of the range even where the row hash matches. Holds the writer lock.
 */
export const backfillCommand = async (config: Config, options: BackfillOptions = {}): Promise<BackfillOutcome> => {
  const range = resolveRange(options);
  if (options.dryRun) return { dryRun: true, plan: await planBackfill(config, range) };
  if (config.backend === 'aws') {
    await enqueueOnAws(config, { version: 1, reason: 'backfill', force: range });
    return { dryRun: false, ...range };
  }
  if (!config.fred.apiKey) throw new CliError(NO_KEY_MESSAGE, ExitCode.usage);
  const summary = await runLocalFlow(
    config,
    { version: 1, reason: 'backfill', force: range },
    {
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      ...(options.progress ? { progress: options.progress } : {}),
    },
  );
  return { dryRun: false, ...range, summary };
};

const describeRange = (from: string, to: string): string => {
  if (from === EARLIEST && to === LATEST) return 'all dates';
  if (to === LATEST) return `${from} onwards`;
  if (from === EARLIEST) return `up to ${to}`;
  return `${from}..${to}`;
};

export const formatBackfill = (outcome: BackfillOutcome, config: Config): string => {
  if (outcome.dryRun) {
    const { plan } = outcome;
    if (plan.stateMissing) {
      return `dry run: no staged state yet in ${config.dataDir}; a backfill would write every date FRED serves\n`;
    }
    return (
      `dry run: backfill of ${describeRange(plan.from, plan.to)} would rewrite ${plural(plan.dates.length, 'partition')}` +
      ` (and write any new dates FRED serves by then); nothing was written\n  dates  ${formatDates(plan.dates)}\n`
    );
  }
  if (!outcome.summary) return `backfill of ${describeRange(outcome.from, outcome.to)} handed to the Lambdas\n`;
  return `backfill of ${describeRange(outcome.from, outcome.to)}\n${formatRunSummary(outcome.summary, config)}`;
};

interface BackfillCliOptions extends CommonOptions {
  from?: string;
  to?: string;
  dryRun?: boolean;
  wait?: string;
}

export const registerBackfill = (program: Command): void => {
  withCommonOptions(
    program
      .command('backfill')
      .description(
        'Refetch from FRED and rewrite every partition of a date range, even where nothing changed ' +
          '(after a bug fix, or to rebuild files). Default range: all dates.',
      )
      .option('--from <date>', 'first date to rewrite (YYYY-MM-DD)', parseDate)
      .option('--to <date>', 'last date to rewrite (YYYY-MM-DD)', parseDate)
      .option('--dry-run', 'list the dates that would be rewritten, from the staged state; write nothing')
      .option('--wait <seconds>', 'wait this long for another fredlake process to release the data directory', '0')
      .option('--json', 'print the outcome as JSON')
      .option('--quiet', 'no progress bar'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  npx fredlake backfill --from 2024-01-01 --to 2024-03-31 --dry-run\n' +
        '  FRED_API_KEY=<key> npx fredlake backfill --from 2024-01-01 --to 2024-03-31\n\n' +
        'Exit codes: 0 done, 1 a message ended in a DLQ (see `fredlake dlq list`), 2 bad arguments or no key, ' +
        '3 data directory busy.',
    )
    .action(async (options: BackfillCliOptions) => {
      const config = configFrom(options);
      const waitSeconds = Number(options.wait ?? '0');
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
        throw new CliError(`--wait takes a number of seconds >= 0, got "${options.wait}"`, ExitCode.usage);
      }
      const outcome = await backfillCommand(config, {
        ...(options.from ? { from: options.from } : {}),
        ...(options.to ? { to: options.to } : {}),
        dryRun: options.dryRun ?? false,
        waitMs: waitSeconds * 1000,
        progress: progressFor(options),
      });
      if (options.json) printJson(outcome);
      else process.stdout.write(formatBackfill(outcome, config));
      if (!outcome.dryRun && outcome.summary && !outcome.summary.ok) {
        const first = outcome.summary.deadLetters[0];
        throw new CliError(
          `backfill left ${first ? `a ${first.queue} message in the DLQ: ${first.reason}` : 'messages in a DLQ'} (see \`fredlake dlq list\`, then \`fredlake redrive\`)`,
          ExitCode.problem,
        );
      }
    });
};
