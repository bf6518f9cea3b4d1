import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DailyValues } from '#shared/domain/daily-rows.ts';
import { partitionKey } from '#shared/domain/keys.ts';
import { PartitionInvalidError } from '#shared/errors.ts';
import { decodePartitionFile, encodePartitionFile, type PartitionProvenance } from '#shared/parquet/partition-file.ts';
import { CODE_VERSION } from '#shared/version.ts';

const values: DailyValues = {
  sp500_daily_price: 4769.83,
  sp500_daily_percentage_change: 0.1 + 0.2,
  cpi_level: 308.742,
  cpi_annual_percentage_change: null,
};

const provenance: PartitionProvenance = {
  date: '2024-01-02',
  rowHash: 'ab'.repeat(32),
  runId: '20240103T120000Z-a1b2c3',
  sources: [
    'raw/runs/20240103T120000Z-a1b2c3/SP500/page-0001.json',
    'raw/runs/20240103T120000Z-a1b2c3/CPIAUCSL/page-0001.json',
  ],
};

let dir: string;
let instance: DuckDBInstance;
let db: DuckDBConnection;

const query = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjects();

const writeTo = async (path: string, bytes: Uint8Array): Promise<string> => {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fredlake-partition-'));
  instance = await DuckDBInstance.create();
  db = await instance.connect();
});

