import {
  Table as ArrowTable,
  DataType,
  Field,
  Float64,
  makeData,
  Precision,
  RecordBatch,
  Schema,
  Struct,
  tableFromIPC,
  tableToIPC,
} from 'apache-arrow';
import { Compression, readParquet, Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { COLUMNS, type Column, type DailyValues } from '#shared/domain/daily-rows.ts';
import { describeError, PartitionInvalidError } from '#shared/errors.ts';
import { CODE_VERSION } from '#shared/version.ts';
import { sortKeyValueMetadata } from './footer.ts';

/**
 * One partition of `fred_daily` is one Parquet file holding one row: the four DOUBLE columns of COLUMNS, the CPI two
 * nullable, and no `date` column (the date is the hive partition `date=YYYY-MM-DD`). Where the row came from travels
 * in the file's key-value metadata, never in columns. The same values and provenance always give the same bytes
 * (the key-value entries are sorted by key after writing: parquet-wasm emits them in hash order).
 */
export interface PartitionProvenance {
  date: string;
  rowHash: string;
  runId: string;
  /** Raw landing-zone keys the row was computed from. */
  sources: readonly string[];
}

export interface DecodedPartition {
  values: DailyValues;
  metadata: Record<string, string>;
}

export const METADATA_KEYS = {
  date: 'fredlake.date',
  rowHash: 'fredlake.row_hash',
  runId: 'fredlake.run_id',
  sources: 'fredlake.sources',
  codeVersion: 'fredlake.code_version',
} as const;

const NULLABLE: Readonly<Record<Column, boolean>> = {
  sp500_daily_price: false,
  sp500_daily_percentage_change: false,
  cpi_level: true,
  cpi_annual_percentage_change: true,
};

interface Layout {
  schema: Schema;
  rowType: Struct;
}

let layout: Layout | undefined;

/** The Arrow schema, built once: a backfill writes thousands of files. */
const getLayout = (): Layout => {
  if (layout === undefined) {
    const fields = COLUMNS.map((column) => new Field(column, new Float64(), NULLABLE[column]));
    layout = { schema: new Schema(fields), rowType: new Struct(fields) };
  }
  return layout;
};

/**
 * parquet-wasm's writeParquet consumes its WriterProperties (and the key-value metadata differs per file), so
 * properties cannot be shared between calls; the builder is cheap next to the write itself.
 */
const writerProperties = (provenance: PartitionProvenance) =>
  new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setKeyValueMetadata(
      new Map([
        [METADATA_KEYS.date, provenance.date],
        [METADATA_KEYS.rowHash, provenance.rowHash],
        [METADATA_KEYS.runId, provenance.runId],
        [METADATA_KEYS.sources, JSON.stringify(provenance.sources)],
        [METADATA_KEYS.codeVersion, CODE_VERSION],
      ]),
    )
    .build();

const column = (value: number | null) =>
  makeData({
    type: new Float64(),
    length: 1,
    nullCount: value === null ? 1 : 0,
    data: new Float64Array([value ?? 0]),
    ...(value === null ? { nullBitmap: new Uint8Array([0]) } : {}),
  });

const checkWritable = (values: DailyValues, date: string): void => {
  for (const name of COLUMNS) {
    const value = values[name];
    if (value === null && NULLABLE[name]) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new PartitionInvalidError(
        `Cannot write partition ${date}: ${name} is ${String(value)}, expected a finite number${NULLABLE[name] ? ' or null' : ''}.`,
        { date, column: name },
      );
    }
  }
};

/** The Parquet bytes of one partition (ZSTD, one row group of one row). */
export const encodePartitionFile = (values: DailyValues, provenance: PartitionProvenance): Uint8Array => {
  checkWritable(values, provenance.date);
  const { schema, rowType } = getLayout();
  const children = COLUMNS.map((name) => column(values[name]));
  const batch = new RecordBatch(schema, makeData({ type: rowType, length: 1, nullCount: 0, children }));
  const table = Table.fromIPCStream(tableToIPC(new ArrowTable(schema, batch), 'stream'));
  return sortKeyValueMetadata(writeParquet(table, writerProperties(provenance)));
};

const invalid = (message: string, details: Record<string, unknown> = {}, cause?: unknown): PartitionInvalidError =>
  new PartitionInvalidError(message, details, cause === undefined ? undefined : { cause });

const readTable = (bytes: Uint8Array) => {
  try {
    return tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (cause) {
    throw invalid(
      `Partition file of ${bytes.byteLength} bytes is not readable Parquet: ${describeError(cause)}`,
      { bytes: bytes.byteLength },
      cause,
    );
  }
};

/**
 * Reads a partition file back: its four values and its key-value metadata (without Arrow's own `ARROW:schema`).
 * Throws PartitionInvalidError unless it is one row of exactly the four DOUBLE columns, the SP500 two not null.
 */
export const decodePartitionFile = (bytes: Uint8Array): DecodedPartition => {
  const table = readTable(bytes);

  if (table.numRows !== 1) throw invalid(`Partition file holds ${table.numRows} rows, expected exactly 1.`);
  const names = table.schema.fields.map((field) => field.name);
  const expected = [...COLUMNS].sort().join(',');
  if (names.length !== COLUMNS.length || [...names].sort().join(',') !== expected) {
    throw invalid(`Partition file has columns [${names.join(', ')}], expected exactly [${COLUMNS.join(', ')}].`, {
      columns: names,
    });
  }
  for (const field of table.schema.fields) {
    if (!DataType.isFloat(field.type) || field.type.precision !== Precision.DOUBLE) {
      throw invalid(`Partition file column ${field.name} is ${String(field.type)}, expected DOUBLE.`);
    }
  }

  const cell = (name: Column): unknown => table.getChild(name)?.get(0) ?? null;
  const nullable = (name: Column): number | null => {
    const value = cell(name);
    return typeof value === 'number' ? value : null;
  };
  const required = (name: Column): number => {
    const value = cell(name);
    if (typeof value !== 'number') throw invalid(`Partition file column ${name} is null, expected a number.`);
    return value;
  };
  const values: DailyValues = {
    sp500_daily_price: required('sp500_daily_price'),
    sp500_daily_percentage_change: required('sp500_daily_percentage_change'),
    cpi_level: nullable('cpi_level'),
    cpi_annual_percentage_change: nullable('cpi_annual_percentage_change'),
  };
  const metadata = Object.fromEntries([...table.schema.metadata].filter(([key]) => key !== 'ARROW:schema'));
  return { values, metadata };
};
