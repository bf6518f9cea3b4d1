import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '#shared/adapters/local/local-lock.ts';
import { runCli, spawnCli } from '#test/support/cli.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { expectedRows, lakeRows, temporaryFiles } from '#test/support/lake.ts';
import { makeTempDir, removeDir, testEnv } from '#test/support/local-env.ts';

const waitFor = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition never became true');
};

describe('one writer at a time per data directory', () => {
  let server: FredServer;
  let dataDir: string;

  beforeEach(async () => {
    server = await startFredServer({ today: '2026-11-21', windowYears: 1 });
    dataDir = await makeTempDir();
  });

  afterEach(async () => {
    await server.close();
    await removeDir(dataDir);
  });

  it('refuses a second `fredlake run` with exit code 3 and one line naming the holder, while `--wait` waits its turn', async () => {
    const env = testEnv(dataDir, server.url, { FRED_TIMEOUT_MS: '30000' });
    // FRED answers the first run's first request slowly, so it holds the lock while the others start.
    server.inject({ kind: 'slow', ms: 6_000 }, 1);
    const first = spawnCli(['run', '--data-dir', dataDir, '--quiet'], env);
    const firstDone = new Promise<number | null>((resolve) => first.on('close', resolve));
    await waitFor(() => server.requests.length > 0);

    const [refused, waited] = await Promise.all([
      runCli(['run', '--data-dir', dataDir, '--quiet'], env),
      runCli(['run', '--data-dir', dataDir, '--quiet', '--wait', '60'], env),
    ]);

    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^fredlake: Data directory .* is locked by pid \d+ on .*; wait for it to finish/);
    expect(await firstDone).toBe(0);
    expect(waited.code).toBe(0);
    expect(await lakeRows(dataDir)).toEqual(expectedRows([server.sp500()], [server.cpi()]));
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);
  });

  it('takes over the lock of a holder killed with SIGKILL, and completes the dataset', async () => {
    const env = testEnv(dataDir, server.url, { FRED_TIMEOUT_MS: '30000' });
    server.inject({ kind: 'slow', ms: 2_500 }, 1);
    const holder = spawnCli(['run', '--data-dir', dataDir, '--quiet'], env);
    const killed = new Promise<NodeJS.Signals | null>((resolve) =>
      holder.on('close', (_code, signal) => resolve(signal)),
    );
    await waitFor(() => server.requests.length > 0);
    holder.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(true);

    const next = await runCli(['run', '--data-dir', dataDir, '--quiet'], env);

    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(await lakeRows(dataDir)).toEqual(expectedRows([server.sp500()], [server.cpi()]));
    expect(await temporaryFiles(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);
  });
});
