import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocalFlow } from '#cli/commands/run.ts';
import { runCli } from '#test/support/cli.ts';
import { listFiles, type OpsFixture, openOpsFixture } from './ops-fixture.ts';

describe('the operations commands as a subprocess', () => {
  let fixture: OpsFixture;

  beforeAll(async () => {
    fixture = await openOpsFixture();
  });

  afterAll(async () => {
    await fixture.close();
  });

  it('exits 1 on a FRED outage, shows the 429 in `dlq list`, and `redrive` exits 0 once FRED answers again', async () => {
    const dataDir = join(fixture.root, 'outage');
    fixture.server.inject({ kind: '429' }, Infinity);

    const run = await runCli(['run', '--data-dir', dataDir], fixture.env);
    const dlq = await runCli(['dlq', 'list', '--data-dir', dataDir], fixture.env);
    fixture.server.clearFaults();
    const redrive = await runCli(['redrive', '--data-dir', dataDir], fixture.env);
    const dlqAfter = await runCli(['dlq', '--json', '--data-dir', dataDir], fixture.env);

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/fetch message in the DLQ: FRED answered 429 Too Many Requests for series SP500/);
    expect(dlq.code).toBe(1);
    expect(dlq.stdout).toMatch(/fetch-dlq .* fetch request \(manual\)/);
    expect(dlq.stdout).toContain('reason: FRED answered 429 Too Many Requests for series SP500 after 2 attempts');
    expect(dlq.stderr.trim()).toBe('fredlake: 1 message in the DLQs: fix the cause, then `fredlake redrive`');
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toMatch(/moved {8}fetch 1, transform 0, write 0/);
    expect(redrive.stdout).toMatch(/dead again {3}fetch 0, transform 0, write 0/);
    expect(dlqAfter.code).toBe(0);
    expect(JSON.parse(dlqAfter.stdout)).toMatchObject({ depths: { fetch: 0, transform: 0, write: 0 }, messages: [] });
  });

  it('exits 1 from `audit-raw` with one line naming the raw file overwritten with garbage', async () => {
    const config = fixture.config('raw');
    await runLocalFlow(config, { version: 1, reason: 'manual' });
    const victim = `raw/runs/${(await listFiles(join(config.dataDir, 'raw', 'runs'))).find((f) => f.includes('CPIAUCSL'))}`;
    await writeFile(join(config.dataDir, victim), '<html>oops</html>');

    const result = await runCli(['audit-raw', '--data-dir', config.dataDir], fixture.env);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`CORRUPT ${victim}`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^fredlake: raw file ${victim} is corrupt: sha256 `));
  });

  it('prints a csv header line and then one line per row from `query --format csv`', async () => {
    const config = fixture.config('query');
    await runLocalFlow(config, { version: 1, reason: 'manual' });

    const result = await runCli(
      [
        'query',
        '--format',
        'csv',
        '--data-dir',
        config.dataDir,
        'SELECT date, cpi_level FROM fred_daily ORDER BY date LIMIT 3',
      ],
      fixture.env,
    );

    const lines = result.stdout.trimEnd().split('\n');
    expect(result.code).toBe(0);
    expect(lines[0]).toBe('date,cpi_level');
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((line) => /^\d{4}-\d{2}-\d{2},[\d.]*$/.test(line))).toBe(true);
  });

  it('refuses an impossible date, an unknown queue and a zero rate with exit 2 and what is accepted', async () => {
    const dataDir = join(fixture.root, 'args');

    const date = await runCli(['backfill', '--from', '2024-02-30', '--data-dir', dataDir], fixture.env);
    const queue = await runCli(['dlq', '--queue', 'writes', '--data-dir', dataDir], fixture.env);
    const rate = await runCli(['redrive', '--max-per-second', '0', '--data-dir', dataDir], fixture.env);
    const noDir = await runCli(['status', '--data-dir', dataDir], fixture.env);

    expect(date.code).toBe(2);
    expect(date.stderr).toContain('expected a real calendar date YYYY-MM-DD, got "2024-02-30"');
    expect(queue.code).toBe(2);
    expect(queue.stderr).toContain('Allowed choices are fetch, transform, write.');
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('expected a whole number of at least 1, got "0"');
    expect(noDir.code).toBe(2);
    expect(noDir.stderr.trim()).toBe(
      `fredlake: No data directory at ${dataDir}: run \`fredlake run\` (or pass --data-dir) first`,
    );
  });
});
