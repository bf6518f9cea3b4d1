import { partitionKey } from '#shared/domain/keys.ts';
import type { Logger } from '#shared/logger.ts';
import type { WriteRequest } from '#shared/messages/write-request.ts';
import { Metric } from '#shared/metric-names.ts';
import type { Catalog } from '#shared/ports/catalog.ts';
import type { Metrics } from '#shared/ports/metrics.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';

export interface WriteDeps {
  store: ObjectStore;
  catalog: Catalog;
  logger: Logger;
  metrics: Metrics;
}

export type WriteOutcome = 'written' | 'unchanged' | 'superseded';

type PartitionEncoder = typeof import('#shared/parquet/partition-file.ts');
let encoder: Promise<PartitionEncoder> | undefined;

/**
 * The Parquet encoder (apache-arrow and parquet-wasm, the heaviest modules of the pipeline), loaded once, on first
 * use or ahead of it: the writer handler starts loading it when it is created, so the load overlaps whatever the
 * process does before its first write (in a daily run, the wait between FRED requests) instead of delaying startup.
 */
export const loadPartitionEncoder = (): Promise<PartitionEncoder> => {
  encoder ??= import('#shared/parquet/partition-file.ts').catch((error: unknown) => {
    encoder = undefined;
    throw error;
  });
  return encoder;
};

/** User metadata on every partition file: what the writer compares before it writes. */
export const ROW_HASH_METADATA = 'row-hash';
export const RUN_ID_METADATA = 'run-id';

/**
 * Writes one date's partition file under its deterministic key. Skips the write when the stored file already holds
 * the same row, and never lets an older run's message overwrite what a newer run wrote (redelivery out of order);
 * a forced request (backfill, audit repair) always writes. The partition is registered in the catalog before the
 * file is written, so a crash in between leaves a registration without a file, which the retry completes.
 */
export const writePartition = async (deps: WriteDeps, request: WriteRequest): Promise<WriteOutcome> => {
  const key = partitionKey(request.date);
  const existing = await deps.store.head(key);
  if (existing && !request.force) {
    const storedHash = existing.metadata[ROW_HASH_METADATA];
    const storedRun = existing.metadata[RUN_ID_METADATA];
    if (storedHash === request.rowHash) {
      deps.metrics.add(Metric.PartitionsUnchanged, 1);
      return 'unchanged';
    }
    if (storedHash !== undefined && storedRun !== undefined && storedRun > request.runId) {
      deps.logger.info('partition superseded by a newer run, not overwritten', { date: request.date, storedRun });
      return 'superseded';
    }
  }

  const { encodePartitionFile } = await loadPartitionEncoder();
  const body = encodePartitionFile(request.row, {
    date: request.date,
    rowHash: request.rowHash,
    runId: request.runId,
    sources: request.sources,
  });
  // New partitions (and forced repairs, which may be fixing catalog drift) are registered; a changed file keeps its
  // registration, which saves a catalog call per date on revision days.
  if (!existing || request.force) await deps.catalog.registerPartitions([request.date]);
  await deps.store.put(key, body, {
    contentType: 'application/vnd.apache.parquet',
    metadata: { [ROW_HASH_METADATA]: request.rowHash, [RUN_ID_METADATA]: request.runId },
  });
  deps.metrics.add(Metric.PartitionsWritten, 1);
  deps.logger.debug('partition written', { date: request.date, bytes: body.byteLength });
  return 'written';
};
