/**
 * One error hierarchy for the whole pipeline. `code` is stable and greppable in logs; `retryable` splits
 * transient failures (the queue retries them) from permanent ones (they end in a DLQ and need a person).
 * Adapters translate SDK/HTTP/filesystem errors into these at the boundary; use cases never see SDK shapes.
 */
export type ErrorDetails = Record<string, unknown>;

export abstract class PipelineError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** Configuration or command-line input is invalid. */
export class ConfigError extends PipelineError {
  readonly code = 'CONFIG_INVALID';
  readonly retryable = false;
}

/** FRED rejected the request (400, 404, 423): retrying the same request will not help. */
export class FredRequestError extends PipelineError {
  readonly code = 'FRED_BAD_REQUEST';
  readonly retryable = false;
}

/** FRED answered 429. `retryAfterMs` is FRED's Retry-After when it sent one. */
export class FredRateLimitedError extends PipelineError {
  readonly code = 'FRED_RATE_LIMITED';
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined, details: ErrorDetails = {}) {
    super(message, { ...details, retryAfterMs });
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx, timeouts, resets, HTML or truncated bodies: FRED may answer properly next time. */
export class FredUnavailableError extends PipelineError {
  readonly code = 'FRED_UNAVAILABLE';
  readonly retryable = true;
}

/** FRED answered 200 with JSON that is not the observations envelope. */
export class FredResponseInvalidError extends PipelineError {
  readonly code = 'FRED_RESPONSE_INVALID';
  readonly retryable = false;
}

/** A raw landing-zone object that cannot be used (corrupt, hash mismatch, invalid envelope). */
export class RawInvalidError extends PipelineError {
  readonly code = 'RAW_INVALID';
  readonly retryable = false;
}

/** A queue message or event that does not match its schema. */
export class MessageInvalidError extends PipelineError {
  readonly code = 'MESSAGE_INVALID';
  readonly retryable = false;
}

/** A data-quality gate refused a run. */
export class QualityGateError extends PipelineError {
  readonly code = 'QUALITY_GATE';
  readonly retryable = false;
}

/** A partition file that is not a one-row `fred_daily` Parquet file with the four columns (corrupt or foreign). */
export class PartitionInvalidError extends PipelineError {
  readonly code = 'PARTITION_INVALID';
  readonly retryable = false;
}

/** An object-store operation failed (I/O, permissions, network). */
export class ObjectStoreError extends PipelineError {
  readonly code = 'OBJECT_STORE_FAILED';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.retryable = retryable;
  }
}

/** A queue operation failed. */
export class QueueError extends PipelineError {
  readonly code = 'QUEUE_FAILED';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.retryable = retryable;
  }
}

/** A catalog (Glue / local partitions table) operation failed. */
export class CatalogError extends PipelineError {
  readonly code = 'CATALOG_FAILED';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.retryable = retryable;
  }
}

/** Another process holds the data directory's writer lock. */
export class LockedError extends PipelineError {
  readonly code = 'LOCKED';
  readonly retryable = true;
}

export const isRetryable = (error: unknown): boolean => (error instanceof PipelineError ? error.retryable : true);

/** One line for a person: the message, without a stack. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
};
