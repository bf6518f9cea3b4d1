import type { DecoratableAdapters } from '#shared/deps.ts';
import { CatalogError, ObjectStoreError, QueueError } from '#shared/errors.ts';
import type { Catalog } from '#shared/ports/catalog.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';
import { QUEUE_NAMES, type Queues, type SourceQueue } from '#shared/ports/queue.ts';
import type { Fault, FredServer } from '../fred-server.ts';
import type { Random } from './random.ts';

/**
 * Fault-injecting decorators around the ports (object store, queues, catalog), plus the FRED faults the synthetic
 * server injects, all drawn from one seeded random stream and counted by kind.
 */
export const PORT_FAULTS = [
  'store-write-error',
  'store-lost-ack',
  'store-slow-write',
  'store-read-error',
  'sqlite-busy',
  'handler-exception',
  'duplicate-delivery',
  'lost-delete',
  'catalog-error',
] as const;
export const FRED_FAULTS = [
  'fred-429',
  'fred-500',
  'fred-timeout',
  'fred-garbage',
  'fred-truncated',
  'fred-html',
  'fred-reset',
] as const;
export type FaultKind = (typeof PORT_FAULTS)[number] | (typeof FRED_FAULTS)[number] | 'sigkill';

/** Per-operation probability of each port fault. */
export const DEFAULT_RATES: Record<(typeof PORT_FAULTS)[number], number> = {
  'store-write-error': 0.004,
  'store-lost-ack': 0.003,
  'store-slow-write': 0.01,
  'store-read-error': 0.003,
  'sqlite-busy': 0.003,
  'handler-exception': 0.002,
  'duplicate-delivery': 0.02,
  'lost-delete': 0.01,
  'catalog-error': 0.003,
};

export class FaultLedger {
  readonly counts = new Map<FaultKind, number>();
  add(kind: FaultKind, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }
  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  merge(other: FaultLedger): void {
    for (const [kind, n] of other.counts) this.add(kind, n);
  }
}

export class Chaos {
  enabled = true;
  constructor(
    readonly random: Random,
    readonly ledger: FaultLedger,
    readonly rates: Record<(typeof PORT_FAULTS)[number], number> = DEFAULT_RATES,
  ) {}

  /** Whether this operation gets the fault (and counts it). */
  strikes(kind: (typeof PORT_FAULTS)[number]): boolean {
    if (!this.enabled || !this.random.chance(this.rates[kind])) return false;
    this.ledger.add(kind);
    return true;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `target` with some methods replaced; every other property (duck-typed extras like `peek`) forwarded. */
const intercept = <T extends object>(target: T, overrides: Record<string, unknown>): T =>
  new Proxy(target, {
    get(object, property, receiver) {
      if (typeof property === 'string' && property in overrides) return overrides[property];
      const value: unknown = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });

const chaosStore = (store: ObjectStore, chaos: Chaos): ObjectStore =>
  intercept(store, {
    put: async (...args: Parameters<ObjectStore['put']>) => {
      const [key] = args;
      if (chaos.strikes('store-write-error')) {
        throw new ObjectStoreError(`chaos: put object "${key}" failed before writing`, true, { key });
      }
      if (chaos.strikes('store-slow-write')) await sleep(chaos.random.int(5, 60));
      await store.put(...args);
      if (chaos.strikes('store-lost-ack')) {
        throw new ObjectStoreError(`chaos: put object "${key}" written but the answer was lost`, true, { key });
      }
    },
    get: async (key: string) => {
      if (chaos.strikes('store-read-error')) {
        throw new ObjectStoreError(`chaos: get object "${key}" failed`, true, { key });
      }
      if (chaos.strikes('handler-exception')) throw new Error('chaos: an unexpected exception in a handler');
      return store.get(key);
    },
    head: async (key: string) => {
      if (chaos.strikes('store-read-error')) {
        throw new ObjectStoreError(`chaos: head object "${key}" failed`, true, { key });
      }
      return store.head(key);
    },
  });

const chaosQueue = (queue: SourceQueue, chaos: Chaos): SourceQueue =>
  intercept(queue, {
    sendBatch: async (bodies: readonly string[]) => {
      if (chaos.strikes('sqlite-busy')) {
        throw new QueueError(`chaos: database is locked (SQLITE_BUSY) sending to ${queue.name}`, true, {});
      }
      // At-least-once: the same message may arrive twice.
      const duplicated = bodies.filter(() => chaos.strikes('duplicate-delivery'));
      await queue.sendBatch([...bodies, ...duplicated]);
    },
    receive: async (...args: Parameters<SourceQueue['receive']>) => {
      if (chaos.strikes('sqlite-busy')) {
        throw new QueueError(`chaos: database is locked (SQLITE_BUSY) receiving from ${queue.name}`, true, {});
      }
      return queue.receive(...args);
    },
    delete: async (receiptHandle: string) => {
      // The delete is lost: the message reappears after its visibility timeout and is processed again.
      if (chaos.strikes('lost-delete')) return;
      await queue.delete(receiptHandle);
    },
  });

const chaosCatalog = (catalog: Catalog, chaos: Chaos): Catalog =>
  intercept(catalog, {
    registerPartitions: async (dates: readonly string[]) => {
      if (chaos.strikes('catalog-error')) throw new CatalogError('chaos: catalog unavailable', true, {});
      await catalog.registerPartitions(dates);
    },
  });

/** The DepsOverrides.decorate hook: every port wrapped in its fault-injecting decorator. */
export const chaosDecorator =
  (chaos: Chaos) =>
  (adapters: DecoratableAdapters): DecoratableAdapters => ({
    ...adapters,
    store: chaosStore(adapters.store, chaos),
    catalog: chaosCatalog(adapters.catalog, chaos),
    queues: Object.fromEntries(
      QUEUE_NAMES.map((name) => [name, chaosQueue(adapters.queues[name], chaos)]),
    ) as unknown as Queues,
  });

const GARBAGE = ['{"observations":', '<html>oops</html>', '{"count":"many"}', '\u0000\u0001\u0002', 'null', '[]'];

/**
 * Queues 0..maxFaults random FRED faults (each for 1..3 requests) on the server. Returns the plan, one kind per
 * request in the order the server answers them: the caller counts only the ones requests actually met.
 */
export const injectFredFaults = (
  server: FredServer,
  random: Random,
  options: { maxFaults: number; timeoutMs: number },
): FaultKind[] => {
  const plan: FaultKind[] = [];
  const n = random.int(0, options.maxFaults);
  for (let i = 0; i < n; i++) {
    const kind = random.pick(FRED_FAULTS);
    const times = random.int(1, 3);
    const fault: Fault = {
      'fred-429': { kind: '429', retryAfterSeconds: 0 },
      'fred-500': { kind: '500' },
      'fred-timeout': { kind: 'slow', ms: options.timeoutMs + 150 },
      'fred-garbage': { kind: 'garbage', body: random.pick(GARBAGE) },
      'fred-truncated': { kind: 'truncated' },
      'fred-html': { kind: 'html', status: random.chance(0.5) ? 502 : 200 },
      'fred-reset': { kind: 'reset' },
    }[kind] as Fault;
    server.inject(fault, times);
    for (let t = 0; t < times; t++) plan.push(kind);
  }
  return plan;
};
