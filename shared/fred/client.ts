import { STATUS_CODES } from 'node:http';
import type { FredConfig } from '#shared/config.ts';
import { isValidIsoDate } from '#shared/domain/calendar.ts';
import type { Observation } from '#shared/domain/observation.ts';
import {
  ConfigError,
  FredRateLimitedError,
  FredRequestError,
  FredResponseInvalidError,
  FredUnavailableError,
  PipelineError,
} from '#shared/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { redact } from '#shared/redact.ts';
import { bodyExcerpt, parseObservationsPage } from './envelope.ts';

export interface FredClientOptions {
  /** FRED's base URL without a trailing slash, e.g. https://api.stlouisfed.org/fred */
  apiUrl: string;
  apiKey: string;
  /** Total attempts per page, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Minimum spacing between the starts of two requests of this client, across concurrent calls. */
  minIntervalMs: number;
  timeoutMs: number;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Wall clock for `fetchedAt` and HTTP-date Retry-After values. */
  now?: () => Date;
}

export interface FetchSeriesOptions {
  observationStart?: string;
  observationEnd?: string;
  /** FRED's `limit`, 1..100000 (the default and maximum). */
  pageSize?: number;
  /**
   * Called with every 2xx body that fails validation (HTML, cut off, garbage, an invalid envelope) before the
   * attempt fails, so the caller can keep it as evidence. The body is redacted of the key; a hook error is logged
   * and does not change the outcome.
   */
  onRejectedBody?: (rejected: RejectedBody) => Promise<void> | void;
}

/** A FRED answer the client refused: the evidence the landing zone keeps. */
export interface RejectedBody {
  seriesId: string;
  status: number;
  /** The body exactly as received, the key blanked should it appear. */
  body: string;
  params: Record<string, string>;
  attempt: number;
  code: string;
  reason: string;
  fetchedAt: string;
}

/** One FRED response, as the landing zone keeps it. Never holds the API key. */
export interface FredPage {
  status: number;
  /** The body exactly as received. */
  body: string;
  /** The request URL without the api_key parameter. */
  url: string;
  /** The query parameters without api_key. */
  params: Record<string, string>;
  lastModified: string | undefined;
  /** When the response was read (ISO 8601). */
  fetchedAt: string;
  observationCount: number;
}

export interface FredSeriesResponse {
  seriesId: string;
  pages: FredPage[];
  observations: Observation[];
}

export interface FredClientStats {
  /** HTTP requests started (every attempt). */
  requests: number;
  /** Attempts FRED answered with 429. */
  rateLimited: number;
  /** Attempts repeated after a retryable failure. */
  retries: number;
  /** Attempts that failed, for any reason (a retried attempt counts too). */
  failures: number;
  /** Start-to-body-read time of every attempt that got a response. */
  latencyMs: number[];
}

export const FRED_MAX_PAGE_SIZE = 100_000;
const SERIES_ID = /^[A-Za-z0-9]{1,25}$/;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** FRED's `{"error_code":N,"error_message":"..."}`, when the body is one. */
const errorMessageOf = (body: string): string | undefined => {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === 'object' && json !== null && 'error_message' in json) {
      const message = (json as { error_message: unknown }).error_message;
      if (typeof message === 'string' && message.trim()) return message.trim();
    }
  } catch {
    // not JSON: the caller falls back to an excerpt
  }
  return undefined;
};

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export const parseRetryAfter = (header: string | null, now: Date): number | undefined => {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
};

