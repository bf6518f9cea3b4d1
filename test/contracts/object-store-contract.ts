import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from '#shared/ports/object-store.ts';

/**
 * The behaviour every ObjectStore adapter must share (the filesystem store, S3 against an S3-compatible server).
 * `setup` runs before each test; every test writes under its own random prefix, so a shared bucket is fine.
 */
export function describeObjectStoreContract(
  name: string,
  setup: () => Promise<{ store: ObjectStore; teardown?: () => Promise<void> }>,
): void {
  describe(`${name} (ObjectStore contract)`, () => {
    let store: ObjectStore;
    let teardown: (() => Promise<void>) | undefined;
    let ns: string;

    beforeEach(async () => {
      const created = await setup();
      store = created.store;
      teardown = created.teardown;
      ns = `contract-${randomUUID().slice(0, 8)}/`;
    });

    afterEach(async () => {
      await teardown?.();
    });

    const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

    it('returns the bytes that were put', async () => {
      const body = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);

      await store.put(`${ns}bytes.bin`, body);
      const stored = await store.get(`${ns}bytes.bin`);

      expect(stored?.key).toBe(`${ns}bytes.bin`);
      expect(stored?.size).toBe(7);
      expect(Buffer.from(stored?.body ?? []).equals(Buffer.from(body))).toBe(true);
      expect(stored?.lastModified).toBeInstanceOf(Date);
      expect(Number.isNaN(stored?.lastModified.getTime())).toBe(false);
    });

    it('stores a string as its UTF-8 bytes', async () => {
      const body = '{"series":"SP500","note":"€ 5 000 ✓"}';

      await store.put(`${ns}text.json`, body, { contentType: 'application/json' });
      const stored = await store.get(`${ns}text.json`);

      expect(text(stored?.body ?? new Uint8Array())).toBe(body);
      expect(stored?.size).toBe(Buffer.byteLength(body, 'utf8'));
    });

    it('round-trips user metadata', async () => {
      const metadata = { 'run-id': '20240102T030405Z-abc', 'row-hash': 'f00d', source: 'fred' };

      await store.put(`${ns}with-meta.json`, '{}', { metadata });
      const stored = await store.get(`${ns}with-meta.json`);
      const info = await store.head(`${ns}with-meta.json`);

      expect(stored?.metadata).toEqual(metadata);
      expect(info?.metadata).toEqual(metadata);
    });

    it('gives metadata keys back in lower case, as S3 does', async () => {
      await store.put(`${ns}mixed-case.json`, '{}', { metadata: { 'Run-Id': 'r1' } });

      const info = await store.head(`${ns}mixed-case.json`);

      expect(info?.metadata).toEqual({ 'run-id': 'r1' });
    });

    it('answers head with size and metadata but no body', async () => {
      await store.put(`${ns}head.txt`, 'hello', { metadata: { kind: 'greeting' } });

      const info = await store.head(`${ns}head.txt`);

      expect(info).toMatchObject({ key: `${ns}head.txt`, size: 5, metadata: { kind: 'greeting' } });
      expect(info?.lastModified).toBeInstanceOf(Date);
      expect((info as unknown as Record<string, unknown>).body).toBeUndefined();
    });

    it('answers get and head of a missing key with undefined', async () => {
      await store.put(`${ns}present.txt`, 'x');

      const got = await store.get(`${ns}absent.txt`);
      const headed = await store.head(`${ns}absent.txt`);
      const nested = await store.get(`${ns}no/such/folder/file.txt`);

      expect(got).toBeUndefined();
      expect(headed).toBeUndefined();
      expect(nested).toBeUndefined();
    });

    it('replaces the whole object and its metadata on overwrite', async () => {
      await store.put(`${ns}over.txt`, 'a much longer first version', { metadata: { version: '1' } });

      await store.put(`${ns}over.txt`, 'v2');
      const stored = await store.get(`${ns}over.txt`);

      expect(text(stored?.body ?? new Uint8Array())).toBe('v2');
      expect(stored?.size).toBe(2);
      expect(stored?.metadata).toEqual({});
    });

    it('lists the keys under a prefix, sorted, with their sizes', async () => {
      await store.put(`${ns}a/2`, '22');
      await store.put(`${ns}a/10`, '1010');
      await store.put(`${ns}a/1`, '1');
      await store.put(`${ns}ab/x`, 'xyz');
      await store.put(`${ns}b/1`, 'b');

      const underA = await store.list(`${ns}a/`);
      const startingWithA = await store.list(`${ns}a`);

      expect(underA.map((o) => [o.key.slice(ns.length), o.size])).toEqual([
        ['a/1', 1],
        ['a/10', 4],
        ['a/2', 2],
      ]);
      expect(startingWithA.map((o) => o.key.slice(ns.length))).toEqual(['a/1', 'a/10', 'a/2', 'ab/x']);
      expect(underA.every((o) => o.lastModified instanceof Date)).toBe(true);
    });

    it('sorts listed keys by the whole key, not folder by folder', async () => {
      await store.put(`${ns}p/x/y`, '1');
      await store.put(`${ns}p/x-y`, '2');
      await store.put(`${ns}p/x.z`, '3');

      const listed = await store.list(`${ns}p/`);

      expect(listed.map((o) => o.key.slice(ns.length))).toEqual(['p/x-y', 'p/x.z', 'p/x/y']);
    });

    it('lists nothing for a prefix that matches no key', async () => {
      await store.put(`${ns}present/one`, '1');

      const listed = await store.list(`${ns}absent/`);

      expect(listed).toEqual([]);
    });

    it('lists more than 1,000 keys (every page)', async () => {
      const keys = Array.from({ length: 1_100 }, (_, i) => `${ns}many/k-${String(i).padStart(4, '0')}.json`);
      await inBatches(keys, 25, (key) => store.put(key, '{}'));

      const listed = await store.list(`${ns}many/`);

      expect(listed).toHaveLength(1_100);
      expect(listed.map((o) => o.key)).toEqual(keys);
      expect(listed.every((o) => o.size === 2)).toBe(true);
    });

    it('deletes an object, and deleting a missing key is not an error', async () => {
      await store.put(`${ns}gone.txt`, 'bye', { metadata: { a: 'b' } });

      await store.delete(`${ns}gone.txt`);
      await store.delete(`${ns}gone.txt`);
      await store.delete(`${ns}never/was.txt`);

      expect(await store.get(`${ns}gone.txt`)).toBeUndefined();
      expect(await store.head(`${ns}gone.txt`)).toBeUndefined();
      expect(await store.list(`${ns}gone`)).toEqual([]);
    });

    it('keeps keys with "=" and nested folders (Hive-style partitions)', async () => {
      const key = `${ns}curated/fred_daily/date=2024-01-02/data.parquet`;
      const other = `${ns}curated/fred_daily/date=2024-01-03/data.parquet`;

      await store.put(key, new Uint8Array([80, 65, 82, 49]));
      await store.put(other, new Uint8Array([80, 65, 82, 49, 0]));
      const listed = await store.list(`${ns}curated/fred_daily/date=2024-01-0`);
      const stored = await store.get(key);

      expect(listed.map((o) => o.key)).toEqual([key, other]);
      expect(stored?.key).toBe(key);
      expect(stored?.size).toBe(4);
    });

    it('round-trips a 6 MiB body byte for byte', async () => {
      const body = new Uint8Array(randomBytes(6 * 1024 * 1024));

      await store.put(`${ns}big.bin`, body, { metadata: { part: 'many' } });
      const stored = await store.get(`${ns}big.bin`);
      const info = await store.head(`${ns}big.bin`);

      expect(stored?.size).toBe(body.byteLength);
      expect(info?.size).toBe(body.byteLength);
      expect(info?.metadata).toEqual({ part: 'many' });
      expect(Buffer.from(stored?.body ?? []).equals(Buffer.from(body))).toBe(true);
    });
  });
}

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(run));
  }
}
