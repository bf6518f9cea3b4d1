// The baseline of the backfill scenario: DuckDB writes the same rows as one Parquet file per date, as a whole
// process. Usage: node bench/support/duckdb-copy.mjs <rows.csv> <output dir>
import { DuckDBInstance } from '@duckdb/node-api';

const [csv, out] = process.argv.slice(2);
if (!csv || !out) throw new Error('usage: duckdb-copy.mjs <rows.csv> <output dir>');
const quote = (text) => `'${text.replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run(
  `COPY (SELECT * FROM read_csv(${quote(csv)}, header = true, columns = {
     'date': 'DATE', 'sp500_daily_price': 'DOUBLE', 'sp500_daily_percentage_change': 'DOUBLE',
     'cpi_level': 'DOUBLE', 'cpi_annual_percentage_change': 'DOUBLE'}))
   TO ${quote(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))`,
);
connection.closeSync();
instance.closeSync();
