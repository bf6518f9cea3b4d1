import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPipeline } from '#cli/pipeline.ts';
import { QUEUE_NAMES } from '#shared/ports/queue.ts';
import { runCli } from '#test/support/cli.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { makeTempDir, removeDir, testConfig, testEnv } from '#test/support/local-env.ts';

/** A recognisable fake key in FRED's shape (32 lower-case alphanumerics). */
const KEY = 'secretfredkeydonotleak0123456789';
const FORMS = [KEY, Buffer.from(KEY).toString('base64'), Buffer.from(KEY).toString('hex'), KEY.toUpperCase()];

/** Every file under `dir` (SQLite database, WAL and shared memory included), as bytes. */
const everyFile = async (dir: string): Promise<{ path: string; bytes: Buffer }[]> => {
  const files: { path: string; bytes: Buffer }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path, bytes: await readFile(path) });
  }
  return files;
};

const hits = (text: string | Buffer): string[] => FORMS.filter((form) => text.includes(form));

describe('the FRED API key never leaves the request', () => {
  let server: FredServer;
  let dataDir: string;

  beforeEach(async () => {
    server = await startFredServer({ today: '2026-11-21', windowYears: 1, apiKey: KEY });
    dataDir = await makeTempDir();
  });

  afterEach(async () => {
    await server.close();
    await removeDir(dataDir);
  });

  it('appears in no log line, no output, no stored object, no database or WAL page, no queue message and no error, through failures and DLQs', async () => {
    const env = testEnv(dataDir, server.url, {
      FRED_API_KEY: KEY,
      LOG_LEVEL: 'DEBUG',
    });
    const outputs: string[] = [];
    const run = async (args: string[] = []) => {
      const result = await runCli(['run', '--data-dir', dataDir, ...args], env);
      outputs.push(result.stdout, result.stderr);
      return result;
    };
    // An HTML error page that echoes the request, key and all, as a misconfigured proxy would.
    const echo = `<html><body>Bad gateway for /fred/series/observations?series_id=SP500&api_key=${KEY}</body></html>`;

    server.inject({ kind: '429', retryAfterSeconds: 0 }, Number.POSITIVE_INFINITY);
    const storm = await run();
    server.clearFaults();
    server.inject({ kind: 'badKey' }, Number.POSITIVE_INFINITY);
    const badKey = await run(['--json']);
    server.clearFaults();
    server.inject({ kind: 'garbage', body: echo }, Number.POSITIVE_INFINITY);
    const garbage = await run();
    server.clearFaults();
    server.inject({ kind: 'reset' }, 1);
    const recovered = await run(['--verbose']);
    const pipeline = await openPipeline(testConfig(dataDir, server.url, { FRED_API_KEY: KEY }));
    const messages: string[] = [];
    for (const name of QUEUE_NAMES) {
      const dlq = pipeline.deps.queues[name].deadLetter as unknown as { peek(n: number): Promise<{ body: string }[]> };
      for (const message of await dlq.peek(100)) messages.push(message.body);
    }
    await pipeline.close();
    const files = await everyFile(dataDir);

    expect([storm.code, badKey.code, garbage.code, recovered.code]).toEqual([1, 1, 1, 0]);
    expect(storm.stderr).toMatch(/DEBUG fred request/);
    expect(badKey.stdout).toMatch(/api_key is not registered/);
    expect(files.map((f) => f.path).some((p) => p.includes(join('raw', 'rejected')))).toBe(true);
    expect(files.map((f) => f.path).some((p) => p.endsWith('fredlake.sqlite'))).toBe(true);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(outputs.flatMap(hits)).toEqual([]);
    expect(messages.flatMap(hits)).toEqual([]);
    expect(files.filter((f) => hits(f.bytes).length > 0).map((f) => f.path)).toEqual([]);
  });
});
