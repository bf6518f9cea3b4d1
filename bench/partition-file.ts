/**
 * How long one partition file takes to encode, over a backfill-sized loop (3,650 days), and how long the daily
 * rows of ten years take to compute. Run: npx tsx bench/partition-file.ts
 */
import { addDays } from '#shared/domain/calendar.ts';
import { computeDailyRows } from '#shared/domain/daily-rows.ts';
import type { Observation } from '#shared/domain/observation.ts';
import { hashRow } from '#shared/domain/row-hash.ts';
import { encodePartitionFile } from '#shared/parquet/partition-file.ts';

const DAYS = 3650;
const start = '2015-01-01';
const sp500: Observation[] = [];
const cpi: Observation[] = [];
for (let i = 0; i < DAYS; i++) {
  const date = addDays(start, i);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  if (weekday !== 0 && weekday !== 6) sp500.push({ date, value: 2000 + i * 0.7 + Math.sin(i) * 15 });
  if (date.endsWith('-01')) cpi.push({ date, value: 230 + i * 0.02 });
}

const time = (label: string, runs: number, run: () => void): void => {
  run();
  const began = performance.now();
  for (let i = 0; i < runs; i++) run();
  console.log(`${label}: ${((performance.now() - began) / runs).toFixed(3)} ms`);
};

time(`computeDailyRows (${sp500.length} SP500 + ${cpi.length} CPI observations)`, 20, () => {
  computeDailyRows(sp500, cpi);
});

const rows = computeDailyRows(sp500, cpi);
const provenance = {
  runId: '20250101T000000Z-bench',
  sources: ['raw/runs/20250101T000000Z-bench/SP500/page-0001.json'],
};
const began = performance.now();
let bytes = 0;
for (const row of rows) {
  const rowHash = hashRow(row);
  bytes += encodePartitionFile(row, { ...provenance, date: row.date, rowHash }).length;
}
const elapsed = performance.now() - began;
console.log(
  `hashRow + encodePartitionFile over ${rows.length} rows: ${elapsed.toFixed(0)} ms, ` +
    `${(elapsed / rows.length).toFixed(3)} ms per file, ${(bytes / rows.length).toFixed(0)} bytes per file`,
);
