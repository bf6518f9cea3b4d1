import { CatalogError, ObjectStoreError, type PipelineError, QueueError } from '#shared/errors.ts';

/**
 * The boundary between AWS SDK v3 error shapes and the project's errors. Adapters call `toObjectStoreError`,
 * `toQueueError` or `toCatalogError` in their catch blocks; nothing past the adapter sees an SDK error.
 *
 * Transient (retryable): throttling, 5xx, network resets and timeouts. Permanent: access denied, missing
 * buckets/queues/tables, validation errors and any other 4xx.
 */
export type AwsErrorKind =
  | 'throttled'
  | 'server'
  | 'network'
  | 'not-found'
  | 'access-denied'
  | 'invalid-request'
  | 'credentials'
  | 'unknown';

export interface AwsErrorFacts {
  kind: AwsErrorKind;
  retryable: boolean;
  /** The SDK error name (`SlowDown`, `AccessDenied`, `ECONNRESET`, ...). */
  name: string;
  status: number | undefined;
  /** The service's own message, first line only. */
  message: string;
}

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'SlowDown',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

const SERVER_NAMES = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'InternalServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const NETWORK_NAMES = new Set(['TimeoutError', 'NetworkingError', 'RequestTimeoutError']);

const ACCESS_NAMES = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden', 'AllAccessDisabled']);

const NOT_FOUND_NAMES = new Set([
  'NoSuchBucket',
  'NoSuchKey',
  'NotFound',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'EntityNotFoundException',
  'ResourceNotFoundException',
]);

const CREDENTIAL_NAMES = new Set([
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
]);

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
  $response?: { statusCode?: unknown };
}

const asRecord = (error: unknown): SdkErrorLike =>
  typeof error === 'object' && error !== null ? (error as SdkErrorLike) : {};

const statusOf = (e: SdkErrorLike): number | undefined => {
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

const firstLine = (text: string): string => (text.split('\n')[0] ?? '').trim().replace(/\.+$/, '');

/** What kind of failure an SDK (or socket) error is, and whether trying again can help. */
export const classifyAwsError = (error: unknown): AwsErrorFacts => {
  const e = asRecord(error);
  const name =
    typeof e.name === 'string' && e.name !== 'Error' ? e.name : typeof e.code === 'string' ? e.code : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = statusOf(e);
  const message = firstLine(typeof e.message === 'string' && e.message ? e.message : String(error)) || name;
  const facts = (kind: AwsErrorKind, retryable: boolean): AwsErrorFacts => ({ kind, retryable, name, status, message });

  if (THROTTLING_NAMES.has(name) || status === 429 || e.$retryable?.throttling === true) {
    return facts('throttled', true);
  }
  if ((code && NETWORK_CODES.has(code)) || NETWORK_CODES.has(name) || NETWORK_NAMES.has(name)) {
    return facts('network', true);
  }
  if (SERVER_NAMES.has(name) || (status !== undefined && status >= 500) || e.$fault === 'server') {
    return facts('server', true);
  }
  if (CREDENTIAL_NAMES.has(name)) return facts('credentials', false);
  if (ACCESS_NAMES.has(name) || status === 403) return facts('access-denied', false);
  if (NOT_FOUND_NAMES.has(name) || status === 404) return facts('not-found', false);
  if ((status !== undefined && status >= 400) || e.$fault === 'client') return facts('invalid-request', false);
  // No HTTP answer and no known socket code: most likely the connection broke in a way we do not recognise.
  return facts('unknown', true);
};

/** The advice part of a message: what a person (or the queue) should do about this kind of failure. */
const advice = (facts: AwsErrorFacts, missing: string): string => {
  switch (facts.kind) {
    case 'throttled':
      return 'AWS is throttling requests; the message will be retried, lower the concurrency if this persists.';
    case 'server':
    case 'network':
    case 'unknown':
      return 'This is usually transient; the message will be retried.';
    case 'access-denied':
      return "Check the function role's IAM policy for this action and resource.";
    case 'credentials':
      return 'Check the AWS credentials and region the process runs with.';
    case 'not-found':
      return `Check that ${missing} exists (deployed stack, configuration).`;
    case 'invalid-request':
      return 'The request was rejected as invalid; retrying it unchanged will not help.';
  }
};

const describe = (facts: AwsErrorFacts): string =>
  `${facts.name}${facts.status !== undefined ? ` (HTTP ${facts.status})` : ''}: ${facts.message}`;

type ErrorClass<E extends PipelineError> = new (
  message: string,
  retryable: boolean,
  details?: Record<string, unknown>,
  options?: { cause?: unknown },
) => E;

const translate = <E extends PipelineError>(
  ErrorType: ErrorClass<E>,
  error: unknown,
  what: string,
  missing: string,
  details: Record<string, unknown>,
): E => {
  if (error instanceof ErrorType) return error;
  const facts = classifyAwsError(error);
  return new ErrorType(
    `${what} failed with ${describe(facts)}. ${advice(facts, missing)}`,
    facts.retryable,
    { ...details, awsError: facts.name, httpStatus: facts.status, kind: facts.kind },
    { cause: error },
  );
};

/** `action` is the S3 API name (`PutObject`); `key` may be a prefix for listings. */
export const toObjectStoreError = (
  error: unknown,
  action: string,
  target: { bucket: string; key?: string; prefix?: string },
): ObjectStoreError => {
  const path = target.key ?? target.prefix ?? '';
  return translate(
    ObjectStoreError,
    error,
    `S3 ${action} on s3://${target.bucket}/${path}`,
    `bucket ${target.bucket}`,
    {
      action,
      ...target,
    },
  );
};

export const toQueueError = (
  error: unknown,
  action: string,
  target: { queue: string; queueUrl?: string },
): QueueError =>
  translate(QueueError, error, `SQS ${action} on queue ${target.queue}`, `queue ${target.queue}`, {
    action,
    ...target,
  });

export const toCatalogError = (
  error: unknown,
  action: string,
  target: { service: 'Glue' | 'Athena'; database: string; table?: string; queryExecutionId?: string },
): CatalogError => {
  const name = target.table ? `${target.database}.${target.table}` : target.database;
  return translate(CatalogError, error, `${target.service} ${action} on ${name}`, `database/table ${name}`, {
    action,
    ...target,
  });
};

/** True for S3's "no such key" answers (GetObject: NoSuchKey; HeadObject: NotFound / 404 without a body). */
export const isMissingObject = (error: unknown): boolean => {
  const e = asRecord(error);
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || (statusOf(e) === 404 && e.name !== 'NoSuchBucket');
};
