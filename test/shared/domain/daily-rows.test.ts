import { describe, expect, it } from 'vitest';
import { COLUMNS, computeDailyRows, type DailyRow, rowValues } from '#shared/domain/daily-rows.ts';
import type { Observation } from '#shared/domain/observation.ts';
import { mergeObservations } from '#shared/domain/series-history.ts';

const obs = (date: string, value: number | null): Observation => ({ date, value });
const rowOn = (rows: DailyRow[], date: string): DailyRow | undefined => rows.find((row) => row.date === date);

// 2024-01-05 is a Friday, 2024-01-15 is Martin Luther King Day (FRED's ".").
describe('computeDailyRows', () => {
  it('starts the day after the first SP500 value and measures the change against it', () => {
    const sp500 = [obs('2024-01-03', 100), obs('2024-01-04', 125)];

    const rows = computeDailyRows(sp500, []);

    expect(rows.map((row) => row.date)).toEqual(['2024-01-04']);
    expect(rows[0]?.sp500_daily_price).toBe(125);
    expect(rows[0]?.sp500_daily_percentage_change).toBe(25);
  });

  it('keeps full double precision in the percentage change', () => {
    const sp500 = [obs('2024-01-03', 100), obs('2024-01-04', 110)];

    const rows = computeDailyRows(sp500, []);

    // 110 / 100 is the double nearest 1.1, so the change is 10.000000000000009, not 10.
    expect(rows[0]?.sp500_daily_percentage_change).toBe(10.000000000000009);
  });

  it('carries Friday over the weekend with a change of exactly 0 and compares Monday with Friday', () => {
    const sp500 = [obs('2024-01-04', 160), obs('2024-01-05', 200), obs('2024-01-08', 150)];

    const rows = computeDailyRows(sp500, []);

    expect(rows.map((row) => [row.date, row.sp500_daily_price, row.sp500_daily_percentage_change])).toEqual([
      ['2024-01-05', 200, 25],
      ['2024-01-06', 200, 0],
      ['2024-01-07', 200, 0],
      ['2024-01-08', 150, -25],
    ]);
    expect(Object.is(rowOn(rows, '2024-01-06')?.sp500_daily_percentage_change, 0)).toBe(true);
  });

  it('carries the last price over a holiday published as "." and ends on the last date even without a value', () => {
    const sp500 = [obs('2024-01-12', 400), obs('2024-01-15', null), obs('2024-01-16', 500), obs('2024-01-17', null)];

    const rows = computeDailyRows(sp500, []);

    expect(rows.map((row) => [row.date, row.sp500_daily_price, row.sp500_daily_percentage_change])).toEqual([
      ['2024-01-13', 400, 0],
      ['2024-01-14', 400, 0],
      ['2024-01-15', 400, 0],
      ['2024-01-16', 500, 25],
      ['2024-01-17', 500, 0],
    ]);
  });

  it('begins at the first SP500 value, not at a leading "."', () => {
    const sp500 = [obs('2024-01-01', null), obs('2024-01-02', 100), obs('2024-01-03', 75)];

    const rows = computeDailyRows(sp500, []);

    expect(rows.map((row) => [row.date, row.sp500_daily_percentage_change])).toEqual([['2024-01-03', -25]]);
  });

  it('returns no rows without an SP500 value', () => {
    const cpi = [obs('2024-01-01', 300)];

    const rows = [
      computeDailyRows([], cpi),
      computeDailyRows([obs('2024-01-01', null), obs('2024-01-02', null)], cpi),
      computeDailyRows([obs('2024-01-02', 100)], cpi),
    ];

    expect(rows).toEqual([[], [], []]);
  });

  it("gives every day its month's CPI level and the change against the same month a year earlier", () => {
    const sp500 = [obs('2024-01-30', 100), obs('2024-02-01', 100)];
    const cpi = [obs('2023-01-01', 200), obs('2023-02-01', 240), obs('2024-01-01', 250), obs('2024-02-01', 300)];

    const rows = computeDailyRows(sp500, cpi);

    expect(rows.map((row) => [row.date, row.cpi_level, row.cpi_annual_percentage_change])).toEqual([
      ['2024-01-31', 250, 25],
      ['2024-02-01', 300, 25],
    ]);
  });

  it('leaves CPI null for a month not yet published, and its annual change too', () => {
    const sp500 = [obs('2024-01-31', 100), obs('2024-02-01', 100)];
    const cpi = [obs('2023-01-01', 200), obs('2023-02-01', 240), obs('2024-01-01', 250)];

    const rows = computeDailyRows(sp500, cpi);

    expect(rowOn(rows, '2024-02-01')).toMatchObject({ cpi_level: null, cpi_annual_percentage_change: null });
  });

  it('leaves the annual change null when the month a year earlier is missing', () => {
    const sp500 = [obs('2024-01-31', 100), obs('2024-02-01', 100)];
    const cpi = [obs('2024-02-01', 300)];

    const rows = computeDailyRows(sp500, cpi);

    expect(rowOn(rows, '2024-02-01')).toMatchObject({ cpi_level: 300, cpi_annual_percentage_change: null });
  });

  it('leaves a "." CPI month null, and the annual change of the same month a year later null', () => {
    const sp500 = [
      obs('2025-10-14', 100),
      obs('2025-10-15', 100),
      obs('2025-11-14', 100),
      obs('2026-10-15', 100),
      obs('2026-11-16', 100),
    ];
    const cpi = [
      obs('2024-10-01', 310),
      obs('2024-11-01', 320),
      obs('2025-10-01', null),
      obs('2025-11-01', 400),
      obs('2026-10-01', 330),
      obs('2026-11-01', 500),
    ];

    const rows = computeDailyRows(sp500, cpi);

    expect(rowOn(rows, '2025-10-15')).toMatchObject({ cpi_level: null, cpi_annual_percentage_change: null });
    expect(rowOn(rows, '2025-11-14')).toMatchObject({ cpi_level: 400, cpi_annual_percentage_change: 25 });
    expect(rowOn(rows, '2026-10-15')).toMatchObject({ cpi_level: 330, cpi_annual_percentage_change: null });
    expect(rowOn(rows, '2026-11-16')).toMatchObject({ cpi_level: 500, cpi_annual_percentage_change: 25 });
  });

  it('gives the same rows whatever the order of the observations', () => {
    const sp500 = [obs('2024-01-05', 200), obs('2024-01-08', 150), obs('2024-01-04', 160)];
    const cpi = [obs('2024-01-01', 250), obs('2023-01-01', 200)];

    const rows = computeDailyRows(sp500, cpi);

    expect(rows.map((row) => [row.date, row.sp500_daily_percentage_change, row.cpi_annual_percentage_change])).toEqual([
      ['2024-01-05', 25, 25],
      ['2024-01-06', 0, 25],
      ['2024-01-07', 0, 25],
      ['2024-01-08', -25, 25],
    ]);
  });

  it('rewrites only the days of a revised CPI month', () => {
    const sp500 = [obs('2024-01-31', 100), obs('2024-03-31', 125)];
    const cpi = [
      obs('2023-01-01', 200),
      obs('2023-02-01', 200),
      obs('2023-03-01', 200),
      obs('2024-01-01', 250),
      obs('2024-02-01', 250),
      obs('2024-03-01', 250),
    ];
    const revised = mergeObservations(cpi, [obs('2024-02-01', 300)]);

    const before = computeDailyRows(sp500, cpi);
    const after = computeDailyRows(sp500, revised);

    const changed = after.filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i])).map((row) => row.date);
    expect(after).toHaveLength(before.length);
    expect(changed).toHaveLength(29);
    expect(changed[0]).toBe('2024-02-01');
    expect(changed.at(-1)).toBe('2024-02-29');
    expect(rowOn(after, '2024-02-10')).toMatchObject({ cpi_level: 300, cpi_annual_percentage_change: 50 });
  });

  it('keeps the history before a rolled-forward SP500 window once merged', () => {
    const oldWindow = [obs('2024-01-01', 100), obs('2024-01-02', 200), obs('2024-01-03', 150)];
    const newWindow = [obs('2024-01-03', 150), obs('2024-01-04', 300)];
    const history = mergeObservations(oldWindow, newWindow);

    const rows = computeDailyRows(history, []);

    expect(rows.map((row) => [row.date, row.sp500_daily_price, row.sp500_daily_percentage_change])).toEqual([
      ['2024-01-02', 200, 100],
      ['2024-01-03', 150, -25],
      ['2024-01-04', 300, 100],
    ]);
  });
});

describe('rowValues', () => {
  it('gives the four values in column order without the date', () => {
    const row: DailyRow = {
      date: '2024-01-02',
      cpi_annual_percentage_change: null,
      cpi_level: 310.5,
      sp500_daily_percentage_change: -1.5,
      sp500_daily_price: 4700,
    };

    const values = rowValues(row);

    expect(Object.keys(values)).toEqual([...COLUMNS]);
    expect(Object.values(values)).toEqual([4700, -1.5, 310.5, null]);
  });
});
