import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { LockedError } from '#shared/errors.ts';

export const LOCK_FILE_NAME = '.lock';
const POLL_INTERVAL_MS = 100;
/** A lock file that is still unreadable this long after it was created was left by a crash mid-write. */
const UNREADABLE_GRACE_MS = 10_000;

interface LockOwner {
  pid: number;
  startedAt: string;
  host: string;
  /** Tells this holder's file from a successor's, so a release never removes someone else's lock. */
  token?: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * One writer at a time per data directory: `<dataDir>/.lock`, created with O_EXCL and holding `{pid, startedAt, host}`.
 * A lock whose process is gone (a crash, a SIGKILL) is stale and taken over; a live holder is waited for up to
 * `waitMs` (default 0), then LockedError names it.
 */
export async function acquireDataDirLock(dataDir: string, options: { waitMs?: number } = {}): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  const path = join(dir, LOCK_FILE_NAME);
  const deadline = Date.now() + (options.waitMs ?? 0);
  await mkdir(dir, { recursive: true });
  const owner: LockOwner = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    host: hostname(),
    token: randomBytes(8).toString('hex'),
  };
  const content = JSON.stringify(owner);

  for (;;) {
    if (await tryCreate(path, content)) return { release: () => releaseIfOurs(path, content) };
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (isStale(holder)) {
      if (await takeOver(path, holder, content)) return { release: () => releaseIfOurs(path, content) };
      continue;
    }
    if (Date.now() >= deadline) throw lockedError(dir, holder);
    await new Promise((done) => setTimeout(done, Math.min(POLL_INTERVAL_MS, Math.max(1, deadline - Date.now()))));
  }
}

const tryCreate = async (path: string, content: string): Promise<boolean> => {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
};

type Holder = { owner: LockOwner; raw: string } | { owner: undefined; raw: string; mtimeMs: number };

const readHolder = async (path: string): Promise<Holder | 'gone'> => {
  try {
    const [raw, stats] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const owner = parseOwner(raw);
    return owner ? { owner, raw } : { owner: undefined, raw, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return 'gone';
    throw error;
  }
};

const parseOwner = (raw: string): LockOwner | undefined => {
  try {
    const parsed = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0) {
      return {
        pid: parsed.pid,
        startedAt: String(parsed.startedAt ?? 'an unknown time'),
        host: String(parsed.host ?? ''),
      };
    }
  } catch {
    // not JSON (yet): handled as unreadable
  }
  return undefined;
};

const isStale = (holder: Holder): boolean => {
  if (!holder.owner) return Date.now() - holder.mtimeMs > UNREADABLE_GRACE_MS;
  // A pid means nothing on another machine (a data directory on a shared disk): only the same host can tell.
  if (holder.owner.host !== '' && holder.owner.host !== hostname()) return false;
  return !isAlive(holder.owner.pid);
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ESRCH'; // EPERM: alive, owned by another user
  }
};

/**
 * Replaces a stale lock. Two processes may find the same stale lock; a `.lock.takeover` file (O_EXCL) lets only
 * one of them replace it, and the content is checked again under it, so a fresh lock is never removed.
 */
const takeOver = async (path: string, stale: Holder, content: string): Promise<boolean> => {
  const guard = `${path}.takeover`;
  if (!(await tryCreate(guard, content))) {
    const guardStats = await stat(guard).catch(() => undefined);
    if (guardStats && Date.now() - guardStats.mtimeMs > UNREADABLE_GRACE_MS) await unlinkIfPresent(guard);
    return false;
  }
  try {
    const current = await readHolder(path);
    if (current !== 'gone' && current.raw !== stale.raw) return false;
    await unlinkIfPresent(path);
    return tryCreate(path, content);
  } finally {
    await unlinkIfPresent(guard);
  }
};

const releaseIfOurs = async (path: string, content: string): Promise<void> => {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) await unlinkIfPresent(path);
};

const lockedError = (dir: string, holder: Holder): LockedError => {
  if (!holder.owner) {
    return new LockedError(
      `Data directory ${dir} is locked (${LOCK_FILE_NAME} is being written or is damaged); retry, or remove ${join(dir, LOCK_FILE_NAME)} if no fredlake process runs.`,
      { dataDir: dir },
    );
  }
  const { pid, host, startedAt } = holder.owner;
  return new LockedError(
    `Data directory ${dir} is locked by pid ${pid} on ${host || 'an unknown host'} since ${startedAt}; wait for it to finish (or use --wait) or stop that process.`,
    { dataDir: dir, pid, host, startedAt },
  );
};

const errnoOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

const unlinkIfPresent = async (path: string): Promise<void> => {
  try {
    await unlink(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
};
