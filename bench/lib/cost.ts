import { join } from 'node:path';
import { createFetcherHandler } from '#services/fetcher/handler.ts';
import { auditGaps } from '#services/gap-auditor/audit-gaps.ts';
import { createTransformerHandler } from '#services/transformer/handler.ts';
import { createWriterHandler } from '#services/writer/handler.ts';
import { loadConfig } from '#shared/config.ts';
import { createDeps, type Deps } from '#shared/deps.ts';
import type { Catalog } from '#shared/ports/catalog.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';
import { QUEUE_NAMES, type QueueName, type Queues, type SourceQueue } from '#shared/ports/queue.ts';
import { drainQueues, type QueueHandlers } from '#shared/runtime/local-runtime.ts';
import { startFredServer, TEST_FRED_KEY } from '#test/support/fred-server.ts';
import { FULL_LAKE_DAY, NEXT_DAY } from './lake.ts';

/**
 * AWS list prices, us-east-1, as known on 2025-06 (to be checked against aws.amazon.com/pricing before relying on
 * them). Free tiers are left out: with them the whole month is free.
 */
export const PRICES = {
  s3PutListPer1000: 0.005,
  s3GetHeadPer1000: 0.0004,
  sqsPerMillion: 0.4,
  lambdaRequestsPerMillion: 0.2,
  /** arm64 (the stack's architecture); x86_64 is $0.0000166667. */
  lambdaGbSecond: 0.0000133334,
  glueRequestsPerMillion: 1,
  glueCrawlerDpuHour: 0.44,
  glueCrawlerMinimumMinutes: 10,
  secretsManagerSecretMonth: 0.4,
  secretsManagerPer10000Calls: 0.05,
} as const;

/** Function memory as infra/fredlake-stack.ts sets it (MB). */
const MEMORY_MB: Record<QueueName | 'audit', number> = { fetch: 512, transform: 1024, write: 1024, audit: 512 };
/**
 * Added to an invocation's locally measured time for each AWS request it makes, divided by how many the stage has in
 * flight at once (the writer settles its 10 records concurrently, the auditor checks 16 partitions at a time).
 */
const AWS_REQUEST_MS = 25;
const REQUESTS_IN_FLIGHT: Record<QueueName | 'audit', number> = { fetch: 1, transform: 1, write: 10, audit: 16 };
/** Lambda's SQS event source mapping: pollers per queue when idle, one long poll (20 s) each at a time. */
const IDLE_POLLERS_PER_QUEUE = 5;

interface Counts {
  fred: number;
  s3Put: number;
  s3Get: number;
  s3Head: number;
  s3List: number;
  sqsSend: number;
  sqsReceive: number;
  sqsDelete: number;
  glue: number;
  invocations: Record<QueueName | 'audit', number>;
  gbSeconds: number;
  handlerMs: number;
}

const zero = (): Counts => ({
  fred: 0,
  s3Put: 0,
  s3Get: 0,
  s3Head: 0,
  s3List: 0,
  sqsSend: 0,
  sqsReceive: 0,
  sqsDelete: 0,
  glue: 0,
  invocations: { fetch: 0, transform: 0, write: 0, audit: 0 },
  gbSeconds: 0,
  handlerMs: 0,
});

const requestsOf = (c: Counts) => c.s3Put + c.s3Get + c.s3Head + c.s3List + c.sqsSend + c.glue;

/** The ObjectStore as S3 bills it: PUT, GET, HEAD, and one LIST per 1,000 keys listed. */
const counting =
  <A extends unknown[], R>(count: () => void, call: (...args: A) => R) =>
  (...args: A): R => {
    count();
    return call(...args);
  };

const countingStore = (store: ObjectStore, c: () => Counts): ObjectStore => ({
  put: counting(
    () => c().s3Put++,
    (...args: Parameters<ObjectStore['put']>) => store.put(...args),
  ),
  get: counting(
    () => c().s3Get++,
    (key: string) => store.get(key),
  ),
  head: counting(
    () => c().s3Head++,
    (key: string) => store.head(key),
  ),
  list: async (prefix) => {
    const found = await store.list(prefix);
    c().s3List += Math.max(1, Math.ceil(found.length / 1000));
    return found;
  },
  delete: (key) => store.delete(key),
});

