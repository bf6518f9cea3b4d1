import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock } from '#shared/adapters/local/local-lock.ts';
import { LockedError } from '#shared/errors.ts';

const LOCK_MODULE = fileURLToPath(new URL('../../../../shared/adapters/local/local-lock.ts', import.meta.url));

/** Starts a separate node process that takes the lock and then idles until it is killed. */
const startHolder = async (dataDir: string): Promise<ChildProcess> => {
  const script = `
    const { acquireDataDirLock } = await import(${JSON.stringify(LOCK_MODULE)});
    await acquireDataDirLock(${JSON.stringify(dataDir)});
    process.stdout.write('locked\\n');
    setInterval(() => {}, 60_000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout ?? child, 'data')) as [Buffer];
  expect(chunk.toString()).toBe('locked\n');
  return child;
};

const kill = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
};

describe('acquireDataDirLock', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fredlake-lock-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes who holds the lock and removes it on release', async () => {
    const lock = await acquireDataDirLock(dataDir);

    const held = JSON.parse(await readFile(join(dataDir, '.lock'), 'utf8'));
    await lock.release();

    expect(held).toMatchObject({ pid: process.pid, host: hostname(), startedAt: expect.any(String) });
    await expect(readFile(join(dataDir, '.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('creates a data directory that does not exist yet', async () => {
    const nested = join(dataDir, 'not', 'yet');

    const lock = await acquireDataDirLock(nested);

    const held = JSON.parse(await readFile(join(nested, '.lock'), 'utf8'));
    expect(held.pid).toBe(process.pid);
    await lock.release();
  });

  it('refuses a second writer while a live process holds the lock, naming its pid', async () => {
    const child = await startHolder(dataDir);
    children.push(child);

    const attempt = acquireDataDirLock(dataDir, { waitMs: 300 });

    const error = await attempt.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).message).toContain(`pid ${child.pid}`);
    expect((error as LockedError).message).toContain(dataDir);
  });

  it('takes over the lock of a holder that was killed', async () => {
    const child = await startHolder(dataDir);
    await kill(child);

    const lock = await acquireDataDirLock(dataDir);

    const held = JSON.parse(await readFile(join(dataDir, '.lock'), 'utf8'));
    expect(held.pid).toBe(process.pid);
    expect(held.pid).not.toBe(child.pid);
    await lock.release();
  });

  it('waits for a holder that releases within waitMs', async () => {
    const first = await acquireDataDirLock(dataDir);

    const waiting = acquireDataDirLock(dataDir, { waitMs: 10_000 });
    setTimeout(() => void first.release(), 200);
    const second = await waiting;

    const held = JSON.parse(await readFile(join(dataDir, '.lock'), 'utf8'));
    expect(held.pid).toBe(process.pid);
    await second.release();
  });

  it('does not let a former holder release its successor lock', async () => {
    const first = await acquireDataDirLock(dataDir);
    await first.release();
    const second = await acquireDataDirLock(dataDir);

    await first.release();
    const third = acquireDataDirLock(dataDir, { waitMs: 0 });

    await expect(third).rejects.toBeInstanceOf(LockedError);
    await second.release();
  });

  it('waits on a lock file that is still being written instead of taking it over', async () => {
    await writeFile(join(dataDir, '.lock'), '');

    const attempt = acquireDataDirLock(dataDir, { waitMs: 200 });

    await expect(attempt).rejects.toThrow(/being written or is damaged/);
  });
});
