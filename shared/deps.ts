import type { Config } from './config.ts';
import { ConfigError } from './errors.ts';
import type { FredClient } from './fred/client.ts';
import { createLineLogger, type Logger } from './logger.ts';
import type { Catalog } from './ports/catalog.ts';
import { type Clock, systemClock } from './ports/clock.ts';
import type { FailureLog } from './ports/failure-log.ts';
import { CountingMetrics, type Metrics } from './ports/metrics.ts';
import type { ObjectStore } from './ports/object-store.ts';
import type { Queues } from './ports/queue.ts';
import type { SqlEngine } from './ports/sql-engine.ts';

/** Everything a use case may need, built once per process (per Lambda cold start). */
export interface Deps {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  store: ObjectStore;
  queues: Queues;
  catalog: Catalog;
  failures: FailureLog;
  /** SQL over fred_daily: DuckDB over the Parquet tree locally, Athena on AWS. */
  sql: SqlEngine;
  /** The bucket name S3 events must carry (locally a fixed name). */
  bucket: string;
  /** The FRED client, created on first use: in AWS that is when the key is read from Secrets Manager. */
  fred: () => Promise<FredClient>;
  close: () => Promise<void>;
}

export interface DepsOverrides {
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  /** Local only: FRED HTTP through this fetch (tests inject faults with it). */
  fetch?: typeof fetch;
  /**
   * Wraps the adapters before any use case sees them (tests put fault-injecting decorators around the ports).
   * Called once, with the adapters the backend chose; returns the ones the pipeline uses.
   */
  decorate?: (adapters: DecoratableAdapters) => DecoratableAdapters;
}

/** The ports a decorator may wrap. */
export interface DecoratableAdapters {
  store: ObjectStore;
  queues: Queues;
  catalog: Catalog;
  failures: FailureLog;
}

const decorated = <T extends DecoratableAdapters>(adapters: T, overrides: DepsOverrides): T => {
  if (!overrides.decorate) return adapters;
  const { store, queues, catalog, failures } = overrides.decorate({
    store: adapters.store,
    queues: adapters.queues,
    catalog: adapters.catalog,
    failures: adapters.failures,
  });
  return { ...adapters, store, queues, catalog, failures };
};

// Not a string literal on purpose: bundlers (esbuild for Lambda) leave this import alone, so a Lambda bundle never
// carries the embedded default's native modules (better-sqlite3, DuckDB).
const LOCAL_ADAPTERS = './adapters/local/create-local-adapters.ts';

/** The composition root: the ONLY place that chooses the AWS or the local adapters. */
export const createDeps = async (config: Config, overrides: DepsOverrides = {}): Promise<Deps> => {
  const clock = overrides.clock ?? systemClock;
  if (config.backend === 'aws') {
    const { createAwsAdapters } = await import('./adapters/aws/create-aws-adapters.ts');
    const { createPowertoolsLogger, createEmfMetrics } = await import('./observability/powertools.ts');
    const logger = overrides.logger ?? createPowertoolsLogger(config.serviceName, config.logLevel);
    const metrics = overrides.metrics ?? createEmfMetrics(config.serviceName);
    const adapters = decorated(createAwsAdapters(config), overrides);
    return { config, clock, logger, metrics, ...adapters, fred: memo(() => adapters.createFred(logger)) };
  }
  const local: typeof import('./adapters/local/create-local-adapters.ts') = await import(
    new URL(LOCAL_ADAPTERS, import.meta.url).href
  );
  const logger = overrides.logger ?? createLineLogger(config.logLevel);
  const metrics = overrides.metrics ?? new CountingMetrics();
  const adapters = decorated(local.createLocalAdapters(config, { clock }), overrides);
  return {
    config,
    clock,
    logger,
    metrics,
    ...adapters,
    fred: memo(async () => {
      const { FredClient } = await import('./fred/client.ts');
      const apiKey = config.fred.apiKey;
      if (!apiKey) throw new ConfigError('FRED_API_KEY is not set');
      return new FredClient({ ...config.fred, apiKey, logger, ...(overrides.fetch ? { fetch: overrides.fetch } : {}) });
    }),
  };
};

const memo = <T>(create: () => Promise<T>): (() => Promise<T>) => {
  let value: Promise<T> | undefined;
  return () => {
    value ??= create().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
};
