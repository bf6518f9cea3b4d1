import type { Command } from 'commander';
import type { Config } from '#shared/config.ts';
import { Metric } from '#shared/metric-names.ts';
import { QUEUE_NAMES, type QueueName, type RedriveResult } from '#shared/ports/queue.ts';
import type { DrainReport } from '#shared/runtime/local-runtime.ts';
import { type DeadLetterView, inspectDeadLetters } from '../dead-letters.ts';
import { CliError, ExitCode } from '../errors.ts';
import { plural } from '../format.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { type ProgressBar, trackWrites } from '../progress.ts';
import { formatDlqReport, queueOption } from './dlq.ts';
import { parsePositiveInt, printJson, withDeps, withLockedPipeline, writeRunRecord } from './ops-support.ts';
import { progressFor } from './run.ts';

export interface RedriveOptions {
  queue?: QueueName;
  dryRun?: boolean;
  maxPerSecond?: number;
  waitMs?: number;
  /** Dates written / expected while the moved messages drain, on a terminal. */
  progress?: ProgressBar;
}

export interface RedriveOutcome {
  runId: string | undefined;
  dryRun: boolean;
  queues: QueueName[];
  /** What was in the DLQs before the move (what a dry run would move). */
  before: DeadLetterView[];
  moved: Partial<Record<QueueName, RedriveResult>>;
  drain?: Pick<DrainReport, 'succeeded' | 'failed' | 'deadLettered'>;
  written: number;
  unchanged: number;
  /** Messages in the DLQs after the drain: they failed again. */
  after: DeadLetterView[];
  ok: boolean;
}

/**
 * Moves the DLQ messages back to their source queues (SourceQueue.redrive, StartMessageMoveTask on AWS), then
 * drains them through the real handlers under the writer lock, and records the run. A dry run only lists them.
 */
export const redriveCommand = async (config: Config, options: RedriveOptions = {}): Promise<RedriveOutcome> => {
  const queues = options.queue ? [options.queue] : [...QUEUE_NAMES];
  if (options.dryRun) {
    const report = await withDeps(config, (deps) => inspectDeadLetters(deps, { queues }));
    return {
      runId: undefined,
      dryRun: true,
      queues,
      before: report.messages,
      moved: {},
      written: 0,
      unchanged: 0,
      after: report.messages,
      ok: true,
    };
  }
  if (config.backend === 'aws') {
    // SQS moves the messages (StartMessageMoveTask) and the Lambdas drain them: nothing to drain here.
    return withDeps(config, async (deps) => {
      const before = (await inspectDeadLetters(deps, { queues })).messages;
      const moved: Partial<Record<QueueName, RedriveResult>> = {};
      for (const queue of queues) {
        moved[queue] = await deps.queues[queue].redrive(
          options.maxPerSecond === undefined ? {} : { maxPerSecond: options.maxPerSecond },
        );
      }
      return { runId: undefined, dryRun: false, queues, before, moved, written: 0, unchanged: 0, after: [], ok: true };
    });
  }
  return withLockedPipeline(
    config,
    async (pipeline) => {
      const { deps, metrics } = pipeline;
      const startedAt = deps.clock.now();
      const t0 = Date.now();
      const { runId } = pipeline;
      const before = (await inspectDeadLetters(deps, { queues })).messages;
      const moved: Partial<Record<QueueName, RedriveResult>> = {};
      for (const queue of queues) {
        moved[queue] = await deps.queues[queue].redrive(
          options.maxPerSecond === undefined ? {} : { maxPerSecond: options.maxPerSecond },
        );
      }
      const drain = await pipeline
        .drain(options.progress && trackWrites(options.progress, deps.queues.write))
        .finally(() => options.progress?.finish());
      const after = (await inspectDeadLetters(deps)).messages;
      const ok = Object.values(drain.deadLettered).every((n) => n === 0);
      const outcome: RedriveOutcome = {
        runId,
        dryRun: false,
        queues,
        before,
        moved,
        drain: { succeeded: drain.succeeded, failed: drain.failed, deadLettered: drain.deadLettered },
        written: metrics.get(Metric.PartitionsWritten),
        unchanged: metrics.get(Metric.PartitionsUnchanged),
        after,
        ok,
      };
      await writeRunRecord(deps, {
        runId,
        command: 'redrive',
        reason: 'redrive',
        startedAt: startedAt.toISOString(),
        finishedAt: deps.clock.now().toISOString(),
        elapsedMs: Date.now() - t0,
        written: outcome.written,
        unchanged: outcome.unchanged,
        deadLettered: drain.deadLettered,
        ok,
        metrics: metrics.snapshot(),
        details: { queues, moved, succeeded: drain.succeeded, failed: drain.failed },
      });
      return outcome;
    },
    options.waitMs === undefined ? {} : { waitMs: options.waitMs },
  );
};

