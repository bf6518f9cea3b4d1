import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from '#shared/config.ts';
import { type ErrorDetails, PipelineError } from '#shared/errors.ts';
import { classifyAwsError } from './errors.ts';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  glue: GlueClient;
  athena: AthenaClient;
  secrets: SecretsManagerClient;
  /** Closes every client's sockets (tests and the CLI; a Lambda never needs to). */
  destroy(): void;
}

export interface AwsClientOverrides {
  /** Static credentials (tests against in-process servers); by default the SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const withEndpoint = <T extends object>(common: T, endpoint: string | undefined): T =>
  endpoint ? { ...common, endpoint } : common;

/**
 * One client per service from region and endpoint. With a custom endpoint (an S3-compatible server) S3 uses path
 * style; checksums are only computed when an operation requires them, because S3-compatible servers mishandle
 * the SDK's default aws-chunked trailing checksums on streamed uploads.
 */
export const createAwsClients = (config: AwsConfig, overrides: AwsClientOverrides = {}): AwsClients => {
  const common = {
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
  };
  const clients = {
    s3: new S3Client({
      ...common,
      forcePathStyle: config.endpoint !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    sqs: new SQSClient(common),
    glue: new GlueClient(withEndpoint(common, config.serviceEndpoints?.glue)),
    athena: new AthenaClient(withEndpoint(common, config.serviceEndpoints?.athena)),
    secrets: new SecretsManagerClient(withEndpoint(common, config.serviceEndpoints?.secrets)),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
};

/** Secrets Manager could not give the secret. Retryable for throttling/network, permanent for missing/denied. */
export class SecretUnavailableError extends PipelineError {
  readonly code = 'SECRET_UNAVAILABLE';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.retryable = retryable;
  }
}

const secretCache = new Map<string, Promise<string>>();

/**
 * The secret's string, read once per process (per Lambda cold start) and then served from memory. A failed read
 * is not cached, so the next call tries again. The value is never logged or put into an error message.
 */
export const readSecretOnce = (client: SecretsManagerClient, arn: string): Promise<string> => {
  let value = secretCache.get(arn);
  if (!value) {
    value = readSecret(client, arn);
    secretCache.set(arn, value);
    value.catch(() => secretCache.delete(arn));
  }
  return value;
};

/** Forgets cached secrets (tests). */
export const clearSecretCache = (): void => secretCache.clear();

const readSecret = async (client: SecretsManagerClient, arn: string): Promise<string> => {
  let response: GetSecretValueCommandOutput;
  try {
    response = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  } catch (error) {
    const facts = classifyAwsError(error);
    throw new SecretUnavailableError(
      `Secrets Manager GetSecretValue for ${arn} failed with ${facts.name}: ${facts.message}. ` +
        (facts.retryable
          ? 'This is usually transient; the message will be retried.'
          : 'Check that the secret exists and that the function role may read it (secretsmanager:GetSecretValue).'),
      facts.retryable,
      { secretArn: arn, awsError: facts.name },
      { cause: error },
    );
  }
  const text =
    response.SecretString ?? (response.SecretBinary ? new TextDecoder().decode(response.SecretBinary) : undefined);
  if (!text?.trim()) {
    throw new SecretUnavailableError(`Secret ${arn} has no value. Store the FRED API key in it as plain text.`, false, {
      secretArn: arn,
    });
  }
  return text.trim();
};
