import { createFetcherHandler } from '#services/fetcher/handler.ts';
import { auditGaps, type GapReport } from '#services/gap-auditor/audit-gaps.ts';
import { createTransformerHandler } from '#services/transformer/handler.ts';
import { createWriterHandler } from '#services/writer/handler.ts';
import type { Config } from '#shared/config.ts';
import { createDeps, type Deps, type DepsOverrides } from '#shared/deps.ts';
import { MANIFEST_PREFIX, runIdOfManifestKey, runRecordKey } from '#shared/domain/keys.ts';
import { newRunId } from '#shared/domain/run-id.ts';
import { ConfigError } from '#shared/errors.ts';
import { createLineLogger } from '#shared/logger.ts';
import type { FetchRequest } from '#shared/messages/fetch-request.ts';
import { Metric } from '#shared/metric-names.ts';
import { systemClock } from '#shared/ports/clock.ts';
import { CountingMetrics } from '#shared/ports/metrics.ts';
import { QUEUE_NAMES, type QueueName } from '#shared/ports/queue.ts';
import { type QuarantineRecord, readQuarantine, writeQuarantine } from '#shared/quarantine.ts';
import { type DrainReport, drainQueues, type QueueHandlers } from '#shared/runtime/local-runtime.ts';
import { s3ObjectCreatedEvent } from '#shared/runtime/s3-notification.ts';
import { loadState } from '#shared/staged-state.ts';
import { type DeadLetterView, inspectDeadLetters } from './dead-letters.ts';

export interface Pipeline {
  /** The CLI run this pipeline serves: every local log line carries it as `cliRunId`, its run record is named by it. */
  runId: string;
  deps: Deps;
  metrics: CountingMetrics;
  handlers: QueueHandlers;
  drain: (onBatch?: (queue: QueueName, succeeded: number, failed: number) => void) => Promise<DrainReport>;
  close: () => Promise<void>;
}

/** The local pipeline: the real handlers, wired to the configured adapters, driven by the local runtime. */
export const openPipeline = async (config: Config, overrides: DepsOverrides = {}): Promise<Pipeline> => {
  const metrics = new CountingMetrics();
  const runId = newRunId((overrides.clock ?? systemClock).now());
  // Handler lines add the fetch run's own `runId`; `cliRunId` ties them to the command that drove them.
  const logger = (overrides.logger ?? createLineLogger(config.logLevel)).child({ cliRunId: runId });
  const deps = await createDeps(config, { metrics, ...overrides, logger });
  const handlers: QueueHandlers = {
    fetch: createFetcherHandler(deps),
    transform: createTransformerHandler(deps),
    write: createWriterHandler(deps),
  };
  return {
    runId,
    deps,
    metrics,
    handlers,
    drain: (onBatch) =>
      drainQueues(deps.queues, handlers, {
        visibilityTimeoutSeconds: config.queues.visibilityTimeoutSeconds,
        concurrency: config.writeConcurrency > 1 ? 2 : 1,
        logger: deps.logger,
        ...(onBatch ? { onBatch } : {}),
      }),
    close: () => deps.close(),
  };
};

export interface RunSummary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  elapsedMs: number;
  reason: FetchRequest['reason'];
  fetchRuns: string[];
  written: number;
  unchanged: number;
  fredRequests: number;
  fredRateLimited: number;
  /** Every counter of the run (shared/metric-names.ts), as CloudWatch gets them in AWS; FredLatency is a total in ms. */
  metrics: Record<string, number>;
  audit: GapReport;
  deadLettered: Record<QueueName, number>;
  dlqDepth: Record<QueueName, number>;
  deadLetters: DeadLetterView[];
  /** Fetch runs of this flow a data-quality gate refused: nothing of them was published. */
  quarantined: Pick<QuarantineRecord, 'runId' | 'violations'>[];
  ok: boolean;
}

const manifestRunIds = async (deps: Deps): Promise<Set<string>> =>
  new Set((await deps.store.list(MANIFEST_PREFIX)).map((o) => runIdOfManifestKey(o.key)));

/**
 * One daily flow to completion: enqueue a fetch request, drain every queue, run the gap audit (and drain its repairs),
 * then record and return what happened. `ok` is false when any message ended in a DLQ during the run.
 */
