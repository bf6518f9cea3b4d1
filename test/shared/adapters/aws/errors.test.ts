import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { classifyAwsError, toCatalogError, toObjectStoreError, toQueueError } from '#shared/adapters/aws/errors.ts';
import { CatalogError, ObjectStoreError, QueueError } from '#shared/errors.ts';

const sdkError = (name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') =>
  new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: `${name} happened.` });

const socketError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('classifyAwsError', () => {
  it.each([
    ['ThrottlingException', sdkError('ThrottlingException', 400)],
    ['SlowDown', sdkError('SlowDown', 503)],
    ['RequestThrottled', sdkError('RequestThrottled', 403)],
    ['an HTTP 429', sdkError('TooManyRequests', 429)],
    ['an HTTP 500', sdkError('InternalError', 500)],
    ['an HTTP 503 without a known name', sdkError('Whatever', 503)],
    ['ECONNRESET', socketError('ECONNRESET')],
    ['ETIMEDOUT', socketError('ETIMEDOUT')],
    ['a TimeoutError', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
  ])('calls %s retryable', (_label, error) => {
    const facts = classifyAwsError(error);

    expect(facts.retryable).toBe(true);
  });

  it.each([
    ['AccessDenied', sdkError('AccessDenied', 403), 'access-denied'],
    ['NoSuchBucket', sdkError('NoSuchBucket', 404), 'not-found'],
    ['ValidationException', sdkError('ValidationException', 400), 'invalid-request'],
    ['InvalidParameterValue', sdkError('InvalidParameterValue', 400), 'invalid-request'],
    ['QueueDoesNotExist', sdkError('QueueDoesNotExist', 400), 'not-found'],
    ['InvalidAccessKeyId', sdkError('InvalidAccessKeyId', 403), 'credentials'],
  ])('calls %s permanent', (_label, error, kind) => {
    const facts = classifyAwsError(error);

    expect(facts.retryable).toBe(false);
    expect(facts.kind).toBe(kind);
  });
});

describe('translating SDK errors', () => {
  it('names the action, bucket and key of a failed S3 call and keeps the cause', () => {
    const cause = sdkError('AccessDenied', 403);

    const error = toObjectStoreError(cause, 'PutObject', { bucket: 'lake', key: 'raw/manifests/r1.json' });

    expect(error).toBeInstanceOf(ObjectStoreError);
    expect(error.code).toBe('OBJECT_STORE_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      "S3 PutObject on s3://lake/raw/manifests/r1.json failed with AccessDenied (HTTP 403): AccessDenied happened. Check the function role's IAM policy for this action and resource.",
    );
    expect(error.cause).toBe(cause);
    expect(error.details).toMatchObject({ bucket: 'lake', key: 'raw/manifests/r1.json', awsError: 'AccessDenied' });
  });

  it('makes a throttled SQS call a retryable QueueError naming the queue', () => {
    const error = toQueueError(sdkError('RequestThrottled', 400), 'SendMessageBatch', { queue: 'write' });

    expect(error).toBeInstanceOf(QueueError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('SQS SendMessageBatch on queue write failed with RequestThrottled');
    expect(error.message).toContain('will be retried');
  });

  it('tells what is missing when a Glue table does not exist', () => {
    const error = toCatalogError(sdkError('EntityNotFoundException', 400), 'GetPartitions', {
      service: 'Glue',
      database: 'fredlake',
      table: 'fred_daily',
    });

    expect(error).toBeInstanceOf(CatalogError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('Check that database/table fredlake.fred_daily exists');
  });

  it('passes a project error through unchanged', () => {
    const original = new QueueError('already translated', true);

    const error = toQueueError(original, 'ReceiveMessage', { queue: 'fetch' });

    expect(error).toBe(original);
  });
});
