import type { Command } from 'commander';
import { auditGaps } from '#services/gap-auditor/audit-gaps.ts';
import type { Config } from '#shared/config.ts';
import { addDays, addMonths, isoDateOf, monthOf } from '#shared/domain/calendar.ts';
import { QUEUE_NAMES, type QueueName } from '#shared/ports/queue.ts';
import { loadState } from '#shared/staged-state.ts';
import { CliError, ExitCode } from '../errors.ts';
import { plural } from '../format.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { type OpsRunRecord, parsePositiveInt, printJson, readRecentRuns, withDeps } from './ops-support.ts';

/** current: as recent as FRED's calendar allows; late: one step behind (a holiday, FRED not updated yet); stale. */
export type Freshness = 'current' | 'late' | 'stale' | 'empty';

export interface StatusReport {
  today: string;
  coverage: {
    firstDate: string | undefined;
    lastDate: string | undefined;
    expected: number;
    partitions: number;
    missing: number;
    mismatched: number;
  };
  sp500: { last: string | undefined; expected: string; freshness: Freshness };
  cpi: { lastMonth: string | undefined; expectedMonth: string; freshness: Freshness };
  queues: Record<QueueName, { visible: number; inFlight: number }>;
  dlqs: Record<QueueName, number>;
  runs: OpsRunRecord[];
  ok: boolean;
}

const isWeekday = (date: string): boolean => {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day !== 0 && day !== 6;
};

/** The last weekday before `today`: FRED has the S&P 500 close of that day by the evening it trades. */
export const expectedSp500Date = (today: string): string => {
  let date = addDays(today, -1);
  while (!isWeekday(date)) date = addDays(date, -1);
  return date;
};

/** Weekdays after `last` up to `expected`: 0 current, 1 late (a market holiday, or FRED not updated yet). */
const weekdaysBehind = (last: string, expected: string): number => {
  let count = 0;
  for (let date = addDays(last, 1); date <= expected; date = addDays(date, 1)) if (isWeekday(date)) count += 1;
  return count;
};

/** The latest CPI month FRED should have: month M is published around mid-month M+1 (counted from the 15th). */
export const expectedCpiMonth = (today: string): string =>
  addMonths(monthOf(today), Number(today.slice(8, 10)) >= 15 ? -1 : -2);

export const sp500Freshness = (last: string | undefined, today: string): Freshness => {
  if (last === undefined) return 'empty';
  const behind = weekdaysBehind(last, expectedSp500Date(today));
  return behind === 0 ? 'current' : behind === 1 ? 'late' : 'stale';
};

export const cpiFreshness = (lastMonth: string | undefined, today: string): Freshness => {
  if (lastMonth === undefined) return 'empty';
  const expected = expectedCpiMonth(today);
  if (lastMonth >= expected) return 'current';
  return lastMonth === addMonths(expected, -1) && Number(today.slice(8, 10)) <= 20 ? 'late' : 'stale';
};

