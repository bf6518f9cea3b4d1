/**
 * fredlake's benchmarks (GitHub issue #6): every scenario several times on this machine, whole processes through the
 * real CLI where it matters, a table of median/min/max and bench/results.json. docs/BENCHMARKS.md has the numbers.
 *
 *   npm run bench                       all five scenarios: backfill 5 runs, new day 7, revision 3, cold imports 5
 *   npm run bench -- --runs 3 --only 1,2
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFredServer } from '#test/support/fred-server.ts';
import { type CostReport, runCostModel } from './lib/cost.ts';
import {
  cloneLake,
  countFiles,
  datesChangedByRevision,
  FULL_LAKE_DAY,
  NEXT_DAY,
  runDuckDbCopy,
  runFredlake,
  snapshotPartitions,
  writeRowsCsv,
  writtenBetween,
} from './lib/lake.ts';
import { type LambdaReport, runLambdaScenario } from './lib/lambda.ts';
import { REPO_ROOT, type Stats, stats } from './lib/measure.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string' },
    only: { type: 'string', default: '1,2,3,4,5' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results.json') },
  },
});
const only = new Set(args.only.split(',').map((s) => s.trim()));
const runsOf = (fallback: number) => (args.runs ? Number(args.runs) : fallback);

interface Row {
  scenario: string;
  metric: string;
  unit: string;
  stats: Stats;
  target?: string;
  met?: boolean;
}

const rows: Row[] = [];
const notes: string[] = [];
const record = (row: Row) => {
  rows.push(row);
  const s = row.stats;
  const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2));
  console.log(
    `  ${row.metric.padEnd(44)} ${fmt(s.median).padStart(9)} ${row.unit.padEnd(6)} (min ${fmt(s.min)}, max ${fmt(s.max)}, n=${s.samples.length})` +
      (row.target ? `  target ${row.target}: ${row.met ? 'met' : 'MISSED'}` : ''),
  );
};
const note = (text: string) => {
  notes.push(text);
  console.log(`  ${text}`);
};

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadBefore: loadavg(),
};
console.log(
  `fredlake bench on ${machine.cpu} x${machine.cores}, node ${machine.node}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

const work = await mkdtemp(join(tmpdir(), 'fredlake-bench-'));
const server = await startFredServer({ today: FULL_LAKE_DAY });
const template = join(work, 'full-lake');
let cost: CostReport | undefined;
let lambda: LambdaReport | undefined;
try {
  // 1. Backfill from scratch, alternating with the DuckDB baseline so both see the same machine load.
  if (only.has('1') || only.has('2') || only.has('3')) {
    const runs = only.has('1') ? runsOf(5) : 1;
    console.log(`\n1. backfill from scratch (${runs} runs, fredlake and DuckDB alternating)`);
    const csv = join(work, 'rows.csv');
    const rowCount = await writeRowsCsv(server, csv);
    const wall: number[] = [];
    const rss: number[] = [];
    const rate: number[] = [];
    const duck: number[] = [];
    const duckRss: number[] = [];
    const ratio: number[] = [];
    for (let i = 0; i < runs; i++) {
      const dir = join(work, `backfill-${i}`);
      const run = await runFredlake(server, dir);
      if (run.summary.written !== rowCount) throw new Error(`backfill wrote ${run.summary.written}, not ${rowCount}`);
      wall.push(run.wallMs / 1000);
      rss.push(run.maxRssMb);
      rate.push(run.summary.written / (run.wallMs / 1000));
      if (i === runs - 1) await cloneLake(dir, template);
      await rm(dir, { recursive: true, force: true });
      if (!only.has('1')) break;
      const duckOut = join(work, `duckdb-${i}`);
      const baseline = await runDuckDbCopy(csv, duckOut);
      const files = await countFiles(duckOut, /\.parquet$/);
      if (files !== rowCount) throw new Error(`DuckDB wrote ${files} files, not ${rowCount}`);
      await rm(duckOut, { recursive: true, force: true });
      duck.push(baseline.wallMs / 1000);
      duckRss.push(baseline.maxRssMb);
      ratio.push(run.wallMs / baseline.wallMs);
    }
    if (only.has('1')) {
      note(`${rowCount} date partitions (${FULL_LAKE_DAY}, ten years of SP500 + CPI)`);
      record({ scenario: 'backfill', metric: 'fredlake run, wall', unit: 's', stats: stats(wall) });
      record({ scenario: 'backfill', metric: 'fredlake run, partitions per second', unit: '/s', stats: stats(rate) });
      record({ scenario: 'backfill', metric: 'fredlake run, peak RSS', unit: 'MB', stats: stats(rss) });
      record({ scenario: 'backfill', metric: 'DuckDB COPY PARTITION_BY, wall', unit: 's', stats: stats(duck) });
      record({ scenario: 'backfill', metric: 'DuckDB COPY PARTITION_BY, peak RSS', unit: 'MB', stats: stats(duckRss) });
      const r = stats(ratio);
      record({
        scenario: 'backfill',
        metric: 'fredlake / DuckDB',
        unit: 'x',
        stats: r,
        target: '<= 1.5x',
        met: r.median <= 1.5,
      });
    }
  }

  // 2. One new day on a full lake.
  if (only.has('2')) {
    const runs = runsOf(7);
    console.log(`\n2. one new day on a full lake (${runs} runs, ${FULL_LAKE_DAY} -> ${NEXT_DAY})`);
    const wall: number[] = [];
    const rss: number[] = [];
    let written: string[] = [];
    for (let i = 0; i < runs; i++) {
      const dir = join(work, `day-${i}`);
      await cloneLake(template, dir);
      const before = await snapshotPartitions(dir);
      server.setToday(NEXT_DAY);
      try {
        const run = await runFredlake(server, dir);
        wall.push(run.wallMs / 1000);
        rss.push(run.maxRssMb);
      } finally {
        server.setToday(FULL_LAKE_DAY);
      }
      written = writtenBetween(before, await snapshotPartitions(dir));
      await rm(dir, { recursive: true, force: true });
      if (written.length !== 3) throw new Error(`the new day wrote ${written.length} files: ${written.join(', ')}`);
    }
    const w = stats(wall);
    record({
      scenario: 'new day',
      metric: 'fredlake run, wall',
      unit: 's',
      stats: w,
      target: '<= 1.5 s',
      met: w.median <= 1.5,
    });
    record({ scenario: 'new day', metric: 'fredlake run, peak RSS', unit: 'MB', stats: stats(rss) });
    note(`files written: ${written.length} (${written.join(', ')}), nothing else rewritten`);
  }

  // 3. Revision day: five years of CPI revised.
  if (only.has('3')) {
    const runs = runsOf(3);
    const changed = datesChangedByRevision(server);
    console.log(`\n3. CPI revision day (${runs} runs, ${changed.length} dates change)`);
    const wall: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < runs; i++) {
      const dir = join(work, `revision-${i}`);
      await cloneLake(template, dir);
      const before = await snapshotPartitions(dir);
      server.reviseCpi(true);
      try {
        const run = await runFredlake(server, dir);
        wall.push(run.wallMs / 1000);
        rss.push(run.maxRssMb);
      } finally {
        server.reviseCpi(false);
      }
      const written = writtenBetween(before, await snapshotPartitions(dir));
      await rm(dir, { recursive: true, force: true });
      if (written.join() !== changed.join()) {
        throw new Error(`the revision wrote ${written.length} files, ${changed.length} dates changed`);
      }
    }
    record({ scenario: 'revision', metric: 'fredlake run, wall', unit: 's', stats: stats(wall) });
    record({ scenario: 'revision', metric: 'fredlake run, peak RSS', unit: 'MB', stats: stats(rss) });
    note(`files written: ${changed.length}, exactly the dates whose row changed (${changed[0]} .. ${changed.at(-1)})`);
  }
} finally {
  await server.close();
}

try {
  if (only.has('4')) {
    console.log(`\n4. Lambda bundles (esbuild, the CDK options), cold import, batch of 10`);
    lambda = await runLambdaScenario(work, runsOf(5));
    for (const row of lambda.rows) record(row);
    for (const text of lambda.notes) note(text);
  }
  if (only.has('5')) {
    console.log('\n5. AWS cost model (counting adapters around the ports, list prices)');
    cost = await runCostModel(work);
    for (const line of cost.lines) console.log(`  ${line}`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const loadAfter = loadavg();
console.log(`\nload average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
await writeFile(
  args.out,
  `${JSON.stringify({ date: new Date().toISOString(), machine: { ...machine, loadAfter }, command: 'npm run bench', rows, notes, lambda: lambda?.details, cost: cost?.json }, null, 2)}\n`,
);
console.log(`wrote ${args.out}`);