/** The messages of an error and its causes, one line, e.g. `fetch failed (other side closed; ECONNRESET)`. */
const describeTransportError = (error: unknown): string => {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(typeof code === 'string' ? `${current.message} [${code}]` : current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  const [head, ...rest] = parts.map((part) => part.split('\n')[0] ?? '');
  return rest.length ? `${head} (${rest.join('; ')})` : (head ?? 'unknown error');
};

const isTimeout = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

/**
 * The FRED v1 `series/observations` client: pagination, validation, bounded retries with jittered backoff,
 * Retry-After, a client-side request spacing, and an API key that never leaves the request URL.
 */
export class FredClient {
  readonly #options: Required<Omit<FredClientOptions, 'fetch'>> & { fetch: typeof fetch };
  readonly #logger: Logger;
  /** When the last request started (performance.now), and the queue of callers waiting for their turn. */
  #lastStartAt = Number.NEGATIVE_INFINITY;
  #turn: Promise<void> = Promise.resolve();
  readonly #stats: FredClientStats = { requests: 0, rateLimited: 0, retries: 0, failures: 0, latencyMs: [] };

  constructor(options: FredClientOptions) {
    if (!options.apiKey) throw new ConfigError('FRED API key is empty: set FRED_API_KEY');
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw new ConfigError(`FRED maxAttempts must be a positive integer, got ${options.maxAttempts}`);
    }
    this.#options = {
      sleep: defaultSleep,
      random: Math.random,
      now: () => new Date(),
      ...options,
      apiUrl: options.apiUrl.replace(/\/+$/, ''),
      fetch: options.fetch ?? globalThis.fetch,
    };
    this.#logger = options.logger;
  }

  /** A copy of the counters since this client was created. */
  stats(): FredClientStats {
    return { ...this.#stats, latencyMs: [...this.#stats.latencyMs] };
  }

  /** Every observation of the series (within the optional date range), page after page. */
  async fetchSeries(seriesId: string, options: FetchSeriesOptions = {}): Promise<FredSeriesResponse> {
    const pageSize = options.pageSize ?? FRED_MAX_PAGE_SIZE;
    this.#validateRequest(seriesId, options, pageSize);

    const pages: FredPage[] = [];
    const observations: Observation[] = [];
    let offset = 0;
    for (;;) {
      const params: Record<string, string> = {
        series_id: seriesId,
        file_type: 'json',
        limit: String(pageSize),
        offset: String(offset),
      };
      if (options.observationStart) params.observation_start = options.observationStart;
      if (options.observationEnd) params.observation_end = options.observationEnd;

      const { page, parsed } = await this.#fetchPage(seriesId, params, options.onRejectedBody);
      const problem = this.#pageProblem(parsed, offset, observations, pages.length);
      if (problem) {
        throw new FredResponseInvalidError(`Invalid FRED pagination for series ${seriesId}: ${problem}`, {
          seriesId,
          offset,
          count: parsed.count,
          pages: pages.length + 1,
        });
      }
      pages.push(page);
      // A loop, not push(...rows): a 100,000-row page would overflow the argument limit.
      for (const observation of parsed.observations) observations.push(observation);
      offset += parsed.observations.length;
      if (offset >= parsed.count) break;
    }
    return { seriesId, pages, observations };
  }

  #validateRequest(seriesId: string, options: FetchSeriesOptions, pageSize: number): void {
    if (!SERIES_ID.test(seriesId)) {
      throw new ConfigError(`FRED series id ${JSON.stringify(seriesId)} is not 1-25 alphanumeric characters`);
    }
    for (const [name, value] of [
      ['observationStart', options.observationStart],
      ['observationEnd', options.observationEnd],
    ] as const) {
      if (value !== undefined && !isValidIsoDate(value)) {
        throw new ConfigError(`${name} ${JSON.stringify(value)} is not a calendar date YYYY-MM-DD`);
      }
    }
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > FRED_MAX_PAGE_SIZE) {
      throw new ConfigError(`pageSize must be an integer from 1 to ${FRED_MAX_PAGE_SIZE}, got ${pageSize}`);
    }
  }

  /** Why a page does not continue the previous ones, or undefined when it does. Never loops forever. */
  #pageProblem(
    parsed: { count: number; offset: number; observations: Observation[] },
    offset: number,
    sofar: Observation[],
    pagesBefore: number,
  ): string | undefined {
    if (parsed.offset !== offset) return `asked for offset ${offset}, FRED answered offset ${parsed.offset}`;
    if (parsed.observations.length === 0 && offset < parsed.count) {
      return `page ${pagesBefore + 1} at offset ${offset} is empty although count is ${parsed.count}`;
    }
    const last = sofar.at(-1);
    const first = parsed.observations[0];
    if (last && first && first.date <= last.date) {
      return `page ${pagesBefore + 1} starts at ${first.date}, not after ${last.date} where the previous page ended`;
    }
    return undefined;
  }

  /** One page with bounded retries of retryable failures. */
  async #fetchPage(
    seriesId: string,
    params: Record<string, string>,
    onRejectedBody: FetchSeriesOptions['onRejectedBody'],
  ): Promise<{ page: FredPage; parsed: ReturnType<typeof parseObservationsPage> }> {
    const { maxAttempts } = this.#options;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(seriesId, params, attempt, onRejectedBody);
      } catch (caught) {
        this.#stats.failures++;
        const error = this.#asPipelineError(caught, seriesId);
        if (!error.retryable) throw error;
        if (attempt >= maxAttempts) throw this.#withAttempts(error, seriesId, attempt);
        const delayMs = this.#delayBefore(attempt + 1, error);
        this.#stats.retries++;
        this.#logger.warn('fred retry', {
          seriesId,
          offset: params.offset,
          attempt,
          nextAttempt: attempt + 1,
          maxAttempts,
          code: error.code,
          delayMs,
          reason: this.#redact(error.message),
        });
        await this.#options.sleep(delayMs);
      }
    }
  }

  async #attempt(
    seriesId: string,
    params: Record<string, string>,
    attempt: number,
    onRejectedBody?: FetchSeriesOptions['onRejectedBody'],
  ): Promise<{ page: FredPage; parsed: ReturnType<typeof parseObservationsPage> }> {
    const { apiUrl, apiKey, timeoutMs } = this.#options;
    const query = new URLSearchParams(params).toString();
    const publicUrl = `${apiUrl}/series/observations?${query}`;
    const requestUrl = `${publicUrl}&api_key=${encodeURIComponent(apiKey)}`;

    await this.#awaitTurn();
    this.#stats.requests++;
    this.#logger.debug('fred request', { seriesId, offset: params.offset, limit: params.limit, attempt });
    const startedAt = performance.now();
    const signal = AbortSignal.timeout(timeoutMs);

    let status: number;
    let body: string;
    let lastModified: string | undefined;
    let retryAfter: string | null;
    try {
      const response = await this.#options.fetch(requestUrl, { signal, headers: { accept: 'application/json' } });
      status = response.status;
      lastModified = response.headers.get('last-modified') ?? undefined;
      retryAfter = response.headers.get('retry-after');
      body = await response.text();
    } catch (error) {
      throw this.#transportError(error, seriesId, params);
    }
    const latencyMs = Math.round((performance.now() - startedAt) * 100) / 100;
    this.#stats.latencyMs.push(latencyMs);
    this.#logger.debug('fred response', { seriesId, offset: params.offset, status, latencyMs, bytes: body.length });

    if (status === 429) {
      this.#stats.rateLimited++;
      const retryAfterMs = parseRetryAfter(retryAfter, this.#options.now());
      throw new FredRateLimitedError(`FRED answered 429 Too Many Requests for series ${seriesId}`, retryAfterMs, {
        seriesId,
        status,
        offset: params.offset,
        fredMessage: this.#redact(errorMessageOf(body) ?? bodyExcerpt(body)),
      });
    }
    if (status < 200 || status > 299) throw this.#statusError(status, body, seriesId, params);

    let parsed: ReturnType<typeof parseObservationsPage>;
    try {
      parsed = parseObservationsPage(body, { seriesId, status, secrets: [apiKey] });
    } catch (error) {
      if (onRejectedBody && error instanceof PipelineError) {
        try {
          await onRejectedBody({
            seriesId,
            status,
            body: this.#redact(body),
            params: { ...params },
            attempt,
            code: error.code,
            reason: error.message,
            fetchedAt: this.#options.now().toISOString(),
          });
        } catch (hookError) {
          this.#logger.warn('rejected fred body not kept', {
            seriesId,
            reason: this.#redact(describeTransportError(hookError)),
          });
        }
      }
      throw error;
    }
    const page: FredPage = {
      status,
      body: this.#redact(body),
      url: this.#redact(publicUrl),
      params: { ...params },
      lastModified,
      fetchedAt: this.#options.now().toISOString(),
      observationCount: parsed.observations.length,
    };
    return { page, parsed };
  }

  /**
   * Waits until this request may start: at least minIntervalMs after the previous request of this client
   * actually started. Callers queue in call order, so concurrent calls share one spacing.
   */
  async #awaitTurn(): Promise<void> {
    const { minIntervalMs, sleep } = this.#options;
    if (minIntervalMs <= 0) return;
    const previous = this.#turn;
    let release = () => {};
    this.#turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      const waitMs = this.#lastStartAt + minIntervalMs - performance.now();
      // setTimeout may fire up to a millisecond early: round up so the spacing is never shorter.
      if (waitMs > 0) await sleep(Math.ceil(waitMs) + 1);
      this.#lastStartAt = performance.now();
    } finally {
      release();
    }
  }

  #statusError(status: number, body: string, seriesId: string, params: Record<string, string>): PipelineError {
    const fredMessage = errorMessageOf(body);
    const said = this.#redact(fredMessage ?? bodyExcerpt(body));
    const details = { seriesId, status, offset: params.offset, fredMessage: said };
    if (status >= 500 || status === 408) {
      const reason = STATUS_CODES[status] ?? 'Server Error';
      return new FredUnavailableError(`FRED answered ${status} ${reason} for series ${seriesId}: ${said}`, details);
    }
    if (status >= 400) return new FredRequestError(`FRED answered ${status} for series ${seriesId}: ${said}`, details);
    return new FredUnavailableError(
      `FRED answered unexpected status ${status} for series ${seriesId}: ${said}`,
      details,
    );
  }

  #transportError(error: unknown, seriesId: string, params: Record<string, string>): FredUnavailableError {
    const { timeoutMs } = this.#options;
    const details = { seriesId, offset: params.offset, reason: this.#redact(describeTransportError(error)) };
    if (isTimeout(error)) {
      return new FredUnavailableError(`FRED did not answer within ${timeoutMs} ms for series ${seriesId}`, {
        ...details,
        timeoutMs,
      });
    }
    // The raw error is not attached as `cause`: fetch errors can carry the request URL, and with it the key.
    return new FredUnavailableError(`FRED request failed for series ${seriesId}: ${details.reason}`, details);
  }

  #asPipelineError(error: unknown, seriesId: string): PipelineError {
    if (error instanceof PipelineError) return error;
    return new FredUnavailableError(
      `FRED request failed for series ${seriesId}: ${this.#redact(describeTransportError(error))}`,
      { seriesId },
    );
  }

  /** The same error, its message saying how many attempts were made: `... for series SP500 after 4 attempts`. */
  #withAttempts(error: PipelineError, seriesId: string, attempts: number): PipelineError {
    const marker = `for series ${seriesId}`;
    const suffix = ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    const message = error.message.includes(marker)
      ? error.message.replace(marker, `${marker}${suffix}`)
      : `${error.message}${suffix}`;
    const details = { ...error.details, attempts };
    if (error instanceof FredRateLimitedError) return new FredRateLimitedError(message, error.retryAfterMs, details);
    if (error instanceof FredUnavailableError) return new FredUnavailableError(message, details);
    return error;
  }

  #delayBefore(nextAttempt: number, error: PipelineError): number {
    const { baseDelayMs, maxDelayMs, random } = this.#options;
    if (error instanceof FredRateLimitedError && error.retryAfterMs !== undefined) {
      return Math.min(error.retryAfterMs, maxDelayMs);
    }
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (nextAttempt - 2));
    // "Equal jitter": half fixed, half random, so concurrent clients spread out but never retry at once.
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
  }

  #redact(text: string): string {
    return redact(text, [this.#options.apiKey]);
  }
}

/** The client from configuration; the key must already be resolved (AWS: read from Secrets Manager first). */
export const createFredClient = (
  config: FredConfig,
  logger: Logger,
  overrides: Pick<FredClientOptions, 'fetch' | 'sleep' | 'random' | 'now'> = {},
): FredClient => {
  if (!config.apiKey) {
    throw new ConfigError('FRED API key is missing: set FRED_API_KEY (on AWS, FRED_API_KEY_SECRET_ARN)', {
      variable: 'FRED_API_KEY',
    });
  }
  return new FredClient({
    apiUrl: config.apiUrl,
    apiKey: config.apiKey,
    maxAttempts: config.maxAttempts,
    baseDelayMs: config.baseDelayMs,
    maxDelayMs: config.maxDelayMs,
    minIntervalMs: config.minIntervalMs,
    timeoutMs: config.timeoutMs,
    logger,
    ...overrides,
  });
};