export const runDailyFlow = async (
  pipeline: Pipeline,
  request: FetchRequest,
  onBatch?: (queue: QueueName, succeeded: number, failed: number) => void,
): Promise<RunSummary> => {
  const { deps, metrics } = pipeline;
  const started = deps.clock.now();
  const t0 = Date.now();
  const { runId } = pipeline;
  const before = await manifestRunIds(deps);

  await deps.queues.fetch.sendBatch([JSON.stringify(request)]);
  const first = await pipeline.drain(onBatch);
  const auditDeps = { ...deps, writeQueue: deps.queues.write, fetchQueue: deps.queues.fetch };
  // A quarantined run is not repaired by fetching again: the same data would be refused again; a person decides.
  const quarantinedFirst = await quarantinedAmong(
    deps,
    [...(await manifestRunIds(deps))].filter((id) => !before.has(id)),
  );
  let audit = await auditGaps(auditDeps, { repair: first.deadLettered.fetch === 0 && quarantinedFirst.length === 0 });
  let second: DrainReport | undefined;
  if (audit.writesEnqueued > 0 || audit.fetchEnqueued) {
    second = await pipeline.drain(onBatch);
    audit = await auditGaps(auditDeps, { repair: false });
  }

  const deadLettered = Object.fromEntries(
    QUEUE_NAMES.map((q) => [q, first.deadLettered[q] + (second?.deadLettered[q] ?? 0)]),
  ) as Record<QueueName, number>;
  const dlqDepth = Object.fromEntries(
    await Promise.all(QUEUE_NAMES.map(async (q) => [q, (await deps.queues[q].deadLetter.depth()).visible] as const)),
  ) as Record<QueueName, number>;
  const fred = await deps.fred().then(
    (client) => client.stats(),
    () => undefined,
  );
  const after = await manifestRunIds(deps);
  const fetchRuns = [...after].filter((id) => !before.has(id)).sort();
  const quarantined = await quarantinedAmong(deps, fetchRuns);
  const summary: RunSummary = {
    runId,
    startedAt: started.toISOString(),
    finishedAt: deps.clock.now().toISOString(),
    elapsedMs: Date.now() - t0,
    reason: request.reason,
    fetchRuns,
    written: metrics.get(Metric.PartitionsWritten),
    unchanged: metrics.get(Metric.PartitionsUnchanged),
    fredRequests: fred?.requests ?? 0,
    fredRateLimited: fred?.rateLimited ?? 0,
    metrics: metrics.snapshot(),
    audit,
    deadLettered,
    dlqDepth,
    deadLetters: Object.values(deadLettered).some((n) => n > 0) ? (await inspectDeadLetters(deps)).messages : [],
    quarantined,
    ok: Object.values(deadLettered).every((n) => n === 0) && quarantined.length === 0,
  };
  await deps.store.put(runRecordKey(runId), JSON.stringify(summary, null, 2), { contentType: 'application/json' });
  return summary;
};

/** The quarantine records (not accepted) of these fetch runs. */
const quarantinedAmong = async (deps: Deps, runIds: readonly string[]): Promise<RunSummary['quarantined']> => {
  const found: RunSummary['quarantined'] = [];
  for (const runId of runIds) {
    const record = await readQuarantine(deps.store, runId);
    if (record?.status === 'quarantined') found.push({ runId, violations: record.violations });
  }
  return found;
};

export interface AcceptOutcome {
  runId: string;
  applied: boolean;
  written: number;
  drain: DrainReport;
  /** Why the run was not applied (a newer run was applied since). */
  reason?: string;
}

/**
 * A person's override after review: marks the quarantine record accepted and re-enqueues the manifest's transform
 * (the S3 event the bucket would send), then drains. The transformer applies an accepted run without the gates.
 */
export const acceptQuarantinedRun = async (pipeline: Pipeline, runId: string): Promise<AcceptOutcome> => {
  const { deps, metrics } = pipeline;
  const record = await readQuarantine(deps.store, runId);
  if (!record) throw new ConfigError(`Run ${runId} has no quarantine record: nothing to accept`, { runId });
  if (record.status !== 'accepted') {
    await writeQuarantine(deps.store, { ...record, status: 'accepted', acceptedAt: deps.clock.now().toISOString() });
  }
  await deps.queues.transform.sendBatch([JSON.stringify(s3ObjectCreatedEvent(deps.bucket, record.manifestKey))]);
  const drain = await pipeline.drain();
  const state = await loadState(deps.store);
  const applied = state?.appliedRuns.includes(runId) ?? false;
  return {
    runId,
    applied,
    written: metrics.get(Metric.PartitionsWritten),
    drain,
    ...(applied
      ? {}
      : {
          reason: `a newer run (${state?.lastRunId ?? 'none'}) was applied since; run \`fredlake run\` again instead`,
        }),
  };
};
