import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCommand, formatAuditOutcome } from '#cli/commands/audit.ts';
import { auditRawCommand } from '#cli/commands/audit-raw.ts';
import { backfillCommand } from '#cli/commands/backfill.ts';
import { dlqCommand } from '#cli/commands/dlq.ts';
import { redriveCommand } from '#cli/commands/redrive.ts';
import { runLocalFlow } from '#cli/commands/run.ts';
import { statusCommand } from '#cli/commands/status.ts';
import { formatCsv } from '#cli/format.ts';
import { queryLocalLake } from '#shared/adapters/local/duckdb-query.ts';
import type { Config } from '#shared/config.ts';
import { computeDailyRows } from '#shared/domain/daily-rows.ts';
import { CURATED_PREFIX, MANIFEST_PREFIX, partitionKey } from '#shared/domain/keys.ts';
import { hashRow } from '#shared/domain/row-hash.ts';
import { decodePartitionFile, encodePartitionFile, METADATA_KEYS } from '#shared/parquet/partition-file.ts';
import { listFiles, type OpsFixture, openOpsFixture } from './ops-fixture.ts';

const ALL_ROWS = 'SELECT * FROM fred_daily ORDER BY date';

const partitionPath = (config: Config, date: string) => join(config.dataDir, partitionKey(date));
const curatedFiles = (config: Config) => listFiles(join(config.dataDir, CURATED_PREFIX));

