import type { Command } from 'commander';
import type { Config } from '#shared/config.ts';
import type { Deps } from '#shared/deps.ts';
import { isManifestKey, MANIFEST_PREFIX, RAW_RUNS_PREFIX, runIdOfManifestKey } from '#shared/domain/keys.ts';
import { hashBytes } from '#shared/domain/row-hash.ts';
import { describeError } from '#shared/errors.ts';
import { parseObservationsPage } from '#shared/fred/envelope.ts';
import { type Manifest, readManifest, type SeriesRole } from '#shared/raw-zone.ts';
import { loadState, type StagedState } from '#shared/staged-state.ts';
import { CliError, ExitCode } from '../errors.ts';
import { plural } from '../format.ts';
import { type CommonOptions, configFrom, withCommonOptions } from '../options.ts';
import { printJson, withDeps } from './ops-support.ts';

/**
 * The raw landing zone, checked file by file: every file a manifest lists exists, matches the sha256 the manifest
 * recorded, is a valid FRED observations page and holds the observation count recorded. Per fetch run it tells
 * whether the transformer applied it and whether it repeats the previous run; files outside any manifest are named.
 */
export type RawProblemKind = 'corrupt' | 'missing' | 'orphaned' | 'unlisted';

export interface RawProblem {
  kind: RawProblemKind;
  key: string;
  runId: string;
  reason: string;
}

export interface RawSeriesAudit {
  role: SeriesRole;
  seriesId: string;
  files: number;
  observations: number;
  firstDate: string | undefined;
  lastDate: string | undefined;
}

/** applied: in the staged state; skipped: older than the state's last run and never applied; pending: not yet. */
export type TransformStatus = 'applied' | 'skipped' | 'pending' | 'unknown';

export interface RawRunAudit {
  runId: string;
  manifestKey: string;
  reason: string | undefined;
  fetchedAt: string | undefined;
  series: RawSeriesAudit[];
  observations: number;
  firstDate: string | undefined;
  lastDate: string | undefined;
  transformed: TransformStatus;
  /** Series whose files have the same sha256s as in the previous run (all of them: the run repeats it). */
  repeatsPrevious: string[];
  problems: RawProblem[];
}

export interface RawAudit {
  runs: RawRunAudit[];
  /** Files under raw/runs/<runId>/ with no manifest for that run: a fetch attempt that failed before its manifest. */
  orphaned: RawProblem[];
  problems: RawProblem[];
  files: number;
  /** False when any file is corrupt or missing (orphaned and unlisted files are reported, not failures). */
  ok: boolean;
}

const transformStatus = (state: StagedState | undefined, runId: string): TransformStatus => {
  if (!state) return 'pending';
  if (state.appliedRuns.includes(runId) || state.lastRunId === runId) return 'applied';
  if (runId > state.lastRunId) return 'pending';
  // Older than the last applied run: applied ones are remembered for the last 200 runs only.
  const oldest = state.appliedRuns[0];
  return oldest !== undefined && runId < oldest && state.appliedRuns.length >= 200 ? 'unknown' : 'skipped';
};

const runIdOfRawKey = (key: string): string => key.slice(RAW_RUNS_PREFIX.length).split('/')[0] ?? '';

const span = (dates: (string | undefined)[], pick: 'min' | 'max'): string | undefined => {
  const defined = dates.filter((d): d is string => d !== undefined).sort();
  return pick === 'min' ? defined[0] : defined.at(-1);
};

