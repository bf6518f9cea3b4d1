import type { Observation } from './observation.ts';

const byDate = (a: Observation, b: Observation): number => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);

/**
 * The kept history of a series after a new fetch: the union by date, the incoming (newer) value winning on every
 * date both hold, sorted by date. Dates FRED no longer returns stay (SP500's window rolls forward, ten years only);
 * a revised value (CPI) replaces the old one. Within one input, the later of two observations of a date wins.
 */
export const mergeObservations = (history: readonly Observation[], incoming: readonly Observation[]): Observation[] => {
  const byDay = new Map<string, number | null>();
  for (const { date, value } of history) byDay.set(date, value);
  for (const { date, value } of incoming) byDay.set(date, value);
  return Array.from(byDay, ([date, value]) => ({ date, value })).sort(byDate);
};

/**
 * The dates, sorted, whose value in `after` is new or differs from `before` (null vs a number counts; values are
 * compared exactly). Dates present only in `before` are not reported: merged history never drops a date.
 */
export const diffObservations = (before: readonly Observation[], after: readonly Observation[]): string[] => {
  const previous = new Map<string, number | null>();
  for (const { date, value } of before) previous.set(date, value);
  const changed = new Set<string>();
  for (const { date, value } of after) {
    if (!previous.has(date) || !Object.is(previous.get(date), value)) changed.add(date);
  }
  return [...changed].sort();
};
