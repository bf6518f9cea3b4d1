import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { describeError, MessageInvalidError, PipelineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { Metric } from '../metric-names.ts';
import type { FailureLog } from '../ports/failure-log.ts';
import type { Metrics } from '../ports/metrics.ts';

export interface MessageContext {
  messageId: string;
  receiveCount: number;
  logger: Logger;
}

export interface SqsBatchHandlerOptions<T> {
  /** The queue's short name (`fetch`, `transform`, `write`): failure records are filed under it. */
  queue: string;
  logger: Logger;
  failures: FailureLog;
  schema: z.ZodType<T>;
  processMessage: (message: T, context: MessageContext) => Promise<unknown>;
  /** Flushed after every batch (in Lambda: one EMF line per invocation); DLQ moves are counted into it. */
  metrics?: Metrics;
  /** The queue's redrive policy: a message that fails on this receive goes to the DLQ next (counted as DlqMoves). */
  maxReceiveCount?: number;
  /** The run a message belongs to, for its log lines; by default the message's own `runId` field. */
  runIdOf?: (message: T) => string | undefined;
}

const ownRunId = (message: unknown): string | undefined => {
  const runId = (message as { runId?: unknown } | null)?.runId;
  return typeof runId === 'string' ? runId : undefined;
};

export type SqsBatchHandler = (event: SQSEvent, context?: unknown) => Promise<SQSBatchResponse>;

/** Parses a record body as JSON and validates it; a bad body is a permanent MessageInvalidError naming the problem. */
export const parseRecord = <T>(
  queue: string,
  record: Pick<SQSRecord, 'messageId' | 'body'>,
  schema: z.ZodType<T>,
): T => {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    throw new MessageInvalidError(
      `${queue} message ${record.messageId} is not JSON: ${JSON.stringify(record.body.slice(0, 60))}`,
      { queue, messageId: record.messageId },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'message';
    throw new MessageInvalidError(
      `${queue} message ${record.messageId} is invalid: ${where}: ${issue?.message ?? 'does not match the schema'}`,
      { queue, messageId: record.messageId },
    );
  }
  return parsed.data;
};

/**
 * The one SQS batch wrapper: parse -> validate -> process, each record settled on its own, failures reported as
 * `batchItemFailures` (so one bad message fails alone) and recorded with their reason for `fredlake dlq`.
 */
export const createSqsBatchHandler = <T>(options: SqsBatchHandlerOptions<T>): SqsBatchHandler => {
  const { queue, logger, failures, schema, processMessage, metrics, maxReceiveCount } = options;
  const runIdOf = options.runIdOf ?? ownRunId;

  const processRecord = async (record: SQSRecord): Promise<unknown> => {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
    let recordLogger = logger.child({ queue, messageId: record.messageId });
    try {
      const message = parseRecord(queue, record, schema);
      const runId = runIdOf(message);
      // Every line about this message, the failure line included, carries its run id.
      if (runId !== undefined) recordLogger = recordLogger.child({ runId });
      return await processMessage(message, { messageId: record.messageId, receiveCount, logger: recordLogger });
    } catch (error) {
      const reason = describeError(error);
      const code = error instanceof PipelineError ? error.code : 'UNEXPECTED';
      const retryable = error instanceof PipelineError ? error.retryable : true;
      const lastReceive = maxReceiveCount !== undefined && receiveCount >= maxReceiveCount;
      recordLogger.warn(lastReceive ? 'message failed, moving to the DLQ' : 'message failed', {
        code,
        reason,
        retryable,
        receiveCount,
      });
      if (lastReceive) metrics?.add(Metric.DlqMoves, 1);
      await failures
        .record({
          queue,
          messageId: record.messageId,
          code,
          reason,
          retryable,
          receiveCount,
          at: new Date().toISOString(),
        })
        .catch((recordError: unknown) =>
          recordLogger.error('failure record not written', { reason: describeError(recordError) }),
        );
      throw error;
    }
  };

  const handler = middy(async (event: SQSEvent) => {
    try {
      return await Promise.allSettled(event.Records.map(processRecord));
    } finally {
      // One Lambda invocation is one batch: publish its metrics before the runtime freezes.
      metrics?.flush();
    }
  }).use(
    // The wrapper logs each failure itself (with its code); middy's default would console.error the whole record.
    sqsPartialBatchFailure({ logger: () => {} }),
  );
  return handler as unknown as SqsBatchHandler;
};
