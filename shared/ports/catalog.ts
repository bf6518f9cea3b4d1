/** The table catalog: the Glue Data Catalog in AWS, a SQLite table locally. Partitions are `date` values. */
export interface Catalog {
  /** Registers the partitions of `fred_daily`; already registered dates are not an error. */
  registerPartitions(dates: readonly string[]): Promise<void>;
  /** Every registered partition date (YYYY-MM-DD), sorted. */
  listPartitions(): Promise<string[]>;
}
