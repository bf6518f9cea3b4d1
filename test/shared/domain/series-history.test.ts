import { describe, expect, it } from 'vitest';
import type { Observation } from '#shared/domain/observation.ts';
import { diffObservations, mergeObservations } from '#shared/domain/series-history.ts';

const obs = (date: string, value: number | null): Observation => ({ date, value });

describe('mergeObservations', () => {
  it('keeps dates the new window no longer returns and adds the new ones, sorted by date', () => {
    const history = [obs('2014-01-03', 1800), obs('2014-01-02', 1790), obs('2024-01-02', 4700)];
    const incoming = [obs('2024-01-03', 4690), obs('2024-01-02', 4700)];

    const merged = mergeObservations(history, incoming);

    expect(merged).toEqual([
      obs('2014-01-02', 1790),
      obs('2014-01-03', 1800),
      obs('2024-01-02', 4700),
      obs('2024-01-03', 4690),
    ]);
  });

  it('lets a revised value replace the old one, including a "." becoming a value and back', () => {
    const history = [obs('2024-01-01', 308.4), obs('2024-02-01', null), obs('2024-03-01', 312.1)];
    const incoming = [obs('2024-01-01', 308.6), obs('2024-02-01', 310.2), obs('2024-03-01', null)];

    const merged = mergeObservations(history, incoming);

    expect(merged).toEqual([obs('2024-01-01', 308.6), obs('2024-02-01', 310.2), obs('2024-03-01', null)]);
  });

  it('leaves its inputs untouched', () => {
    const history = [obs('2024-01-02', 2)];
    const incoming = [obs('2024-01-01', 1), obs('2024-01-02', 3)];

    const merged = mergeObservations(history, incoming);
    merged[0] = obs('2000-01-01', 0);

    expect(history).toEqual([obs('2024-01-02', 2)]);
    expect(incoming).toEqual([obs('2024-01-01', 1), obs('2024-01-02', 3)]);
  });
});

describe('diffObservations', () => {
  it('reports the dates that appeared or changed value, sorted, and nothing else', () => {
    const before = [obs('2024-01-01', 308.4), obs('2024-02-01', 310), obs('2024-03-01', 0), obs('2024-04-01', 1)];
    const after = [
      obs('2024-05-01', 315),
      obs('2024-04-01', 1),
      obs('2024-03-01', null),
      obs('2024-02-01', 310),
      obs('2024-01-01', 308.6),
    ];

    const changed = diffObservations(before, after);

    expect(changed).toEqual(['2024-01-01', '2024-03-01', '2024-05-01']);
  });

  it('reports nothing for the same history', () => {
    const history = [obs('2024-01-01', 308.4), obs('2024-02-01', null)];

    const changed = diffObservations(history, [...history].reverse());

    expect(changed).toEqual([]);
  });
});
