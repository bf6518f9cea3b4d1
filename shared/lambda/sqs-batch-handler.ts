import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { describeError, MessageInvalidError, PipelineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { FailureLog } from '../ports/failure-log.ts';

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
}

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
  const { queue, logger, failures, schema, processMessage } = options;

  const processRecord = async (record: SQSRecord): Promise<unknown> => {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
    const recordLogger = logger.child({ queue, messageId: record.messageId });
    try {
      const message = parseRecord(queue, record, schema);
      const runId = (message as { runId?: unknown }).runId;
      const context = {
        messageId: record.messageId,
        receiveCount,
        logger: typeof runId === 'string' ? recordLogger.child({ runId }) : recordLogger,
      };
      return await processMessage(message, context);
    } catch (error) {
      const reason = describeError(error);
      const code = error instanceof PipelineError ? error.code : 'UNEXPECTED';
      const retryable = error instanceof PipelineError ? error.retryable : true;
      recordLogger.warn('message failed', { code, reason, retryable, receiveCount });
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

  const handler = middy(async (event: SQSEvent) => Promise.allSettled(event.Records.map(processRecord))).use(
    // The wrapper logs each failure itself (with its code); middy's default would console.error the whole record.
    sqsPartialBatchFailure({ logger: () => {} }),
  );
  return handler as unknown as SqsBatchHandler;
};
