import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '#test/support/cli.ts';
import { expectedRows, lakeRows, partitionFiles, temporaryFiles } from '#test/support/lake.ts';
import { testEnv, useFredAndDataDir } from '#test/support/local-env.ts';

describe('the fredlake command', () => {
  const lake = useFredAndDataDir({ today: '2026-11-21' });

  it('refuses to run without FRED_API_KEY, in one line that says how to get a key and points to the demo', async () => {
    const result = await runCli(['run', '--data-dir', lake.dataDir]);

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /FRED_API_KEY is not set\. Get a free key at https:\/\/fred\.stlouisfed\.org.*fredlake demo/,
    );
    expect(await readdir(lake.dataDir)).toEqual([]);
  });

  it('refuses an unknown option with exit code 2', async () => {
    const result = await runCli(['run', '--frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('exits 1 with the DLQ reason in one line when FRED rate-limits every request', async () => {
    lake.server.inject({ kind: '429', retryAfterSeconds: 1 }, Number.POSITIVE_INFINITY);

    const result = await runCli(['run', '--data-dir', lake.dataDir], testEnv(lake.dataDir, lake.server.url));

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /left a fetch message in the DLQ: FRED answered 429 Too Many Requests for series SP500 after 2 attempts/,
    );
    expect(result.stdout).toMatch(/DLQs\s+fetch 1, transform 0, write 0/);
  });

  it('completes the dataset after being killed with SIGKILL mid-drain, with nothing lost, duplicated or left half-written', async () => {
    const env = testEnv(lake.dataDir, lake.server.url);
    const child = spawnCli(['run', '--data-dir', lake.dataDir], env);
    const curated = join(lake.dataDir, 'curated', 'fred_daily');
    for (let i = 0; i < 6_000; i++) {
      const written = await readdir(curated).catch(() => []);
      if (written.length >= 300) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const partial = (await partitionFiles(lake.dataDir)).size;

    const rerun = await runCli(['run', '--data-dir', lake.dataDir], env);

    const expected = expectedRows([lake.server.sp500()], [lake.server.cpi()]);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(expected.length);
    expect(rerun.code).toBe(0);
    expect(await lakeRows(lake.dataDir)).toEqual(expected);
    expect([...(await partitionFiles(lake.dataDir)).keys()]).toEqual(
      expected.map((r) => `date=${r.date}/data.parquet`),
    );
    expect(await temporaryFiles(lake.dataDir)).toEqual([]);
  });

  it('shows a complete dataset from `fredlake demo` with no key and no internet', async () => {
    const demoDir = join(lake.dataDir, 'demo');

    const result = await runCli(['demo', '--data-dir', demoDir]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/audit\s+no gaps/);
    expect(result.stdout).toMatch(/DLQs\s+fetch 0, transform 0, write 0/);
    expect(result.stdout).toContain(join(demoDir, 'curated', 'fred_daily'));
    expect(result.stdout).toMatch(/\(5 rows\)/);
  });
});
