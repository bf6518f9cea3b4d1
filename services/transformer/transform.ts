import { computeDailyRows, type DailyRow, rowValues } from '#shared/domain/daily-rows.ts';
import { isManifestKey } from '#shared/domain/keys.ts';
import type { Observation } from '#shared/domain/observation.ts';
import { checkQuality, type QualityViolation } from '#shared/domain/quality.ts';
import { hashBytes, hashRow } from '#shared/domain/row-hash.ts';
import { mergeObservations } from '#shared/domain/series-history.ts';
import { MessageInvalidError, PipelineError, RawInvalidError } from '#shared/errors.ts';
import { parseObservationsPage } from '#shared/fred/envelope.ts';
import type { Logger } from '#shared/logger.ts';
import { decodeS3Key, type S3EventRecord } from '#shared/messages/s3-event.ts';
import type { WriteRequest } from '#shared/messages/write-request.ts';
import { Metric } from '#shared/metric-names.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { Metrics } from '#shared/ports/metrics.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';
import type { Queue } from '#shared/ports/queue.ts';
import { quarantineRecord, readQuarantine, writeQuarantine } from '#shared/quarantine.ts';
import { type Manifest, readManifest, type SeriesRole } from '#shared/raw-zone.ts';
import { loadState, type StagedState, saveState, toObservations, toTuples } from '#shared/staged-state.ts';

