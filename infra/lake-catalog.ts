import { Aws, Stack } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { CURATED_PREFIX, DATASET } from '#shared/domain/keys.ts';
import { ATHENA_RESULTS_PREFIX } from './lake-storage.ts';

/** The curated columns, named as in the specification; all DOUBLE (the CPI two are null until CPI is known). */
export const FRED_DAILY_COLUMNS = [
  'sp500_daily_price',
  'sp500_daily_percentage_change',
  'cpi_level',
  'cpi_annual_percentage_change',
] as const;

export interface LakeCatalogProps {
  readonly bucketName: string;
  readonly databaseName: string;
  readonly workgroupName: string;
}

/**
 * The Glue database and the `fred_daily` table over curated/fred_daily/ (Hive-style `date=YYYY-MM-DD` partitions of
 * Parquet files), and an Athena workgroup whose settings users cannot override. There is no crawler: the writer
 * registers each new partition itself (BatchCreatePartition), so the schema is exactly the one declared here.
 */
export class LakeCatalog extends Construct {
  readonly databaseName: string;
  readonly tableName: string = DATASET;
  readonly workgroupName: string;
  readonly catalogArn: string;
  readonly databaseArn: string;
  readonly tableArn: string;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    if (!/^[a-z0-9_]{1,255}$/.test(props.databaseName)) {
      throw new Error(`Glue database name "${props.databaseName}" must be lower-case letters, digits or underscores.`);
    }
    this.databaseName = props.databaseName;
    this.workgroupName = props.workgroupName;

    const database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.databaseName, description: 'fredlake: FRED daily data lake' },
    });

    const table = new CfnTable(this, 'FredDailyTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'S&P 500 and CPI, one row per calendar day; one Parquet file per date partition',
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
        partitionKeys: [{ name: 'date', type: 'date' }],
        storageDescriptor: {
          location: `s3://${props.bucketName}/${CURATED_PREFIX}`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            parameters: { 'serialization.format': '1' },
          },
          columns: FRED_DAILY_COLUMNS.map((name) => ({ name, type: 'double' })),
          compressed: true,
          storedAsSubDirectories: false,
        },
      },
    });
    table.addResourceDependency(database);

    new CfnWorkGroup(this, 'Workgroup', {
      name: this.workgroupName,
      description: 'fredlake: queries over fred_daily',
      state: 'ENABLED',
      // Lets the stack be deleted although the workgroup has a query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        // A guard against an accidental full scan; fred_daily is a few MB.
        bytesScannedCutoffPerQuery: 1024 * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const stack = Stack.of(this);
    this.catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog' });
    this.databaseArn = stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName });
    this.tableArn = stack.formatArn({
      service: 'glue',
      resource: 'table',
      resourceName: `${this.databaseName}/${this.tableName}`,
    });
  }
}
