/**
 * The whole pipeline on the AWS adapters: S3 and SQS on fauxqs (in-process, 127.0.0.1), Glue on a protocol-level
 * stand-in that keeps partitions as Glue does, FRED on the synthetic server. The local runtime plays Lambda's SQS
 * event sources and the bucket notification; everything else is the code that runs in Lambda.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetcherHandler } from '#services/fetcher/handler.ts';
import { auditGaps } from '#services/gap-auditor/audit-gaps.ts';
import { createTransformerHandler } from '#services/transformer/handler.ts';
import { createWriterHandler } from '#services/writer/handler.ts';
import { loadConfig } from '#shared/config.ts';
import { createDeps, type Deps } from '#shared/deps.ts';
import { CURATED_PREFIX, dateOfPartitionKey, partitionKey } from '#shared/domain/keys.ts';
import { createLineLogger } from '#shared/logger.ts';
import { decodePartitionFile } from '#shared/parquet/partition-file.ts';
import { CountingMetrics } from '#shared/ports/metrics.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';
import { drainQueues, type QueueHandlers } from '#shared/runtime/local-runtime.ts';
import { createManifestNotifier } from '#shared/runtime/s3-notification.ts';
import { type AwsTestServers, startAwsTestServers } from '#test/support/aws-servers.ts';
import { type FredServer, startFredServer, TEST_FRED_KEY } from '#test/support/fred-server.ts';
import { startJsonServiceFake } from '#test/support/json-rpc-server.ts';
import { expectedRows } from '#test/support/lake.ts';

const BUCKET = 'fredlake-e2e';

/** Glue's partition API as far as the writer and auditor use it, keeping state like the Data Catalog. */
const startGlueStandIn = () => {
  const partitions = new Set<string>();
  return startJsonServiceFake((request) => {
    if (request.target === 'AWSGlue.BatchCreatePartition') {
      const inputs = request.body.PartitionInputList as { Values: string[] }[];
      const errors = [];
      for (const input of inputs) {
        const date = input.Values[0] ?? '';
        if (partitions.has(date)) {
          errors.push({
            PartitionValues: [date],
            ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'exists' },
          });
        }
        partitions.add(date);
      }
      return { body: { Errors: errors } };
    }
    if (request.target === 'AWSGlue.GetPartitions') {
      const all = [...partitions].sort();
      const start = Number(request.body.NextToken ?? 0);
      const page = all.slice(start, start + 500);
      const next = start + 500 < all.length ? String(start + 500) : undefined;
      return { body: { Partitions: page.map((d) => ({ Values: [d] })), ...(next ? { NextToken: next } : {}) } };
    }
    return { status: 400, body: { __type: 'InvalidInputException', message: `unexpected ${request.target}` } };
  });
};

/** Plays the bucket notification: a manifest put into S3 is announced to the transform queue. */
const notifyingStore = (store: ObjectStore, notify: (key: string) => Promise<void>): ObjectStore => ({
  put: async (key, body, options) => {
    await store.put(key, body, options);
    await notify(key);
  },
  get: (key) => store.get(key),
  head: (key) => store.head(key),
  list: (prefix) => store.list(prefix),
  delete: (key) => store.delete(key),
});

