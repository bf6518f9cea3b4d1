import type { Command } from 'commander';
import { auditGaps, type GapReport } from '#services/gap-auditor/audit-gaps.ts';
import type { Config } from '#shared/config.ts';
import type { Deps } from '#shared/deps.ts';
import { Metric } from '#shared/metric-names.ts';
import type { CountingMetrics } from '#shared/ports/metrics.ts';
import type { DrainReport } from '#shared/runtime/local-runtime.ts';
import { CliError, ExitCode } from '../errors.ts';
import { plural } from '../format.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { formatDates, printJson, withDeps, withLockedPipeline, writeRunRecord, zeroByQueue } from './ops-support.ts';

export interface AuditOptions {
  fix?: boolean;
  deep?: boolean;
}

export interface AuditOutcome {
  dataDir: string;
  deep: boolean;
  before: GapReport;
  /** With --fix: what was enqueued and what draining it did, then the audit again. */
  fix?: {
    runId: string;
    writesEnqueued: number;
    fetchEnqueued: boolean;
    written: number;
    drain: Pick<DrainReport, 'succeeded' | 'failed' | 'deadLettered'>;
    after: GapReport;
  };
  /** With --fix on AWS: the repairs were handed to the Lambdas (the writer applies them); audit again later. */
  enqueued?: { writes: number; fetch: boolean };
  ok: boolean;
}

/** The dates the audit finds something wrong with (extra partitions included: they are reported, never deleted). */
export const problemCount = (report: GapReport): number =>
  new Set([
    ...report.missing,
    ...report.mismatched,
    ...report.extra,
    ...report.unregistered,
    ...report.registeredWithoutFile,
  ]).size;

const NO_FETCH = { sendBatch: async () => {} };

const auditNow = (deps: Deps, options: { repair: boolean; deep: boolean }): Promise<GapReport> =>
  auditGaps(
    {
      ...deps,
      writeQueue: deps.queues.write,
      // Without a key a local fetch request could only fail into the DLQ: a stale state is reported instead. On AWS
      // the fetcher reads the key from Secrets Manager.
      fetchQueue: deps.config.fred.apiKey || deps.config.backend === 'aws' ? deps.queues.fetch : NO_FETCH,
    },
    options,
  );

/**
 * Runs the gap audit now. With `fix`: under the writer lock, enqueues the repairs (forced writes; a fetch when the
 * staged state is stale and a key is set), drains them through the real handlers, audits again and records the run.
 */
export const auditCommand = async (config: Config, options: AuditOptions): Promise<AuditOutcome> => {
  const deep = options.deep ?? false;
  if (!options.fix) {
    const before = await withDeps(config, (deps) => auditNow(deps, { repair: false, deep }));
    return { dataDir: config.dataDir, deep, before, ok: problemCount(before) === 0 };
  }
  if (config.backend === 'aws') {
    const before = await withDeps(config, (deps) => auditNow(deps, { repair: true, deep }));
    const enqueued = { writes: before.writesEnqueued, fetch: before.fetchEnqueued };
    return { dataDir: config.dataDir, deep, before, enqueued, ok: problemCount(before) === 0 };
  }
  return withLockedPipeline(config, async (pipeline) => {
    const { deps } = pipeline;
    const startedAt = deps.clock.now();
    const t0 = Date.now();
    const { runId } = pipeline;
    const before = await auditNow(deps, { repair: true, deep });
    const drain = await pipeline.drain();
    const after = await auditNow(deps, { repair: false, deep });
    const metrics = pipeline.metrics as CountingMetrics;
    const fix = {
      runId,
      writesEnqueued: before.writesEnqueued,
      fetchEnqueued: before.fetchEnqueued && !!config.fred.apiKey,
      written: metrics.get(Metric.PartitionsWritten),
      drain: { succeeded: drain.succeeded, failed: drain.failed, deadLettered: drain.deadLettered },
      after,
    };
    const ok = problemCount(after) === 0 && Object.values(drain.deadLettered).every((n) => n === 0);
    await writeRunRecord(deps, {
      runId,
      command: 'audit --fix',
      reason: 'audit',
      startedAt: startedAt.toISOString(),
      finishedAt: deps.clock.now().toISOString(),
      elapsedMs: Date.now() - t0,
      written: fix.written,
      unchanged: metrics.get(Metric.PartitionsUnchanged),
      deadLettered: { ...zeroByQueue(), ...drain.deadLettered },
      ok,
      metrics: metrics.snapshot(),
      details: { deep, before: summarize(before), after: summarize(after), writesEnqueued: fix.writesEnqueued },
    });
    return { dataDir: config.dataDir, deep, before, fix, ok };
  });
};

