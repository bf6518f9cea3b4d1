import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPipeline, type Pipeline, runDailyFlow } from '#cli/pipeline.ts';
import {
  CURATED_PREFIX,
  MANIFEST_PREFIX,
  QUARANTINE_PREFIX,
  RAW_REJECTED_PREFIX,
  RAW_RUNS_PREFIX,
  STATE_KEY,
} from '#shared/domain/keys.ts';
import { hashBytes } from '#shared/domain/row-hash.ts';
import { Metric } from '#shared/metric-names.ts';
import type { QueueName } from '#shared/ports/queue.ts';
import { readQuarantine } from '#shared/quarantine.ts';
import { readManifest } from '#shared/raw-zone.ts';
import { runCli } from '#test/support/cli.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { makeTempDir, removeDir, testConfig, testEnv } from '#test/support/local-env.ts';

interface BadInputCase {
  file: string;
  kind: 'fred' | 'fred-quality' | `message:${QueueName}` | 'cli';
  what: string;
  code: string;
  message: string;
  rule?: string;
  date?: string;
  cpiFile?: string;
  generate?: boolean;
}

const FIXTURES = new URL('../fixtures/bad-input/', import.meta.url);
const index = JSON.parse(readFileSync(new URL('index.json', FIXTURES), 'utf8')) as { cases: BadInputCase[] };
const fixture = (file: string): string => readFileSync(new URL(file, FIXTURES), 'utf8');
/** The body a case serves: the file itself, or for a `.gen.json` descriptor the text it repeats. */
const bodyOf = (c: BadInputCase): string => {
  if (!c.generate) return fixture(c.file);
  const { repeat, times } = JSON.parse(fixture(c.file)) as { repeat: string; times: number };
  return repeat.repeat(times);
};
const casesOf = (predicate: (c: BadInputCase) => boolean): [string, BadInputCase][] =>
  index.cases.filter(predicate).map((c) => [c.file, c]);

const peekDeadLetters = async (pipeline: Pipeline, queue: QueueName) => {
  const dlq = pipeline.deps.queues[queue].deadLetter as unknown as {
    peek(n: number): Promise<{ messageId: string }[]>;
  };
  const peeked = await dlq.peek(10);
  const failures = await pipeline.deps.failures.lastFailures(peeked.map((m) => m.messageId));
  return peeked.map((m) => failures.get(m.messageId));
};

/** Nothing of the dataset was published: no partition, no staged state, no manifest of a new run. */
const expectNothingPublished = async (pipeline: Pipeline) => {
  const { store } = pipeline.deps;
  expect(await store.list(CURATED_PREFIX)).toEqual([]);
  expect(await store.head(STATE_KEY)).toBeUndefined();
  expect(await pipeline.deps.catalog.listPartitions()).toEqual([]);
};

