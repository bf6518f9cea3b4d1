import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '#shared/adapters/local/local-lock.ts';
import { runCli, spawnCli } from '#test/support/cli.ts';
import { expectedRows, lakeRows, temporaryFiles } from '#test/support/lake.ts';
import { testEnv, useFredAndDataDir } from '#test/support/local-env.ts';

const waitFor = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition never became true');
};

describe('one writer at a time per data directory', () => {
  const lake = useFredAndDataDir({ today: '2026-11-21', windowYears: 1 });

  it('refuses a second `fredlake run` with exit code 3 and one line naming the holder, while `--wait` waits its turn', async () => {
    const env = testEnv(lake.dataDir, lake.server.url, { FRED_TIMEOUT_MS: '30000' });
    // FRED answers the first run's first request slowly, so it holds the lock while the others start.
    lake.server.inject({ kind: 'slow', ms: 6_000 }, 1);
    const first = spawnCli(['run', '--data-dir', lake.dataDir, '--quiet'], env);
    const firstDone = new Promise<number | null>((resolve) => first.on('close', resolve));
    await waitFor(() => lake.server.requests.length > 0);

    const [refused, waited] = await Promise.all([
      runCli(['run', '--data-dir', lake.dataDir, '--quiet'], env),
      runCli(['run', '--data-dir', lake.dataDir, '--quiet', '--wait', '60'], env),
    ]);

    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^fredlake: Data directory .* is locked by pid \d+ on .*; wait for it to finish/);
    expect(await firstDone).toBe(0);
    expect(waited.code).toBe(0);
    expect(await lakeRows(lake.dataDir)).toEqual(expectedRows([lake.server.sp500()], [lake.server.cpi()]));
    expect(existsSync(join(lake.dataDir, LOCK_FILE_NAME))).toBe(false);
  });

  it('takes over the lock of a holder killed with SIGKILL, and completes the dataset', async () => {
    const env = testEnv(lake.dataDir, lake.server.url, { FRED_TIMEOUT_MS: '30000' });
    lake.server.inject({ kind: 'slow', ms: 2_500 }, 1);
    const holder = spawnCli(['run', '--data-dir', lake.dataDir, '--quiet'], env);
    const killed = new Promise<NodeJS.Signals | null>((resolve) =>
      holder.on('close', (_code, signal) => resolve(signal)),
    );
    await waitFor(() => lake.server.requests.length > 0);
    holder.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    expect(existsSync(join(lake.dataDir, LOCK_FILE_NAME))).toBe(true);

    const next = await runCli(['run', '--data-dir', lake.dataDir, '--quiet'], env);

    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(await lakeRows(lake.dataDir)).toEqual(expectedRows([lake.server.sp500()], [lake.server.cpi()]));
    expect(await temporaryFiles(lake.dataDir)).toEqual([]);
    expect(existsSync(join(lake.dataDir, LOCK_FILE_NAME))).toBe(false);
  });
});
