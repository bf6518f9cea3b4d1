import type { Deps } from '#shared/deps.ts';
import { createSqsBatchHandler } from '#shared/lambda/sqs-batch-handler.ts';
import { WriteRequest } from '#shared/messages/write-request.ts';
import { loadPartitionEncoder, writePartition } from './write.ts';

export const createWriterHandler = (deps: Deps) => {
  // Start loading the encoder now; a failure shows up (and is retried) at the first write that needs it.
  loadPartitionEncoder().catch(() => undefined);
  return createSqsBatchHandler({
    queue: 'write',
    logger: deps.logger,
    failures: deps.failures,
    metrics: deps.metrics,
    maxReceiveCount: deps.config.queues.maxReceiveCount,
    schema: WriteRequest,
    // The context's logger carries the message's run id on every line.
    processMessage: (request, { logger }) => writePartition({ ...deps, logger }, request),
  });
};
