import { addMonths, monthOf } from './calendar.ts';
import type { DailyRow } from './daily-rows.ts';
import type { Observation } from './observation.ts';

/**
 * Data-quality gates: the rules a run must pass before anything of it is published. Pure functions of the rows a run
 * would change and the merged CPI history. Only changed rows are judged, so history already published (and accepted)
 * is not re-judged every day.
 */
export const QUALITY_RULES = {
  /** |sp500_daily_percentage_change| above 25 %: no real S&P 500 day moved that much (1987: -20.5 %). */
  sp500DailyChange: 'sp500_daily_change',
  /** A price or CPI level that is zero, negative or not finite. */
  nonPositiveValue: 'non_positive_value',
  /** |cpi_annual_percentage_change| above 30 %. */
  cpiAnnualChange: 'cpi_annual_change',
  /** A month missing from the CPI series between its first and last month (FRED marks a real gap with "."). */
  cpiGap: 'cpi_gap',
} as const;
export type QualityRule = (typeof QUALITY_RULES)[keyof typeof QUALITY_RULES];

export const SP500_DAILY_CHANGE_LIMIT = 25;
export const CPI_ANNUAL_CHANGE_LIMIT = 30;

export interface QualityViolation {
  date: string;
  rule: QualityRule;
  /** What was found, for a person: `sp500_daily_percentage_change 31.2 % is beyond ±25 %`. */
  detail: string;
}

const round = (value: number): string => String(Math.round(value * 100) / 100);

/** Months (YYYY-MM-01) between the first and last CPI observation that have no observation at all. */
export const cpiGapMonths = (cpi: readonly Observation[]): Set<string> => {
  const months = new Set(cpi.map((o) => monthOf(o.date)));
  const sorted = [...months].sort();
  const first = sorted[0];
  const last = sorted.at(-1);
  const gaps = new Set<string>();
  if (first === undefined || last === undefined) return gaps;
  for (let month = first; month < last; month = addMonths(month, 1)) {
    if (!months.has(month)) gaps.add(month);
  }
  return gaps;
};

/**
 * Every violation among `changed` (the rows the run would write), in date order; empty when the run may be
 * published. `cpi` is the merged CPI history the rows were computed from.
 */
export const checkQuality = (changed: readonly DailyRow[], cpi: readonly Observation[]): QualityViolation[] => {
  const violations: QualityViolation[] = [];
  const gaps = cpiGapMonths(cpi);
  for (const row of changed) {
    const price = row.sp500_daily_price;
    if (!Number.isFinite(price) || price <= 0) {
      violations.push({
        date: row.date,
        rule: QUALITY_RULES.nonPositiveValue,
        detail: `sp500_daily_price ${price} is not positive`,
      });
    } else if (
      !Number.isFinite(row.sp500_daily_percentage_change) ||
      Math.abs(row.sp500_daily_percentage_change) > SP500_DAILY_CHANGE_LIMIT
    ) {
      violations.push({
        date: row.date,
        rule: QUALITY_RULES.sp500DailyChange,
        detail: `sp500_daily_percentage_change ${round(row.sp500_daily_percentage_change)} % is beyond ±${SP500_DAILY_CHANGE_LIMIT} %`,
      });
    }
    if (row.cpi_level !== null && (!Number.isFinite(row.cpi_level) || row.cpi_level <= 0)) {
      violations.push({
        date: row.date,
        rule: QUALITY_RULES.nonPositiveValue,
        detail: `cpi_level ${row.cpi_level} is not positive`,
      });
    } else if (
      row.cpi_annual_percentage_change !== null &&
      (!Number.isFinite(row.cpi_annual_percentage_change) ||
        Math.abs(row.cpi_annual_percentage_change) > CPI_ANNUAL_CHANGE_LIMIT)
    ) {
      violations.push({
        date: row.date,
        rule: QUALITY_RULES.cpiAnnualChange,
        detail: `cpi_annual_percentage_change ${round(row.cpi_annual_percentage_change)} % is beyond ±${CPI_ANNUAL_CHANGE_LIMIT} %`,
      });
    }
    const month = monthOf(row.date);
    if (gaps.has(month)) {
      violations.push({
        date: row.date,
        rule: QUALITY_RULES.cpiGap,
        detail: `CPI month ${month.slice(0, 7)} is missing from the series (not even FRED's ".")`,
      });
    }
  }
  return violations;
};

/** One line naming the first violation and how many there are: for `run`'s exit message. */
export const describeViolations = (violations: readonly QualityViolation[]): string => {
  const first = violations[0];
  if (!first) return 'no violation';
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
  return `${first.date} ${first.rule}: ${first.detail}${more}`;
};