export const statusCommand = (config: Config, options: { runs?: number } = {}): Promise<StatusReport> =>
  withDeps(config, async (deps) => {
    const today = isoDateOf(deps.clock.now());
    const noQueue = { sendBatch: async () => {} };
    const gaps = await auditGaps({ ...deps, writeQueue: noQueue, fetchQueue: noQueue }, { repair: false });
    const state = await loadState(deps.store);
    const lastSp500 = state?.series.sp500.observations.at(-1)?.[0];
    const lastCpi = state?.series.cpi.observations.at(-1)?.[0];
    const queues = {} as StatusReport['queues'];
    const dlqs = {} as StatusReport['dlqs'];
    for (const name of QUEUE_NAMES) {
      const depth = await deps.queues[name].depth();
      queues[name] = { visible: depth.visible + depth.delayed, inFlight: depth.inFlight };
      const dead = await deps.queues[name].deadLetter.depth();
      dlqs[name] = dead.visible + dead.inFlight;
    }
    const report: StatusReport = {
      today,
      coverage: {
        firstDate: gaps.firstDate,
        lastDate: gaps.lastDate,
        expected: gaps.expected,
        partitions: gaps.expected - gaps.missing.length + gaps.extra.length,
        missing: gaps.missing.length,
        mismatched: gaps.mismatched.length,
      },
      sp500: { last: lastSp500, expected: expectedSp500Date(today), freshness: sp500Freshness(lastSp500, today) },
      cpi: {
        lastMonth: lastCpi === undefined ? undefined : monthOf(lastCpi),
        expectedMonth: expectedCpiMonth(today),
        freshness: cpiFreshness(lastCpi === undefined ? undefined : monthOf(lastCpi), today),
      },
      queues,
      dlqs,
      runs: await readRecentRuns(deps, options.runs ?? 5),
      ok: false,
    };
    report.ok =
      report.coverage.missing === 0 &&
      report.coverage.mismatched === 0 &&
      Object.values(dlqs).every((n) => n === 0) &&
      report.sp500.freshness !== 'stale' &&
      report.sp500.freshness !== 'empty' &&
      report.cpi.freshness !== 'stale';
    return report;
  });

export const formatStatus = (report: StatusReport, dataDir: string): string => {
  const c = report.coverage;
  const month = (m: string | undefined) => m?.slice(0, 7) ?? 'none';
  const lines = [
    `fredlake status (${dataDir}), today ${report.today}`,
    `  dataset     ${plural(c.expected, 'date')}${c.firstDate ? ` ${c.firstDate} .. ${c.lastDate}` : ''}, ` +
      `${plural(c.partitions, 'partition')}, ${c.missing} missing, ${c.mismatched} mismatched`,
    `  SP500       last ${report.sp500.last ?? 'none'}, expected ${report.sp500.expected} (last weekday before today): ${report.sp500.freshness}`,
    `  CPI         last month ${month(report.cpi.lastMonth)}, expected ${month(report.cpi.expectedMonth)} (published mid-month after): ${report.cpi.freshness}`,
    `  queues      ${QUEUE_NAMES.map((q) => `${q} ${report.queues[q].visible}${report.queues[q].inFlight ? ` (+${report.queues[q].inFlight} in flight)` : ''}`).join(', ')}`,
    `  DLQs        ${QUEUE_NAMES.map((q) => `${q} ${report.dlqs[q]}`).join(', ')}`,
    `  last runs${report.runs.length === 0 ? '   none' : ''}`,
  ];
  for (const run of report.runs) {
    const dead = QUEUE_NAMES.filter((q) => run.deadLettered[q] > 0).map((q) => `${q} ${run.deadLettered[q]}`);
    lines.push(
      `    ${run.runId}  ${run.command.padEnd(11)} ${run.written.toLocaleString('en-US')} written, ` +
        `${run.unchanged.toLocaleString('en-US')} unchanged  ${run.ok ? 'ok' : `DLQ: ${dead.join(', ') || 'yes'}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
};

interface StatusCliOptions extends CommonOptions {
  runs?: number;
}

export const registerStatus = (program: Command): void => {
  withCommonOptions(
    program
      .command('status')
      .description(
        "Dataset coverage, freshness against FRED's calendar (S&P 500: the last weekday before today; CPI: month M " +
          'around mid-month M+1), queue and DLQ depths, and the last runs.',
      )
      .option('--runs <n>', 'how many recent runs to show', parsePositiveInt, 5)
      .option('--json', 'print the status as JSON'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx fredlake status --data-dir ./.fredlake\n\n' +
        'Exit codes: 0 healthy, 1 missing or mismatched dates, messages in a DLQ, or stale data, 2 bad arguments.',
    )
    .action(async (options: StatusCliOptions) => {
      const config = configFrom(options);
      const report = await statusCommand(config, { runs: options.runs ?? 5 });
      if (options.json) printJson(report);
      else process.stdout.write(formatStatus(report, config.dataDir));
      if (!report.ok) throw new CliError('fredlake needs attention (see the status above)', ExitCode.problem);
    });
};
