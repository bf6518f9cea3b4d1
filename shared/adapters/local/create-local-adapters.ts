import type { Config } from '../../config.ts';
import { CURATED_PREFIX } from '../../domain/keys.ts';
import type { Clock } from '../../ports/clock.ts';
import { createManifestNotifier } from '../../runtime/s3-notification.ts';
import { duckDbSqlEngine } from './duckdb-query.ts';
import { FsObjectStore } from './fs-object-store.ts';
import { SqliteCatalog } from './sqlite-catalog.ts';
import { openDatabase } from './sqlite-database.ts';
import { SqliteFailureLog } from './sqlite-failure-log.ts';
import { SqliteObjectMetadata } from './sqlite-object-metadata.ts';
import { openLocalQueues } from './sqlite-queue.ts';

export const LOCAL_BUCKET = 'fredlake-local';

/**
 * The embedded default: one data directory holding the object store (a plain directory mirroring the bucket's keys,
 * so the dataset is an ordinary Parquet tree), and one SQLite file with the queues, the catalog and failure records.
 * A manifest written to the store is announced to the transform queue, as the S3 bucket notification does in AWS.
 */
export const createLocalAdapters = (config: Config, options: { clock: Clock }) => {
  const db = openDatabase(config.dataDir);
  const queues = openLocalQueues(db, {
    maxReceiveCount: config.queues.maxReceiveCount,
    visibilityTimeoutSeconds: config.queues.visibilityTimeoutSeconds,
    clock: options.clock,
  });
  const notify = createManifestNotifier(queues.transform, LOCAL_BUCKET);
  // Partition files skip fsync: a backfill writes thousands, and the gap audit rebuilds from the staged state any
  // that an OS crash loses. The raw zone, manifests and the staged state are fsynced. Object metadata lives in the
  // database: one file per put instead of two (no `.meta/` sidecar), and a head reads no file.
  const store = new FsObjectStore(config.dataDir, {
    onPut: notify,
    skipFsync: (key) => key.startsWith(CURATED_PREFIX),
    metadataIndex: new SqliteObjectMetadata(db),
    trackWrites: true,
  });
  return {
    store,
    queues,
    catalog: new SqliteCatalog(db),
    failures: new SqliteFailureLog(db),
    sql: duckDbSqlEngine(config.dataDir),
    bucket: LOCAL_BUCKET,
    close: async () => {
      await store.releaseWrites();
      db.close();
    },
  };
};
