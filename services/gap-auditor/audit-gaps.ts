import { addDays, isoDateOf } from '#shared/domain/calendar.ts';
import { computeDailyRows, rowValues } from '#shared/domain/daily-rows.ts';
import { CURATED_PREFIX, dateOfPartitionKey, manifestKey, partitionKey } from '#shared/domain/keys.ts';
import { hashRow } from '#shared/domain/row-hash.ts';
import { PipelineError } from '#shared/errors.ts';
import type { Logger } from '#shared/logger.ts';
import type { FetchRequest } from '#shared/messages/fetch-request.ts';
import type { WriteRequest } from '#shared/messages/write-request.ts';
import { Metric } from '#shared/metric-names.ts';
import type { Catalog } from '#shared/ports/catalog.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { Metrics } from '#shared/ports/metrics.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';
import type { Queue } from '#shared/ports/queue.ts';
import { readManifest } from '#shared/raw-zone.ts';
import { loadState, toObservations } from '#shared/staged-state.ts';

export interface AuditDeps {
  store: ObjectStore;
  catalog: Catalog;
  writeQueue: Pick<Queue, 'sendBatch'>;
  fetchQueue: Pick<Queue, 'sendBatch'>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export interface AuditOptions {
  /** Enqueue the repairs (write messages, a fetch request); false only reports. */
  repair: boolean;
  /** The staged state is stale when its last SP500 date is older than this many days (weekends, holidays, lag). */
  staleAfterDays?: number;
  /**
   * Read every partition file instead of trusting its stored metadata: decode it and compare its values and its
   * embedded row hash with the staged row (a file can be overwritten behind fredlake's back). One GET per date.
   */
  deep?: boolean;
}

export interface GapReport {
  /** Dates the staged state says the dataset must hold. */
  expected: number;
  firstDate: string | undefined;
  lastDate: string | undefined;
  /** Expected dates with no partition file. */
  missing: string[];
  /** Partition files whose row hash is not the staged row's. */
  mismatched: string[];
  /** Partition files for dates the staged state does not cover (reported, never deleted). */
  extra: string[];
  /** Files without a registered partition. */
  unregistered: string[];
  /** Registered partitions without a file. */
  registeredWithoutFile: string[];
  stateMissing: boolean;
  stateStale: boolean;
  writesEnqueued: number;
  fetchEnqueued: boolean;
}

/** Whether the stored partition file holds exactly the staged row: its values, its embedded hash, its metadata. */
const holdsRow = async (store: ObjectStore, date: string, rowHash: string): Promise<boolean> => {
  const object = await store.get(partitionKey(date));
  if (!object || object.metadata['row-hash'] !== rowHash) return false;
  try {
    // Only a deep audit decodes files: the Parquet reader is loaded then, not with the auditor.
    const { decodePartitionFile, METADATA_KEYS } = await import('#shared/parquet/partition-file.ts');
    const decoded = decodePartitionFile(object.body);
    return decoded.metadata[METADATA_KEYS.rowHash] === rowHash && hashRow(decoded.values) === rowHash;
  } catch (error) {
    if (error instanceof PipelineError && error.code === 'PARTITION_INVALID') return false;
    throw error;
  }
};

/** The raw files the staged rows were last computed from (the last applied run's), as the transformer cites them. */
const lastRunSources = async (store: ObjectStore, runId: string): Promise<string[]> => {
  try {
    return (await readManifest(store, manifestKey(runId))).files.map((file) => file.key).slice(0, 100);
  } catch (error) {
    if (error instanceof PipelineError && error.code === 'RAW_INVALID') return [];
    throw error;
  }
};

/** Partition checks (HEAD, or GET with `deep`) in flight at once. */
const AUDIT_CONCURRENCY = 16;

/** `fn` over every item, at most `limit` at a time; results in item order. */
const mapBounded = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

const difference = (a: Iterable<string>, b: ReadonlySet<string>): string[] => [...a].filter((x) => !b.has(x)).sort();

/**
 * Compares what the dataset must hold (the rows of the staged state) with the partition files in storage and the
 * partitions in the catalog, and enqueues forced writes for every missing, mismatched or unregistered date, plus a
 * fetch request when the staged state itself is missing or stale. Extra partitions are reported, never deleted.
 */
export const auditGaps = async (deps: AuditDeps, options: AuditOptions): Promise<GapReport> => {
  const staleAfterDays = options.staleAfterDays ?? 5;
  const state = await loadState(deps.store);
  const rows = state
    ? computeDailyRows(toObservations(state.series.sp500.observations), toObservations(state.series.cpi.observations))
    : [];
  const expected = new Map(rows.map((row) => [row.date, row]));

  const files = new Set<string>();
  for (const object of await deps.store.list(CURATED_PREFIX)) {
    const date = dateOfPartitionKey(object.key);
    if (date) files.add(date);
  }
  const registered = new Set(await deps.catalog.listPartitions());

  const missing = difference(expected.keys(), files);
  const extra = difference(files, new Set(expected.keys()));
  const unregistered = difference(files, registered);
  const registeredWithoutFile = difference(registered, files);

  const hashes = new Map<string, string>();
  for (const [date, row] of expected) hashes.set(date, hashRow(rowValues(row)));
  const present = [...hashes].filter(([date]) => files.has(date));
  // A few checks in flight at once: on S3 each is a round trip, and thousands of them in a row take minutes.
  const flags = await mapBounded(present, AUDIT_CONCURRENCY, async ([date, rowHash]) => {
    if (options.deep) return !(await holdsRow(deps.store, date, rowHash));
    const head = await deps.store.head(partitionKey(date));
    return head?.metadata['row-hash'] !== rowHash;
  });
  const mismatched = present.filter((_, i) => flags[i]).map(([date]) => date);

  const lastSp500 = state?.series.sp500.observations.at(-1)?.[0];
  const today = isoDateOf(deps.clock.now());
  const stateStale = lastSp500 === undefined || lastSp500 < addDays(today, -staleAfterDays);

  const repairs = [...new Set([...missing, ...mismatched, ...unregistered.filter((d) => expected.has(d))])].sort();
  let writesEnqueued = 0;
  let fetchEnqueued = false;
  if (options.repair) {
    const runId = state?.lastRunId ?? 'audit';
    // The provenance the transformer would have written, so a repaired file equals the lost one byte for byte
    // whenever the last applied run wrote it.
    const sources = state && repairs.length > 0 ? await lastRunSources(deps.store, runId) : [];
    const messages = repairs.map((date) => {
      const row = expected.get(date);
      const rowHash = hashes.get(date);
      if (!row || !rowHash) throw new Error(`internal: no staged row for ${date}`);
      const request: WriteRequest = {
        version: 1,
        runId,
        date,
        row: rowValues(row),
        rowHash,
        sources,
        force: true,
      };
      return JSON.stringify(request);
    });
    await deps.writeQueue.sendBatch(messages);
    writesEnqueued = messages.length;
    if (!state || stateStale) {
      const request: FetchRequest = { version: 1, reason: 'audit' };
      await deps.fetchQueue.sendBatch([JSON.stringify(request)]);
      fetchEnqueued = true;
    }
  }

  const report: GapReport = {
    expected: expected.size,
    firstDate: rows[0]?.date,
    lastDate: rows.at(-1)?.date,
    missing,
    mismatched,
    extra,
    unregistered,
    registeredWithoutFile,
    stateMissing: !state,
    stateStale,
    writesEnqueued,
    fetchEnqueued,
  };
  deps.metrics.add(Metric.GapsFound, missing.length + mismatched.length + unregistered.length);
  deps.metrics.add(Metric.GapsRepaired, writesEnqueued);
  deps.logger.info('gap audit', {
    expected: report.expected,
    missing: missing.length,
    mismatched: mismatched.length,
    extra: extra.length,
    unregistered: unregistered.length,
    writesEnqueued,
    fetchEnqueued,
  });
  return report;
};
