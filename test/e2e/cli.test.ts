import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '#test/support/cli.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { expectedRows, lakeRows, partitionFiles, temporaryFiles } from '#test/support/lake.ts';
import { makeTempDir, removeDir, testEnv } from '#test/support/local-env.ts';

describe('the fredlake command', () => {
  let server: FredServer;
  let dataDir: string;

  beforeEach(async () => {
    server = await startFredServer({ today: '2026-11-21' });
    dataDir = await makeTempDir();
  });

  afterEach(async () => {
    await server.close();
    await removeDir(dataDir);
  });

  it('refuses to run without FRED_API_KEY, in one line that says how to get a key and points to the demo', async () => {
    const result = await runCli(['run', '--data-dir', dataDir]);

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /FRED_API_KEY is not set\. Get a free key at https:\/\/fred\.stlouisfed\.org.*fredlake demo/,
    );
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('refuses an unknown option with exit code 2', async () => {
    const result = await runCli(['run', '--frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('exits 1 with the DLQ reason in one line when FRED rate-limits every request', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 1 }, Number.POSITIVE_INFINITY);

    const result = await runCli(['run', '--data-dir', dataDir], testEnv(dataDir, server.url));

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /left a fetch message in the DLQ: FRED answered 429 Too Many Requests for series SP500 after 2 attempts/,
    );
    expect(result.stdout).toMatch(/DLQs\s+fetch 1, transform 0, write 0/);
  });

  it('completes the dataset after being killed with SIGKILL mid-drain, with nothing lost, duplicated or left half-written', async () => {
    const env = testEnv(dataDir, server.url);
    const child = spawnCli(['run', '--data-dir', dataDir], env);
    const curated = join(dataDir, 'curated', 'fred_daily');
    for (let i = 0; i < 6_000; i++) {
      const written = await readdir(curated).catch(() => []);
      if (written.length >= 300) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const partial = (await partitionFiles(dataDir)).size;

    const rerun = await runCli(['run', '--data-dir', dataDir], env);

    const expected = expectedRows([server.sp500()], [server.cpi()]);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(expected.length);
    expect(rerun.code).toBe(0);
    expect(await lakeRows(dataDir)).toEqual(expected);
    expect([...(await partitionFiles(dataDir)).keys()]).toEqual(expected.map((r) => `date=${r.date}/data.parquet`));
    expect(await temporaryFiles(dataDir)).toEqual([]);
  });

  it('shows a complete dataset from `fredlake demo` with no key and no internet', async () => {
    const demoDir = join(dataDir, 'demo');

    const result = await runCli(['demo', '--data-dir', demoDir]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/audit\s+no gaps/);
    expect(result.stdout).toMatch(/DLQs\s+fetch 0, transform 0, write 0/);
    expect(result.stdout).toContain(join(demoDir, 'curated', 'fred_daily'));
    expect(result.stdout).toMatch(/\(5 rows\)/);
  });
});
