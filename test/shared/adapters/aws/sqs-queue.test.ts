import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsQueue } from '#shared/adapters/aws/sqs-queue.ts';
import { QueueError } from '#shared/errors.ts';
import type { ReceivedMessage } from '#shared/ports/queue.ts';
import { describeQueueContract } from '#test/contracts/queue-contract.ts';
import {
  type SqsTestServer,
  startLocalSqsServer,
  startSqsWithMoveTasks,
  TEST_CREDENTIALS,
  TEST_REGION,
} from '#test/support/aws-servers.ts';

/*
 * The queue contract runs on fauxqs (dead-lettering through the RedrivePolicy, faithful visibility, depth and long
 * polling) behind the test router that adds StartMessageMoveTask/ListMessageMoveTasks, which fauxqs 1.9.2 lacks.
 * local-aws-sqs implements move tasks itself, so the redrive API is also checked there; its depth counts in-flight
 * messages as visible and its long polls re-receive messages, so the contract does not run on it.
 * Per-entry batch failures come from fauxqs, which validates message characters (local-aws-sqs accepts anything),
 * and from a protocol-level fake for SQS-side entry failures (SenderFault=false), which no emulator produces.
 */
const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const openQueue = async (
  server: SqsTestServer,
  client: SQSClient,
  options: { maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<SqsQueue> => {
  const pair = await server.createQueuePair(uniqueName('contract'), options.maxReceiveCount, options);
  return new SqsQueue(client, {
    name: pair.name,
    queueUrl: pair.queueUrl,
    dlqUrl: pair.dlqUrl,
    maxReceiveCount: pair.maxReceiveCount,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });
};

const receiveAll = async (queue: SqsQueue, count: number): Promise<ReceivedMessage[]> => {
  const all: ReceivedMessage[] = [];
  for (let i = 0; i < 10 && all.length < count; i++) {
    all.push(...(await queue.receive({ maxMessages: 10, waitTimeSeconds: 1, visibilityTimeoutSeconds: 30 })));
  }
  return all;
};

describe('SqsQueue on local-aws-sqs', () => {
  let server: SqsTestServer;
  let client: SQSClient;

  beforeAll(async () => {
    server = await startLocalSqsServer();
    client = server.createClient();
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });

  it('sends the messages that fit and names the oversized one it refused', async () => {
    const queue = await openQueue(server, client, { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 });
    const oversized = 'x'.repeat(1024 * 1024 + 1);

    const failure = await queue.sendBatch(['good-1', oversized, 'good-2']).catch((error: unknown) => error);
    const received = await receiveAll(queue, 2);

    expect(failure).toBeInstanceOf(QueueError);
    expect((failure as QueueError).message).toContain('rejected 1 of 3 messages');
    expect((failure as QueueError).message).toContain('MessageTooLong');
    expect((failure as QueueError).retryable).toBe(false);
    expect(received.map((m) => m.body).sort()).toEqual(['good-1', 'good-2']);
  });

  it('reports the running or finished move task of a redrive with its handle', async () => {
    const queue = await openQueue(server, client, { maxReceiveCount: 1, visibilityTimeoutSeconds: 0 });
    await queue.sendBatch(['dead-1', 'dead-2']);
    for (let i = 0; i < 20 && (await queue.deadLetter.depth()).visible < 2; i++) {
      await queue.receive({ maxMessages: 10, waitTimeSeconds: 1 });
    }

    const started = await queue.redrive({ maxPerSecond: 50 });
    let status = await queue.moveTaskStatus();
    for (let i = 0; i < 50 && status?.status === 'RUNNING'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await queue.moveTaskStatus();
    }

    expect(started.taskHandle).toEqual(expect.any(String));
    expect(started.status).not.toBe('FAILED');
    expect(status).toMatchObject({ status: 'COMPLETED', moved: 2, toMove: 2 });
  });

  it('turns a missing queue into a permanent QueueError naming the queue', async () => {
    const queue = new SqsQueue(client, {
      name: 'write',
      queueUrl: `${server.endpoint}/123456789012/no-such-queue`,
      dlqUrl: `${server.endpoint}/123456789012/no-such-queue-dlq`,
      maxReceiveCount: 3,
    });

    const failure = await queue.receive({ maxMessages: 1 }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(QueueError);
    expect((failure as QueueError).retryable).toBe(false);
    expect((failure as QueueError).message).toContain('queue write');
  });
});

describe('SqsQueue on fauxqs with move tasks', () => {
  let server: SqsTestServer;
  let client: SQSClient;

  beforeAll(async () => {
    server = await startSqsWithMoveTasks();
    client = server.createClient();
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });

  describeQueueContract('SqsQueue on fauxqs with move tasks', async (options) => ({
    queue: await openQueue(server, client, options),
  }));

  it('delivers the good entries of a partly failed batch and names the failed count and reason', async () => {
    const queue = await openQueue(server, client, { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 });

    const failure = await queue.sendBatch(['ok-1', 'bad \u0000 char', 'ok-2', 'ok-3']).catch((error: unknown) => error);
    const received = await receiveAll(queue, 3);

    expect(failure).toBeInstanceOf(QueueError);
    expect((failure as QueueError).message).toContain('rejected 1 of 4 messages');
    expect((failure as QueueError).message).toContain('InvalidMessageContents');
    expect((failure as QueueError).retryable).toBe(false);
    expect((failure as QueueError).details).toMatchObject({ failed: 1, total: 4 });
    expect(received.map((m) => m.body).sort()).toEqual(['ok-1', 'ok-2', 'ok-3']);
  });
});

/**
 * An SQS JSON-protocol fake for SendMessageBatch that fails chosen entries on SQS's side (SenderFault=false)
 * a given number of times, and records every request's entries.
 */
const startFlakySqs = async (failures: Map<string, number>) => {
  const requests: Array<Array<{ Id: string; MessageBody: string }>> = [];
  const readBody = async (request: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer(async (request, response) => {
    const body = JSON.parse(await readBody(request)) as { Entries: Array<{ Id: string; MessageBody: string }> };
    expect(request.headers['x-amz-target']).toBe('AmazonSQS.SendMessageBatch');
    requests.push(body.Entries);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of body.Entries) {
      const left = failures.get(entry.MessageBody) ?? 0;
      if (left > 0) {
        failures.set(entry.MessageBody, left - 1);
        Failed.push({ Id: entry.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' });
      } else {
        Successful.push({
          Id: entry.Id,
          MessageId: randomUUID(),
          MD5OfMessageBody: createHash('md5').update(entry.MessageBody).digest('hex'),
        });
      }
    }
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify({ Successful, Failed }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    requests,
    client: new SQSClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

describe('SqsQueue retrying entries SQS failed on its side', () => {
  const queueFor = (client: SQSClient) =>
    new SqsQueue(client, {
      name: 'transform',
      queueUrl: 'http://127.0.0.1/123456789012/transform',
      dlqUrl: 'http://127.0.0.1/123456789012/transform-dlq',
      maxReceiveCount: 3,
      retryDelayMs: 1,
    });

  it('re-sends only the failed entries until SQS accepts them', async () => {
    const flaky = await startFlakySqs(new Map([['b', 2]]));
    const bodies = Array.from({ length: 12 }, (_, i) => (i === 1 ? 'b' : `m${i}`));

    await queueFor(flaky.client).sendBatch(bodies);
    flaky.client.destroy();
    await flaky.close();

    expect(flaky.requests.map((entries) => entries.length)).toEqual([10, 1, 1, 2]);
    expect(flaky.requests[1]?.map((e) => e.MessageBody)).toEqual(['b']);
    expect(new Set(flaky.requests[0]?.map((e) => e.Id)).size).toBe(10);
  });

  it('gives up after three attempts with a retryable QueueError naming the failed count', async () => {
    const flaky = await startFlakySqs(new Map([['stuck', 99]]));

    const failure = await queueFor(flaky.client)
      .sendBatch(['fine', 'stuck'])
      .catch((error: unknown) => error);
    flaky.client.destroy();
    await flaky.close();

    expect(flaky.requests.map((entries) => entries.length)).toEqual([2, 1, 1]);
    expect(failure).toBeInstanceOf(QueueError);
    expect((failure as QueueError).message).toContain('rejected 1 of 2 messages');
    expect((failure as QueueError).message).toContain('InternalError');
    expect((failure as QueueError).retryable).toBe(true);
  });
});
