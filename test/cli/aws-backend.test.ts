/**
 * `--backend aws`: the CLI as an operator runs it against the deployed stack, here against fauxqs (S3 + SQS) and an
 * Athena stand-in on 127.0.0.1. The Lambdas are not running, so what the CLI leaves on the queues is checked directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3FailureLog } from '#shared/adapters/aws/s3-failure-log.ts';
import { S3ObjectStore } from '#shared/adapters/aws/s3-object-store.ts';
import { SqsQueue } from '#shared/adapters/aws/sqs-queue.ts';
import { type AwsTestServers, type QueuePair, startAwsTestServers } from '#test/support/aws-servers.ts';
import { runCli } from '#test/support/cli.ts';
import { startJsonServiceFake } from '#test/support/json-rpc-server.ts';

const BUCKET = 'fredlake-cli';

describe('the fredlake command with --backend aws', () => {
  let aws: AwsTestServers;
  let athena: Awaited<ReturnType<typeof startJsonServiceFake>>;
  let queues: Record<'fetch' | 'transform' | 'write', QueuePair>;
  let env: Record<string, string>;

  const queue = (name: 'fetch' | 'transform' | 'write') =>
    new SqsQueue(aws.sqsClient(), {
      name,
      queueUrl: queues[name].queueUrl,
      dlqUrl: queues[name].dlqUrl,
      maxReceiveCount: 5,
    });

  beforeAll(async () => {
    aws = await startAwsTestServers();
    athena = await startJsonServiceFake((request) => {
      if (request.target === 'AmazonAthena.StartQueryExecution') return { body: { QueryExecutionId: 'q-1' } };
      if (request.target === 'AmazonAthena.GetQueryExecution') {
        return {
          body: { QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DML', Status: { State: 'SUCCEEDED' } } },
        };
      }
      return {
        body: {
          ResultSet: {
            Rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: '3649' }] }],
            ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] },
          },
        },
      };
    });
    await aws.createBucket(BUCKET);
    queues = {
      fetch: await aws.createQueuePair('fetch', 5),
      transform: await aws.createQueuePair('transform', 5),
      write: await aws.createQueuePair('write', 5),
    };
    env = {
      FREDLAKE_BACKEND: 'aws',
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
      FREDLAKE_BUCKET: BUCKET,
      FREDLAKE_GLUE_DATABASE: 'fredlake',
      FREDLAKE_ATHENA_WORKGROUP: 'fredlake',
      FREDLAKE_FETCH_QUEUE_URL: queues.fetch.queueUrl,
      FREDLAKE_FETCH_DLQ_URL: queues.fetch.dlqUrl,
      FREDLAKE_TRANSFORM_QUEUE_URL: queues.transform.queueUrl,
      FREDLAKE_TRANSFORM_DLQ_URL: queues.transform.dlqUrl,
      FREDLAKE_WRITE_QUEUE_URL: queues.write.queueUrl,
      FREDLAKE_WRITE_DLQ_URL: queues.write.dlqUrl,
    };
  });

  afterAll(async () => {
    await athena?.close();
    await aws?.close();
  });

  it('hands `run` to the Lambdas as one fetch request on the fetch queue, with no FRED key needed here', async () => {
    const result = await runCli(['run'], env);

    const messages = await queue('fetch').receive({ maxMessages: 10, visibilityTimeoutSeconds: 1 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/enqueued a manual fetch request on the fetch queue/);
    expect(messages.map((m) => JSON.parse(m.body))).toEqual([{ version: 1, reason: 'manual' }]);
    for (const m of messages) await queue('fetch').delete(m.receiptHandle);
  });

  it('hands a backfill range to the Lambdas as a forced fetch request', async () => {
    const result = await runCli(['backfill', '--from', '2024-01-01', '--to', '2024-01-31'], env);

    const messages = await queue('fetch').receive({ maxMessages: 10, visibilityTimeoutSeconds: 1 });
    expect(result.code).toBe(0);
    expect(messages.map((m) => JSON.parse(m.body))).toEqual([
      { version: 1, reason: 'backfill', force: { from: '2024-01-01', to: '2024-01-31' } },
    ]);
    for (const m of messages) await queue('fetch').delete(m.receiptHandle);
  });

  it('lists a DLQ message with the reason the handler recorded under ops/failures/, and leaves it in the DLQ', async () => {
    const dlq = queue('fetch').deadLetter;
    await dlq.sendBatch([JSON.stringify({ version: 1, reason: 'schedule' })]);
    const [message] = await dlq.peek(10);
    if (!message) throw new Error('expected the DLQ message');
    await new S3FailureLog(new S3ObjectStore(aws.s3Client(), BUCKET)).record({
      queue: 'fetch',
      messageId: message.messageId,
      code: 'FRED_RATE_LIMITED',
      reason: 'FRED answered 429 Too Many Requests for series SP500 after 4 attempts',
      retryable: true,
      receiveCount: 5,
      at: '2026-11-26T01:31:00.000Z',
    });

    const result = await runCli(['dlq', 'list'], env);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/DLQ depth: fetch 1, transform 0, write 0/);
    expect(result.stdout).toMatch(/fetch request \(schedule\)/);
    expect(result.stdout).toMatch(/reason: FRED answered 429 Too Many Requests for series SP500 after 4 attempts/);
    expect((await dlq.peek(10)).map((m) => m.messageId)).toEqual([message.messageId]);
  });

  it('redrives a DLQ with an SQS message move task', async () => {
    await queue('write').deadLetter.sendBatch(['{"version":1}']);

    const result = await runCli(['redrive', '--queue', 'write'], env);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/redrive \(AWS: SQS moves the messages, the Lambdas drain them\)/);
    let back: string[] = [];
    for (let i = 0; i < 50 && back.length === 0; i++) {
      back = (await queue('write').receive({ maxMessages: 10, visibilityTimeoutSeconds: 1 })).map((m) => m.body);
      if (back.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back).toEqual(['{"version":1}']);
  });

  it('answers `query` through Athena', async () => {
    const result = await runCli(['query', '--format', 'csv', 'SELECT count(*) AS n FROM fred_daily'], env);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('n\n3649\n');
    const start = athena.requests.find((r) => r.target === 'AmazonAthena.StartQueryExecution');
    expect(start?.body).toMatchObject({ QueryString: 'SELECT count(*) AS n FROM fred_daily', WorkGroup: 'fredlake' });
  });
});
