import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ObjectStoreError } from '#shared/errors.ts';
import type {
  ObjectInfo,
  ObjectMetadata,
  ObjectStore,
  ObjectSummary,
  PutOptions,
  StoredObject,
} from '#shared/ports/object-store.ts';
import type { ObjectMetadataIndex, StoredMetadata } from './sqlite-object-metadata.ts';

/** Where user metadata lives: `<root>/.meta/<key>.json`. */
const META_DIR = '.meta';
const TEMP_PREFIX = '.tmp-';
/** With `trackWrites`: present in the root while a process may have temporary files in the tree. */
const WRITING_MARKER = '.writing';
const MAX_KEY_BYTES = 1024;
/** Files of the embedded default that share the root with the objects and are never objects themselves. */
const RESERVED_ROOT_FILE = /^fredlake\.sqlite(-.*)?$/;

/** The sidecar file's content: the metadata with the inode and size of the object file it was written with. */
type Sidecar = StoredMetadata;

export interface FsObjectStoreOptions {
  /** Called after each successful put (the local runtime turns it into an S3-style object-created event). */
  onPut?: (key: string) => void | Promise<void>;
  /**
   * Keys whose put may skip fsync (default: none, every put is fsynced). Without fsync a put is still atomic for
   * readers and survives a killed process (temp file + rename); only an OS crash or power loss can lose it, and
   * then the sidecar's inode/size check disowns whatever reached the disk. Meant for objects that can be rebuilt.
   */
  skipFsync?: (key: string) => boolean;
  /**
   * Keep user metadata here instead of in sidecar files (the embedded default passes its SQLite database). Sidecars
   * written before are still read for objects the index has no record of.
   */
  metadataIndex?: ObjectMetadataIndex;
  /**
   * Keep a `.writing` marker in the root from the first put until `releaseWrites()`, so that a sweep which finds no
   * marker knows no writer died mid-put and skips walking the whole tree (thousands of folders on a full lake).
   */
  trackWrites?: boolean;
}

