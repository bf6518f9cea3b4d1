/**
 * In-process AWS-compatible servers on 127.0.0.1 (random ports) for adapter and end-to-end tests. No Docker, no AWS.
 *
 * Which server does what (checked against fauxqs 1.9.2, local-aws-sqs 2.0.2, s3rver 3.7.1):
 *
 * | feature                               | fauxqs | local-aws-sqs | s3rver |
 * | ------------------------------------- | ------ | ------------- | ------ |
 * | S3 Put/Get/Head/ListObjectsV2/Delete  | yes    | -             | yes, but > 1,000 keys: 500 on Node 20 (DES tokens) |
 * | S3 multipart (lib-storage Upload)     | yes    | -             | yes    |
 * | SQS DLQ via RedrivePolicy             | yes    | yes           | -      |
 * | SQS StartMessageMoveTask / List...    | NO     | yes           | -      |
 * | per-entry SendMessageBatch failures   | yes (InvalidMessageContents) | no (accepts anything) | - |
 * | queue attribute VisibilityTimeout "0" | yes    | NO (becomes 30; pass it per receive) | - |
 * | ApproximateNumberOfMessages           | yes    | NO (counts in-flight too) | - |
 * | long poll returns on first messages   | yes    | NO (waits the whole time, re-receives) | - |
 *
 * So the SQS side is fauxqs, with message move tasks added by a small router in front of it (`startAwsTestServers`,
 * or `startSqsWithMoveTasks`); local-aws-sqs serves the tests of the move-task API itself. The router is also the
 * single endpoint (AWS_ENDPOINT_URL) for S3 and SQS.
 * s3rver only accepts the access key `S3RVER` and, for streamed uploads, needs the S3 client's
 * `requestChecksumCalculation: 'WHEN_REQUIRED'` (otherwise it stores the aws-chunked framing as the object).
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';

export const TEST_REGION = 'us-east-1';
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface QueuePair {
  name: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  maxReceiveCount: number;
}

export interface S3TestServer {
  endpoint: string;
  /** A client configured the way clients.ts configures one for a custom endpoint. */
  createClient(): S3Client;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface SqsTestServer {
  endpoint: string;
  createClient(): SQSClient;
  /** A DLQ `<name>-dlq` and a queue `<name>` whose RedrivePolicy sends to it after maxReceiveCount receives. */
  createQueuePair(
    name: string,
    maxReceiveCount: number,
    options?: { visibilityTimeoutSeconds?: number },
  ): Promise<QueuePair>;
  close(): Promise<void>;
}

export interface AwsTestServers {
  /** One endpoint for S3 and SQS (a router in front of both servers): use it as AWS_ENDPOINT_URL. */
  endpoint: string;
  s3Endpoint: string;
  sqsEndpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  s3Client(): S3Client;
  sqsClient(): SQSClient;
  createBucket(name: string): Promise<void>;
  createQueuePair(
    name: string,
    maxReceiveCount: number,
    options?: { visibilityTimeoutSeconds?: number },
  ): Promise<QueuePair>;
  close(): Promise<void>;
}

const s3ClientFor = (endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): S3Client =>
  new S3Client({
    endpoint,
    region: TEST_REGION,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

const sqsClientFor = (endpoint: string): SQSClient =>
  new SQSClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });

const s3Server = (
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  close: () => Promise<void>,
): S3TestServer => {
  const admin = s3ClientFor(endpoint, credentials);
  return {
    endpoint,
    createClient: () => s3ClientFor(endpoint, credentials),
    createBucket: async (name) => {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
    },
    close: async () => {
      admin.destroy();
      await close();
    },
  };
};

