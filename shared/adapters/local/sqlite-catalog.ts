import { CatalogError } from '#shared/errors.ts';
import type { Catalog } from '#shared/ports/catalog.ts';
import { type Clock, systemClock } from '#shared/ports/clock.ts';
import type { Database } from './sqlite-database.ts';

/** The local table catalog: the partitions of `fred_daily` as rows of the `partitions` table. */
export class SqliteCatalog implements Catalog {
  private readonly registerAll: (dates: readonly string[]) => void;
  private readonly selectAll: () => string[];

  constructor(db: Database, options: { clock?: Clock } = {}) {
    const clock = options.clock ?? systemClock;
    const insert = db.prepare<[string, string]>('INSERT OR IGNORE INTO partitions (date, registered_at) VALUES (?, ?)');
    const select = db.prepare<[], { date: string }>('SELECT date FROM partitions ORDER BY date');
    const register = db.transaction((dates: readonly string[]) => {
      const at = clock.now().toISOString();
      for (const date of dates) insert.run(date, at);
    });
    this.registerAll = (dates) => register.immediate(dates);
    this.selectAll = () => select.all().map((row) => row.date);
  }

  /** Registers the dates in one transaction; already registered dates keep their first registration time. */
  async registerPartitions(dates: readonly string[]): Promise<void> {
    if (dates.length === 0) return;
    try {
      this.registerAll(dates);
    } catch (error) {
      throw catalogError(`register ${dates.length} partitions`, error);
    }
  }

  async listPartitions(): Promise<string[]> {
    try {
      return this.selectAll();
    } catch (error) {
      throw catalogError('list partitions', error);
    }
  }
}

const catalogError = (action: string, error: unknown): CatalogError => {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return new CatalogError(
    `Could not ${action} in the local catalog: ${reason}`,
    code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED',
    { sqliteCode: code },
    { cause: error },
  );
};
