import { addDays, addMonths, eachDay, monthOf } from './calendar.ts';
import type { Observation } from './observation.ts';

/** The four values of one day of `fred_daily`, in the specification's column names. */
export interface DailyValues {
  sp500_daily_price: number;
  sp500_daily_percentage_change: number;
  cpi_level: number | null;
  cpi_annual_percentage_change: number | null;
}

/** One row of `fred_daily`: the date is the partition, the values are the file. */
export interface DailyRow extends DailyValues {
  date: string;
}

/** The columns of a partition file, in order. */
export const COLUMNS = [
  'sp500_daily_price',
  'sp500_daily_percentage_change',
  'cpi_level',
  'cpi_annual_percentage_change',
] as const satisfies readonly (keyof DailyValues)[];

export type Column = (typeof COLUMNS)[number];

export const rowValues = (row: DailyRow): DailyValues => ({
  sp500_daily_price: row.sp500_daily_price,
  sp500_daily_percentage_change: row.sp500_daily_percentage_change,
  cpi_level: row.cpi_level,
  cpi_annual_percentage_change: row.cpi_annual_percentage_change,
});

/** Per date (or month), the value of the last observation given for it. */
const valuesByDate = (observations: readonly Observation[], key: (date: string) => string) => {
  const values = new Map<string, number | null>();
  for (const { date, value } of observations) values.set(key(date), value);
  return values;
};

const percentageChange = (current: number, previous: number): number => (current / previous - 1) * 100;

/**
 * Every calendar day from the day after the earliest SP500 value through the latest SP500 date given:
 * - price: the last SP500 value on or before the day (weekends, holidays and FRED's "." carried forward);
 * - change: against the previous calendar day's carried price, so exactly 0 on days without a new value;
 * - CPI level: the value of the day's month (observations dated YYYY-MM-01), null when unpublished or ".";
 * - CPI annual change: against the same month a year earlier, null when either month has no value.
 * The first SP500 value's own day is not a row: it has no previous price. Inputs may come in any order.
 */
export const computeDailyRows = (sp500: readonly Observation[], cpi: readonly Observation[]): DailyRow[] => {
  const prices = valuesByDate(sp500, (date) => date);
  let first: string | undefined;
  let price = 0;
  let last: string | undefined;
  for (const [date, value] of prices) {
    if (value !== null && (first === undefined || date < first)) {
      first = date;
      price = value;
    }
    if (last === undefined || date > last) last = date;
  }
  if (first === undefined || last === undefined) return [];

  const cpiByMonth = valuesByDate(cpi, monthOf);
  const rows: DailyRow[] = [];
  let month = '';
  let cpiLevel: number | null = null;
  let cpiChange: number | null = null;
  for (const date of eachDay(addDays(first, 1), last)) {
    const previousPrice = price;
    price = prices.get(date) ?? price;
    if (monthOf(date) !== month) {
      month = monthOf(date);
      cpiLevel = cpiByMonth.get(month) ?? null;
      const yearBefore = cpiByMonth.get(addMonths(month, -12)) ?? null;
      cpiChange = cpiLevel === null || yearBefore === null ? null : percentageChange(cpiLevel, yearBefore);
    }
    rows.push({
      date,
      sp500_daily_price: price,
      sp500_daily_percentage_change: percentageChange(price, previousPrice),
      cpi_level: cpiLevel,
      cpi_annual_percentage_change: cpiChange,
    });
  }
  return rows;
};
