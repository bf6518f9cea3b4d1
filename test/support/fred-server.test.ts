import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, eachDay } from '#shared/domain/calendar.ts';
import {
  CPI_MISSING_MONTH,
  type FredServer,
  isTradingDay,
  isWeekend,
  nyseHolidays,
  startFredServer,
  TEST_FRED_KEY,
} from './fred-server.ts';

let server: FredServer;

beforeAll(async () => {
  server = await startFredServer();
});

afterEach(() => {
  server.clearFaults();
  server.reviseCpi(false);
  server.setToday('2026-11-25');
  server.requests.length = 0;
});

afterAll(async () => {
  await server.close();
});

const get = async (query: string, base = server.url) => {
  const response = await fetch(`${base}/series/observations?${query}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
};

const observationsQuery = (seriesId: string, extra = '') =>
  `series_id=${seriesId}&file_type=json&api_key=${TEST_FRED_KEY}${extra}`;

describe('nyseHolidays', () => {
  it('lists the ten NYSE holidays of a year, as observed', () => {
    expect(nyseHolidays(2026)).toEqual([
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-04-03',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-09-07',
      '2026-11-26',
      '2026-12-25',
    ]);
  });

  it('moves Saturday holidays to Friday and Sunday holidays to Monday, but never New Year to December 31', () => {
    expect(nyseHolidays(2021)).toContain('2021-12-24');
    expect(nyseHolidays(2023)).toContain('2023-01-02');
    expect(nyseHolidays(2022)).not.toContain('2021-12-31');
    expect(nyseHolidays(2022).filter((d) => d.startsWith('2022-01'))).toEqual(['2022-01-17']);
    expect(nyseHolidays(2027)).toContain('2027-06-18');
  });

  it('closes for Juneteenth only from 2022 and finds Good Friday from Easter', () => {
    expect(nyseHolidays(2021).some((d) => d.startsWith('2021-06'))).toBe(false);
    expect(nyseHolidays(2022)).toContain('2022-06-20');
    expect(nyseHolidays(2024)).toContain('2024-03-29');
    expect(nyseHolidays(2025)).toContain('2025-04-18');
    expect(nyseHolidays(2019)).toContain('2019-04-19');
  });

  it('tells trading days from weekends and holidays', () => {
    expect(isTradingDay('2026-11-24')).toBe(true);
    expect(isTradingDay('2026-11-26')).toBe(false);
    expect(isTradingDay('2026-11-28')).toBe(false);
  });
});

describe('the synthetic SP500', () => {
  it('serves every weekday of the window, holidays as "." and no weekend', () => {
    const observations = server.sp500();

    const first = observations[0]?.date as string;
    const last = observations.at(-1)?.date as string;
    const weekdays = eachDay(first, last).filter((d) => !isWeekend(d));
    expect(observations.map((o) => o.date)).toEqual(weekdays);
    for (const o of observations) expect(o.value === null).toBe(!isTradingDay(o.date));
    expect(observations.filter((o) => o.value === null).length).toBeGreaterThan(80);
  });

  it('serves holidays with the string "."', async () => {
    const { text } = await get(observationsQuery('SP500', '&observation_start=2025-12-24&observation_end=2025-12-26'));

    expect(JSON.parse(text).observations.map((o: { value: string }) => o.value === '.')).toEqual([false, true, false]);
  });

  it('rolls a ten-year window that ends the day before today', () => {
    const before = server.sp500();
    server.setToday('2026-12-01');

    const after = server.sp500();

    expect(before[0]?.date).toBe('2016-11-25');
    expect(before.at(-1)?.date).toBe('2026-11-24');
    expect(after[0]?.date).toBe('2016-12-01');
    expect(after.at(-1)?.date).toBe('2026-11-30');
    expect(after.some((o) => o.date === '2016-11-28')).toBe(false);
  });

  it('gives a date the same value whatever the window and whichever server instance', async () => {
    const early = new Map(server.sp500().map((o) => [o.date, o.value]));
    server.setToday('2027-03-15');
    const later = server.sp500();
    const again = await startFredServer({ today: '2026-06-30' });
    const other = await startFredServer({ today: '2026-06-30', seed: 2 });

    const overlap = later.filter((o) => early.has(o.date));
    const fromAgain = again.sp500();
    const fromOther = other.sp500();
    await again.close();
    await other.close();

    expect(overlap.length).toBeGreaterThan(2000);
    for (const o of overlap) expect(o.value).toBe(early.get(o.date));
    for (const o of fromAgain) if (early.has(o.date)) expect(o.value).toBe(early.get(o.date));
    expect(fromOther.map((o) => o.value)).not.toEqual(fromAgain.map((o) => o.value));
  });

  it('moves less than 5% a day around realistic levels, with two decimals written in varied ways', async () => {
    const values = server.sp500().flatMap((o) => (o.value === null ? [] : [o.value]));
    const { text } = await get(observationsQuery('SP500'));

    const moves = values.slice(1).map((v, i) => Math.abs(v / (values[i] as number) - 1));
    expect(Math.max(...moves)).toBeLessThan(0.05);
    expect(Math.min(...values)).toBeGreaterThan(1000);
    expect(Math.max(...values)).toBeLessThan(20000);
    const strings = (JSON.parse(text).observations as { value: string }[]).map((o) => o.value).filter((v) => v !== '.');
    for (const s of strings) expect(s).toMatch(/^\d+\.\d{1,2}$/);
    expect(strings.some((s) => /\.\d0$/.test(s))).toBe(true);
    expect(strings.some((s) => /\.\d$/.test(s))).toBe(true);
  });
});

describe('the synthetic CPIAUCSL', () => {
  it('is monthly from 1947-01-01 and publishes month M from the 13th of month M+1', () => {
    server.setToday('2026-11-12');
    const beforeRelease = server.cpi();
    server.setToday('2026-11-13');

    const afterRelease = server.cpi();

    expect(beforeRelease[0]?.date).toBe('1947-01-01');
    expect(beforeRelease.at(-1)?.date).toBe('2026-09-01');
    expect(afterRelease.at(-1)?.date).toBe('2026-10-01');
    afterRelease.forEach((o, i) => {
      expect(o.date).toBe(addMonths('1947-01-01', i));
    });
  });

  it('has no value for October 2025, and values with up to three decimals otherwise', async () => {
    const { text } = await get(observationsQuery('CPIAUCSL'));

    const rows = JSON.parse(text).observations as { date: string; value: string }[];
    expect(rows.filter((r) => r.value === '.').map((r) => r.date)).toEqual([CPI_MISSING_MONTH]);
    for (const r of rows) if (r.value !== '.') expect(r.value).toMatch(/^\d+\.\d{1,3}$/);
    const last = rows.at(-1);
    expect(Number(last?.value)).toBeGreaterThan(250);
    expect(Number(last?.value)).toBeLessThan(400);
  });

  it('rises about 0.2-0.3% a month', () => {
    const values = server.cpi().flatMap((o) => (o.value === null ? [] : [o.value]));

    const months = values.length - 1;
    const monthly = ((values.at(-1) as number) / (values[0] as number)) ** (1 / months) - 1;
    expect(monthly).toBeGreaterThan(0.0015);
    expect(monthly).toBeLessThan(0.0035);
  });

  it('revises exactly the last 60 published months, and only while revision mode is on', () => {
    const original = server.cpi();

    server.reviseCpi();
    const revised = server.cpi();
    server.reviseCpi(false);
    const restored = server.cpi();

    const changed = revised.filter((o, i) => o.value !== original[i]?.value).map((o) => o.date);
    const lastSixty = original
      .slice(-60)
      .map((o) => o.date)
      .filter((d) => d !== CPI_MISSING_MONTH);
    expect(revised.map((o) => o.date)).toEqual(original.map((o) => o.date));
    expect(changed).toEqual(lastSixty);
    expect(changed[0]).toBe(addMonths(original.at(-1)?.date as string, -59));
    expect(restored).toEqual(original);
  });
});

describe('the synthetic FRED protocol', () => {
  it("answers with FRED's envelope: key order, string values, total count, headers", async () => {
    const { status, headers, text } = await get(observationsQuery('SP500', '&limit=3&offset=10'));

    const body = JSON.parse(text);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(headers.get('last-modified')).toBe('Wed, 25 Nov 2026 00:11:05 GMT');
    expect(Object.keys(body)).toEqual([
      'realtime_start',
      'realtime_end',
      'observation_start',
      'observation_end',
      'units',
      'output_type',
      'file_type',
      'order_by',
      'sort_order',
      'count',
      'offset',
      'limit',
      'observations',
    ]);
    expect(body).toMatchObject({ count: server.sp500().length, offset: 10, limit: 3, output_type: 1, units: 'lin' });
    expect(body.observations).toHaveLength(3);
    expect(body.observations[0]).toEqual({
      realtime_start: '2026-11-25',
      realtime_end: '2026-11-25',
      date: server.sp500()[10]?.date,
      value: expect.any(String),
    });
  });

  it('counts only the observations in the requested range', async () => {
    const { text } = await get(observationsQuery('SP500', '&observation_start=2026-11-16&observation_end=2026-11-20'));

    expect(JSON.parse(text)).toMatchObject({
      count: 5,
      observation_start: '2026-11-16',
      observation_end: '2026-11-20',
    });
  });

  it.each([
    ['series_id=SP500&file_type=json', 'Bad Request.  Variable api_key is not set.'],
    [
      'series_id=SP500&file_type=json&api_key=abcdefghijklmnopqrstuvwxyz123456',
      'Bad Request.  The value for variable api_key is not registered.  Read https://fred.stlouisfed.org/docs/api/api_key.html for more information.',
    ],
    [`series_id=SP500&api_key=${TEST_FRED_KEY}`, 'file_type'],
    [observationsQuery('NOSUCH'), 'Bad Request.  The series does not exist.'],
    [observationsQuery('SP-500'), 'Bad Request.  Invalid value for variable series_id.'],
    [observationsQuery('SP500', '&limit=0'), 'limit'],
    [observationsQuery('SP500', '&limit=100001'), 'limit'],
    [observationsQuery('SP500', '&offset=-1'), 'offset'],
    [
      observationsQuery('SP500', '&observation_start=2024-02-30'),
      'Bad Request.  Variable observation_start is not a valid date.',
    ],
    [
      observationsQuery('SP500', '&observation_end=soon'),
      'Bad Request.  Variable observation_end is not a valid date.',
    ],
  ])("answers %s with 400 and FRED's error body", async (query, message) => {
    const { status, text } = await get(query);

    const body = JSON.parse(text);
    expect(status).toBe(400);
    expect(body.error_code).toBe(400);
    expect(body.error_message).toContain(message);
    expect(body.error_message).toMatch(/^Bad Request\. {2}/);
  });

  it('records requests without the key', async () => {
    await get(observationsQuery('CPIAUCSL'));

    expect(server.requests).toEqual([
      { path: '/fred/series/observations', seriesId: 'CPIAUCSL', status: 200, at: expect.any(Number) },
    ]);
    expect(JSON.stringify(server.requests)).not.toContain(TEST_FRED_KEY);
  });
});

describe('fault injection', () => {
  it('applies a fault the given number of times, then answers normally', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 3 }, 2);

    const first = await get(observationsQuery('SP500'));
    const second = await get(observationsQuery('SP500'));
    const third = await get(observationsQuery('SP500'));

    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(JSON.parse(first.text).error_code).toBe(429);
    expect(second.status).toBe(429);
    expect(third.status).toBe(200);
  });

  it('keeps an Infinity fault until cleared', async () => {
    server.inject({ kind: '500' }, Number.POSITIVE_INFINITY);
    const statuses: number[] = [];

    for (let i = 0; i < 4; i++) statuses.push((await get(observationsQuery('SP500'))).status);
    server.clearFaults();
    statuses.push((await get(observationsQuery('SP500'))).status);

    expect(statuses).toEqual([500, 500, 500, 500, 200]);
  });

  it('sends HTML pages, half bodies, given bodies and bad-key answers', async () => {
    server.inject({ kind: 'html' });
    server.inject({ kind: 'html', status: 200 });
    server.inject({ kind: 'truncated' });
    server.inject({ kind: 'garbage', body: 'not json' });
    server.inject({ kind: 'badKey' });

    const html = await get(observationsQuery('SP500'));
    const html200 = await get(observationsQuery('SP500'));
    const truncated = await get(observationsQuery('SP500'));
    const garbage = await get(observationsQuery('SP500'));
    const badKey = await get(observationsQuery('SP500'));

    expect([html.status, html.headers.get('content-type')]).toEqual([502, 'text/html; charset=iso-8859-1']);
    expect(html.text).toContain('<title>502 Proxy Error</title>');
    expect(html200.status).toBe(200);
    expect(truncated.status).toBe(200);
    expect(() => JSON.parse(truncated.text)).toThrow();
    expect(truncated.text.startsWith('{"realtime_start":"2026-11-25"')).toBe(true);
    expect(garbage.text).toBe('not json');
    expect([badKey.status, JSON.parse(badKey.text).error_message]).toEqual([
      400,
      expect.stringContaining('is not registered'),
    ]);
  });

  it('destroys the socket on reset and answers late when slow', async () => {
    server.inject({ kind: 'reset' });
    server.inject({ kind: 'slow', ms: 50 });

    const reset = await get(observationsQuery('SP500')).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const slow = await get(observationsQuery('CPIAUCSL'));

    expect(reset).toBe('fetch failed');
    expect(slow.status).toBe(200);
    expect(server.requests.map((r) => r.status)).toEqual([0, 200]);
  });
});
