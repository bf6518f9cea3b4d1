import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLocalFlow } from '#cli/commands/run.ts';
import { openPipeline } from '#cli/pipeline.ts';
import { rowValues } from '#shared/domain/daily-rows.ts';
import { MANIFEST_PREFIX, STATE_KEY } from '#shared/domain/keys.ts';
import { hashRow } from '#shared/domain/row-hash.ts';
import { expectedRows, lakeRows, partitionFiles } from '#test/support/lake.ts';
import { makeTempDir, removeDir, testConfig, useFredAndDataDir } from '#test/support/local-env.ts';

const manual = { version: 1, reason: 'manual' } as const;

describe('the daily flow on the embedded default', () => {
  const lake = useFredAndDataDir({ today: '2026-11-21' });

  it('builds every date of the range on a first run, one Parquet file per date holding the row rules’ values', async () => {
    const config = testConfig(lake.dataDir, lake.server.url);

    const summary = await runLocalFlow(config, manual);

    const expected = expectedRows([lake.server.sp500()], [lake.server.cpi()]);
    expect(summary.ok).toBe(true);
    expect(summary.written).toBe(expected.length);
    expect(await lakeRows(lake.dataDir)).toEqual(expected);
    const files = [...(await partitionFiles(lake.dataDir)).keys()];
    expect(files).toEqual(expected.map((row) => `date=${row.date}/data.parquet`));
    expect(summary.audit.missing).toEqual([]);
  });

  it('writes no partition file on a second run when FRED’s data has not changed', async () => {
    const config = testConfig(lake.dataDir, lake.server.url);
    await runLocalFlow(config, manual);
    const before = await partitionFiles(lake.dataDir);

    const second = await runLocalFlow(config, manual);

    const after = await partitionFiles(lake.dataDir);
    expect(second.ok).toBe(true);
    expect(second.written).toBe(0);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, file] of after) {
      expect(file.ino).toBe(before.get(key)?.ino);
      expect(file.mtimeMs).toBe(before.get(key)?.mtimeMs);
    }
  });

  it('writes only the three new dates after the Monday that follows a Friday close', async () => {
    const config = testConfig(lake.dataDir, lake.server.url);
    await runLocalFlow(config, manual);
    const before = await partitionFiles(lake.dataDir);
    const firstSp500 = lake.server.sp500();

    lake.server.setToday('2026-11-24');
    const summary = await runLocalFlow(config, manual);

    const after = await partitionFiles(lake.dataDir);
    const added = [...after.keys()].filter((key) => !before.has(key));
    const rewritten = [...before.keys()].filter((key) => after.get(key)?.ino !== before.get(key)?.ino);
    expect(summary.written).toBe(3);
    expect(added).toEqual([
      'date=2026-11-21/data.parquet',
      'date=2026-11-22/data.parquet',
      'date=2026-11-23/data.parquet',
    ]);
    expect(rewritten).toEqual([]);
    expect(await lakeRows(lake.dataDir)).toEqual(expectedRows([firstSp500, lake.server.sp500()], [lake.server.cpi()]));
  });

  it('rewrites exactly the dates whose CPI month (or the month a year earlier) was revised', async () => {
    const config = testConfig(lake.dataDir, lake.server.url);
    await runLocalFlow(config, manual);
    const before = await partitionFiles(lake.dataDir);
    const rowsBefore = expectedRows([lake.server.sp500()], [lake.server.cpi()]);

    lake.server.reviseCpi(true);
    const summary = await runLocalFlow(config, manual);

    const rowsAfter = expectedRows([lake.server.sp500()], [lake.server.cpi()]);
    const hashBefore = new Map(rowsBefore.map((row) => [row.date, hashRow(rowValues(row))]));
    const changed = rowsAfter.filter((row) => hashBefore.get(row.date) !== hashRow(rowValues(row))).map((r) => r.date);
    const after = await partitionFiles(lake.dataDir);
    const rewritten = [...after.keys()]
      .filter((key) => after.get(key)?.ino !== before.get(key)?.ino)
      .map((key) => key.slice('date='.length, 'date='.length + 10));
    expect(changed.length).toBeGreaterThan(1_500);
    expect(rewritten).toEqual(changed);
    expect(summary.written).toBe(changed.length);
    // Today is 2026-11-21: October 2026 is the last published month, so the 60 revised months start in November 2021.
    expect(changed[0]?.slice(0, 7)).toBe('2021-11');
    expect(await lakeRows(lake.dataDir)).toEqual(rowsAfter);
  });

  it('keeps the dates FRED’s rolling window no longer returns', async () => {
    const config = testConfig(lake.dataDir, lake.server.url);
    await runLocalFlow(config, manual);
    const first = { sp500: lake.server.sp500(), cpi: lake.server.cpi() };
    const before = await partitionFiles(lake.dataDir);

    lake.server.setToday('2027-01-05');
    const summary = await runLocalFlow(config, manual);

    const after = await partitionFiles(lake.dataDir);
    expect(lake.server.sp500()[0]?.date).toBe('2017-01-05');
    expect(summary.ok).toBe(true);
    expect(after.get('date=2016-11-22/data.parquet')?.ino).toBe(before.get('date=2016-11-22/data.parquet')?.ino);
    expect(await lakeRows(lake.dataDir)).toEqual(
      expectedRows([first.sp500, lake.server.sp500()], [first.cpi, lake.server.cpi()]),
    );
  });

  it('ends a FRED 429 storm with the fetch request in the DLQ and nothing published, and a redrive then gives the fault-free dataset', async () => {
    const config = testConfig(lake.dataDir, lake.server.url);
    lake.server.inject({ kind: '429' }, Number.POSITIVE_INFINITY);

    const failed = await runLocalFlow(config, manual);

    expect(failed.ok).toBe(false);
    expect(failed.dlqDepth.fetch).toBe(1);
    expect(failed.deadLetters[0]?.reason).toMatch(
      /FRED answered 429 Too Many Requests for series SP500 after 2 attempts/,
    );
    expect((await partitionFiles(lake.dataDir)).size).toBe(0);
    expect(existsSync(join(lake.dataDir, STATE_KEY))).toBe(false);
    expect(existsSync(join(lake.dataDir, MANIFEST_PREFIX))).toBe(false);

    lake.server.clearFaults();
    const pipeline = await openPipeline(config);
    const moved = await pipeline.deps.queues.fetch.redrive();
    const drained = await pipeline.drain();
    await pipeline.close();

    expect(moved.moved).toBe(1);
    expect(drained.deadLettered).toEqual({ fetch: 0, transform: 0, write: 0 });
    const cleanDir = await makeTempDir();
    await runLocalFlow(testConfig(cleanDir, lake.server.url), manual);
    expect(await lakeRows(lake.dataDir)).toEqual(await lakeRows(cleanDir));
    expect([...(await partitionFiles(lake.dataDir)).keys()]).toEqual([...(await partitionFiles(cleanDir)).keys()]);
    await removeDir(cleanDir);
  });
});
