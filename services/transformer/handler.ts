import type { Deps } from '#shared/deps.ts';
import { isManifestKey, runIdOfManifestKey } from '#shared/domain/keys.ts';
import { createSqsBatchHandler } from '#shared/lambda/sqs-batch-handler.ts';
import { decodeS3Key, S3Event } from '#shared/messages/s3-event.ts';
import { manifestKeyOfRecord, transformRun } from './transform.ts';

/** An S3 event carries no run id of its own: the manifest key names the fetch run it starts a transform for. */
const runIdOfEvent = (event: S3Event): string | undefined => {
  if (!('Records' in event)) return undefined;
  const key = event.Records[0] && decodeS3Key(event.Records[0].s3.object.key);
  return key !== undefined && isManifestKey(key) ? runIdOfManifestKey(key) : undefined;
};

/**
 * Fed by the S3 object-created notification of a manifest (S3's test event is accepted and ignored). A record from
 * another bucket, or with a key that climbs out of its prefix, is refused before anything is read.
 */
export const createTransformerHandler = (deps: Deps) =>
  createSqsBatchHandler({
    queue: 'transform',
    logger: deps.logger,
    failures: deps.failures,
    metrics: deps.metrics,
    maxReceiveCount: deps.config.queues.maxReceiveCount,
    schema: S3Event,
    runIdOf: runIdOfEvent,
    processMessage: async (event, { logger }) => {
      if (!('Records' in event)) return [];
      const results = [];
      for (const record of event.Records) {
        const key = manifestKeyOfRecord(record, deps.bucket);
        results.push(await transformRun({ ...deps, logger, writeQueue: deps.queues.write }, key));
      }
      return results;
    },
  });
