/** One value of a FRED series on one date (YYYY-MM-DD); `null` where FRED has no value (its `"."`). */
export interface Observation {
  date: string;
  value: number | null;
}
