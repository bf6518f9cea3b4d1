import { manifestKey, rawPageKey, rejectedBodyKey } from '#shared/domain/keys.ts';
import { hashBytes } from '#shared/domain/row-hash.ts';
import { newRunId } from '#shared/domain/run-id.ts';
import { FredResponseInvalidError } from '#shared/errors.ts';
import type { FredClient, RejectedBody } from '#shared/fred/client.ts';
import type { Logger } from '#shared/logger.ts';
import type { FetchRequest } from '#shared/messages/fetch-request.ts';
import { Metric } from '#shared/metric-names.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { Metrics } from '#shared/ports/metrics.ts';
import type { ObjectStore } from '#shared/ports/object-store.ts';
import type { Manifest, ManifestFile, SeriesRole } from '#shared/raw-zone.ts';

export interface FetchDeps {
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  series: Record<SeriesRole, string>;
  /** The FRED client, created on first use (in AWS the key is read from Secrets Manager then). */
  fred: () => Promise<Pick<FredClient, 'fetchSeries'> & Partial<Pick<FredClient, 'stats'>>>;
}

export interface FetchResult {
  runId: string;
  manifestKey: string;
  files: number;
  observations: Record<SeriesRole, number>;
}

/**
 * One fetch run: every configured series in full, each response stored exactly as received under a key that is
 * never reused (the run id is new for every attempt), then the manifest, last. A FRED failure throws before the
 * manifest exists, so a failed attempt never starts a transform; its raw files stay as evidence.
 */
export const fetchRun = async (deps: FetchDeps, request: FetchRequest): Promise<FetchResult> => {
  const runId = newRunId(deps.clock.now());
  const logger = deps.logger.child({ runId });
  const fred = await deps.fred();
  const before = fred.stats?.();
  try {
    return await fetchAndStore(deps, request, runId, logger, fred);
  } finally {
    // Counted whether the run succeeded or not: a 429 storm that fails the run is what these metrics are for.
    const after = fred.stats?.();
    if (before && after) {
      deps.metrics.add(Metric.FredRequests, after.requests - before.requests);
      deps.metrics.add(Metric.FredRateLimited, after.rateLimited - before.rateLimited);
      for (const ms of after.latencyMs.slice(before.latencyMs.length))
        deps.metrics.add(Metric.FredLatency, ms, 'Milliseconds');
    }
  }
};

const fetchAndStore = async (
  deps: FetchDeps,
  request: FetchRequest,
  runId: string,
  logger: Logger,
  fred: Pick<FredClient, 'fetchSeries'>,
): Promise<FetchResult> => {
  const files: ManifestFile[] = [];
  const observations: Record<SeriesRole, number> = { sp500: 0, cpi: 0 };
  let rejectedCount = 0;

  for (const role of ['sp500', 'cpi'] as const) {
    const seriesId = deps.series[role];
    const response = await fred.fetchSeries(seriesId, {
      onRejectedBody: (rejected) => keepRejectedBody(deps.store, runId, rejected, ++rejectedCount),
    });
    if (response.observations.length === 0) {
      // A whole series is never empty (SP500 has ten years, CPI decades): FRED answered a valid but empty page.
      for (const page of response.pages) {
        await keepRejectedBody(
          deps.store,
          runId,
          { ...page, seriesId, attempt: 0, code: 'FRED_RESPONSE_INVALID', reason: 'no observations' },
          ++rejectedCount,
        );
      }
      throw new FredResponseInvalidError(
        `FRED returned no observations for series ${seriesId}: a whole series is never empty, the run is refused`,
        { seriesId },
      );
    }
    observations[role] = response.observations.length;
    for (const [index, page] of response.pages.entries()) {
      const key = rawPageKey(runId, seriesId, index + 1);
      const body = new TextEncoder().encode(page.body);
      const sha256 = hashBytes(body);
      const file: ManifestFile = {
        key,
        role,
        seriesId,
        page: index + 1,
        sha256,
        bytes: body.byteLength,
        status: page.status,
        fetchedAt: page.fetchedAt,
        observationCount: page.observationCount,
        params: page.params,
        ...(page.lastModified === undefined ? {} : { lastModified: page.lastModified }),
      };
      await deps.store.put(key, body, {
        contentType: 'application/json',
        metadata: {
          'series-id': seriesId,
          params: JSON.stringify(page.params),
          'fetched-at': page.fetchedAt,
          'http-status': String(page.status),
          'last-modified': page.lastModified ?? '',
          sha256,
          'run-id': runId,
        },
      });
      files.push(file);
    }
    logger.info('series fetched', {
      seriesId,
      observations: response.observations.length,
      pages: response.pages.length,
    });
  }

  const manifest: Manifest = {
    version: 1,
    runId,
    createdAt: deps.clock.now().toISOString(),
    reason: request.reason,
    files,
    ...(request.force ? { force: request.force } : {}),
  };
  const key = manifestKey(runId);
  await deps.store.put(key, JSON.stringify(manifest, null, 2), { contentType: 'application/json' });
  logger.info('fetch run complete', { manifestKey: key, files: files.length });
  return { runId, manifestKey: key, files: files.length, observations };
};

/**
 * Keeps a FRED body the client refused (HTML, cut off, garbage, an invalid envelope) exactly as received under
 * raw/rejected/<runId>/<seriesId>/attempt-NN.txt, with why it was refused: the landing zone's evidence of what FRED
 * sent. Never listed by a manifest, so it is never transformed.
 */
const keepRejectedBody = async (
  store: ObjectStore,
  runId: string,
  rejected: RejectedBody,
  attempt: number,
): Promise<void> => {
  await store.put(rejectedBodyKey(runId, rejected.seriesId, attempt), rejected.body, {
    contentType: 'text/plain; charset=utf-8',
    metadata: {
      'series-id': rejected.seriesId,
      params: JSON.stringify(rejected.params),
      'fetched-at': rejected.fetchedAt,
      'http-status': String(rejected.status),
      'error-code': rejected.code,
      'run-id': runId,
    },
  });
};