const sqsServer = (endpoint: string, close: () => Promise<void>): SqsTestServer => {
  const admin = sqsClientFor(endpoint);
  const arnOf = async (queueUrl: string): Promise<string> => {
    const { Attributes } = await admin.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${queueUrl}`);
    return Attributes.QueueArn;
  };
  return {
    endpoint,
    createClient: () => sqsClientFor(endpoint),
    createQueuePair: async (name, maxReceiveCount, options = {}) => {
      const dlq = await admin.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      if (!dlq.QueueUrl) throw new Error(`no QueueUrl for ${name}-dlq`);
      const dlqArn = await arnOf(dlq.QueueUrl);
      const source = await admin.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
            ...(options.visibilityTimeoutSeconds !== undefined
              ? { VisibilityTimeout: String(options.visibilityTimeoutSeconds) }
              : {}),
          },
        }),
      );
      if (!source.QueueUrl) throw new Error(`no QueueUrl for ${name}`);
      return {
        name,
        queueUrl: source.QueueUrl,
        queueArn: await arnOf(source.QueueUrl),
        dlqUrl: dlq.QueueUrl,
        dlqArn,
        maxReceiveCount,
      };
    },
    close: async () => {
      admin.destroy();
      await close();
    },
  };
};

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });

/** fauxqs: S3 and SQS (with RedrivePolicy dead-lettering, without message move tasks) on one port. */
export const startFauxqsServers = async (): Promise<{
  s3: S3TestServer;
  sqs: SqsTestServer;
  close(): Promise<void>;
}> => {
  // buildApp + listen rather than startFauxqs(), which binds 0.0.0.0: tests listen on 127.0.0.1 only.
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = address.replace('localhost', '127.0.0.1');
  let stopped = false;
  const close = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  return { s3: s3Server(endpoint, TEST_CREDENTIALS, close), sqs: sqsServer(endpoint, close), close };
};

/** local-aws-sqs: SQS with RedrivePolicy dead-lettering and message move tasks (redrive). */
export const startLocalSqsServer = async (): Promise<SqsTestServer> => {
  const server = await createSqsServer({
    port: 0,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
    emulateLazyQueues: false,
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sqsServer(endpoint, () => closeServer(server));
};

/** s3rver: S3 backed by a temporary directory (removed on close). Only accepts the access key `S3RVER`. */
export const startS3rverServer = async (): Promise<S3TestServer> => {
  const directory = await mkdtemp(join(tmpdir(), 'fredlake-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true });
  const { port } = await server.run();
  return s3Server(`http://127.0.0.1:${port}`, S3RVER_CREDENTIALS, async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });
};

interface MoveTask {
  TaskHandle: string;
  Status: 'RUNNING' | 'COMPLETED' | 'FAILED';
  SourceArn: string;
  DestinationArn: string;
  MaxNumberOfMessagesPerSecond?: number;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  StartedTimestamp: number;
  FailureReason?: string;
}

/**
 * StartMessageMoveTask / ListMessageMoveTasks for a server that lacks them (fauxqs), done the way SQS does it:
 * receive from the DLQ, send to the destination, delete from the DLQ, until the DLQ is empty.
 */
const createMoveTasks = (upstream: string) => {
  const client = sqsClientFor(upstream);
  const tasks: MoveTask[] = [];
  const urlOf = async (arn: string): Promise<string> => {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: arn.split(':').pop() ?? '' }));
    if (!QueueUrl) throw new Error(`no queue for ${arn}`);
    return QueueUrl;
  };
  const run = async (task: MoveTask, sourceUrl: string, destinationUrl: string): Promise<void> => {
    try {
      for (;;) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({ QueueUrl: sourceUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
        );
        if (Messages.length === 0) break;
        await client.send(
          new SendMessageBatchCommand({
            QueueUrl: destinationUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })),
          }),
        );
        await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: sourceUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
        task.ApproximateNumberOfMessagesMoved += Messages.length;
      }
      task.Status = 'COMPLETED';
    } catch (error) {
      task.Status = 'FAILED';
      task.FailureReason = error instanceof Error ? error.message : String(error);
    }
  };
  const handle = async (action: string, input: Record<string, unknown>): Promise<[number, unknown]> => {
    const sourceArn = String(input.SourceArn ?? '');
    if (action === 'ListMessageMoveTasks') {
      const max = Number(input.MaxResults ?? 1);
      const results = tasks
        .filter((t) => t.SourceArn === sourceArn)
        .reverse()
        .slice(0, max);
      return [200, { Results: results }];
    }
    if (tasks.some((t) => t.SourceArn === sourceArn && t.Status === 'RUNNING')) {
      return [400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: 'A move task is already running.' }];
    }
    const destinationArn = String(input.DestinationArn ?? '');
    const [sourceUrl, destinationUrl] = await Promise.all([urlOf(sourceArn), urlOf(destinationArn)]);
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const task: MoveTask = {
      TaskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      Status: 'RUNNING',
      SourceArn: sourceArn,
      DestinationArn: destinationArn,
      ...(input.MaxNumberOfMessagesPerSecond !== undefined
        ? { MaxNumberOfMessagesPerSecond: Number(input.MaxNumberOfMessagesPerSecond) }
        : {}),
      ApproximateNumberOfMessagesMoved: 0,
      ApproximateNumberOfMessagesToMove: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      StartedTimestamp: Date.now(),
    };
    tasks.push(task);
    void run(task, sourceUrl, destinationUrl);
    return [200, { TaskHandle: task.TaskHandle }];
  };
  return { handle, close: () => client.destroy() };
};

