import type { Command } from 'commander';
import type { Config } from '#shared/config.ts';
import type { DepsOverrides } from '#shared/deps.ts';
import { describeViolations } from '#shared/domain/quality.ts';
import { RUN_ID_PATTERN } from '#shared/domain/run-id.ts';
import type { FetchRequest } from '#shared/messages/fetch-request.ts';
import { CliError, ExitCode } from '../errors.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { type AcceptOutcome, acceptQuarantinedRun, type RunSummary, runDailyFlow } from '../pipeline.ts';
import { createProgressBar, type ProgressBar, trackWrites } from '../progress.ts';
import { formatRunSummary } from '../summary.ts';
import { withDeps, withLockedPipeline } from './ops-support.ts';

export const NO_KEY_MESSAGE =
  'FRED_API_KEY is not set. Get a free key at https://fred.stlouisfed.org/docs/api/api_key.html and run ' +
  '`FRED_API_KEY=<key> npx fredlake run`, or try `npx fredlake demo` (a synthetic FRED, no key, no internet).';

interface RunOptions extends CommonOptions {
  wait?: string;
  acceptQuarantined?: string;
}

/** Accepts a quarantined run after review, under the writer lock: no fetch, the run's own data is applied. */
export const acceptLocalRun = (
  config: Config,
  runId: string,
  options: { waitMs?: number; overrides?: DepsOverrides } = {},
): Promise<AcceptOutcome> =>
  withLockedPipeline(config, (pipeline) => acceptQuarantinedRun(pipeline, runId), { ...options, create: true });

/**
 * On AWS the deployed Lambdas run the flow: the CLI only puts the fetch request on the fetch queue (the fetcher reads
 * the FRED key from Secrets Manager, so none is needed here).
 */
export const enqueueOnAws = async (config: Config, request: FetchRequest): Promise<void> => {
  await withDeps(config, (deps) => deps.queues.fetch.sendBatch([JSON.stringify(request)]));
  process.stdout.write(
    `enqueued a ${request.reason} fetch request on the fetch queue; the Lambdas take it from here.\n` +
      'Follow it with `fredlake status --backend aws` and `fredlake dlq list --backend aws`.\n',
  );
};

/** The bar of a command that writes: on a terminal only, and never with --quiet, --json or --verbose (log lines). */
export const progressFor = (options: CommonOptions): ProgressBar =>
  createProgressBar({ enabled: !options.quiet && !options.json && !options.verbose });

/** Runs one flow on the embedded default while holding the data directory's writer lock. */
export const runLocalFlow = (
  config: Config,
  request: FetchRequest,
  options: { waitMs?: number; overrides?: DepsOverrides; progress?: ProgressBar } = {},
): Promise<RunSummary> =>
  withLockedPipeline(
    config,
    async (pipeline) => {
      try {
        const store = pipeline.deps.store as { sweepTemporaryFiles?: () => Promise<number> };
        await store.sweepTemporaryFiles?.();
        const onBatch = options.progress && trackWrites(options.progress, pipeline.deps.queues.write);
        return await runDailyFlow(pipeline, request, onBatch);
      } finally {
        options.progress?.finish();
      }
    },
    {
      create: true,
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      ...(options.overrides ? { overrides: options.overrides } : {}),
    },
  );

export const registerRun = (program: Command): void => {
  withCommonOptions(
    program
      .command('run')
      .description('Run one daily flow to completion: fetch from FRED, transform, write changed partitions, audit.')
      .option('--wait <seconds>', 'wait this long for another fredlake process to release the data directory', '0')
      .option('--json', 'print the run summary as JSON')
      .option(
        '--accept-quarantined <runId>',
        'after review, publish a run a data-quality gate refused (see ops/quarantine/<runId>.json); no fetch',
      )
      .option('--quiet', 'no progress bar and no summary; errors still go to stderr'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  FRED_API_KEY=abcdefghijklmnopqrstuvwxyz123456 npx fredlake run --data-dir ./.fredlake\n\n' +
        'Exit codes: 0 done, 1 a message ended in a DLQ (see `fredlake dlq`), 2 bad arguments or no key, 3 data directory busy.',
    )
    .action(async (options: RunOptions) => {
      const config = configFrom(options);
      if (config.backend === 'aws') {
        await enqueueOnAws(config, { version: 1, reason: 'manual' });
        return;
      }
      if (!config.fred.apiKey) throw new CliError(NO_KEY_MESSAGE, ExitCode.usage);
      const waitSeconds = Number(options.wait ?? '0');
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
        throw new CliError(`--wait takes a number of seconds >= 0, got "${options.wait}"`, ExitCode.usage);
      }
      if (options.acceptQuarantined !== undefined) {
        const runId = options.acceptQuarantined;
        if (!RUN_ID_PATTERN.test(runId)) {
          throw new CliError(
            `--accept-quarantined takes a run id like 20261126T142300123Z-a1b2c3, got ${JSON.stringify(runId.slice(0, 80))}`,
            ExitCode.usage,
          );
        }
        const outcome = await acceptLocalRun(config, runId, { waitMs: waitSeconds * 1000 });
        if (!outcome.applied)
          throw new CliError(`run ${runId} accepted but not applied: ${outcome.reason}`, ExitCode.problem);
        if (!options.quiet)
          process.stdout.write(`run ${runId} accepted and applied: ${outcome.written} partitions written\n`);
        return;
      }
      const summary = await runLocalFlow(
        config,
        { version: 1, reason: 'manual' },
        { waitMs: waitSeconds * 1000, progress: progressFor(options) },
      );
      if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else if (!options.quiet) process.stdout.write(formatRunSummary(summary, config));
      const quarantined = summary.quarantined[0];
      if (quarantined) {
        throw new CliError(
          `run ${summary.runId}: fetch run ${quarantined.runId} quarantined by a data-quality gate, nothing published: ${describeViolations(quarantined.violations)} (review ops/quarantine/${quarantined.runId}.json, then \`fredlake run --accept-quarantined ${quarantined.runId}\`)`,
          ExitCode.problem,
        );
      }
      if (!summary.ok) {
        const first = summary.deadLetters[0];
        throw new CliError(
          first
            ? `run ${summary.runId} left a ${first.queue} message in the DLQ: ${first.reason} (see \`fredlake dlq list\`, then \`fredlake redrive\`)`
            : `run ${summary.runId} left messages in a DLQ (see \`fredlake dlq list\`)`,
          ExitCode.problem,
        );
      }
    });
};