/** SendMessageBatch takes 10 entries; the event source mapping's receives and deletes are counted per batch. */
const countingQueues = (queues: Queues, c: () => Counts): Queues =>
  Object.fromEntries(
    QUEUE_NAMES.map((name) => {
      const queue = queues[name];
      const counted = Object.create(queue) as SourceQueue;
      counted.sendBatch = (bodies) => {
        c().sqsSend += Math.ceil(bodies.length / 10);
        return queue.sendBatch(bodies);
      };
      return [name, counted];
    }),
  ) as unknown as Queues;

/** BatchCreatePartition takes 100 partitions; GetPartitions pages of 1,000. */
const countingCatalog = (catalog: Catalog, c: () => Counts): Catalog => ({
  registerPartitions: (dates) => {
    c().glue += Math.ceil(dates.length / 100);
    return catalog.registerPartitions(dates);
  },
  listPartitions: async () => {
    const dates = await catalog.listPartitions();
    c().glue += Math.max(1, Math.ceil(dates.length / 1000));
    return dates;
  },
});

/**
 * Runs the AWS flow's steps (schedule -> fetcher -> S3 notification -> transformer -> writer; the nightly gap
 * auditor) on the local adapters wrapped in counting decorators, one batch at a time so each invocation's requests
 * and time are its own.
 */
const countFlow = async (deps: Deps, counts: () => Counts, fredRequests: () => number): Promise<void> => {
  const fredBefore = fredRequests();
  const store = countingStore(deps.store, counts);
  const queues = countingQueues(deps.queues, counts);
  const catalog = countingCatalog(deps.catalog, counts);
  const counted: Deps = { ...deps, store, queues, catalog };
  const handlers: QueueHandlers = {
    fetch: createFetcherHandler(counted),
    transform: createTransformerHandler(counted),
    write: createWriterHandler(counted),
  };
  const timed = (name: QueueName, memoryMb: number) => async (event: Parameters<QueueHandlers['fetch']>[0]) => {
    const c = counts();
    const requestsBefore = requestsOf(c);
    const began = performance.now();
    try {
      return await handlers[name](event);
    } finally {
      const ms =
        performance.now() - began + ((requestsOf(c) - requestsBefore) * AWS_REQUEST_MS) / REQUESTS_IN_FLIGHT[name];
      c.handlerMs += ms;
      c.gbSeconds += (memoryMb / 1024) * (Math.ceil(ms) / 1000);
      c.invocations[name] += 1;
      c.sqsReceive += 1;
      c.sqsDelete += 1;
    }
  };
  const timedHandlers = Object.fromEntries(QUEUE_NAMES.map((q) => [q, timed(q, MEMORY_MB[q])])) as QueueHandlers;
  const drain = () =>
    drainQueues(deps.queues, timedHandlers, { visibilityTimeoutSeconds: 30, concurrency: 1, logger: deps.logger });

  counts().sqsSend += 1; // the EventBridge schedule's fetch request
  await deps.queues.fetch.sendBatch([JSON.stringify({ version: 1, reason: 'schedule' })]);
  await drain();
  const c = counts();
  const requestsBefore = requestsOf(c);
  const began = performance.now();
  const report = await auditGaps({ ...counted, writeQueue: queues.write, fetchQueue: queues.fetch }, { repair: true });
  const ms = performance.now() - began + ((requestsOf(c) - requestsBefore) * AWS_REQUEST_MS) / REQUESTS_IN_FLIGHT.audit;
  c.handlerMs += ms;
  c.gbSeconds += (MEMORY_MB.audit / 1024) * (Math.ceil(ms) / 1000);
  c.invocations.audit += 1;
  if (report.writesEnqueued > 0 || report.fetchEnqueued) await drain();
  c.fred = fredRequests() - fredBefore;
};

const dollars = (c: Counts) => {
  const invocations = Object.values(c.invocations).reduce((a, b) => a + b, 0);
  // The S3 notification of the manifest is one more SQS request per fetch run.
  const sqs = c.sqsSend + c.sqsReceive + c.sqsDelete + c.invocations.transform;
  return {
    s3:
      ((c.s3Put + c.s3List) / 1000) * PRICES.s3PutListPer1000 + ((c.s3Get + c.s3Head) / 1000) * PRICES.s3GetHeadPer1000,
    sqs: (sqs / 1e6) * PRICES.sqsPerMillion,
    lambda: (invocations / 1e6) * PRICES.lambdaRequestsPerMillion + c.gbSeconds * PRICES.lambdaGbSecond,
    glue: (c.glue / 1e6) * PRICES.glueRequestsPerMillion,
    secrets: (c.invocations.fetch / 10_000) * PRICES.secretsManagerPer10000Calls,
    sqsRequests: sqs,
    invocations,
  };
};

