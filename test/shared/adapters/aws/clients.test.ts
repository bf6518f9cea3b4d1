import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecretCache, createAwsClients, readSecretOnce } from '#shared/adapters/aws/clients.ts';
import { TEST_CREDENTIALS, TEST_REGION } from '#test/support/aws-servers.ts';
import { startJsonServiceFake } from '#test/support/json-rpc-server.ts';

type Fake = Awaited<ReturnType<typeof startJsonServiceFake>>;

describe('readSecretOnce', () => {
  let fake: Fake | undefined;
  let client: SecretsManagerClient | undefined;

  afterEach(async () => {
    clearSecretCache();
    client?.destroy();
    await fake?.close();
  });

  it('asks Secrets Manager once per process and serves the key from memory afterwards', async () => {
    fake = await startJsonServiceFake(() => ({ body: { ARN: 'arn:s', Name: 'fred', SecretString: ' abc123 \n' } }));
    client = new SecretsManagerClient({ endpoint: fake.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });

    const first = await readSecretOnce(client, 'arn:aws:secretsmanager:us-east-1:1:secret:fred');
    const second = await readSecretOnce(client, 'arn:aws:secretsmanager:us-east-1:1:secret:fred');

    expect([first, second]).toEqual(['abc123', 'abc123']);
    expect(fake.requests.map((r) => [r.target, r.body.SecretId])).toEqual([
      ['secretsmanager.GetSecretValue', 'arn:aws:secretsmanager:us-east-1:1:secret:fred'],
    ]);
  });

  it('does not remember a failed read, and says a missing secret is permanent', async () => {
    let calls = 0;
    fake = await startJsonServiceFake(() => {
      calls++;
      return calls === 1
        ? { status: 400, body: { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find it." } }
        : { body: { SecretString: 'later' } };
    });
    client = new SecretsManagerClient({ endpoint: fake.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });

    const failure = await readSecretOnce(client, 'arn:fred').catch((error: unknown) => error);
    const retried = await readSecretOnce(client, 'arn:fred');

    expect(failure).toMatchObject({ code: 'SECRET_UNAVAILABLE', retryable: false });
    expect(String((failure as Error).message)).toContain('arn:fred');
    expect(retried).toBe('later');
  });
});

describe('createAwsClients', () => {
  it('points every client at a custom endpoint and makes S3 path-style with checksums only when required', async () => {
    const clients = createAwsClients({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
      bucket: 'b',
      queueUrls: {},
      dlqUrls: {},
      glueDatabase: undefined,
      glueTable: 'fred_daily',
      athenaWorkgroup: undefined,
    });

    const s3Endpoint = await clients.s3.config.endpoint?.();
    const sqsRegion = await clients.sqs.config.region();
    clients.destroy();

    expect(s3Endpoint?.hostname).toBe('127.0.0.1');
    expect(clients.s3.config.forcePathStyle).toBe(true);
    expect(await clients.s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await clients.s3.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(sqsRegion).toBe('eu-west-1');
  });
});
