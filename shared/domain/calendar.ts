/** Calendar arithmetic on ISO dates (YYYY-MM-DD), in UTC, with no time zone surprises. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date in YYYY-MM-DD form (2024-02-30 and 2024-2-3 are false). */
export const isValidIsoDate = (value: string): boolean => {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.toISOString().slice(0, 10) === value;
};

const toUtc = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const fromUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

export const addDays = (date: string, days: number): string => fromUtc(toUtc(date) + days * DAY_MS);

/** Every calendar day from `from` through `to`, inclusive; empty when `from` > `to`. */
export const eachDay = (from: string, to: string): string[] => {
  const days: string[] = [];
  for (let ms = toUtc(from), end = toUtc(to); ms <= end; ms += DAY_MS) days.push(fromUtc(ms));
  return days;
};

/** The first day of the date's month: 2024-03-17 -> 2024-03-01. */
export const monthOf = (date: string): string => `${date.slice(0, 7)}-01`;

/** The same month `months` earlier or later: addMonths('2024-03-01', -12) -> '2023-03-01'. */
export const addMonths = (month: string, months: number): string => {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7)) - 1 + months;
  const year = y + Math.floor(m / 12);
  const mm = ((m % 12) + 12) % 12;
  return `${String(year).padStart(4, '0')}-${String(mm + 1).padStart(2, '0')}-01`;
};

export const isoDateOf = (instant: Date): string => instant.toISOString().slice(0, 10);
