import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CURATED_PREFIX, DATASET } from '../../domain/keys.ts';
import { ConfigError } from '../../errors.ts';

import type { QueryResult, QueryValue, SqlEngine } from '../../ports/sql-engine.ts';

export type { QueryResult, QueryValue };

/** The view every local query sees: the hive-partitioned Parquet tree, `date` as DATE and the four DOUBLEs. */
export const fredDailyViewSql = (dataDir: string): string => {
  const glob = join(dataDir, CURATED_PREFIX, '*', '*.parquet').replaceAll("'", "''");
  return `CREATE OR REPLACE VIEW ${DATASET} AS SELECT date, sp500_daily_price, sp500_daily_percentage_change, cpi_level, cpi_annual_percentage_change FROM read_parquet('${glob}', hive_partitioning = true, hive_types = {'date': DATE})`;
};

const toPlain = (value: unknown): QueryValue => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    // BIGINT arrives as a decimal string in JSON form; give back a number when it is exact.
    return /^-?\d{1,15}$/.test(value) ? Number(value) : value;
  }
  return JSON.stringify(value);
};

/** SQL over the local lake with DuckDB (an in-memory database; the Parquet files are only read). */
export const queryLocalLake = async (dataDir: string, sql: string): Promise<QueryResult> => {
  if (!existsSync(join(dataDir, CURATED_PREFIX))) {
    throw new ConfigError(
      `No fred_daily partitions in ${dataDir} yet: run \`fredlake run\` (or \`fredlake demo\`) first`,
    );
  }
  // Loaded on first query, not with the module: every CLI command imports this file, few of them query.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(fredDailyViewSql(dataDir));
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader
      .getRowObjectsJson()
      .map((row) => Object.fromEntries(columns.map((c) => [c, toPlain((row as Record<string, unknown>)[c])])));
    return { columns, rows };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(`Query failed: ${message}`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

/** The SqlEngine port over the local lake. */
export const duckDbSqlEngine = (dataDir: string): SqlEngine => ({ query: (sql) => queryLocalLake(dataDir, sql) });
