import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#shared/config.ts';
import {
  ConfigError,
  FredRateLimitedError,
  FredRequestError,
  FredResponseInvalidError,
  FredUnavailableError,
  PipelineError,
} from '#shared/errors.ts';
import { createFredClient, FredClient, type FredClientOptions } from '#shared/fred/client.ts';
import { createMemoryLogger } from '#shared/logger.ts';
import { type FredServer, startFredServer, TEST_FRED_KEY } from '#test/support/fred-server.ts';

let server: FredServer;

beforeAll(async () => {
  server = await startFredServer();
});

afterEach(() => {
  server.clearFaults();
  server.setToday('2026-11-25');
  server.requests.length = 0;
});

afterAll(async () => {
  await server.close();
});

const clientFor = (overrides: Partial<FredClientOptions> = {}) => {
  const logger = createMemoryLogger();
  const client = new FredClient({
    apiUrl: server.url,
    apiKey: TEST_FRED_KEY,
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 5,
    minIntervalMs: 0,
    timeoutMs: 5_000,
    logger,
    ...overrides,
  });
  return { client, logger };
};

/** A sleep that records the requested delays and returns at once. */
const recordingSleep = () => {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
};

const failureOf = async (promise: Promise<unknown>): Promise<PipelineError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a PipelineError');
};

