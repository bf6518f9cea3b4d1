import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '#cli/pipeline.ts';
import { BAR_EMPTY, BAR_FULL } from '#cli/progress.ts';
import { Metric } from '#shared/metric-names.ts';
import { REPO_ROOT, runCli } from '#test/support/cli.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { makeTempDir, removeDir, testEnv } from '#test/support/local-env.ts';

const BIN = join(REPO_ROOT, 'bin', 'fredlake.js');
const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs the CLI under a pseudo-terminal (util-linux `script`), so stderr is a TTY; returns what the terminal showed. */
const runOnTerminal = (args: string[], env: Record<string, string>): Promise<{ code: number | null; screen: string }> =>
  new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, COLUMNS: '100', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });

const PROGRESS = new RegExp(`[\\r${BAR_FULL}${BAR_EMPTY}]|\\x1b\\[`);

describe('run output and observability', () => {
  let server: FredServer;
  let dataDir: string;

  beforeEach(async () => {
    server = await startFredServer({ today: '2026-11-25', windowYears: 1 });
    dataDir = await makeTempDir();
  });

  afterEach(async () => {
    await server.close();
    await removeDir(dataDir);
  });

  it('shows no progress characters when stderr is piped', async () => {
    const result = await runCli(['run', '--data-dir', dataDir], testEnv(dataDir, server.url));

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('written      364 partitions');
    expect(result.stderr).not.toMatch(PROGRESS);
  });

  it.skipIf(!hasScript)('draws a progress bar of dates written when stderr is a terminal', async () => {
    const result = await runOnTerminal(['run', '--data-dir', dataDir], testEnv(dataDir, server.url));

    expect(result.code).toBe(0);
    expect(result.screen).toContain(BAR_FULL);
    expect(result.screen).toMatch(/writing +\[[█░]+\] {2}364 \/ 364 dates {2}100%/);
    expect(result.screen).toContain('written      364 partitions');
  });

  it.skipIf(!hasScript)('stays quiet on a terminal with --quiet', async () => {
    const result = await runOnTerminal(['run', '--quiet', '--data-dir', dataDir], testEnv(dataDir, server.url));

    expect(result.code).toBe(0);
    expect(result.screen).not.toMatch(PROGRESS);
    expect(result.screen).not.toContain('written');
  });

  it("puts the CLI run id on every log line of a run and the fetch run's id on the handler lines", async () => {
    const env = testEnv(dataDir, server.url, { LOG_LEVEL: 'INFO' });

    const result = await runCli(['run', '--json', '--data-dir', dataDir], env);

    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    const lines = result.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toContain(`cliRunId=${summary.runId}`);
    const fetchRun = summary.fetchRuns[0];
    const handlerLines = lines.filter((l) => /series fetched|fetch run complete|run transformed/.test(l));
    expect(handlerLines).toHaveLength(4);
    for (const line of handlerLines) expect(line).toContain(`runId=${fetchRun}`);
  });

  it('records the run metrics in the run record that status reads', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 0 }, 1);

    const result = await runCli(['run', '--json', '--data-dir', dataDir], testEnv(dataDir, server.url));

    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    const record = JSON.parse(
      await readFile(join(dataDir, 'ops', 'runs', `${summary.runId}.json`), 'utf8'),
    ) as RunSummary;
    expect(record.metrics[Metric.PartitionsWritten]).toBe(364);
    expect(record.metrics[Metric.FredRequests]).toBe(3);
    expect(record.metrics[Metric.FredRateLimited]).toBe(1);
    expect(record.metrics[Metric.FredLatency]).toBeGreaterThan(0);
    expect(record.metrics[Metric.GapsFound]).toBe(0);
  });
});
