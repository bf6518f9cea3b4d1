import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionInvalidError } from '#shared/errors.ts';
import { sortKeyValueMetadata } from '#shared/parquet/footer.ts';

let dir: string;
let instance: DuckDBInstance;
let db: DuckDBConnection;

const query = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjects();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fredlake-footer-'));
  instance = await DuckDBInstance.create();
  db = await instance.connect();
});

afterAll(async () => {
  db.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

const KEYS = ['zeta', 'alpha', 'mu', 'beta', 'omega', 'kappa', 'delta', 'epsilon'];

const writeWithMetadata = (): Uint8Array => {
  const arrow = tableFromArrays({ x: Float64Array.from([1.5, 2.5, 3.5]) });
  const metadata = new Map(KEYS.map((key) => [key, `value of ${key}`]));
  const properties = new WriterPropertiesBuilder().setKeyValueMetadata(metadata).build();
  return writeParquet(Table.fromIPCStream(tableToIPC(arrow, 'stream')), properties);
};

describe('sortKeyValueMetadata', () => {
  it('orders the key-value entries by key and leaves the file readable with the same data and entries', async () => {
    const bytes = writeWithMetadata();
    const length = bytes.length;
    const path = join(dir, 'sorted.parquet');

    await writeFile(path, sortKeyValueMetadata(bytes));

    const entries = await query(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${path}')`,
    );
    const rows = await query(`SELECT x FROM read_parquet('${path}')`);
    expect(bytes.length).toBe(length);
    expect(entries.map((entry) => entry.key)).toEqual(['ARROW:schema', ...[...KEYS].sort()]);
    expect(entries.find((entry) => entry.key === 'mu')?.value).toBe('value of mu');
    expect(rows).toEqual([{ x: 1.5 }, { x: 2.5 }, { x: 3.5 }]);
  });

  it('makes files with the same entries byte-identical whatever order they were written in', () => {
    const files = Array.from({ length: 10 }, () => sortKeyValueMetadata(writeWithMetadata()));

    const distinct = new Set(files.map((bytes) => Buffer.from(bytes).toString('base64')));

    expect(distinct.size).toBe(1);
  });

  it('leaves a file without key-value metadata as it was', async () => {
    const path = join(dir, 'plain.parquet');
    await query(`COPY (SELECT 1.0::DOUBLE AS x) TO '${path}' (FORMAT parquet)`);
    const bytes = new Uint8Array(await readFile(path));
    const copy = bytes.slice();

    const result = sortKeyValueMetadata(bytes);

    expect(Buffer.compare(result, copy)).toBe(0);
  });

  it('refuses bytes that do not end like a Parquet file', () => {
    const garbage = new TextEncoder().encode('not a parquet file at all');

    const sort = () => sortKeyValueMetadata(garbage);

    expect(sort).toThrow(PartitionInvalidError);
    expect(sort).toThrow('Parquet footer is malformed: no PAR1 trailer.');
  });
});
