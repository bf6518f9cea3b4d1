import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RUSAGE_HOOK = new URL('../support/rusage-hook.mjs', import.meta.url).href;

export interface ProcessRun {
  code: number | null;
  wallMs: number;
  maxRssMb: number;
  cpuMs: number;
  stdout: string;
  stderr: string;
}

let sequence = 0;

/** Runs `node <args>` as a whole process with the rusage hook preloaded: wall time, peak RSS, CPU, output. */
export const runNode = async (
  args: string[],
  env: Record<string, string> = {},
  nodeOptions: string[] = [],
): Promise<ProcessRun> => {
  const usageFile = join(tmpdir(), `fredlake-bench-rusage-${process.pid}-${sequence++}.json`);
  const began = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [...nodeOptions, '--import', RUSAGE_HOOK, ...args], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, FREDLAKE_BENCH_RUSAGE: usageFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    },
  );
  const wallMs = performance.now() - began;
  const usage = JSON.parse(await readFile(usageFile, 'utf8').catch(() => '{}')) as {
    maxRssKb?: number;
    userMs?: number;
    systemMs?: number;
  };
  await rm(usageFile, { force: true });
  return {
    code,
    wallMs,
    maxRssMb: (usage.maxRssKb ?? Number.NaN) / 1024,
    cpuMs: (usage.userMs ?? Number.NaN) + (usage.systemMs ?? Number.NaN),
    stdout,
    stderr,
  };
};

export interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export const stats = (samples: number[]): Stats => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2
        ? (sorted[mid] ?? Number.NaN)
        : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN, samples };
};
