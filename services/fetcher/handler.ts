import type { Deps } from '#shared/deps.ts';
import { createSqsBatchHandler } from '#shared/lambda/sqs-batch-handler.ts';
import { FetchRequest } from '#shared/messages/fetch-request.ts';
import { fetchRun } from './fetch.ts';

export const createFetcherHandler = (deps: Deps) =>
  createSqsBatchHandler({
    queue: 'fetch',
    logger: deps.logger,
    failures: deps.failures,
    metrics: deps.metrics,
    maxReceiveCount: deps.config.queues.maxReceiveCount,
    schema: FetchRequest,
    processMessage: (request, { logger }) => fetchRun({ ...deps, logger, series: deps.config.series }, request),
  });