/**
 * The object store of the embedded default: a plain directory whose files mirror the bucket's keys, so the
 * curated tree is an ordinary Hive-partitioned Parquet folder that DuckDB, Spark or pandas read directly.
 *
 * Each put writes a `.tmp-*` file in the target directory, fsyncs and renames it, so readers see the old or the
 * new object, never a part. User metadata goes to a sidecar (`.meta/<key>.json`) written after the object; it
 * records the object's inode and size and is only believed while they still match, so a crash between the two
 * renames can never pair new content with old metadata.
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;
  private readonly onPut: ((key: string) => void | Promise<void>) | undefined;
  private readonly skipFsync: (key: string) => boolean;
  private readonly metadataIndex: ObjectMetadataIndex | undefined;
  private readonly trackWrites: boolean;
  private writing: Promise<void> | undefined;
  /** Temporary names: random per store, then a counter (no random bytes per put). */
  private readonly tempPrefix = `${randomBytes(6).toString('hex')}-`;
  private tempCounter = 0;
  /** Directories known to exist, so a backfill does not mkdir once per file. */
  private readonly knownDirs = new Set<string>();

  constructor(root: string, options: FsObjectStoreOptions = {}) {
    this.root = resolve(root);
    this.onPut = options.onPut;
    this.skipFsync = options.skipFsync ?? (() => false);
    this.metadataIndex = options.metadataIndex;
    this.trackWrites = options.trackWrites ?? false;
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<void> {
    validateKey(key);
    const path = this.pathOf(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const metadata = lowerCaseKeys(options.metadata ?? {});
    const sync = !this.skipFsync(key);
    try {
      await this.markWriting();
      const { ino, size } = await this.writeAtomically(path, bytes, sync);
      const sidecarPath = this.sidecarPathOf(key);
      if (Object.keys(metadata).length > 0 || options.contentType !== undefined) {
        const sidecar: Sidecar = { metadata, ino, size };
        if (options.contentType !== undefined) sidecar.contentType = options.contentType;
        if (this.metadataIndex) this.metadataIndex.write(key, sidecar);
        else await this.writeAtomically(sidecarPath, Buffer.from(JSON.stringify(sidecar), 'utf8'), sync);
      } else {
        this.metadataIndex?.remove(key);
        await unlinkIfPresent(sidecarPath);
      }
    } catch (error) {
      throw translate(error, `put object ${JSON.stringify(key)}`, { key });
    }
    await this.onPut?.(key);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    validateKey(key);
    try {
      const handle = await openIfPresent(this.pathOf(key));
      if (!handle) return undefined;
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) return undefined;
        const body = new Uint8Array(await handle.readFile());
        const metadata = await this.metadataOf(key, stats.ino, stats.size);
        return { key, size: body.byteLength, lastModified: stats.mtime, metadata, body };
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw translate(error, `get object ${JSON.stringify(key)}`, { key });
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    try {
      const path = this.pathOf(key);
      const stats = await statIfPresent(path);
      if (!stats?.isFile()) return undefined;
      // The folder exists: a put of this key (a rewrite after a head, as the writer does) needs no mkdir.
      this.knownDirs.add(dirname(path));
      const metadata = await this.metadataOf(key, stats.ino, stats.size);
      return { key, size: stats.size, lastModified: stats.mtime, metadata };
    } catch (error) {
      throw translate(error, `head object ${JSON.stringify(key)}`, { key });
    }
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    validatePrefix(prefix);
    // No key has a segment starting with "." (those are the store's own files): nothing can match.
    if (prefix.split('/').some((segment) => segment.startsWith('.'))) return [];
    // Walk only the folder the prefix points into: listing `curated/` never touches `raw/`.
    const slash = prefix.lastIndexOf('/');
    const folder = slash === -1 ? '' : prefix.slice(0, slash + 1);
    const namePrefix = prefix.slice(folder.length);
    const found: ObjectSummary[] = [];
    try {
      await this.walk(folder, namePrefix, found);
    } catch (error) {
      throw translate(error, `list objects under ${JSON.stringify(prefix)}`, { prefix });
    }
    // Sort whole keys (S3 order): a folder-by-folder walk would put `p/x/y` before `p/x-y`.
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    try {
      await unlinkIfPresent(this.pathOf(key));
      this.metadataIndex?.remove(key);
      await unlinkIfPresent(this.sidecarPathOf(key));
      await this.pruneEmptyFolders(dirname(this.pathOf(key)), this.root);
      await this.pruneEmptyFolders(dirname(this.sidecarPathOf(key)), join(this.root, META_DIR));
    } catch (error) {
      throw translate(error, `delete object ${JSON.stringify(key)}`, { key });
    }
  }

  /**
   * Removes the `.tmp-*` files a killed process left behind (objects and sidecars); returns how many. With
   * `trackWrites`, only walks the tree when a `.writing` marker says a writer did not finish.
   */
  async sweepTemporaryFiles(): Promise<number> {
    const marker = join(this.root, WRITING_MARKER);
    if (this.trackWrites && this.writing === undefined && !(await statIfPresent(marker))) return 0;
    let removed = 0;
    const sweep = async (dir: string): Promise<void> => {
      const entries = await readdirIfPresent(dir);
      await Promise.all(
        entries.map(async (entry) => {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) return sweep(path);
          if (entry.name.startsWith(TEMP_PREFIX)) {
            await unlinkIfPresent(path);
            removed += 1;
          }
        }),
      );
    };
    try {
      await sweep(this.root);
      if (this.trackWrites && this.writing === undefined) await unlinkIfPresent(marker);
    } catch (error) {
      throw translate(error, `sweep temporary files in ${this.root}`, { root: this.root });
    }
    return removed;
  }

  /** With `trackWrites`: every put of this process is over; removes the `.writing` marker. */
  async releaseWrites(): Promise<void> {
    if (this.writing === undefined) return;
    await this.writing.catch(() => undefined);
    this.writing = undefined;
    await unlinkIfPresent(join(this.root, WRITING_MARKER));
  }

  /** Creates the `.writing` marker (fsynced, so it reaches the disk before any temporary file) once per process. */
  private markWriting(): Promise<void> {
    if (!this.trackWrites) return Promise.resolve();
    this.writing ??= (async () => {
      await this.ensureFolder(this.root);
      const handle = await open(join(this.root, WRITING_MARKER), 'w');
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    })().catch((error: unknown) => {
      this.writing = undefined;
      throw error;
    });
    return this.writing;
  }

  private pathOf(key: string): string {
    return join(this.root, key);
  }

  private sidecarPathOf(key: string): string {
    return join(this.root, META_DIR, `${key}.json`);
  }

  private async metadataOf(key: string, ino: number, size: number): Promise<ObjectMetadata> {
    const indexed = this.metadataIndex?.read(key);
    if (indexed) return indexed.ino === ino && indexed.size === size ? { ...indexed.metadata } : {};
    let text: string;
    try {
      text = await readFile(this.sidecarPathOf(key), 'utf8');
    } catch (error) {
      if (isMissing(error)) return {};
      throw error;
    }
    try {
      const sidecar = JSON.parse(text) as Partial<Sidecar>;
      if (sidecar.ino !== ino || sidecar.size !== size || typeof sidecar.metadata !== 'object') return {};
      return { ...sidecar.metadata };
    } catch {
      return {};
    }
  }

  /** Temp file in the target folder, fsync (unless told not to), rename. Returns the inode and size now at `path`. */
  private async writeAtomically(path: string, bytes: Uint8Array, sync = true): Promise<{ ino: number; size: number }> {
    const dir = dirname(path);
    const temp = join(dir, `${TEMP_PREFIX}${this.tempPrefix}${(this.tempCounter++).toString(36)}`);
    const handle = await this.openTemporary(dir, temp);
    try {
      let written: { ino: number; size: number };
      try {
        await handle.writeFile(bytes);
        if (sync) await handle.sync();
        written = await handle.stat();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      return { ino: written.ino, size: written.size };
    } catch (error) {
      await unlinkIfPresent(temp).catch(() => undefined);
      throw error;
    }
  }

  private async openTemporary(dir: string, temp: string): Promise<FileHandle> {
    await this.ensureFolder(dir);
    try {
      return await open(temp, 'wx');
    } catch (error) {
      if (!isMissing(error)) throw error;
      // The folder went away behind our back (a delete pruned it): make it again.
      this.knownDirs.delete(dir);
      await this.ensureFolder(dir);
      return open(temp, 'wx');
    }
  }

  private async ensureFolder(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  private async pruneEmptyFolders(dir: string, stopAt: string): Promise<void> {
    let current = dir;
    while (current.length > stopAt.length && current.startsWith(stopAt)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      this.knownDirs.delete(current);
      current = dirname(current);
    }
  }

  private async walk(folder: string, namePrefix: string, found: ObjectSummary[]): Promise<void> {
    const entries = await readdirIfPresent(join(this.root, folder));
    await Promise.all(
      entries.map(async (entry) => {
        const name = entry.name;
        if (!name.startsWith(namePrefix) || name.startsWith('.')) return;
        if (folder === '' && RESERVED_ROOT_FILE.test(name)) return;
        const key = `${folder}${name}`;
        if (entry.isDirectory()) return this.walk(`${key}/`, '', found);
        if (!entry.isFile()) return;
        const stats = await statIfPresent(join(this.root, key));
        if (stats?.isFile()) found.push({ key, size: stats.size, lastModified: stats.mtime });
      }),
    );
  }
}

/** Throws a one-line, non-retryable ObjectStoreError naming the key when it cannot be a file path in the store. */
export const validateKey = (key: string): void => {
  const problem = keyProblem(key);
  if (problem) throw new ObjectStoreError(`Invalid object key ${JSON.stringify(key)}: ${problem}.`, false, { key });
};

const keyProblem = (key: string): string | undefined => {
  if (key.length === 0) return 'the key is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'contains a NUL character';
  if (key.includes('\\')) return 'contains a backslash; use / between folders';
  if (key.startsWith('/')) return 'absolute paths are not keys; drop the leading /';
  const segments = key.split('/');
  if (segments.some((segment) => segment === '..')) return 'a ".." segment would leave the data directory';
  if (segments.some((segment) => segment === '')) return 'contains an empty segment (// or a trailing /)';
  if (segments.some((segment) => segment.startsWith('.'))) return 'segments starting with "." are reserved';
  if (segments.length === 1 && RESERVED_ROOT_FILE.test(key)) return 'the name is reserved for the SQLite database';
  return undefined;
};

const validatePrefix = (prefix: string): void => {
  let problem: string | undefined;
  if (prefix.includes('\0')) problem = 'contains a NUL character';
  else if (prefix.includes('\\')) problem = 'contains a backslash; use / between folders';
  else if (prefix.startsWith('/')) problem = 'absolute paths are not prefixes; drop the leading /';
  else if (prefix.split('/').some((segment) => segment === '..')) problem = 'a ".." segment would leave the store';
  if (problem) {
    throw new ObjectStoreError(`Invalid list prefix ${JSON.stringify(prefix)}: ${problem}.`, false, { prefix });
  }
};

const lowerCaseKeys = (metadata: ObjectMetadata): ObjectMetadata =>
  Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name.toLowerCase(), value]));

const errnoOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

const isMissing = (error: unknown): boolean => {
  const code = errnoOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
};

const RETRYABLE_ERRNO = new Set(['ENOSPC', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EDQUOT', 'ETIMEDOUT']);

/** fs errors -> ObjectStoreError: full disks and I/O errors may pass (retryable), permissions and shapes do not. */
const translate = (error: unknown, what: string, details: Record<string, unknown>): Error => {
  if (error instanceof ObjectStoreError) return error;
  const code = errnoOf(error);
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const hint =
    code === 'EISDIR'
      ? ' (a folder of that name holds other keys)'
      : code === 'ENOTDIR'
        ? ' (a parent of the key is an object, not a folder)'
        : '';
  return new ObjectStoreError(
    `Could not ${what}${hint}: ${reason}`,
    code !== undefined && RETRYABLE_ERRNO.has(code),
    { ...details, errno: code },
    { cause: error },
  );
};

const openIfPresent = async (path: string) => {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (isMissing(error) || errnoOf(error) === 'EISDIR') return undefined;
    throw error;
  }
};

const statIfPresent = async (path: string) => {
  try {
    return await stat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
};

const readdirIfPresent = async (dir: string): Promise<Dirent[]> => {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
};

const unlinkIfPresent = async (path: string): Promise<void> => {
  try {
    await unlink(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
};
