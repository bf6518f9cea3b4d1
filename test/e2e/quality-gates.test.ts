import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quarantineKey, RAW_RUNS_PREFIX } from '#shared/domain/keys.ts';
import { runCli } from '#test/support/cli.ts';
import { partitionFiles } from '#test/support/lake.ts';
import { testEnv, useFredAndDataDir } from '#test/support/local-env.ts';

const jump = readFileSync(new URL('../fixtures/bad-input/quality-sp500-jump.json', import.meta.url), 'utf8');

describe('data-quality gates on the command line', () => {
  const lake = useFredAndDataDir({ today: '2026-11-21', windowYears: 1 });

  it('quarantines a run whose S&P 500 jumps 34 % in a day, exits 1 naming the date and the rule, and publishes it only once accepted', async () => {
    const env = testEnv(lake.dataDir, lake.server.url);
    lake.server.inject({ kind: 'garbage', body: jump }, 1);

    const refused = await runCli(['run', '--data-dir', lake.dataDir, '--quiet'], env);

    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /quarantined by a data-quality gate, nothing published: 2026-11-04 sp500_daily_change/,
    );
    const runId = /--accept-quarantined (\S+?)`/.exec(refused.stderr)?.[1] ?? '';
    expect(readFileSync(`${lake.dataDir}/${quarantineKey(runId)}`, 'utf8')).toContain('"status": "quarantined"');
    expect((await partitionFiles(lake.dataDir)).size).toBe(0);

    const accepted = await runCli(['run', '--data-dir', lake.dataDir, '--accept-quarantined', runId], env);

    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/accepted and applied: 2 partitions written/);
    expect([...(await partitionFiles(lake.dataDir)).keys()]).toEqual([
      'date=2026-11-03/data.parquet',
      'date=2026-11-04/data.parquet',
    ]);
    expect(readFileSync(`${lake.dataDir}/${quarantineKey(runId)}`, 'utf8')).toContain('"status": "accepted"');
    expect(readFileSync(`${lake.dataDir}/${RAW_RUNS_PREFIX}${runId}/SP500/page-0001.json`, 'utf8')).toBe(jump);
  });

  it('does not re-judge published history: after an accepted jump, the next day’s run passes', async () => {
    const env = testEnv(lake.dataDir, lake.server.url);
    lake.server.inject({ kind: 'garbage', body: jump }, 1);
    const refused = await runCli(['run', '--data-dir', lake.dataDir, '--quiet'], env);
    const runId = /--accept-quarantined (\S+?)`/.exec(refused.stderr)?.[1] ?? '';
    await runCli(['run', '--data-dir', lake.dataDir, '--accept-quarantined', runId], env);
    const next = JSON.parse(jump) as { observations: { date: string; value: string }[]; count: number };
    next.observations.push({
      ...(next.observations[2] as { date: string; value: string }),
      date: '2026-11-05',
      value: '8250',
    });
    next.count = next.observations.length;
    lake.server.inject({ kind: 'garbage', body: JSON.stringify(next) }, 1);

    const passed = await runCli(['run', '--data-dir', lake.dataDir, '--quiet'], env);

    expect(passed.stderr).toBe('');
    expect(passed.code).toBe(0);
    expect((await partitionFiles(lake.dataDir)).has('date=2026-11-05/data.parquet')).toBe(true);
  });
});
