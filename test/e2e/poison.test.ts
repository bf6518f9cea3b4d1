import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPipeline, type Pipeline } from '#cli/pipeline.ts';
import { computeDailyRows, rowValues } from '#shared/domain/daily-rows.ts';
import { hashRow } from '#shared/domain/row-hash.ts';
import type { WriteRequest } from '#shared/messages/write-request.ts';
import { s3ObjectCreatedEvent } from '#shared/runtime/s3-notification.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { partitionFiles } from '#test/support/lake.ts';
import { makeTempDir, removeDir, testConfig } from '#test/support/local-env.ts';

describe('poison messages', () => {
  let server: FredServer;
  let dataDir: string;
  let pipeline: Pipeline;

  beforeEach(async () => {
    server = await startFredServer({ today: '2026-11-21' });
    dataDir = await makeTempDir();
    pipeline = await openPipeline(testConfig(dataDir, server.url));
  });

  afterEach(async () => {
    await pipeline.close();
    await server.close();
    await removeDir(dataDir);
  });

  it('reach their own DLQ after maxReceiveCount while the good messages of the same batches succeed', async () => {
    const { queues, failures } = pipeline.deps;
    const row = computeDailyRows(
      [
        { date: '2024-01-01', value: 100 },
        { date: '2024-01-02', value: 110 },
      ],
      [],
    )[0];
    if (!row) throw new Error('expected a row');
    const good: WriteRequest = {
      version: 1,
      runId: '20240103T000000Z-abc',
      date: row.date,
      row: rowValues(row),
      rowHash: hashRow(rowValues(row)),
      sources: [],
    };
    await queues.fetch.sendBatch(['not json', JSON.stringify({ version: 2, reason: 'manual' })]);
    await queues.transform.sendBatch([
      JSON.stringify({ Records: 'nope' }),
      JSON.stringify(s3ObjectCreatedEvent('fredlake-local', 'raw/manifests/missing.json')),
      JSON.stringify({ Event: 's3:TestEvent', Bucket: 'fredlake-local' }),
    ]);
    await queues.write.sendBatch([
      JSON.stringify(good),
      JSON.stringify({ ...good, date: '2024-02-30' }),
      '{"version":1',
    ]);

    const report = await pipeline.drain();

    expect(report.deadLettered).toEqual({ fetch: 2, transform: 2, write: 2 });
    expect([...(await partitionFiles(dataDir)).keys()]).toEqual(['date=2024-01-02/data.parquet']);
    const letters = await Promise.all(
      (['fetch', 'transform', 'write'] as const).map(async (q) => {
        const peeked = await (
          queues[q].deadLetter as unknown as { peek(n: number): Promise<{ messageId: string }[]> }
        ).peek(10);
        const reasons = await failures.lastFailures(peeked.map((m) => m.messageId));
        return [...reasons.values()].map((f) => f.reason.replace(/ message \S+ /, ' message <id> ')).sort();
      }),
    );
    expect(letters[0]).toEqual([
      'fetch message <id> is invalid: version: Invalid input: expected 1',
      'fetch message <id> is not JSON: "not json"',
    ]);
    expect(letters[1]).toEqual([
      'Manifest raw/manifests/missing.json does not exist',
      expect.stringMatching(/^transform message <id> is invalid: /),
    ]);
    expect(letters[2]).toEqual([
      'write message <id> is invalid: date: expected a real calendar date YYYY-MM-DD',
      'write message <id> is not JSON: "{\\"version\\":1"',
    ]);
  });
});