describe('the pipeline on the AWS adapters', () => {
  let aws: AwsTestServers;
  let glue: Awaited<ReturnType<typeof startGlueStandIn>>;
  let fred: FredServer;
  let deps: Deps;
  let handlers: QueueHandlers;

  beforeAll(async () => {
    aws = await startAwsTestServers();
    glue = await startGlueStandIn();
    fred = await startFredServer({ today: '2026-11-21', windowYears: 1 });
    await aws.createBucket(BUCKET);
    const queues = {
      fetch: await aws.createQueuePair('fetch', 2, { visibilityTimeoutSeconds: 1 }),
      transform: await aws.createQueuePair('transform', 2, { visibilityTimeoutSeconds: 1 }),
      write: await aws.createQueuePair('write', 2, { visibilityTimeoutSeconds: 1 }),
    };
    process.env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
    const config = loadConfig({
      FREDLAKE_BACKEND: 'aws',
      AWS_REGION: aws.region,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ENDPOINT_URL_GLUE: glue.endpoint,
      FREDLAKE_BUCKET: BUCKET,
      FREDLAKE_FETCH_QUEUE_URL: queues.fetch.queueUrl,
      FREDLAKE_FETCH_DLQ_URL: queues.fetch.dlqUrl,
      FREDLAKE_TRANSFORM_QUEUE_URL: queues.transform.queueUrl,
      FREDLAKE_TRANSFORM_DLQ_URL: queues.transform.dlqUrl,
      FREDLAKE_WRITE_QUEUE_URL: queues.write.queueUrl,
      FREDLAKE_WRITE_DLQ_URL: queues.write.dlqUrl,
      FREDLAKE_GLUE_DATABASE: 'fredlake',
      FREDLAKE_MAX_RECEIVE_COUNT: '2',
      FRED_API_URL: fred.url,
      FRED_API_KEY: TEST_FRED_KEY,
      FRED_MIN_INTERVAL_MS: '5',
      FRED_BASE_DELAY_MS: '1',
      FRED_MAX_DELAY_MS: '5',
    });
    const base = await createDeps(config, { logger: createLineLogger('SILENT'), metrics: new CountingMetrics() });
    deps = { ...base, store: notifyingStore(base.store, createManifestNotifier(base.queues.transform, BUCKET)) };
    handlers = {
      fetch: createFetcherHandler(deps),
      transform: createTransformerHandler(deps),
      write: createWriterHandler(deps),
    };
  });

  afterAll(async () => {
    await fred?.close();
    await glue?.close();
    await aws?.close();
  });

  it('lands raw files in S3, writes one partition object per date with the row rules’ values, and registers each in Glue', async () => {
    await deps.queues.fetch.sendBatch([JSON.stringify({ version: 1, reason: 'manual' })]);

    const drained = await drainQueues(deps.queues, handlers, { visibilityTimeoutSeconds: 1, logger: deps.logger });
    const audit = await auditGaps(
      { ...deps, writeQueue: deps.queues.write, fetchQueue: deps.queues.fetch },
      { repair: false },
    );

    const expected = expectedRows([fred.sp500()], [fred.cpi()]);
    expect(drained.deadLettered).toEqual({ fetch: 0, transform: 0, write: 0 });
    expect(drained.succeeded.fetch).toBe(1);
    expect(drained.succeeded.transform).toBe(1);
    expect(drained.succeeded.write).toBe(expected.length);
    expect(audit).toMatchObject({
      missing: [],
      mismatched: [],
      unregistered: [],
      registeredWithoutFile: [],
      extra: [],
    });
    const keys = (await deps.store.list(CURATED_PREFIX)).map((o) => dateOfPartitionKey(o.key));
    expect(keys).toEqual(expected.map((r) => r.date));
    expect(await deps.catalog.listPartitions()).toEqual(expected.map((r) => r.date));
    expect((await deps.store.list('raw/manifests/')).length).toBe(1);
    for (const row of [expected[0], expected[100], expected.at(-1)]) {
      if (!row) throw new Error('expected rows');
      const object = await deps.store.get(partitionKey(row.date));
      const { date, ...values } = row;
      expect(decodePartitionFile(object?.body ?? new Uint8Array()).values).toEqual(values);
      expect(date).toBe(row.date);
    }
  });

  it('sends no write message on a second run when FRED has nothing new', async () => {
    await deps.queues.fetch.sendBatch([JSON.stringify({ version: 1, reason: 'manual' })]);

    const drained = await drainQueues(deps.queues, handlers, { visibilityTimeoutSeconds: 1, logger: deps.logger });

    expect(drained.succeeded).toEqual({ fetch: 1, transform: 1, write: 0 });
    expect((await deps.store.list('raw/manifests/')).length).toBe(2);
  });
});