export interface TransformDeps {
  store: ObjectStore;
  writeQueue: Pick<Queue, 'sendBatch'>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export type TransformResult =
  | { status: 'applied'; runId: string; rows: number; changed: number; unchanged: number; accepted?: true }
  | { status: 'skipped'; runId: string; reason: 'already applied' | 'older than the staged state' }
  | { status: 'quarantined'; runId: string; violations: QualityViolation[] };

/**
 * The manifest key an S3 object-created record names, after checking it: the record must come from our own bucket,
 * and the decoded key may not climb out of its prefix (`..`). Anything else is a permanent MessageInvalidError.
 */
export const manifestKeyOfRecord = (record: S3EventRecord, bucket: string): string => {
  const name = record.s3.bucket.name;
  if (name !== bucket) {
    throw new MessageInvalidError(
      `S3 event for bucket ${JSON.stringify(name.slice(0, 80))} refused: this transformer reads only bucket ${JSON.stringify(bucket)}`,
      { bucket: name.slice(0, 80) },
    );
  }
  const key = decodeS3Key(record.s3.object.key);
  if (
    key.split('/').some((segment) => segment === '..' || segment === '.') ||
    key.includes('\\') ||
    key.includes('\0')
  ) {
    throw new MessageInvalidError(
      `S3 event key ${JSON.stringify(key.slice(0, 80))} refused: a '..' or '.' path segment, a backslash or a NUL`,
      {
        key: key.slice(0, 80),
      },
    );
  }
  return key;
};

const APPLIED_RUNS_KEPT = 200;

/** Loads every raw file of the manifest, checks its hash and FRED's envelope, and returns the observations per role. */
const loadRunObservations = async (
  store: ObjectStore,
  manifest: Manifest,
): Promise<Record<SeriesRole, Observation[]>> => {
  const byRole: Record<SeriesRole, Observation[]> = { sp500: [], cpi: [] };
  const files = [...manifest.files].sort((a, b) => a.role.localeCompare(b.role) || a.page - b.page);
  for (const file of files) {
    const object = await store.get(file.key);
    if (!object) throw new RawInvalidError(`Raw file ${file.key} listed by run ${manifest.runId} is missing`, file);
    const sha256 = hashBytes(object.body);
    if (sha256 !== file.sha256) {
      throw new RawInvalidError(`Raw file ${file.key} does not match its manifest sha256 (corrupt or overwritten)`, {
        key: file.key,
      });
    }
    try {
      const page = parseObservationsPage(new TextDecoder().decode(object.body), {
        seriesId: file.seriesId,
        status: file.status,
      });
      byRole[file.role].push(...page.observations);
    } catch (error) {
      const reason = error instanceof PipelineError ? error.message : String(error);
      throw new RawInvalidError(`Raw file ${file.key} is not a valid FRED response: ${reason}`, { key: file.key });
    }
  }
  return byRole;
};

const toWriteRequest = (
  runId: string,
  row: DailyRow,
  rowHash: string,
  sources: string[],
  force: boolean,
): WriteRequest => ({
  version: 1,
  runId,
  date: row.date,
  row: rowValues(row),
  rowHash,
  sources,
  ...(force ? { force: true } : {}),
});

/**
 * Applies one fetch run: merges its observations into the staged history (newest value wins per date, old dates
 * kept), recomputes the daily rows, and sends one write message per new or changed date (every date of a forced
 * range). The new state is published only after every message is sent, so a crash in between is repaired by
 * redelivery: the same run computes the same messages again.
 */
export const transformRun = async (deps: TransformDeps, key: string): Promise<TransformResult> => {
  if (key.split('/').includes('..')) {
    throw new MessageInvalidError(
      `Object ${JSON.stringify(key.slice(0, 80))} refused: it contains a '..' path segment`,
      {
        key: key.slice(0, 80),
      },
    );
  }
  if (!isManifestKey(key)) throw new RawInvalidError(`Object ${key} is not a fetch-run manifest`, { key });
  const manifest = await readManifest(deps.store, key);
  const { runId } = manifest;
  const logger = deps.logger.child({ runId });
  const state = await loadState(deps.store);

  if (state?.appliedRuns.includes(runId)) return { status: 'skipped', runId, reason: 'already applied' };
  if (state && runId < state.lastRunId) {
    logger.warn('run older than the staged state, not applied', { lastRunId: state.lastRunId });
    return { status: 'skipped', runId, reason: 'older than the staged state' };
  }

  const incoming = await loadRunObservations(deps.store, manifest);
  const sp500 = mergeObservations(state ? toObservations(state.series.sp500.observations) : [], incoming.sp500);
  const cpi = mergeObservations(state ? toObservations(state.series.cpi.observations) : [], incoming.cpi);
  const rows = computeDailyRows(sp500, cpi);

  const sources = manifest.files.map((file) => file.key);
  const force = manifest.force;
  const published = state?.rows ?? {};
  const hashes: Record<string, string> = {};
  const messages: string[] = [];
  const changedRows: DailyRow[] = [];
  for (const row of rows) {
    const rowHash = hashRow(rowValues(row));
    hashes[row.date] = rowHash;
    const forced = force !== undefined && row.date >= force.from && row.date <= force.to;
    const changed = published[row.date] !== rowHash;
    if (changed) changedRows.push(row);
    if (forced || changed) messages.push(JSON.stringify(toWriteRequest(runId, row, rowHash, sources, forced)));
  }

  // Quality gates, on the rows this run would change only: a refused run publishes nothing (no write message, no
  // state change) and leaves a quarantine record; a person may accept it, and then it is applied as it is.
  const quarantine = await readQuarantine(deps.store, runId);
  const accepted = quarantine?.status === 'accepted';
  if (!accepted) {
    const violations = checkQuality(changedRows, cpi);
    if (violations.length > 0) {
      if (!quarantine) {
        await writeQuarantine(deps.store, quarantineRecord(runId, key, violations, deps.clock.now()));
        deps.metrics.add(Metric.QualityGateFailures, 1);
      }
      logger.warn('run quarantined by a quality gate', {
        violations: violations.length,
        date: violations[0]?.date,
        rule: violations[0]?.rule,
      });
      return { status: 'quarantined', runId, violations };
    }
  }

  await deps.writeQueue.sendBatch(messages);

  const seriesId = (role: SeriesRole) => manifest.files.find((file) => file.role === role)?.seriesId ?? role;
  const next: StagedState = {
    version: 1,
    updatedAt: deps.clock.now().toISOString(),
    lastRunId: runId,
    appliedRuns: [...(state?.appliedRuns ?? []), runId].slice(-APPLIED_RUNS_KEPT),
    series: {
      sp500: { seriesId: seriesId('sp500'), observations: toTuples(sp500) },
      cpi: { seriesId: seriesId('cpi'), observations: toTuples(cpi) },
    },
    // Dates the new rows no longer cover keep their last hash: nothing in the lake is dropped.
    rows: { ...published, ...hashes },
  };
  await saveState(deps.store, next);
  logger.info('run transformed', { rows: rows.length, changed: messages.length, accepted });
  return {
    status: 'applied',
    runId,
    rows: rows.length,
    changed: messages.length,
    unchanged: rows.length - messages.length,
    ...(accepted ? { accepted: true as const } : {}),
  };
};