const summarize = (report: GapReport) => ({
  missing: report.missing,
  mismatched: report.mismatched,
  extra: report.extra,
  unregistered: report.unregistered,
  registeredWithoutFile: report.registeredWithoutFile,
});

export const formatGapReport = (title: string, report: GapReport): string => {
  const files = report.expected - report.missing.length + report.extra.length;
  const span = report.firstDate ? ` (${report.firstDate} .. ${report.lastDate})` : '';
  const line = (label: string, dates: string[]) =>
    `  ${label.padEnd(22)} ${String(dates.length).padStart(5)}  ${formatDates(dates)}`;
  const lines = [
    `${title}: ${plural(report.expected, 'date')} expected${span}, ${plural(files, 'partition file')}`,
    line('missing', report.missing),
    line('mismatched', report.mismatched),
    line('extra (never deleted)', report.extra),
    line('file not in catalog', report.unregistered),
    line('catalog without file', report.registeredWithoutFile),
  ];
  if (report.stateMissing) lines.push('  note: no staged state yet (run `fredlake run` first)');
  else if (report.stateStale) lines.push('  note: the staged state is stale (run `fredlake run`)');
  return `${lines.join('\n')}\n`;
};

export const formatAuditOutcome = (outcome: AuditOutcome): string => {
  const mode = outcome.deep ? 'deep audit' : 'audit';
  let text = formatGapReport(`${mode} of ${outcome.dataDir}`, outcome.before);
  const { fix } = outcome;
  if (fix) {
    const fetchNote = fix.fetchEnqueued ? ' and a fetch request' : '';
    const dlq = Object.entries(fix.drain.deadLettered).filter(([, n]) => n > 0);
    text +=
      `\nrepair ${fix.runId}: enqueued ${plural(fix.writesEnqueued, 'forced write')}${fetchNote}; ` +
      `drained: ${plural(fix.written, 'partition')} written` +
      `${dlq.length ? `, dead-lettered ${dlq.map(([q, n]) => `${q} ${n}`).join(', ')}` : ''}\n\n`;
    text += formatGapReport(`${mode} after the repair`, fix.after);
  }
  if (outcome.enqueued) {
    text +=
      `\nrepair: enqueued ${plural(outcome.enqueued.writes, 'forced write')}${outcome.enqueued.fetch ? ' and a fetch request' : ''}` +
      ' for the Lambdas; run `fredlake audit --backend aws` again once the write queue is empty\n';
  }
  return text;
};

interface AuditCliOptions extends CommonOptions, AuditOptions {}

export const registerAudit = (program: Command): void => {
  withCommonOptions(
    program
      .command('audit')
      .description(
        'Audit the dataset now against the staged state: missing dates, mismatched partitions (a file that is not the ' +
          'staged row), extra partitions, and catalog drift (files without a registered partition, registrations ' +
          'without a file).',
      )
      .option('--fix', 'enqueue the repairs (forced writes), drain them, and audit again')
      .option(
        '--deep',
        "decode every partition file and compare its values and embedded row hash (slower; catches files overwritten behind fredlake's back)",
      )
      .option('--json', 'print the audit as JSON'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  npx fredlake audit\n  npx fredlake audit --deep --fix\n\n' +
        'Exit codes: 0 nothing wrong, 1 something is wrong (after --fix: still wrong), 2 bad arguments, 3 data directory busy (--fix).',
    )
    .action(async (options: AuditCliOptions) => {
      const config = configFrom(options);
      const outcome = await auditCommand(config, options);
      if (options.json) printJson(outcome);
      else process.stdout.write(formatAuditOutcome(outcome));
      if (!outcome.ok) {
        const last = outcome.fix?.after ?? outcome.before;
        throw new CliError(
          `${problemCount(last)} date(s) of the dataset need attention${outcome.fix ? ' after the repair' : outcome.enqueued ? ': repairs enqueued' : ': run `fredlake audit --fix`'}`,
          ExitCode.problem,
        );
      }
    });
};