export interface CostReport {
  lines: string[];
  json: unknown;
}

export const runCostModel = async (work: string): Promise<CostReport> => {
  const server = await startFredServer({ today: FULL_LAKE_DAY });
  const config = loadConfig({
    FREDLAKE_DATA_DIR: join(work, 'cost-lake'),
    FRED_API_URL: server.url,
    FRED_API_KEY: TEST_FRED_KEY,
    FRED_MIN_INTERVAL_MS: '5',
    LOG_LEVEL: 'SILENT',
  });
  // The flow's clock is the synthetic FRED's day (02:00 UTC), so the audit judges freshness as it would on that day.
  const at = (day: string): Clock => ({ now: () => new Date(`${day}T02:00:00Z`) });
  const deps = await createDeps(config, { clock: at(FULL_LAKE_DAY) });
  const backfill = zero();
  const day = zero();
  try {
    await countFlow(
      deps,
      () => backfill,
      () => server.requests.length,
    );
    server.setToday(NEXT_DAY);
    const fresh = await createDeps(config, { clock: at(NEXT_DAY) });
    try {
      await countFlow(
        fresh,
        () => day,
        () => server.requests.length,
      );
    } finally {
      await fresh.close();
    }
  } finally {
    await deps.close();
    await server.close();
  }

  const perDay = dollars(day);
  const once = dollars(backfill);
  const days = 30;
  const idleSqs = 3 * IDLE_POLLERS_PER_QUEUE * 3 * 60 * 24 * days;
  const idleSqsDollars = (idleSqs / 1e6) * PRICES.sqsPerMillion;
  const requestsMonth = perDay.s3 + perDay.sqs + perDay.lambda + perDay.glue + perDay.secrets;
  const month = requestsMonth * days + idleSqsDollars + PRICES.secretsManagerSecretMonth;
  const crawlerRun = PRICES.glueCrawlerDpuHour * (PRICES.glueCrawlerMinimumMinutes / 60);
  const original = month - perDay.glue * days + crawlerRun * days;
  const fmt = (n: number) => `$${n.toFixed(n < 0.01 ? 5 : 2)}`;
  const describe = (label: string, c: Counts, d: ReturnType<typeof dollars>) =>
    `${label}: FRED ${c.fred}, S3 PUT ${c.s3Put} GET ${c.s3Get} HEAD ${c.s3Head} LIST ${c.s3List}, ` +
    `SQS ${d.sqsRequests}, Glue ${c.glue}, Lambda ${d.invocations} invocations ` +
    `(fetch ${c.invocations.fetch}, transform ${c.invocations.transform}, write ${c.invocations.write}, audit ${c.invocations.audit}), ` +
    `${c.gbSeconds.toFixed(1)} GB-s -> S3 ${fmt(d.s3)}, SQS ${fmt(d.sqs)}, Lambda ${fmt(d.lambda)}, Glue ${fmt(d.glue)}`;
  const lines = [
    describe('backfill (once)', backfill, once),
    describe('normal day', day, perDay),
    `idle SQS long polls of the event source mappings: ${idleSqs.toLocaleString('en-US')} a month -> ${fmt(idleSqsDollars)}`,
    `monthly (30 days + idle polling + the FRED key secret ${fmt(PRICES.secretsManagerSecretMonth)}): ${fmt(month)}`,
    `original design, a Glue crawler after every daily update (1 DPU x 10 min minimum = ${fmt(crawlerRun)} a run): ${fmt(original)} a month`,
  ];
  return {
    lines,
    json: {
      prices: PRICES,
      assumptions: {
        memoryMb: MEMORY_MB,
        awsRequestMs: AWS_REQUEST_MS,
        requestsInFlight: REQUESTS_IN_FLIGHT,
        idlePollersPerQueue: IDLE_POLLERS_PER_QUEUE,
        days,
      },
      backfill: { counts: backfill, dollars: once },
      day: { counts: day, dollars: perDay },
      monthly: { total: month, idleSqsRequests: idleSqs, idleSqsDollars, originalWithCrawler: original, crawlerRun },
    },
  };
};