const auditRun = async (
  deps: Deps,
  manifest: Manifest,
  key: string,
  state: StagedState | undefined,
): Promise<RawRunAudit> => {
  const problems: RawProblem[] = [];
  const series = new Map<SeriesRole, RawSeriesAudit>();
  const files = [...manifest.files].sort((a, b) => a.role.localeCompare(b.role) || a.page - b.page);
  for (const file of files) {
    const entry = series.get(file.role) ?? {
      role: file.role,
      seriesId: file.seriesId,
      files: 0,
      observations: 0,
      firstDate: undefined,
      lastDate: undefined,
    };
    series.set(file.role, entry);
    entry.files += 1;
    entry.observations += file.observationCount;
    const object = await deps.store.get(file.key);
    if (!object) {
      problems.push({
        kind: 'missing',
        key: file.key,
        runId: manifest.runId,
        reason: 'listed in its manifest, not in the store',
      });
      continue;
    }
    const reasons: string[] = [];
    const sha256 = hashBytes(object.body);
    if (sha256 !== file.sha256) {
      reasons.push(`sha256 ${sha256.slice(0, 12)}... is not the ${file.sha256.slice(0, 12)}... its manifest recorded`);
    }
    try {
      const page = parseObservationsPage(new TextDecoder().decode(object.body), {
        seriesId: file.seriesId,
        status: file.status,
      });
      if (page.observations.length !== file.observationCount) {
        reasons.push(`holds ${page.observations.length} observations, its manifest recorded ${file.observationCount}`);
      }
      entry.firstDate = span([entry.firstDate, page.observations[0]?.date], 'min');
      entry.lastDate = span([entry.lastDate, page.observations.at(-1)?.date], 'max');
    } catch (error) {
      reasons.push(`not a valid FRED response (${describeError(error)})`);
    }
    if (reasons.length > 0) {
      problems.push({ kind: 'corrupt', key: file.key, runId: manifest.runId, reason: reasons.join('; ') });
    }
  }
  const all = [...series.values()];
  return {
    runId: manifest.runId,
    manifestKey: key,
    reason: manifest.reason,
    fetchedAt: span(
      manifest.files.map((f) => f.fetchedAt),
      'min',
    ),
    series: all,
    observations: all.reduce((sum, s) => sum + s.observations, 0),
    firstDate: span(
      all.map((s) => s.firstDate),
      'min',
    ),
    lastDate: span(
      all.map((s) => s.lastDate),
      'max',
    ),
    transformed: transformStatus(state, manifest.runId),
    repeatsPrevious: [],
    problems,
  };
};

const hashesBySeries = (manifest: Manifest): Map<string, string> => {
  const bySeries = new Map<string, string[]>();
  for (const file of [...manifest.files].sort((a, b) => a.page - b.page)) {
    bySeries.set(file.seriesId, [...(bySeries.get(file.seriesId) ?? []), file.sha256]);
  }
  return new Map([...bySeries].map(([id, hashes]) => [id, hashes.join(',')]));
};

export const auditRawZone = async (deps: Deps): Promise<RawAudit> => {
  const state = await loadState(deps.store).catch(() => undefined);
  const manifestKeys = (await deps.store.list(MANIFEST_PREFIX)).map((o) => o.key).filter(isManifestKey);
  const rawKeys = (await deps.store.list(RAW_RUNS_PREFIX)).map((o) => o.key);
  const runs: RawRunAudit[] = [];
  const listed = new Set<string>();
  const manifestRuns = new Set<string>();
  let previous: Map<string, string> | undefined;

  for (const key of manifestKeys.sort()) {
    const runId = runIdOfManifestKey(key);
    manifestRuns.add(runId);
    let manifest: Manifest;
    try {
      manifest = await readManifest(deps.store, key);
    } catch (error) {
      runs.push({
        runId,
        manifestKey: key,
        reason: undefined,
        fetchedAt: undefined,
        series: [],
        observations: 0,
        firstDate: undefined,
        lastDate: undefined,
        transformed: transformStatus(state, runId),
        repeatsPrevious: [],
        problems: [{ kind: 'corrupt', key, runId, reason: describeError(error) }],
      });
      continue;
    }
    for (const file of manifest.files) listed.add(file.key);
    const run = await auditRun(deps, manifest, key, state);
    const hashes = hashesBySeries(manifest);
    if (previous) {
      const before = previous;
      run.repeatsPrevious = [...hashes].filter(([id, h]) => before.get(id) === h).map(([id]) => id);
    }
    previous = hashes;
    runs.push(run);
  }

  const orphaned: RawProblem[] = [];
  const unlisted: RawProblem[] = [];
  for (const key of rawKeys) {
    if (listed.has(key)) continue;
    const runId = runIdOfRawKey(key);
    if (manifestRuns.has(runId)) {
      unlisted.push({ kind: 'unlisted', key, runId, reason: "in the run's folder but not in its manifest" });
    } else {
      orphaned.push({ kind: 'orphaned', key, runId, reason: 'no manifest: a fetch attempt that did not complete' });
    }
  }
  for (const problem of unlisted) runs.find((r) => r.runId === problem.runId)?.problems.push(problem);

  const problems = [...runs.flatMap((r) => r.problems), ...orphaned];
  return {
    runs,
    orphaned,
    problems,
    files: rawKeys.length,
    ok: !problems.some((p) => p.kind === 'corrupt' || p.kind === 'missing'),
  };
};

