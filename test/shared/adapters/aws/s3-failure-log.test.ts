import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3FailureLog } from '#shared/adapters/aws/s3-failure-log.ts';
import { S3ObjectStore } from '#shared/adapters/aws/s3-object-store.ts';
import type { FailureRecord } from '#shared/ports/failure-log.ts';
import { type S3TestServer, startFauxqsServers } from '#test/support/aws-servers.ts';

const failure = (queue: string, messageId: string, at: string, reason = 'boom'): FailureRecord => ({
  queue,
  messageId,
  code: 'RAW_INVALID',
  reason,
  retryable: false,
  receiveCount: 1,
  at,
});

describe('S3FailureLog on fauxqs', () => {
  let server: S3TestServer;
  let client: S3Client;

  beforeAll(async () => {
    server = (await startFauxqsServers()).s3;
    client = server.createClient();
    await server.createBucket('failures');
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });

  it('keeps one object per message under ops/failures/<queue>/ and returns the last failure of each asked id', async () => {
    const store = new S3ObjectStore(client, 'failures');
    const log = new S3FailureLog(store);
    await log.record(failure('transform', 'm-1', '2024-01-02T00:00:00.000Z', 'first'));
    await log.record(failure('transform', 'm-1', '2024-01-02T00:01:00.000Z', 'second'));
    await log.record(failure('write', 'm-2', '2024-01-02T00:02:00.000Z'));
    await log.record(failure('write', 'm-3', '2024-01-02T00:03:00.000Z'));

    const found = await log.lastFailures(['m-1', 'm-2', 'm-404']);
    const keys = (await store.list('ops/failures/')).map((o) => o.key);

    expect([...found.keys()].sort()).toEqual(['m-1', 'm-2']);
    expect(found.get('m-1')?.reason).toBe('second');
    expect(found.get('m-2')?.queue).toBe('write');
    expect(keys).toEqual([
      'ops/failures/transform/m-1.json',
      'ops/failures/write/m-2.json',
      'ops/failures/write/m-3.json',
    ]);
  });
});
