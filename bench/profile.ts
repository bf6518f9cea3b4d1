/**
 * CPU profile of one scenario's `fredlake run` (node --cpu-prof), summarised by self time and by package.
 *   npx tsx bench/profile.ts backfill|day|revision
 * Profiles land in bench/out/profiles/ (open them in Chrome DevTools or speedscope).
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFredServer, TEST_FRED_KEY } from '#test/support/fred-server.ts';
import { cloneLake, FULL_LAKE_DAY, NEXT_DAY, runFredlake } from './lib/lake.ts';
import { REPO_ROOT, runNode } from './lib/measure.ts';

const scenario = process.argv[2] ?? 'backfill';
const out = join(REPO_ROOT, 'bench', 'out', 'profiles', scenario);
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const work = await mkdtemp(join(tmpdir(), 'fredlake-profile-'));
const server = await startFredServer({ today: FULL_LAKE_DAY });
try {
  const dir = join(work, 'lake');
  if (scenario !== 'backfill') {
    await runFredlake(server, join(work, 'template'));
    await cloneLake(join(work, 'template'), dir);
    if (scenario === 'day') server.setToday(NEXT_DAY);
    if (scenario === 'revision') server.reviseCpi(true);
  }
  const run = await runNode(
    ['bin/fredlake.js', 'run', '--data-dir', dir, '--json'],
    { FRED_API_URL: server.url, FRED_API_KEY: TEST_FRED_KEY },
    ['--cpu-prof', `--cpu-prof-dir=${out}`],
  );
  console.log(`exit ${run.code}, wall ${(run.wallMs / 1000).toFixed(2)} s, cpu ${(run.cpuMs / 1000).toFixed(2)} s`);
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = (await readdir(out)).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile written');
const profile = JSON.parse(await readFile(join(out, file), 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const group = (key: (n: Node) => string) => {
  const sums = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (node) sums.set(key(node), (sums.get(key(node)) ?? 0) + ms);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
};
const where = (n: Node) => {
  const url = n.callFrame.url.replace(`file://${REPO_ROOT}`, '');
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  return (
    pkg ??
    (url.startsWith('node:')
      ? 'node internals'
      : url === ''
        ? '(native/gc/idle)'
        : url.split('/').slice(0, 2).join('/'))
  );
};
console.log(`\nself time by place (${total.toFixed(0)} ms sampled):`);
for (const [name, ms] of group(where).slice(0, 15)) console.log(`  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
console.log('\ntop functions by self time:');
for (const [name, ms] of group(
  (n) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber}`,
).slice(0, 25)) {
  console.log(`  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
}
