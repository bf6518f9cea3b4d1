import { writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runLocalFlow } from '#cli/commands/run.ts';
import { openPipeline } from '#cli/pipeline.ts';
import { auditGaps } from '#services/gap-auditor/audit-gaps.ts';
import { addDays } from '#shared/domain/calendar.ts';
import type { DailyRow } from '#shared/domain/daily-rows.ts';
import { QUARANTINE_PREFIX } from '#shared/domain/keys.ts';
import { QUEUE_NAMES } from '#shared/ports/queue.ts';
import { Chaos, chaosDecorator, type FaultKind, FaultLedger, injectFredFaults } from '#test/support/chaos/faults.ts';
import { seededRandom } from '#test/support/chaos/random.ts';
import { runCli, spawnCli } from '#test/support/cli.ts';
import { type FredServer, startFredServer } from '#test/support/fred-server.ts';
import { expectedRows, lakeRows, partitionFiles, temporaryFiles } from '#test/support/lake.ts';
import { makeTempDir, removeDir, testConfig, testEnv } from '#test/support/local-env.ts';

/**
 * The chaos suite: seeded random faults during repeated runs (FRED errors and lies, object-store and queue faults,
 * handler exceptions, duplicate deliveries, SIGKILL of the process), then the faults stop, the DLQs are redriven and
 * `run` repeated, and the dataset must equal the fault-free one: same rows, same partition files, no lost date, no
 * stray partition, no temporary file, empty DLQs.
 *
 *   npm test                        a short seeded run (CHAOS_SEEDS=4 in-process seeds, 1 SIGKILL seed)
 *   npm run test:chaos              the long mode (CHAOS_SEEDS=70 x 3 fault runs, CHAOS_KILL_SEEDS=12)
 *   CHAOS_SEED=1234 npm run test:chaos    replays one seed (in-process and SIGKILL)
 *   CHAOS_REPORT=path.json          also writes the figures as JSON
 */
const LONG = process.env.CHAOS_MODE === 'long';
const SEED = process.env.CHAOS_SEED === undefined ? undefined : Number(process.env.CHAOS_SEED);
const BASE_SEED = Number(process.env.CHAOS_BASE_SEED ?? 20261126);
const SEEDS = SEED === undefined ? Number(process.env.CHAOS_SEEDS ?? (LONG ? 70 : 4)) : 1;
const KILL_SEEDS = SEED === undefined ? Number(process.env.CHAOS_KILL_SEEDS ?? (LONG ? 12 : 1)) : 1;
const FAULT_RUNS_PER_SEED = Number(process.env.CHAOS_RUNS_PER_SEED ?? 3);
const KILLS_PER_SEED = 3;
const FRED_TIMEOUT_MS = 300;

const seedsFrom = (offset: number, count: number): number[] =>
  SEED === undefined ? Array.from({ length: count }, (_, i) => BASE_SEED + offset + i) : [SEED];

interface Figures {
  seeds: number;
  faultRuns: number;
  /** Fault runs that threw or ended with a message in a DLQ. */
  failedRuns: number;
  /** Seeds whose dataset was incomplete or wrong when the faults stopped, and complete after recovery. */
  recoveries: number;
  redriven: number;
  divergences: { seed: number; mode: string; problems: string[] }[];
}

const figures: Figures = { seeds: 0, faultRuns: 0, failedRuns: 0, recoveries: 0, redriven: 0, divergences: [] };
const ledger = new FaultLedger();

const chaosEnv = (dataDir: string, url: string) =>
  testEnv(dataDir, url, { FRED_TIMEOUT_MS: String(FRED_TIMEOUT_MS), FREDLAKE_MAX_RECEIVE_COUNT: '2' });