describe('FredClient.fetchSeries', () => {
  it('fetches the whole series in one request and keeps the page exactly as FRED sent it, without the key', async () => {
    const { client } = clientFor();

    const result = await client.fetchSeries('SP500');

    expect(result.seriesId).toBe('SP500');
    expect(result.observations).toEqual(server.sp500());
    expect(result.pages).toHaveLength(1);
    const page = result.pages[0];
    expect(page?.status).toBe(200);
    expect(page?.observationCount).toBe(result.observations.length);
    expect(page?.url).toBe(`${server.url}/series/observations?series_id=SP500&file_type=json&limit=100000&offset=0`);
    expect(page?.params).toEqual({ series_id: 'SP500', file_type: 'json', limit: '100000', offset: '0' });
    expect(page?.lastModified).toBe('Wed, 25 Nov 2026 00:11:05 GMT');
    expect(Number.isNaN(Date.parse(page?.fetchedAt ?? ''))).toBe(false);
    expect(JSON.parse(page?.body ?? '').count).toBe(result.observations.length);
    expect(page?.body).toMatch(/^\{"realtime_start":"2026-11-25",/);
  });

  it('follows pages until count is reached when the page size is small', async () => {
    const { client } = clientFor();

    const result = await client.fetchSeries('CPIAUCSL', { pageSize: 200 });

    expect(result.observations).toEqual(server.cpi());
    expect(result.pages.map((page) => page.params.offset)).toEqual(['0', '200', '400', '600', '800']);
    expect(result.pages.map((page) => page.observationCount)).toEqual([200, 200, 200, 200, server.cpi().length - 800]);
    expect(server.requests).toHaveLength(5);
  });

  it('asks only for the observation range it was given', async () => {
    const { client } = clientFor();

    const result = await client.fetchSeries('SP500', { observationStart: '2025-12-22', observationEnd: '2025-12-31' });

    expect(result.observations).toEqual([
      ...server.sp500().filter((o) => o.date >= '2025-12-22' && o.date <= '2025-12-31'),
    ]);
    expect(result.pages[0]?.params).toMatchObject({ observation_start: '2025-12-22', observation_end: '2025-12-31' });
  });

  it('returns market holidays as null values', async () => {
    const { client } = clientFor();

    const result = await client.fetchSeries('SP500', { observationStart: '2025-12-24', observationEnd: '2025-12-26' });

    expect(result.observations.map((o) => [o.date, o.value === null])).toEqual([
      ['2025-12-24', false],
      ['2025-12-25', true],
      ['2025-12-26', false],
    ]);
  });

  it('returns an empty series when nothing matches, in one request', async () => {
    const { client } = clientFor();

    const result = await client.fetchSeries('SP500', { observationStart: '2026-11-21', observationEnd: '2026-11-22' });

    expect(result.observations).toEqual([]);
    expect(result.pages).toHaveLength(1);
  });

  it("reports FRED's error_message for a 400 and does not retry it", async () => {
    const { client } = clientFor();

    const error = await failureOf(client.fetchSeries('NOSUCHSERIES'));

    expect(error).toBeInstanceOf(FredRequestError);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('FRED answered 400 for series NOSUCHSERIES: Bad Request.  The series does not exist.');
    expect(error.details).toMatchObject({ seriesId: 'NOSUCHSERIES', status: 400 });
    expect(server.requests).toHaveLength(1);
  });

  it('reports an unregistered key as a request error, once', async () => {
    server.inject({ kind: 'badKey' });
    const { client } = clientFor();

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredRequestError);
    expect(error.message).toContain('FRED answered 400 for series SP500: Bad Request.  The value for variable api_key');
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on 429 after maxAttempts and says how many attempts it made', async () => {
    server.inject({ kind: '429' }, Number.POSITIVE_INFINITY);
    const { client } = clientFor({ maxAttempts: 4 });

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredRateLimitedError);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('FRED answered 429 Too Many Requests for series SP500 after 4 attempts');
    expect(error.details).toMatchObject({ attempts: 4, status: 429 });
    expect(server.requests).toHaveLength(4);
    expect(client.stats()).toMatchObject({ requests: 4, rateLimited: 4, retries: 3, failures: 4 });
  });

  it('waits as long as Retry-After says, in seconds, then succeeds', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 7 });
    const { delays, sleep } = recordingSleep();
    const { client } = clientFor({ sleep, maxDelayMs: 60_000 });

    const result = await client.fetchSeries('CPIAUCSL');

    expect(delays).toEqual([7_000]);
    expect(result.observations).toEqual(server.cpi());
  });

  it('waits until the HTTP date Retry-After gives', async () => {
    const now = new Date('2026-11-25T12:00:00.000Z');
    server.inject({ kind: '429', retryAfter: new Date(now.getTime() + 30_000).toUTCString() });
    const { delays, sleep } = recordingSleep();
    const { client } = clientFor({ sleep, maxDelayMs: 60_000, now: () => now });

    await client.fetchSeries('CPIAUCSL');

    expect(delays).toEqual([30_000]);
  });

  it('caps a long Retry-After at maxDelayMs', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 3600 });
    const { delays, sleep } = recordingSleep();
    const { client } = clientFor({ sleep, maxDelayMs: 20_000 });

    await client.fetchSeries('CPIAUCSL');

    expect(delays).toEqual([20_000]);
  });

  it('backs off exponentially from baseDelayMs, capped at maxDelayMs, when no Retry-After is given', async () => {
    server.inject({ kind: '429' }, 3);
    server.inject({ kind: '500' }, 1);
    const highest = recordingSleep();
    const lowest = recordingSleep();

    await clientFor({
      sleep: highest.sleep,
      random: () => 1,
      baseDelayMs: 10,
      maxDelayMs: 50,
      maxAttempts: 5,
    }).client.fetchSeries('CPIAUCSL');
    server.inject({ kind: '500' }, 3);
    await clientFor({
      sleep: lowest.sleep,
      random: () => 0,
      baseDelayMs: 10,
      maxDelayMs: 50,
      maxAttempts: 5,
    }).client.fetchSeries('CPIAUCSL');

    expect(highest.delays).toEqual([10, 20, 40, 50]);
    expect(lowest.delays).toEqual([5, 10, 20]);
  });

  it('retries a 500 and returns the data when FRED recovers, logging each retry', async () => {
    server.inject({ kind: '500' }, 2);
    const { client, logger } = clientFor();

    const result = await client.fetchSeries('CPIAUCSL');

    expect(result.observations).toEqual(server.cpi());
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(logger.lines.filter((line) => line.startsWith('WARN  fred retry'))).toHaveLength(2);
    expect(logger.lines.filter((line) => line.startsWith('DEBUG fred request'))).toHaveLength(3);
    expect(client.stats()).toMatchObject({ requests: 3, retries: 2, failures: 2, rateLimited: 0 });
    expect(client.stats().latencyMs).toHaveLength(3);
  });

  it('reports a persistent 500 as transient, with the attempt count', async () => {
    server.inject({ kind: '500' }, Number.POSITIVE_INFINITY);
    const { client } = clientFor();

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      'FRED answered 500 Internal Server Error for series SP500 after 3 attempts: Internal Server Error',
    );
  });

  it.each([502, 200] as const)('reports an HTML page with status %i as transient, quoting the page', async (status) => {
    server.inject({ kind: 'html', status }, Number.POSITIVE_INFINITY);
    const { client } = clientFor();

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredUnavailableError);
    expect(error.message).toContain('for series SP500 after 3 attempts');
    expect(error.message).toContain('Proxy Error');
    expect(error.message).toContain(String(status));
  });

  it('reports a cut-off body as transient and retries it', async () => {
    server.inject({ kind: 'truncated' }, Number.POSITIVE_INFINITY);
    const { client } = clientFor({ maxAttempts: 2 });

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredUnavailableError);
    expect(error.message).toMatch(/^Unreadable FRED response for series SP500 after 2 attempts \(HTTP 200\): not JSON/);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a request that takes longer than timeoutMs', async () => {
    server.inject({ kind: 'slow', ms: 2_000 }, Number.POSITIVE_INFINITY);
    const { client } = clientFor({ timeoutMs: 100, maxAttempts: 2 });

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredUnavailableError);
    expect(error.message).toBe('FRED did not answer within 100 ms for series SP500 after 2 attempts');
    expect(server.requests).toHaveLength(2);
  });

  it('reports a reset connection as transient and recovers on the next attempt', async () => {
    server.inject({ kind: 'reset' });
    const { client } = clientFor();

    const result = await client.fetchSeries('CPIAUCSL');

    expect(result.observations).toEqual(server.cpi());
    expect(server.requests.map((r) => r.status)).toEqual([0, 200]);
  });

  it('reports a reset on every attempt as FRED unavailable', async () => {
    server.inject({ kind: 'reset' }, Number.POSITIVE_INFINITY);
    const { client } = clientFor({ maxAttempts: 2 });

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredUnavailableError);
    expect(error.message).toMatch(/^FRED request failed for series SP500 after 2 attempts: fetch failed/);
  });

  it('does not retry a JSON body that is not a valid observations page', async () => {
    server.inject({ kind: 'garbage', body: '{"count":1,"observations":"none"}' }, Number.POSITIVE_INFINITY);
    const { client } = clientFor();

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredResponseInvalidError);
    expect(server.requests).toHaveLength(1);
  });

  it('stops with an error when a page comes back empty before count is reached', async () => {
    const empty = JSON.parse(
      await (
        await fetch(
          `${server.url}/series/observations?series_id=SP500&file_type=json&api_key=${TEST_FRED_KEY}&observation_start=2026-11-21&observation_end=2026-11-22`,
        )
      ).text(),
    );
    server.inject({ kind: 'garbage', body: JSON.stringify({ ...empty, count: 10 }) }, Number.POSITIVE_INFINITY);
    server.requests.length = 0;
    const { client } = clientFor();

    const error = await failureOf(client.fetchSeries('SP500'));

    expect(error).toBeInstanceOf(FredResponseInvalidError);
    expect(error.message).toContain('is empty although count is 10');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses an invalid series id or date before sending anything', async () => {
    const { client } = clientFor();

    const errors = [
      await failureOf(client.fetchSeries('SP500&api_key=x')),
      await failureOf(client.fetchSeries('SP500', { observationStart: '2024-02-30' })),
      await failureOf(client.fetchSeries('SP500', { pageSize: 100_001 })),
    ];

    for (const error of errors) expect(error).toBeInstanceOf(ConfigError);
    expect(server.requests).toHaveLength(0);
  });

  it('spaces the starts of its requests by minIntervalMs, across concurrent calls', async () => {
    const { client } = clientFor({ minIntervalMs: 100 });
    const range = { observationStart: '2026-11-02', observationEnd: '2026-11-06' };
    // Warm up first, so the measured requests all travel on an open connection through warm code.
    await client.fetchSeries('SP500', range);
    await client.fetchSeries('CPIAUCSL', range);
    server.requests.length = 0;

    await Promise.all([
      client.fetchSeries('SP500', range),
      client.fetchSeries('CPIAUCSL', range),
      client.fetchSeries('SP500', range),
      client.fetchSeries('CPIAUCSL', range),
    ]);

    // Arrival times also carry loopback delivery jitter (a busy shared machine); unspaced requests arrive ~1 ms apart.
    const LOOPBACK_JITTER_MS = 30;
    const arrivals = server.requests.map((r) => r.at);
    expect(arrivals).toHaveLength(4);
    const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] as number));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(100 - LOOPBACK_JITTER_MS);
    expect((arrivals[3] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(300 - LOOPBACK_JITTER_MS);
  });

  it('makes each concurrent caller wait a full interval after the previous start', async () => {
    const { delays, sleep } = recordingSleep();
    const { client } = clientFor({ minIntervalMs: 100, sleep });
    const range = { observationStart: '2026-11-02', observationEnd: '2026-11-06' };

    await Promise.all([
      client.fetchSeries('SP500', range),
      client.fetchSeries('CPIAUCSL', range),
      client.fetchSeries('SP500', range),
    ]);

    expect(delays).toHaveLength(2);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(100);
    expect(server.requests).toHaveLength(3);
  });
});

