/**
 * Counters and timings of a run. In Lambda: Powertools Metrics (CloudWatch EMF); locally: in memory, folded into
 * the run records that `fredlake status` reads. Names come from shared/metric-names.ts.
 */
export type MetricUnit = 'Count' | 'Milliseconds';

export interface Metrics {
  add(name: string, value: number, unit?: MetricUnit): void;
  /** Publishes what was added (EMF: one log line); a no-op locally. */
  flush(): void;
}

/** Keeps totals in memory. */
export class CountingMetrics implements Metrics {
  readonly totals = new Map<string, number>();
  add(name: string, value: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + value);
  }
  get(name: string): number {
    return this.totals.get(name) ?? 0;
  }
  flush(): void {}
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.totals);
  }
}
