import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '#shared/adapters/local/fs-object-store.ts';
import { type Database, openDatabase } from '#shared/adapters/local/sqlite-database.ts';
import { SqliteObjectMetadata } from '#shared/adapters/local/sqlite-object-metadata.ts';
import { ObjectStoreError } from '#shared/errors.ts';
import { describeObjectStoreContract } from '#test/contracts/object-store-contract.ts';

const makeTempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'fredlake-fs-store-'));

describeObjectStoreContract('FsObjectStore', async () => {
  const root = await makeTempDir();
  return { store: new FsObjectStore(root), teardown: () => rm(root, { recursive: true, force: true }) };
});

describeObjectStoreContract('FsObjectStore with its metadata in SQLite', async () => {
  const root = await makeTempDir();
  const db = openDatabase(root);
  return {
    store: new FsObjectStore(root, { metadataIndex: new SqliteObjectMetadata(db) }),
    teardown: async () => {
      db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('FsObjectStore with its metadata in SQLite', () => {
  let root: string;
  let db: Database;

  beforeEach(async () => {
    root = await makeTempDir();
    db = openDatabase(root);
  });

  afterEach(async () => {
    db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes no sidecar file, and still reads the sidecars of objects written before', async () => {
    await new FsObjectStore(root).put('raw/old.json', '{}', { metadata: { era: 'sidecar' } });
    const store = new FsObjectStore(root, { metadataIndex: new SqliteObjectMetadata(db) });

    await store.put('raw/new.json', '{}', { metadata: { era: 'sqlite' } });

    expect((await store.head('raw/old.json'))?.metadata).toEqual({ era: 'sidecar' });
    expect((await store.head('raw/new.json'))?.metadata).toEqual({ era: 'sqlite' });
    expect(await readdir(join(root, '.meta/raw'))).toEqual(['old.json.json']);
  });

  it('ignores metadata whose object file was replaced behind its back', async () => {
    const store = new FsObjectStore(root, { metadataIndex: new SqliteObjectMetadata(db) });
    await store.put('state/fred_daily.json', '{"v":1}', { metadata: { version: '1' } });
    await writeFile(join(root, 'state/replacement'), '{"v":1}');
    await rename(join(root, 'state/replacement'), join(root, 'state/fred_daily.json'));

    const info = await store.head('state/fred_daily.json');

    expect(info?.metadata).toEqual({});
  });

  it('forgets the metadata with the object', async () => {
    const index = new SqliteObjectMetadata(db);
    const store = new FsObjectStore(root, { metadataIndex: index });
    await store.put('raw/a.json', '{}', { metadata: { a: 'b' } });

    await store.delete('raw/a.json');

    expect(index.read('raw/a.json')).toBeUndefined();
  });
});

describe('FsObjectStore tracking its writes', () => {
  let root: string;

  beforeEach(async () => {
    root = await makeTempDir();
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('sweeps after a writer that never finished, and skips the walk after one that did', async () => {
    const killed = new FsObjectStore(root, { trackWrites: true });
    await killed.put('curated/fred_daily/date=2024-01-02/data.parquet', 'x');
    await writeFile(join(root, 'curated/fred_daily/date=2024-01-02/.tmp-0001'), 'partial');

    const afterKill = await new FsObjectStore(root, { trackWrites: true }).sweepTemporaryFiles();
    const finished = new FsObjectStore(root, { trackWrites: true });
    await finished.put('raw/a.json', '{}');
    await finished.releaseWrites();
    await writeFile(join(root, 'raw/.tmp-0002'), 'not left by a writer of this store');
    const afterClean = await new FsObjectStore(root, { trackWrites: true }).sweepTemporaryFiles();

    expect(afterKill).toBe(1);
    expect(await readdir(join(root, 'curated/fred_daily/date=2024-01-02'))).toEqual(['data.parquet']);
    expect(afterClean).toBe(0);
    expect(await readdir(root)).toEqual(['curated', 'raw']);
  });

  it('removes its marker when its puts are over', async () => {
    const store = new FsObjectStore(root, { trackWrites: true });
    await store.put('raw/a.json', '{}');
    const during = await readdir(root);

    await store.releaseWrites();

    expect(during).toContain('.writing');
    expect(await readdir(root)).toEqual(['raw']);
  });
});

describe('FsObjectStore (local specifics)', () => {
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    root = await makeTempDir();
    store = new FsObjectStore(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['../escape.json', '".." segment'],
    ['raw/../../etc/passwd', '".." segment'],
    ['/etc/passwd', 'absolute'],
    ['raw/nul\0byte', 'NUL'],
    ['raw\\windows\\path', 'backslash'],
    ['raw//double', 'empty segment'],
    ['raw/trailing/', 'empty segment'],
    ['', 'empty'],
    ['.meta/raw/x.json', 'reserved'],
    ['raw/.tmp-abc', 'reserved'],
    ['.lock', 'reserved'],
    ['fredlake.sqlite-wal', 'reserved'],
    [`raw/${'x'.repeat(1100)}`, '1024 bytes'],
  ])('refuses the key %j with a one-line error naming it', async (key, reason) => {
    const attempt = store.put(key, 'x');

    const error = await attempt.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ObjectStoreError);
    const refused = error as ObjectStoreError;
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain(JSON.stringify(key));
    expect(refused.message).toContain(reason);
    expect(refused.message.split('\n')).toHaveLength(1);
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses bad keys on every operation, not only put', async () => {
    const bad = '../outside';

    const results = await Promise.allSettled([store.get(bad), store.head(bad), store.delete(bad), store.list('../')]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  });

  it('never lists temporary files, sidecars, the lock or the SQLite files', async () => {
    await store.put('raw/runs/r1/SP500/page-0001.json', '{}', { metadata: { sha256: 'abc' } });
    await writeFile(join(root, 'raw/runs/r1/SP500/.tmp-deadbeef'), 'half written');
    await writeFile(join(root, '.lock'), '{"pid":1}');
    await writeFile(join(root, 'fredlake.sqlite'), '');
    await writeFile(join(root, 'fredlake.sqlite-wal'), '');

    const everything = await store.list('');
    const sidecars = await store.list('.meta/');
    const temporary = await store.list('raw/runs/r1/SP500/.tmp');

    expect(everything.map((o) => o.key)).toEqual(['raw/runs/r1/SP500/page-0001.json']);
    expect(sidecars).toEqual([]);
    expect(temporary).toEqual([]);
  });

  it('sweeps the temporary files a killed process left, and only those', async () => {
    await store.put('curated/fred_daily/date=2024-01-02/data.parquet', 'PAR1', { metadata: { rows: '1' } });
    await writeFile(join(root, 'curated/fred_daily/date=2024-01-02/.tmp-0001'), 'partial');
    await writeFile(join(root, '.meta/curated/fred_daily/date=2024-01-02/.tmp-0002'), '{"meta');

    const removed = await store.sweepTemporaryFiles();

    expect(removed).toBe(2);
    expect(await readdir(join(root, 'curated/fred_daily/date=2024-01-02'))).toEqual(['data.parquet']);
    expect((await store.head('curated/fred_daily/date=2024-01-02/data.parquet'))?.metadata).toEqual({ rows: '1' });
  });

  it('leaves no temporary file behind after puts', async () => {
    await store.put('state/fred_daily.json', '{"v":1}', { metadata: { v: '1' } });
    await store.put('state/fred_daily.json', '{"v":2}', { metadata: { v: '2' } });

    const removed = await store.sweepTemporaryFiles();

    expect(removed).toBe(0);
    expect(await readdir(join(root, 'state'))).toEqual(['fred_daily.json']);
  });

  it('ignores metadata whose object file was replaced behind its back (a crash between the renames)', async () => {
    await store.put('state/fred_daily.json', '{"v":1}', { metadata: { version: '1' } });
    const path = join(root, 'state/fred_daily.json');
    await writeFile(join(root, 'state/replacement'), '{"v":2}');
    await rename(join(root, 'state/replacement'), path);

    const info = await store.head('state/fred_daily.json');
    const stored = await store.get('state/fred_daily.json');

    expect(info?.size).toBe(7);
    expect(info?.metadata).toEqual({});
    expect(stored?.metadata).toEqual({});
    expect(new TextDecoder().decode(stored?.body)).toBe('{"v":2}');
  });

  it('writes the dataset as plain files that other tools read directly', async () => {
    const parquet = new Uint8Array([0x50, 0x41, 0x52, 0x31, 1, 2, 3, 0x50, 0x41, 0x52, 0x31]);

    await store.put('curated/fred_daily/date=2024-01-02/data.parquet', parquet, { metadata: { rows: '1' } });

    const onDisk = await readFile(join(root, 'curated/fred_daily/date=2024-01-02/data.parquet'));
    expect(new Uint8Array(onDisk)).toEqual(parquet);
    expect(await readdir(join(root, 'curated/fred_daily'))).toEqual(['date=2024-01-02']);
    const sidecar = JSON.parse(
      await readFile(join(root, '.meta/curated/fred_daily/date=2024-01-02/data.parquet.json'), 'utf8'),
    );
    expect(sidecar).toMatchObject({ metadata: { rows: '1' }, size: parquet.byteLength });
  });

  it('removes the sidecar and empty folders with the object', async () => {
    await store.put('raw/runs/r1/SP500/page-0001.json', '{}', { metadata: { a: 'b' } });

    await store.delete('raw/runs/r1/SP500/page-0001.json');

    expect(await readdir(root)).toEqual(['.meta']);
    expect(await readdir(join(root, '.meta'))).toEqual([]);
    await store.put('raw/runs/r1/SP500/page-0001.json', '{}');
    expect((await stat(join(root, 'raw/runs/r1/SP500/page-0001.json'))).size).toBe(2);
  });

  it('tells the local runtime about each put, after the object is readable', async () => {
    const seen: Array<{ key: string; readable: boolean }> = [];
    const watched: FsObjectStore = new FsObjectStore(root, {
      onPut: async (key) => {
        seen.push({ key, readable: (await watched.head(key)) !== undefined });
      },
    });

    await watched.put('raw/manifests/r1.json', '{}');
    await watched.delete('raw/manifests/r1.json');

    expect(seen).toEqual([{ key: 'raw/manifests/r1.json', readable: true }]);
  });

  it('fails a put where a folder of the same name holds other keys, saying so', async () => {
    await store.put('raw/runs/r1/page.json', '{}');

    const attempt = store.put('raw/runs/r1', 'clash');

    await expect(attempt).rejects.toThrow(/raw\/runs\/r1.*folder of that name/);
  });
});
