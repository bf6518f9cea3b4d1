import { describe, expect, it } from 'vitest';
import { computeDailyRows } from '#shared/domain/daily-rows.ts';
import type { Observation } from '#shared/domain/observation.ts';
import { checkQuality, cpiGapMonths, describeViolations } from '#shared/domain/quality.ts';

const monthly = (from: string, values: (number | null)[]): Observation[] =>
  values.map((value, i) => {
    const year = Number(from.slice(0, 4)) + Math.floor((Number(from.slice(5, 7)) - 1 + i) / 12);
    const month = ((Number(from.slice(5, 7)) - 1 + i) % 12) + 1;
    return { date: `${year}-${String(month).padStart(2, '0')}-01`, value };
  });

const cpi = monthly(
  '2023-01',
  Array.from({ length: 24 }, (_, i) => 300 + i),
);

describe('data-quality gates', () => {
  it('pass a calm series', () => {
    const rows = computeDailyRows(
      [
        { date: '2024-03-01', value: 5000 },
        { date: '2024-03-04', value: 5100 },
      ],
      cpi,
    );

    expect(checkQuality(rows, cpi)).toEqual([]);
  });

  it('name the date and rule of an S&P 500 day that moved more than 25 %', () => {
    const rows = computeDailyRows(
      [
        { date: '2024-03-01', value: 5000 },
        { date: '2024-03-04', value: 6500 },
      ],
      cpi,
    );

    const violations = checkQuality(rows, cpi);

    expect(violations.map((v) => [v.date, v.rule])).toEqual([['2024-03-04', 'sp500_daily_change']]);
    expect(describeViolations(violations)).toBe(
      '2024-03-04 sp500_daily_change: sp500_daily_percentage_change 30 % is beyond ±25 %',
    );
  });

  it('refuse a zero or negative price, and the infinite change after a zero', () => {
    const rows = computeDailyRows(
      [
        { date: '2024-03-01', value: 5000 },
        { date: '2024-03-02', value: 0 },
        { date: '2024-03-03', value: 5000 },
      ],
      cpi,
    );

    expect(checkQuality(rows, cpi).map((v) => [v.date, v.rule])).toEqual([
      ['2024-03-02', 'non_positive_value'],
      ['2024-03-03', 'sp500_daily_change'],
    ]);
  });

  it('refuse a CPI annual change beyond 30 %', () => {
    const jumped = cpi.map((o) => (o.date === '2024-06-01' ? { ...o, value: 500 } : o));
    const rows = computeDailyRows(
      [
        { date: '2024-05-31', value: 5000 },
        { date: '2024-06-01', value: 5000 },
      ],
      jumped,
    );

    expect(checkQuality(rows, jumped).map((v) => [v.date, v.rule])).toEqual([['2024-06-01', 'cpi_annual_change']]);
  });

  it('refuse a month missing from the middle of the CPI series, but accept a month FRED marks "."', () => {
    const dotted = cpi.map((o) => (o.date === '2024-05-01' ? { ...o, value: null } : o));
    const holed = cpi.filter((o) => o.date !== '2024-05-01');
    const rows = computeDailyRows(
      [
        { date: '2024-04-30', value: 5000 },
        { date: '2024-05-01', value: 5000 },
      ],
      holed,
    );

    expect(cpiGapMonths(dotted).size).toBe(0);
    expect([...cpiGapMonths(holed)]).toEqual(['2024-05-01']);
    expect(checkQuality(rows, holed).map((v) => [v.date, v.rule])).toEqual([['2024-05-01', 'cpi_gap']]);
  });

  it('judge only the rows given: history outside them is not re-judged', () => {
    const rows = computeDailyRows(
      [
        { date: '2024-03-01', value: 5000 },
        { date: '2024-03-04', value: 9000 },
        { date: '2024-03-05', value: 9100 },
      ],
      cpi,
    );

    expect(checkQuality(rows.slice(-1), cpi)).toEqual([]);
  });
});