const MOVE_TASK_ACTIONS = new Set(['StartMessageMoveTask', 'ListMessageMoveTasks']);

const readBody = async (incoming: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * One endpoint in front of fauxqs that adds SQS message move tasks, so a single AWS_ENDPOINT_URL reaches S3 and
 * an SQS with every feature the pipeline uses.
 */
const startRouter = async (upstream: string): Promise<{ endpoint: string; close(): Promise<void> }> => {
  const target = new URL(upstream);
  const moveTasks = createMoveTasks(upstream);
  const server = createServer((incoming, outgoing) => {
    const amzTarget = incoming.headers['x-amz-target'];
    const action = typeof amzTarget === 'string' && amzTarget.startsWith('AmazonSQS.') ? amzTarget.slice(10) : '';
    if (MOVE_TASK_ACTIONS.has(action)) {
      readBody(incoming)
        .then((text) => moveTasks.handle(action, JSON.parse(text || '{}') as Record<string, unknown>))
        .then(([status, body]) => {
          outgoing.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(JSON.stringify(body));
        })
        .catch((error: unknown) => {
          outgoing.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(JSON.stringify({ __type: 'InternalError', message: String(error) }));
        });
      return;
    }
    const forward = request(
      {
        hostname: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end(error.message);
    });
    incoming.pipe(forward);
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    close: async () => {
      moveTasks.close();
      await closeServer(server);
    },
  };
};

/**
 * S3 and SQS on one endpoint: fauxqs behind a router that adds message move tasks (redrive). For tests that need
 * both, e.g. the whole pipeline on AWS adapters. Call `close()` in afterAll.
 */
export const startAwsTestServers = async (): Promise<AwsTestServers> => {
  const fauxqs = await startFauxqsServers();
  const router = await startRouter(fauxqs.s3.endpoint);
  const s3 = s3Server(router.endpoint, TEST_CREDENTIALS, async () => {});
  const sqs = sqsServer(router.endpoint, async () => {});
  return {
    endpoint: router.endpoint,
    s3Endpoint: router.endpoint,
    sqsEndpoint: router.endpoint,
    region: TEST_REGION,
    credentials: { ...TEST_CREDENTIALS },
    s3Client: () => s3.createClient(),
    sqsClient: () => sqs.createClient(),
    createBucket: (name) => s3.createBucket(name),
    createQueuePair: (name, maxReceiveCount, options) => sqs.createQueuePair(name, maxReceiveCount, options),
    close: async () => {
      await s3.close();
      await sqs.close();
      await router.close();
      await fauxqs.close();
    },
  };
};

/** fauxqs SQS with message move tasks (the router of `startAwsTestServers`), for the queue contract. */
export const startSqsWithMoveTasks = async (): Promise<SqsTestServer> => {
  const fauxqs = await startFauxqsServers();
  const router = await startRouter(fauxqs.sqs.endpoint);
  return sqsServer(router.endpoint, async () => {
    await router.close();
    await fauxqs.close();
  });
};
