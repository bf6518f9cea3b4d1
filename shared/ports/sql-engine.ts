/** SQL over the dataset: a table (or view) `fred_daily` with `date` and the four columns. DuckDB locally, Athena on AWS. */
export type QueryValue = string | number | boolean | null;

export interface QueryResult {
  columns: string[];
  rows: Record<string, QueryValue>[];
}

export interface SqlEngine {
  query(sql: string): Promise<QueryResult>;
}