export const formatRedrive = (outcome: RedriveOutcome): string => {
  if (outcome.dryRun) {
    const depths = Object.fromEntries(QUEUE_NAMES.map((q) => [q, outcome.before.filter((m) => m.queue === q).length]));
    return `dry run: would move ${plural(outcome.before.length, 'message')} back\n${formatDlqReport(
      { depths: depths as Record<QueueName, number>, messages: outcome.before },
      outcome.queues,
    )}`;
  }
  const lines = [
    outcome.runId ? `redrive ${outcome.runId}` : 'redrive (AWS: SQS moves the messages, the Lambdas drain them)',
  ];
  lines.push(
    `  moved        ${outcome.queues.map((q) => `${q} ${outcome.moved[q]?.moved ?? 0}${outcome.moved[q]?.status === 'RUNNING' ? ' (still moving)' : ''}`).join(', ')}`,
  );
  for (const m of outcome.before) lines.push(`               ${m.queue}: ${m.about} (${m.reason})`);
  const drain = outcome.drain;
  if (drain) {
    lines.push(
      `  drained      ${QUEUE_NAMES.map((q) => `${q} ${drain.succeeded[q]} ok/${drain.failed[q]} failed`).join(', ')}`,
      `  written      ${plural(outcome.written, 'partition')} (${outcome.unchanged} unchanged)`,
      `  dead again   ${QUEUE_NAMES.map((q) => `${q} ${drain.deadLettered[q]}`).join(', ')}`,
    );
  }
  for (const m of outcome.after) lines.push(`               ${m.queue}: ${m.about} (${m.reason})`);
  return `${lines.join('\n')}\n`;
};

interface RedriveCliOptions extends CommonOptions {
  queue?: QueueName;
  dryRun?: boolean;
  maxPerSecond?: number;
  wait?: string;
}

export const registerRedrive = (program: Command): void => {
  withCommonOptions(
    program
      .command('redrive')
      .description(
        'Move DLQ messages back to their source queues, then (embedded default) drain them through the pipeline. ' +
          'Fix the cause first (`fredlake dlq list` says why they failed).',
      )
      .addOption(queueOption())
      .option('--dry-run', 'list what would be moved; move nothing')
      .option('--max-per-second <n>', 'move at most n messages per second (AWS message move task)', parsePositiveInt)
      .option('--wait <seconds>', 'wait this long for another fredlake process to release the data directory', '0')
      .option('--json', 'print the outcome as JSON')
      .option('--quiet', 'no progress bar'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  npx fredlake redrive --dry-run\n  npx fredlake redrive --queue fetch\n\n' +
        'Exit codes: 0 every moved message went through, 1 messages ended in a DLQ again, 2 bad arguments, ' +
        '3 data directory busy.',
    )
    .action(async (options: RedriveCliOptions) => {
      const config = configFrom(options);
      const waitSeconds = Number(options.wait ?? '0');
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
        throw new CliError(`--wait takes a number of seconds >= 0, got "${options.wait}"`, ExitCode.usage);
      }
      const outcome = await redriveCommand(config, {
        ...(options.queue ? { queue: options.queue } : {}),
        dryRun: options.dryRun ?? false,
        ...(options.maxPerSecond ? { maxPerSecond: options.maxPerSecond } : {}),
        waitMs: waitSeconds * 1000,
        progress: progressFor(options),
      });
      if (options.json) printJson(outcome);
      else process.stdout.write(formatRedrive(outcome));
      if (!outcome.ok) {
        const first = outcome.after[0];
        throw new CliError(
          `messages ended in a DLQ again${first ? `: ${first.queue}: ${first.reason}` : ''} (see \`fredlake dlq list\`)`,
          ExitCode.problem,
        );
      }
    });
};