/** Everything that differs from the fault-free dataset, as lines naming the seed's problem. */
const divergence = async (dataDir: string, expected: DailyRow[], url: string): Promise<string[]> => {
  const problems: string[] = [];
  const expectedKeys = expected.map((row) => `date=${row.date}/data.parquet`);
  const keys = [...(await partitionFiles(dataDir)).keys()];
  const missing = expectedKeys.filter((key) => !keys.includes(key));
  const stray = keys.filter((key) => !expectedKeys.includes(key));
  if (missing.length) problems.push(`${missing.length} dates lost, first ${missing[0]}`);
  if (stray.length) problems.push(`${stray.length} stray partition files, first ${stray[0]}`);
  const rows = keys.length ? await lakeRows(dataDir) : [];
  const wrong = rows.filter((row, i) => JSON.stringify(row) !== JSON.stringify(expected[i]));
  if (rows.length !== expected.length) problems.push(`${rows.length} rows, expected ${expected.length}`);
  else if (wrong.length) problems.push(`${wrong.length} rows differ, first ${wrong[0]?.date}`);
  const temporary = await temporaryFiles(dataDir);
  if (temporary.length) problems.push(`${temporary.length} temporary files left, first ${temporary[0]}`);
  const pipeline = await openPipeline(testConfig(dataDir, url));
  try {
    const { deps } = pipeline;
    for (const name of QUEUE_NAMES) {
      const depth = await deps.queues[name].deadLetter.depth();
      const work = await deps.queues[name].depth();
      if (depth.visible > 0) problems.push(`${depth.visible} messages left in the ${name} DLQ`);
      if (work.visible + work.inFlight > 0) problems.push(`${work.visible + work.inFlight} messages left in ${name}`);
    }
    const audit = await auditGaps(
      { ...deps, writeQueue: deps.queues.write, fetchQueue: deps.queues.fetch },
      { repair: false, deep: true },
    );
    for (const kind of ['missing', 'mismatched', 'extra', 'unregistered', 'registeredWithoutFile'] as const) {
      if (audit[kind].length) problems.push(`audit: ${audit[kind].length} ${kind}, first ${audit[kind][0]}`);
    }
    if ((await deps.store.list(QUARANTINE_PREFIX)).length) problems.push('a run was quarantined');
  } finally {
    await pipeline.close();
  }
  return problems;
};

/**
 * Faults stop, and an operator recovers: redrive every DLQ, drain, `run`; repeated while a DLQ still holds a message
 * (at most three rounds). Deliveries a killed process never finished still count against maxReceiveCount, so a
 * healthy message can reach a DLQ on the first run after a crash; a redrive is the documented answer.
 */
const recover = async (dataDir: string, url: string): Promise<void> => {
  const config = testConfig(dataDir, url);
  for (let round = 0; round < 3; round++) {
    const pipeline = await openPipeline(config);
    try {
      for (const name of QUEUE_NAMES) figures.redriven += (await pipeline.deps.queues[name].redrive()).moved;
      await pipeline.drain();
    } finally {
      await pipeline.close();
    }
    const summary = await runLocalFlow(config, { version: 1, reason: 'manual' });
    const dlq = Object.values(summary.dlqDepth).reduce((a, b) => a + b, 0);
    if (summary.ok && dlq === 0) return;
  }
};

const countFredFaults = (plan: FaultKind[], server: FredServer, requestsBefore: number, seedLedger: FaultLedger) => {
  for (const kind of plan.slice(0, server.requests.length - requestsBefore)) seedLedger.add(kind);
  server.clearFaults();
};

/** A random day of 2026 before the server's CPI lag matters: each seed gets its own dataset. */
const todayFor = (seed: number): string => addDays('2026-01-20', seededRandom(seed ^ 0x5eed).int(0, 300));