afterAll(async () => {
  db.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('encodePartitionFile', () => {
  it('writes one row of exactly the four DOUBLE columns, no date column, that DuckDB reads back exactly', async () => {
    const path = await writeTo(join(dir, 'one.parquet'), encodePartitionFile(values, provenance));

    const columns = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const rows = await query(`SELECT * FROM read_parquet('${path}')`);

    expect(columns.map((c) => [c.column_name, c.column_type])).toEqual([
      ['sp500_daily_price', 'DOUBLE'],
      ['sp500_daily_percentage_change', 'DOUBLE'],
      ['cpi_level', 'DOUBLE'],
      ['cpi_annual_percentage_change', 'DOUBLE'],
    ]);
    expect(rows).toEqual([
      {
        sp500_daily_price: 4769.83,
        sp500_daily_percentage_change: 0.30000000000000004,
        cpi_level: 308.742,
        cpi_annual_percentage_change: null,
      },
    ]);
  });

  it('declares the SP500 columns required and the CPI columns optional, compressed with ZSTD', async () => {
    const path = await writeTo(join(dir, 'schema.parquet'), encodePartitionFile(values, provenance));

    const schema = await query(
      `SELECT name, type, repetition_type FROM parquet_schema('${path}') WHERE type IS NOT NULL ORDER BY name`,
    );
    const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);

    expect(schema).toEqual([
      { name: 'cpi_annual_percentage_change', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'cpi_level', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'sp500_daily_percentage_change', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      { name: 'sp500_daily_price', type: 'DOUBLE', repetition_type: 'REQUIRED' },
    ]);
    expect(codecs).toEqual([{ compression: 'ZSTD' }]);
  });

  it('puts the provenance in the key-value metadata', async () => {
    const path = await writeTo(join(dir, 'metadata.parquet'), encodePartitionFile(values, provenance));

    const entries = await query(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${path}')
       WHERE decode(key) LIKE 'fredlake.%' ORDER BY key`,
    );

    expect(entries).toEqual([
      { key: 'fredlake.code_version', value: CODE_VERSION },
      { key: 'fredlake.date', value: '2024-01-02' },
      { key: 'fredlake.row_hash', value: 'ab'.repeat(32) },
      { key: 'fredlake.run_id', value: '20240103T120000Z-a1b2c3' },
      {
        key: 'fredlake.sources',
        value:
          '["raw/runs/20240103T120000Z-a1b2c3/SP500/page-0001.json","raw/runs/20240103T120000Z-a1b2c3/CPIAUCSL/page-0001.json"]',
      },
    ]);
  });

  it('gives identical bytes for the same values and provenance, call after call', () => {
    const files = Array.from({ length: 20 }, () => encodePartitionFile({ ...values }, { ...provenance }));

    const distinct = new Set(files.map((bytes) => Buffer.from(bytes).toString('base64')));

    expect(distinct.size).toBe(1);
  });

  it('gives other bytes when only the provenance differs', () => {
    const a = encodePartitionFile(values, provenance);

    const b = encodePartitionFile(values, { ...provenance, runId: '20240104T120000Z-d4e5f6' });

    expect(Buffer.compare(a, b)).not.toBe(0);
  });

  it('refuses a price that is not a finite number', () => {
    const broken = { ...values, sp500_daily_price: Number.NaN };

    const encode = () => encodePartitionFile(broken, provenance);

    expect(encode).toThrow(PartitionInvalidError);
    expect(encode).toThrow('Cannot write partition 2024-01-02: sp500_daily_price is NaN, expected a finite number.');
  });

  it('makes a hive tree that DuckDB reads with date typed DATE and the right values per date', async () => {
    const root = join(dir, 'lake');
    const days: [string, DailyValues][] = [
      [
        '2024-01-31',
        {
          sp500_daily_price: 4845.65,
          sp500_daily_percentage_change: -1.5,
          cpi_level: 309.685,
          cpi_annual_percentage_change: 3.1,
        },
      ],
      [
        '2024-02-01',
        {
          sp500_daily_price: 4906.19,
          sp500_daily_percentage_change: 1.25,
          cpi_level: null,
          cpi_annual_percentage_change: null,
        },
      ],
      [
        '2024-02-03',
        {
          sp500_daily_price: 4958.61,
          sp500_daily_percentage_change: 0,
          cpi_level: null,
          cpi_annual_percentage_change: null,
        },
      ],
    ];
    for (const [date, row] of days) {
      await writeTo(join(root, partitionKey(date)), encodePartitionFile(row, { ...provenance, date }));
    }
    const source = `read_parquet('${root}/curated/fred_daily/*/*.parquet', hive_partitioning=true)`;

    const columns = await query(`DESCRIBE SELECT * FROM ${source}`);
    const rows = await query(
      `SELECT strftime(date, '%Y-%m-%d') AS day, typeof(date) AS date_type, * EXCLUDE (date) FROM ${source} ORDER BY date`,
    );

    expect(columns.find((c) => c.column_name === 'date')?.column_type).toBe('DATE');
    expect(columns).toHaveLength(5);
    expect(rows).toEqual(days.map(([day, row]) => ({ day, date_type: 'DATE', ...row })));
  });
});

describe('decodePartitionFile', () => {
  it('reads back the values and the provenance metadata it was written with', () => {
    const bytes = encodePartitionFile(values, provenance);

    const decoded = decodePartitionFile(bytes);

    expect(decoded.values).toEqual(values);
    expect(decoded.metadata).toEqual({
      'fredlake.code_version': CODE_VERSION,
      'fredlake.date': '2024-01-02',
      'fredlake.row_hash': 'ab'.repeat(32),
      'fredlake.run_id': '20240103T120000Z-a1b2c3',
      'fredlake.sources': JSON.stringify(provenance.sources),
    });
  });

  it('reads a conforming file written by another writer', async () => {
    const path = join(dir, 'duckdb-written.parquet');
    await query(`COPY (SELECT 100.0::DOUBLE AS sp500_daily_price, 0.0::DOUBLE AS sp500_daily_percentage_change,
      NULL::DOUBLE AS cpi_level, 2.5::DOUBLE AS cpi_annual_percentage_change) TO '${path}' (FORMAT parquet)`);

    const decoded = decodePartitionFile(await readFile(path));

    expect(decoded.values).toEqual({
      sp500_daily_price: 100,
      sp500_daily_percentage_change: 0,
      cpi_level: null,
      cpi_annual_percentage_change: 2.5,
    });
  });

  it('refuses bytes that are not Parquet', () => {
    const garbage = new TextEncoder().encode('this is not a parquet file');

    const decode = () => decodePartitionFile(garbage);

    expect(decode).toThrow(PartitionInvalidError);
    expect(decode).toThrow(/^Partition file of 26 bytes is not readable Parquet: /);
  });

  it.each([
    [
      'two rows',
      `SELECT * FROM (VALUES (1.0, 0.0, NULL, NULL), (2.0, 0.0, NULL, NULL)) AS t(sp500_daily_price,
        sp500_daily_percentage_change, cpi_level, cpi_annual_percentage_change)`,
      'Partition file holds 2 rows, expected exactly 1.',
    ],
    [
      'a missing column',
      'SELECT 1.0::DOUBLE AS sp500_daily_price, 0.0::DOUBLE AS sp500_daily_percentage_change, NULL::DOUBLE AS cpi_level',
      'Partition file has columns [sp500_daily_price, sp500_daily_percentage_change, cpi_level], expected exactly',
    ],
    [
      'a date column',
      `SELECT DATE '2024-01-02' AS date, 1.0::DOUBLE AS sp500_daily_price, 0.0::DOUBLE AS sp500_daily_percentage_change,
        NULL::DOUBLE AS cpi_level, NULL::DOUBLE AS cpi_annual_percentage_change`,
      'Partition file has columns [date, sp500_daily_price,',
    ],
    [
      'a column that is not DOUBLE',
      `SELECT '1.0' AS sp500_daily_price, 0.0::DOUBLE AS sp500_daily_percentage_change,
        NULL::DOUBLE AS cpi_level, NULL::DOUBLE AS cpi_annual_percentage_change`,
      'Partition file column sp500_daily_price is Utf8, expected DOUBLE.',
    ],
    [
      'a null price',
      `SELECT NULL::DOUBLE AS sp500_daily_price, 0.0::DOUBLE AS sp500_daily_percentage_change,
        NULL::DOUBLE AS cpi_level, NULL::DOUBLE AS cpi_annual_percentage_change`,
      'Partition file column sp500_daily_price is null, expected a number.',
    ],
  ])('refuses a Parquet file with %s', async (what, select, message) => {
    const path = join(dir, `${what.replaceAll(' ', '-')}.parquet`);
    await query(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
    const bytes = await readFile(path);

    const decode = () => decodePartitionFile(bytes);

    expect(decode).toThrow(PartitionInvalidError);
    expect(decode).toThrow(message);
  });
});