describe('the bad-input corpus', () => {
  let server: FredServer;
  let dataDir: string;
  let pipeline: Pipeline;

  beforeAll(async () => {
    server = await startFredServer({ today: '2026-11-21', windowYears: 1 });
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(async () => {
    server.clearFaults();
    dataDir = await makeTempDir();
    // One receive and no visibility wait, one batch at a time: a bad message goes to its DLQ at once (the retries
    // are what the chaos suite covers).
    pipeline = await openPipeline(
      testConfig(dataDir, server.url, {
        FREDLAKE_MAX_RECEIVE_COUNT: '1',
        FREDLAKE_VISIBILITY_TIMEOUT_S: '0',
        FREDLAKE_WRITE_CONCURRENCY: '1',
      }),
    );
  });

  afterEach(async () => {
    await pipeline.close();
    await removeDir(dataDir);
  });

  it('holds at least 40 cases, each with a file, a code and a message fragment', () => {
    expect(index.cases.length).toBeGreaterThanOrEqual(40);
    for (const c of index.cases) {
      expect(c.code).toMatch(/^[A-Z_0-9]+$/);
      expect(c.message.length).toBeGreaterThan(3);
      expect(fixture(c.file).length + (c.kind === 'fred' ? 1 : 0)).toBeGreaterThan(0);
    }
  });

  it.each(casesOf((c) => c.kind === 'fred'))(
    'sends the fetch request to its DLQ and keeps the refused FRED body untouched: %s',
    async (_file, c) => {
      const body = bodyOf(c);
      server.inject({ kind: 'garbage', body }, Number.POSITIVE_INFINITY);

      await pipeline.deps.queues.fetch.sendBatch([JSON.stringify({ version: 1, reason: 'manual' })]);
      const report = await pipeline.drain();

      const [failure] = await peekDeadLetters(pipeline, 'fetch');
      expect(report.deadLettered).toEqual({ fetch: 1, transform: 0, write: 0 });
      expect(failure?.code).toBe(c.code);
      expect(failure?.reason).toContain(c.message);
      expect(failure?.reason).toContain('series SP500');
      expect(failure?.reason).not.toContain('\n');
      await expectNothingPublished(pipeline);
      expect(await pipeline.deps.store.list(MANIFEST_PREFIX)).toEqual([]);
      const rejected = await pipeline.deps.store.list(RAW_REJECTED_PREFIX);
      expect(rejected.length).toBeGreaterThanOrEqual(1);
      for (const { key } of rejected) {
        const kept = await pipeline.deps.store.get(key);
        expect(hashBytes(kept?.body ?? new Uint8Array())).toBe(hashBytes(new TextEncoder().encode(body)));
        expect(kept?.metadata['error-code']).toBe(c.code);
      }
    },
  );

  it.each(casesOf((c) => c.kind === 'fred-quality'))(
    'quarantines the run, publishes nothing and keeps its raw files: %s',
    async (_file, c) => {
      await pipeline.close();
      pipeline = await openPipeline(testConfig(dataDir, server.url));
      server.inject({ kind: 'garbage', body: fixture(c.file) }, 1);
      if (c.cpiFile) server.inject({ kind: 'garbage', body: fixture(c.cpiFile) }, 1);

      const summary = await runDailyFlow(pipeline, { version: 1, reason: 'manual' });

      expect(summary.ok).toBe(false);
      expect(summary.fetchRuns).toHaveLength(1);
      const [quarantined] = summary.quarantined;
      expect(quarantined?.violations[0]).toMatchObject({ date: c.date, rule: c.rule });
      await expectNothingPublished(pipeline);
      const runId = summary.fetchRuns[0] ?? '';
      const record = await readQuarantine(pipeline.deps.store, runId);
      expect(record?.status).toBe('quarantined');
      expect(await pipeline.deps.store.list(QUARANTINE_PREFIX)).toHaveLength(1);
      const manifest = await readManifest(pipeline.deps.store, `${MANIFEST_PREFIX}${runId}.json`);
      for (const file of manifest.files) {
        const raw = await pipeline.deps.store.get(file.key);
        expect(raw && hashBytes(raw.body)).toBe(file.sha256);
      }
      expect((await pipeline.deps.store.list(`${RAW_RUNS_PREFIX}${runId}/`)).length).toBe(manifest.files.length);
      expect(pipeline.metrics.get(Metric.QualityGateFailures)).toBe(1);
      expect(summary.deadLetters).toEqual([]);
    },
  );

  it.each(casesOf((c) => c.kind.startsWith('message:')))(
    'sends the malformed message to its own DLQ with a reason naming what was wrong: %s',
    async (_file, c) => {
      const queue = c.kind.slice('message:'.length) as QueueName;

      await pipeline.deps.queues[queue].sendBatch([fixture(c.file)]);
      const report = await pipeline.drain();

      const [failure] = await peekDeadLetters(pipeline, queue);
      expect(report.deadLettered[queue]).toBe(1);
      expect(failure?.code).toBe(c.code);
      expect(failure?.reason).toContain(c.message);
      expect(failure?.reason).not.toContain('\n');
      await expectNothingPublished(pipeline);
    },
  );

  it.each(casesOf((c) => c.kind === 'cli'))(
    'exits non-zero with one line naming the bad argument: %s',
    async (_file, c) => {
      const { args, exitCode, env } = JSON.parse(fixture(c.file)) as {
        args: string[];
        exitCode: number;
        env?: Record<string, string>;
      };

      const result = await runCli([...args, '--data-dir', dataDir], testEnv(dataDir, server.url, env ?? {}));

      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((line) => line !== '(run with --help for usage)');
      expect(result.code).toBe(exitCode);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(c.message);
      await expectNothingPublished(pipeline);
    },
  );
});
