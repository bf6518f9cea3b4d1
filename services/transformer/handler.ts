import type { Deps } from '#shared/deps.ts';
import { createSqsBatchHandler } from '#shared/lambda/sqs-batch-handler.ts';
import { decodeS3Key, S3Event } from '#shared/messages/s3-event.ts';
import { transformRun } from './transform.ts';

/** Fed by the S3 object-created notification of a manifest (S3's test event is accepted and ignored). */
export const createTransformerHandler = (deps: Deps) =>
  createSqsBatchHandler({
    queue: 'transform',
    logger: deps.logger,
    failures: deps.failures,
    schema: S3Event,
    processMessage: async (event) => {
      if (!('Records' in event)) return [];
      const results = [];
      for (const record of event.Records) {
        results.push(await transformRun({ ...deps, writeQueue: deps.queues.write }, decodeS3Key(record.s3.object.key)));
      }
      return results;
    },
  });