describe('the operations commands on the embedded default', () => {
  let fixture: OpsFixture;

  beforeAll(async () => {
    fixture = await openOpsFixture();
  });

  afterAll(async () => {
    await fixture.close();
  });

  it('after a FRED outage, lists the fetch request with its 429 and, once FRED recovers, redrives it to the dataset a clean run gives', async () => {
    const reference = fixture.config('reference');
    await runLocalFlow(reference, { version: 1, reason: 'manual' });
    const config = fixture.config('outage');
    fixture.server.inject({ kind: '429' }, Infinity);

    const failed = await runLocalFlow(config, { version: 1, reason: 'manual' });
    const dlq = await dlqCommand(config);
    const statusDuring = await statusCommand(config);
    fixture.server.clearFaults();
    const redrive = await redriveCommand(config);
    const statusAfter = await statusCommand(config);

    expect(failed.ok).toBe(false);
    expect(dlq.depths).toEqual({ fetch: 1, transform: 0, write: 0 });
    expect(dlq.messages).toHaveLength(1);
    expect(dlq.messages[0]?.about).toBe('fetch request (manual)');
    expect(dlq.messages[0]?.reason).toMatch(/FRED answered 429 Too Many Requests for series SP500 after 2 attempts/);
    expect(dlq.messages[0]?.receiveCount).toBe(2);
    expect(statusDuring.ok).toBe(false);
    expect(statusDuring.dlqs.fetch).toBe(1);
    expect(redrive.moved.fetch?.moved).toBe(1);
    expect(redrive.ok).toBe(true);
    expect(redrive.after).toEqual([]);
    expect(redrive.written).toBeGreaterThan(300);
    expect(formatCsv(await queryLocalLake(config.dataDir, ALL_ROWS))).toBe(
      formatCsv(await queryLocalLake(reference.dataDir, ALL_ROWS)),
    );
    expect(await curatedFiles(config)).toEqual(await curatedFiles(reference));
    expect(statusAfter.ok).toBe(true);
    expect(statusAfter.runs.map((r) => r.command)).toEqual(['redrive', 'run']);
    expect(statusAfter.sp500.freshness).toBe('current');
  });

  it('names exactly the three deleted partitions and restores them byte for byte', async () => {
    const config = fixture.config('deleted');
    await runLocalFlow(config, { version: 1, reason: 'manual' });
    const [a, b, c] = (
      await queryLocalLake(config.dataDir, 'SELECT CAST(date AS VARCHAR) d FROM fred_daily ORDER BY date')
    ).rows
      .map((r) => String(r.d))
      .filter((_, i) => i === 40 || i === 41 || i === 200);
    const dates = [a, b, c] as string[];
    const original = await Promise.all(dates.map((d) => readFile(partitionPath(config, d))));
    for (const date of dates) await rm(partitionPath(config, date));

    const audit = await auditCommand(config, {});
    const fixed = await auditCommand(config, { fix: true });
    const restored = await Promise.all(dates.map((d) => readFile(partitionPath(config, d))));

    expect(audit.ok).toBe(false);
    expect(audit.before.missing).toEqual(dates);
    expect(audit.before.mismatched).toEqual([]);
    expect(audit.before.registeredWithoutFile).toEqual(dates);
    expect(formatAuditOutcome(audit)).toContain(`${a}..${b} (2 days), ${c}`);
    expect(fixed.fix?.writesEnqueued).toBe(3);
    expect(fixed.fix?.written).toBe(3);
    expect(fixed.fix?.after.missing).toEqual([]);
    expect(fixed.ok).toBe(true);
    expect(restored).toEqual(original);
  });

  it('reports a partition file overwritten with other values as mismatched in a deep audit and repairs it', async () => {
    const config = fixture.config('overwritten');
    await runLocalFlow(config, { version: 1, reason: 'manual' });
    const date = String(
      (await queryLocalLake(config.dataDir, 'SELECT CAST(max(date) AS VARCHAR) d FROM fred_daily')).rows[0]?.d,
    );
    const path = partitionPath(config, date);
    const good = decodePartitionFile(await readFile(path));
    const wrong = { ...good.values, sp500_daily_price: good.values.sp500_daily_price + 1 };
    // Behind fredlake's back: same provenance and row-hash metadata, other values, written in place.
    await writeFile(
      path,
      encodePartitionFile(wrong, {
        date,
        rowHash: String(good.metadata[METADATA_KEYS.rowHash]),
        runId: String(good.metadata[METADATA_KEYS.runId]),
        sources: JSON.parse(String(good.metadata[METADATA_KEYS.sources])) as string[],
      }),
    );

    const audit = await auditCommand(config, { deep: true });
    const fixed = await auditCommand(config, { deep: true, fix: true });
    const repaired = decodePartitionFile(await readFile(path));

    expect(audit.ok).toBe(false);
    expect(audit.before.mismatched).toEqual([date]);
    expect(audit.before.missing).toEqual([]);
    expect(fixed.fix?.after.mismatched).toEqual([]);
    expect(fixed.ok).toBe(true);
    expect(repaired.values).toEqual(good.values);
    expect(hashRow(repaired.values)).toBe(good.metadata[METADATA_KEYS.rowHash]);
  });

  it('names a raw file overwritten with garbage as corrupt and a fetch attempt without a manifest as orphaned', async () => {
    const config = fixture.config('raw');
    await runLocalFlow(config, { version: 1, reason: 'manual' });
    await runLocalFlow(config, { version: 1, reason: 'manual' });
    const rawFiles = (await listFiles(join(config.dataDir, 'raw', 'runs'))).map((f) => `raw/runs/${f}`);
    const victim = rawFiles.find((f) => f.includes('/SP500/')) as string;
    await writeFile(join(config.dataDir, victim), 'garbage');
    const orphan = 'raw/runs/20200101T000000Z-dead00/SP500/page-0001.json';
    await mkdir(dirname(join(config.dataDir, orphan)), { recursive: true });
    await writeFile(join(config.dataDir, orphan), '{}');

    const audit = await auditRawCommand(config);

    expect(audit.ok).toBe(false);
    expect(audit.runs).toHaveLength(2);
    expect(audit.problems.filter((p) => p.kind === 'corrupt').map((p) => p.key)).toEqual([victim]);
    expect(audit.orphaned.map((p) => p.key)).toEqual([orphan]);
    expect(audit.runs.map((r) => r.transformed)).toEqual(['applied', 'applied']);
    expect(audit.runs[1]?.repeatsPrevious.sort()).toEqual(['CPIAUCSL', 'SP500']);
    expect(audit.runs[1]?.series.find((s) => s.seriesId === 'SP500')?.lastDate).toBe(
      fixture.server.sp500().at(-1)?.date,
    );
  });

  it('answers count, max and a date-range average that match the row rules over what FRED serves', async () => {
    const config = fixture.config('query');
    await runLocalFlow(config, { version: 1, reason: 'manual' });
    const rows = computeDailyRows(fixture.server.sp500(), fixture.server.cpi());
    const from = rows[100]?.date as string;
    const to = rows[130]?.date as string;
    const inRange = rows.filter((r) => r.date >= from && r.date <= to);

    const result = await queryLocalLake(
      config.dataDir,
      `SELECT count(*) AS n, max(sp500_daily_price) AS top, avg(cpi_level) FILTER (WHERE date BETWEEN DATE '${from}' AND DATE '${to}') AS cpi_avg FROM fred_daily`,
    );

    const row = result.rows[0];
    expect(row?.n).toBe(rows.length);
    expect(row?.top).toBe(Math.max(...rows.map((r) => r.sp500_daily_price)));
    expect(row?.cpi_avg).toBeCloseTo(inRange.reduce((sum, r) => sum + (r.cpi_level ?? 0), 0) / inRange.length, 9);
  });

  it('backfills exactly the given range, and a dry run lists that range and writes nothing', async () => {
    const config = fixture.config('backfill');
    await runLocalFlow(config, { version: 1, reason: 'manual' });
    const dates = (
      await queryLocalLake(config.dataDir, 'SELECT CAST(date AS VARCHAR) d FROM fred_daily ORDER BY date')
    ).rows.map((r) => String(r.d));
    const from = dates[50] as string;
    const to = dates[59] as string;
    const mtimes = async () => Promise.all(dates.map(async (d) => (await stat(partitionPath(config, d))).mtimeMs));
    const manifests = async () => listFiles(join(config.dataDir, MANIFEST_PREFIX));
    const before = await mtimes();
    const manifestsBefore = await manifests();

    const dry = await backfillCommand(config, { from, to, dryRun: true });
    const afterDry = await mtimes();
    const manifestsAfterDry = await manifests();
    const real = await backfillCommand(config, { from, to });
    const after = await mtimes();

    expect(dry.dryRun && dry.plan.dates).toEqual(dates.slice(50, 60));
    expect(afterDry).toEqual(before);
    expect(manifestsAfterDry).toEqual(manifestsBefore);
    expect(real.dryRun === false && real.summary?.written).toBe(10);
    expect(dates.filter((_, i) => after[i] !== before[i])).toEqual(dates.slice(50, 60));
  });

  it('refuses a backfill whose --from is after its --to, saying what is accepted', async () => {
    const config = fixture.config('refused');

    const attempt = backfillCommand(config, { from: '2024-03-01', to: '2024-02-01', dryRun: true });

    await expect(attempt).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(
        /--from 2024-03-01 is after --to 2024-02-01: give a range with --from on or before --to/,
      ),
    });
  });
});