describe('chaos: the dataset survives seeded faults and equals the fault-free run', () => {
  afterAll(async () => {
    const byKind = Object.fromEntries([...ledger.counts].sort(([a], [b]) => a.localeCompare(b)));
    const report = { mode: LONG ? 'long' : 'short', baseSeed: BASE_SEED, ...figures, faults: byKind };
    const lines = [
      `chaos figures (${report.mode}, base seed ${BASE_SEED}):`,
      `  seeds ${figures.seeds}, fault runs ${figures.faultRuns} (${figures.failedRuns} failed or left a DLQ message)`,
      `  faults injected ${ledger.total()}: ${Object.entries(byKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
      `  recoveries ${figures.recoveries}, messages redriven ${figures.redriven}`,
      `  divergences ${figures.divergences.length}${figures.divergences
        .map((d) => `\n    CHAOS_SEED=${d.seed} (${d.mode}): ${d.problems.join('; ')}`)
        .join('')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (process.env.CHAOS_REPORT) await writeFile(process.env.CHAOS_REPORT, JSON.stringify(report, null, 2));
  });

  /** After recovery: compares with the fault-free rows and records the seed's figures; a kept directory is named. */
  const judgeSeed = async (
    seed: number,
    mode: 'in-process' | 'sigkill',
    run: { broken: boolean; dataDir: string; expected: DailyRow[]; fredUrl: string; seedLedger: FaultLedger },
  ) => {
    const problems = await divergence(run.dataDir, run.expected, run.fredUrl);
    figures.seeds++;
    if (run.broken && problems.length === 0) figures.recoveries++;
    if (problems.length) figures.divergences.push({ seed, mode, problems });
    ledger.merge(run.seedLedger);
    if (problems.length && process.env.CHAOS_KEEP) {
      process.stdout.write(`CHAOS_SEED=${seed}: data directory kept at ${run.dataDir}\n`);
    }
    return problems;
  };

  it.each(seedsFrom(0, SEEDS))(
    'in process: faults in FRED, the object store, the queues and the handlers (CHAOS_SEED=%i)',
    async (seed) => {
      const random = seededRandom(seed);
      const today = todayFor(seed);
      const server = await startFredServer({ today, windowYears: 1, seed: (seed % 1000) + 1 });
      let dataDir = await makeTempDir('fredlake-chaos-');
      const seedLedger = new FaultLedger();
      const chaos = new Chaos(random, seedLedger);
      const config = testConfig(dataDir, server.url, chaosEnv(dataDir, server.url));
      try {
        let broken = false;
        for (let run = 0; run < FAULT_RUNS_PER_SEED; run++) {
          // Revisions between runs, so later runs rewrite some dates instead of writing nothing.
          if (random.chance(0.4)) server.reviseCpi(random.chance(0.5));
          const plan = injectFredFaults(server, random, { maxFaults: 3, timeoutMs: FRED_TIMEOUT_MS });
          const before = server.requests.length;
          chaos.enabled = true;
          figures.faultRuns++;
          try {
            const summary = await runLocalFlow(
              config,
              { version: 1, reason: 'manual' },
              { overrides: { decorate: chaosDecorator(chaos) } },
            );
            if (!summary.ok) figures.failedRuns++;
          } catch {
            figures.failedRuns++;
          }
          countFredFaults(plan, server, before, seedLedger);
        }
        chaos.enabled = false;
        const expected = expectedRows([server.sp500()], [server.cpi()]);
        broken = (await divergence(dataDir, expected, server.url)).length > 0;

        await recover(dataDir, server.url);

        const problems = await judgeSeed(seed, 'in-process', {
          broken,
          dataDir,
          expected,
          fredUrl: server.url,
          seedLedger,
        });
        if (problems.length && process.env.CHAOS_KEEP) dataDir = '';
        expect(problems, `CHAOS_SEED=${seed}`).toEqual([]);
      } finally {
        await server.close();
        if (dataDir) await removeDir(dataDir);
      }
    },
    LONG ? 600_000 : 120_000,
  );

  it.each(seedsFrom(10_000, KILL_SEEDS))(
    'as a subprocess: SIGKILL of `fredlake run` at random points, with FRED faults (CHAOS_SEED=%i)',
    async (seed) => {
      const random = seededRandom(seed);
      const server = await startFredServer({ today: todayFor(seed), windowYears: 1, seed: (seed % 1000) + 1 });
      let dataDir = await makeTempDir('fredlake-chaos-kill-');
      const seedLedger = new FaultLedger();
      const env = chaosEnv(dataDir, server.url);
      try {
        let broken = false;
        for (let kill = 0; kill < KILLS_PER_SEED; kill++) {
          const plan = injectFredFaults(server, random, { maxFaults: 2, timeoutMs: FRED_TIMEOUT_MS });
          const before = server.requests.length;
          figures.faultRuns++;
          const child = spawnCli(['run', '--data-dir', dataDir, '--quiet'], env);
          const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
          const delay = random.int(400, 3_000);
          const timer = setTimeout(() => child.kill('SIGKILL'), delay);
          const code = await closed;
          clearTimeout(timer);
          if (code === null) seedLedger.add('sigkill');
          if (code !== 0) figures.failedRuns++;
          countFredFaults(plan, server, before, seedLedger);
        }
        const expected = expectedRows([server.sp500()], [server.cpi()]);
        broken = (await divergence(dataDir, expected, server.url)).length > 0;

        // `run` once more as a subprocess, then the operator's redrive: a message a killed run left behind may have
        // reached a DLQ already, and `run` (which exits 0 when nothing new reached a DLQ) does not redrive it.
        await runCli(['run', '--data-dir', dataDir, '--quiet'], env);
        await recover(dataDir, server.url);

        const problems = await judgeSeed(seed, 'sigkill', {
          broken,
          dataDir,
          expected,
          fredUrl: server.url,
          seedLedger,
        });
        if (problems.length && process.env.CHAOS_KEEP) dataDir = '';
        expect(problems, `CHAOS_SEED=${seed}`).toEqual([]);
      } finally {
        await server.close();
        if (dataDir) await removeDir(dataDir);
      }
    },
    LONG ? 600_000 : 120_000,
  );
});
