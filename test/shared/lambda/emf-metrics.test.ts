import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFetcherHandler } from '#services/fetcher/handler.ts';
import { createTransformerHandler } from '#services/transformer/handler.ts';
import { createWriterHandler } from '#services/writer/handler.ts';
import { createDeps, type Deps } from '#shared/deps.ts';
import { MANIFEST_PREFIX, runIdOfManifestKey } from '#shared/domain/keys.ts';
import { METRICS_NAMESPACE, Metric } from '#shared/metric-names.ts';
import { createEmfMetrics, createPowertoolsLogger } from '#shared/observability/powertools.ts';
import type { SourceQueue } from '#shared/ports/queue.ts';
import { toSqsRecord } from '#shared/runtime/local-runtime.ts';
import { s3ObjectCreatedEvent } from '#shared/runtime/s3-notification.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { makeTempDir, removeDir, testConfig } from '#test/support/local-env.ts';

/**
 * The handlers as Lambda runs them: Powertools Logger (JSON lines) and Powertools Metrics (CloudWatch EMF) on stdout,
 * one invocation per SQS batch, over the local adapters in a temp dir.
 */
interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] };
  [name: string]: unknown;
}

let server: FredServer;
let dataDir: string;
let deps: Deps;
let stdout: string[];
let stderr: string[];

const jsonLines = (chunks: string[]): Record<string, unknown>[] =>
  chunks
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
/** EMF goes to stdout only: that is what CloudWatch Logs parses into metrics. */
const emfLines = (): EmfLine[] => jsonLines(stdout).filter((line): line is EmfLine => '_aws' in line);
const logLines = (): Record<string, unknown>[] =>
  [...jsonLines(stdout), ...jsonLines(stderr)].filter((line) => 'message' in line);
/** EMF carries a metric added several times in one invocation as an array of values (CloudWatch sums them). */
const total = (value: unknown): number =>
  Array.isArray(value) ? value.reduce((sum: number, v: number) => sum + v, 0) : Number(value);

/** One Lambda invocation: what the event source mapping receives from the queue, as one SQS event. */
const invoke = async (queue: SourceQueue, name: string, handler: ReturnType<typeof createWriterHandler>) => {
  const messages = await queue.receive({ maxMessages: 10 });
  const response = await handler({ Records: messages.map((m) => toSqsRecord(name, m)) });
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const m of messages) if (!failed.has(m.messageId)) await queue.delete(m.receiptHandle);
  return { received: messages.length, failed: failed.size };
};

beforeEach(async () => {
  server = await startFredServer({ today: '2026-11-25', windowYears: 1 });
  dataDir = await makeTempDir();
  const config = testConfig(dataDir, server.url, { FREDLAKE_MAX_RECEIVE_COUNT: '2' });
  deps = await createDeps(config, {
    logger: createPowertoolsLogger('fredlake', 'INFO'),
    metrics: createEmfMetrics('fredlake'),
  });
  stdout = [];
  stderr = [];
  const capture = (into: string[]) => (chunk: string | Uint8Array) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout));
  // Powertools Logger writes warnings and errors to stderr.
  vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await deps.close();
  await server.close();
  await removeDir(dataDir);
});

describe('Lambda-style observability', () => {
  it('publishes one EMF line per invocation in namespace fredlake: FRED requests, 429s and latency', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 0 }, 1);
    await deps.queues.fetch.sendBatch([JSON.stringify({ version: 1, reason: 'schedule' })]);

    await invoke(deps.queues.fetch, 'fetch', createFetcherHandler(deps));

    const emf = emfLines();
    expect(emf).toHaveLength(1);
    const [line] = emf;
    const directive = line?._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Metrics.map((m) => m.Name)).toEqual(
      expect.arrayContaining([Metric.FredRequests, Metric.FredRateLimited, Metric.FredLatency]),
    );
    expect(line?.[Metric.FredRateLimited]).toBe(1);
    expect(line?.[Metric.FredRequests]).toBe(3);
    expect(directive?.Metrics.find((m) => m.Name === Metric.FredLatency)?.Unit).toBe('Milliseconds');
    expect(line?.service).toBe('fredlake');
  });

  it('counts partitions written and unchanged, and puts the fetch run id on every transformer line', async () => {
    await deps.queues.fetch.sendBatch([JSON.stringify({ version: 1, reason: 'schedule' })]);
    await invoke(deps.queues.fetch, 'fetch', createFetcherHandler(deps));
    const manifest = (await deps.store.list(MANIFEST_PREFIX))[0]?.key ?? '';
    const runId = runIdOfManifestKey(manifest);
    await deps.queues.transform.sendBatch([JSON.stringify(s3ObjectCreatedEvent(deps.bucket, manifest))]);
    stdout.length = 0;
    stderr.length = 0;

    await invoke(deps.queues.transform, 'transform', createTransformerHandler(deps));
    const writer = createWriterHandler(deps);
    const first = await deps.queues.write.receive({ maxMessages: 10 });
    const event = { Records: first.map((m) => toSqsRecord('write', m)) };
    await writer(event);
    await writer(event);

    const transformerLines = logLines().filter((l) => l.queue === 'transform');
    expect(transformerLines.map((l) => l.message)).toContain('run transformed');
    expect(transformerLines.every((l) => l.runId === runId)).toBe(true);
    const emf = emfLines();
    expect(emf).toHaveLength(2);
    expect(total(emf[0]?.[Metric.PartitionsWritten])).toBe(10);
    expect(total(emf[1]?.[Metric.PartitionsUnchanged])).toBe(10);
    expect(emf.every((l) => l._aws.CloudWatchMetrics[0]?.Namespace === 'fredlake')).toBe(true);
  });

  it('counts a message that fails its last allowed receive as a DLQ move, and says so on its failure line', async () => {
    const poison = JSON.stringify({ version: 1, runId: '20261125T000000Z-abcdef', date: 'not a date' });
    await deps.queues.write.sendBatch([poison]);
    const writer = createWriterHandler(deps);

    const firstTry = await deps.queues.write.receive({ maxMessages: 1, visibilityTimeoutSeconds: 0 });
    await writer({ Records: firstTry.map((m) => toSqsRecord('write', m)) });
    const beforeLast = emfLines().length;
    const lastTry = await deps.queues.write.receive({ maxMessages: 1, visibilityTimeoutSeconds: 0 });
    await writer({ Records: lastTry.map((m) => toSqsRecord('write', m)) });

    expect(beforeLast).toBe(0);
    const emf = emfLines();
    expect(emf).toHaveLength(1);
    expect(emf[0]?.[Metric.DlqMoves]).toBe(1);
    const failures = logLines().filter((l) => String(l.message).startsWith('message failed'));
    expect(failures.map((l) => [l.message, l.receiveCount])).toEqual([
      ['message failed', 1],
      ['message failed, moving to the DLQ', 2],
    ]);
  });
});
