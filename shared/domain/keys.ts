/**
 * Object keys are deterministic functions of what they hold: a retry overwrites instead of duplicating, and raw
 * keys carry the run id so the landing zone is never overwritten.
 *
 *   raw/runs/<runId>/<seriesId>/page-0001.json   a FRED response exactly as received
 *   raw/manifests/<runId>.json                   a fetch run's manifest (written last; its creation starts the transform)
 *   state/fred_daily.json                        the staged state: series history + published row hashes
 *   curated/fred_daily/date=YYYY-MM-DD/data.parquet   one partition per calendar day
 *   ops/runs/<runId>.json                        run records (status, history)
 *   ops/failures/<queue>/<messageId>.json        why a message failed (AWS; SQS keeps no reason)
 *   ops/quarantine/<runId>.json                  a run a data-quality gate refused (and whether a person accepted it)
 *   raw/rejected/<runId>/<seriesId>/attempt-NN.txt   a FRED body that failed validation, kept as evidence
 */
export const DATASET = 'fred_daily';
export const RAW_PREFIX = 'raw/';
export const RAW_RUNS_PREFIX = 'raw/runs/';
export const MANIFEST_PREFIX = 'raw/manifests/';
export const CURATED_PREFIX = `curated/${DATASET}/`;
export const STATE_KEY = `state/${DATASET}.json`;
export const RUNS_PREFIX = 'ops/runs/';
export const FAILURES_PREFIX = 'ops/failures/';
export const QUARANTINE_PREFIX = 'ops/quarantine/';
export const RAW_REJECTED_PREFIX = 'raw/rejected/';
export const PARTITION_FILE_NAME = 'data.parquet';

export const rawPageKey = (runId: string, seriesId: string, page: number): string =>
  `${RAW_RUNS_PREFIX}${runId}/${seriesId}/page-${String(page).padStart(4, '0')}.json`;

export const manifestKey = (runId: string): string => `${MANIFEST_PREFIX}${runId}.json`;

export const isManifestKey = (key: string): boolean =>
  key.startsWith(MANIFEST_PREFIX) && key.endsWith('.json') && !key.slice(MANIFEST_PREFIX.length).includes('/');

export const runIdOfManifestKey = (key: string): string => key.slice(MANIFEST_PREFIX.length, -'.json'.length);

export const partitionKey = (date: string): string => `${CURATED_PREFIX}date=${date}/${PARTITION_FILE_NAME}`;

const PARTITION_KEY = /^curated\/fred_daily\/date=(\d{4}-\d{2}-\d{2})\/data\.parquet$/;

/** The date of a partition file key, or undefined for any other key. */
export const dateOfPartitionKey = (key: string): string | undefined => PARTITION_KEY.exec(key)?.[1];

export const runRecordKey = (runId: string): string => `${RUNS_PREFIX}${runId}.json`;

export const failureKey = (queue: string, messageId: string): string => `${FAILURES_PREFIX}${queue}/${messageId}.json`;

export const quarantineKey = (runId: string): string => `${QUARANTINE_PREFIX}${runId}.json`;

export const rejectedBodyKey = (runId: string, seriesId: string, attempt: number): string =>
  `${RAW_REJECTED_PREFIX}${runId}/${seriesId}/attempt-${String(attempt).padStart(2, '0')}.txt`;