export const formatRawAudit = (audit: RawAudit, dataDir: string): string => {
  const lines = [
    `raw landing zone of ${dataDir}: ${plural(audit.runs.length, 'fetch run')}, ${plural(audit.files, 'raw file')}`,
  ];
  for (const run of audit.runs) {
    const series = run.series
      .map(
        (s) =>
          `${s.seriesId} ${s.observations.toLocaleString('en-US')} obs ${s.firstDate ?? '?'}..${s.lastDate ?? '?'}`,
      )
      .join('; ');
    const all = run.series.length > 0 && run.repeatsPrevious.length === run.series.length;
    const repeats = all
      ? 'repeats the previous run'
      : run.repeatsPrevious.length
        ? `same ${run.repeatsPrevious.join(', ')} as the previous run`
        : 'new content';
    lines.push(
      `  ${run.runId}  ${run.reason ?? '?'}  fetched ${run.fetchedAt ?? '?'}  ${run.transformed}  ${repeats}`,
      `      ${series || 'no readable series'}`,
    );
    for (const p of run.problems) lines.push(`      ${p.kind.toUpperCase()} ${p.key}: ${p.reason}`);
  }
  if (audit.orphaned.length > 0) {
    lines.push(`  orphaned files (no manifest; a failed fetch attempt, never transformed):`);
    for (const p of audit.orphaned) lines.push(`      ORPHANED ${p.key}`);
  }
  const bad = audit.problems.filter((p) => p.kind === 'corrupt' || p.kind === 'missing').length;
  lines.push(bad === 0 ? '  every listed file is intact' : `  ${plural(bad, 'file')} corrupt or missing`);
  return `${lines.join('\n')}\n`;
};

interface AuditRawCliOptions extends CommonOptions {}

export const auditRawCommand = (config: Config): Promise<RawAudit> => withDeps(config, auditRawZone);

export const registerAuditRaw = (program: Command): void => {
  withCommonOptions(
    program
      .command('audit-raw')
      .description(
        "Audit the raw landing zone: every raw file parses, matches the sha256 its manifest recorded and FRED's " +
          'envelope; per fetch run its series, observations, date span, whether it was transformed and whether it ' +
          'repeats the previous run; orphaned and unlisted files by key.',
      )
      .option('--json', 'print the audit as JSON'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx fredlake audit-raw --data-dir ./.fredlake\n\n' +
        'Exit codes: 0 every listed file intact, 1 a raw file or manifest is corrupt or missing, 2 bad arguments.',
    )
    .action(async (options: AuditRawCliOptions) => {
      const config = configFrom(options);
      const audit = await auditRawCommand(config);
      if (options.json) printJson(audit);
      else process.stdout.write(formatRawAudit(audit, config.dataDir));
      if (!audit.ok) {
        const first = audit.problems.find((p) => p.kind === 'corrupt' || p.kind === 'missing');
        throw new CliError(
          `raw file ${first?.key} is ${first?.kind}: ${first?.reason}` +
            (audit.problems.length > 1 ? ` (and ${audit.problems.length - 1} more problems above)` : ''),
          ExitCode.problem,
        );
      }
    });
};
