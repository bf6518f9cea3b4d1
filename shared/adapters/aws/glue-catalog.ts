import {
  BatchCreatePartitionCommand,
  GetPartitionsCommand,
  type GlueClient,
  type PartitionError,
  type PartitionInput,
} from '@aws-sdk/client-glue';
import { CatalogError } from '#shared/errors.ts';
import type { Catalog } from '#shared/ports/catalog.ts';
import { toCatalogError } from './errors.ts';

/** BatchCreatePartition accepts at most 100 partitions per call. */
export const GLUE_MAX_PARTITIONS_PER_BATCH = 100;

export const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
export const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
export const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/** The data columns of fred_daily, in file order (the partition column `date` is the table's partition key). */
export const FRED_DAILY_COLUMNS = [
  { Name: 'sp500_daily_price', Type: 'double' },
  { Name: 'sp500_daily_percentage_change', Type: 'double' },
  { Name: 'cpi_level', Type: 'double' },
  { Name: 'cpi_annual_percentage_change', Type: 'double' },
] as const;

/** Entry errors Glue may clear up by itself; anything else (missing table, bad input) needs a person. */
const TRANSIENT_ENTRY_ERRORS = new Set([
  'InternalServiceException',
  'OperationTimeoutException',
  'ThrottlingException',
  'ConcurrentModificationException',
  'ResourceNumberLimitExceededException',
]);

export interface GlueCatalogOptions {
  database: string;
  table: string;
  /** The table's location, e.g. `s3://bucket/curated/fred_daily/` (a trailing slash is added when missing). */
  location: string;
}

/** The Glue Data Catalog's partitions of one table, partitioned by `date` (YYYY-MM-DD). */
export class GlueCatalog implements Catalog {
  private readonly database: string;
  private readonly table: string;
  private readonly location: string;

  constructor(
    private readonly client: GlueClient,
    options: GlueCatalogOptions,
  ) {
    this.database = options.database;
    this.table = options.table;
    this.location = options.location.endsWith('/') ? options.location : `${options.location}/`;
  }

  /** The partition Glue should know for one date (exported for tests and the stack's docs). */
  partitionInput(date: string): PartitionInput {
    return {
      Values: [date],
      StorageDescriptor: {
        Columns: FRED_DAILY_COLUMNS.map((column) => ({ ...column })),
        Location: `${this.location}date=${date}/`,
        InputFormat: PARQUET_INPUT_FORMAT,
        OutputFormat: PARQUET_OUTPUT_FORMAT,
        Compressed: false,
        SerdeInfo: { SerializationLibrary: PARQUET_SERDE, Parameters: { 'serialization.format': '1' } },
      },
    };
  }

  async registerPartitions(dates: readonly string[]): Promise<void> {
    const unique = [...new Set(dates)].sort();
    const failures: PartitionError[] = [];
    for (let i = 0; i < unique.length; i += GLUE_MAX_PARTITIONS_PER_BATCH) {
      const chunk = unique.slice(i, i + GLUE_MAX_PARTITIONS_PER_BATCH);
      try {
        const response = await this.client.send(
          new BatchCreatePartitionCommand({
            DatabaseName: this.database,
            TableName: this.table,
            PartitionInputList: chunk.map((date) => this.partitionInput(date)),
          }),
        );
        // A partition that already exists is what we wanted: registering is idempotent.
        failures.push(...(response.Errors ?? []).filter((e) => e.ErrorDetail?.ErrorCode !== 'AlreadyExistsException'));
      } catch (error) {
        throw toCatalogError(error, 'BatchCreatePartition', {
          service: 'Glue',
          database: this.database,
          table: this.table,
        });
      }
    }
    if (failures.length === 0) return;

    const describe = failures
      .slice(0, 5)
      .map((f) =>
        `${f.PartitionValues?.join('/') ?? '?'}: ${f.ErrorDetail?.ErrorCode ?? 'Unknown'} ${f.ErrorDetail?.ErrorMessage ?? ''}`.trim(),
      )
      .join('; ');
    const retryable = failures.every((f) => TRANSIENT_ENTRY_ERRORS.has(f.ErrorDetail?.ErrorCode ?? ''));
    throw new CatalogError(
      `Glue refused ${failures.length} of ${unique.length} partitions of ${this.database}.${this.table} (${describe}). ` +
        (retryable
          ? 'Glue failed on its side; registering again should work.'
          : 'Check that the table exists with partition key `date` and that the role may create partitions.'),
      retryable,
      {
        database: this.database,
        table: this.table,
        failed: failures.length,
        dates: failures.map((f) => f.PartitionValues?.[0]),
        codes: [...new Set(failures.map((f) => f.ErrorDetail?.ErrorCode))],
      },
    );
  }

  async listPartitions(): Promise<string[]> {
    const dates: string[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const response = await this.client.send(
          new GetPartitionsCommand({
            DatabaseName: this.database,
            TableName: this.table,
            ExcludeColumnSchema: true,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        for (const partition of response.Partitions ?? []) {
          const date = partition.Values?.[0];
          if (date !== undefined) dates.push(date);
        }
        nextToken = response.NextToken || undefined;
      } while (nextToken);
    } catch (error) {
      throw toCatalogError(error, 'GetPartitions', { service: 'Glue', database: this.database, table: this.table });
    }
    return [...new Set(dates)].sort();
  }
}