describe('createFredClient', () => {
  it('refuses to build a client without an API key', () => {
    const config = loadConfig({ FRED_API_URL: 'http://127.0.0.1:1/fred' });

    expect(() => createFredClient(config.fred, createMemoryLogger())).toThrow(ConfigError);
  });

  it('builds a working client from configuration', async () => {
    const config = loadConfig({ FRED_API_URL: server.url, FRED_API_KEY: TEST_FRED_KEY, FRED_MIN_INTERVAL_MS: '0' });

    const result = await createFredClient(config.fred, createMemoryLogger()).fetchSeries('CPIAUCSL');

    expect(result.observations).toEqual(server.cpi());
  });
});

describe('the API key', () => {
  const SECRET = 'zzsecretzzsecretzzsecretzzsecret';

  const everythingSaidAbout = (error: unknown): string[] => {
    const texts: string[] = [];
    let current: unknown = error;
    for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
      texts.push(String(current), JSON.stringify(current) ?? '');
      if (current instanceof Error) {
        texts.push(current.message, current.stack ?? '');
        if (current instanceof PipelineError) texts.push(JSON.stringify(current.details));
        current = current.cause;
      } else {
        break;
      }
    }
    return texts;
  };

  it('appears in no error, error detail, cause, stack, log line or returned page', async () => {
    const secretServer = await startFredServer({ apiKey: SECRET });
    const logger = createMemoryLogger();
    const options = {
      apiUrl: secretServer.url,
      apiKey: SECRET,
      maxAttempts: 2,
      baseDelayMs: 1,
      maxDelayMs: 2,
      minIntervalMs: 0,
      timeoutMs: 100,
      logger,
    };
    const client = new FredClient(options);
    const urlLeakingFetch: typeof fetch = async (input) => {
      throw new TypeError(`request to ${String(input)} failed`, {
        cause: new Error(`connect ECONNREFUSED ${String(input)}`),
      });
    };
    const errors: unknown[] = [];
    const faults = [
      { kind: '429', retryAfterSeconds: 0 },
      { kind: '500' },
      { kind: 'html' },
      { kind: 'truncated' },
      { kind: 'slow', ms: 1_000 },
      { kind: 'reset' },
      { kind: 'badKey' },
      { kind: 'garbage', body: `{"error":"bad api_key=${SECRET}"}` },
      { kind: 'garbage', body: `<html>api_key=${SECRET}</html>` },
    ] as const;

    try {
      const page = await client.fetchSeries('SP500', { pageSize: 1000 });
      for (const fault of faults) {
        secretServer.inject(fault, Number.POSITIVE_INFINITY);
        errors.push(await failureOf(client.fetchSeries('SP500')));
        secretServer.clearFaults();
      }
      errors.push(await failureOf(client.fetchSeries('NOSUCHSERIES')));
      errors.push(await failureOf(new FredClient({ ...options, fetch: urlLeakingFetch }).fetchSeries('SP500')));

      expect(errors).toHaveLength(faults.length + 2);
      expect(page.pages.length).toBeGreaterThan(1);
      expect(JSON.stringify(page)).not.toContain(SECRET);
      for (const error of errors) {
        for (const text of everythingSaidAbout(error)) expect(text).not.toContain(SECRET);
      }
      expect(logger.lines.length).toBeGreaterThan(10);
      for (const line of logger.lines) expect(line).not.toContain(SECRET);
      expect(JSON.stringify(secretServer.requests)).not.toContain(SECRET);
    } finally {
      await secretServer.close();
    }
  });
});
