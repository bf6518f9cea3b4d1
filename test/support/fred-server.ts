/**
 * A synthetic FRED (`fred/series/observations`, v1, JSON) on 127.0.0.1, for tests, benchmarks and `fredlake demo`.
 * It speaks FRED's protocol as documented in API.md (envelope key order, string values, `"."` for missing values,
 * error bodies with two spaces after "Bad Request.") and serves deterministic data: the same seed and date give
 * the same value whatever the window, so the rolling SP500 window and CPI revisions behave like the real thing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDays, addMonths, isValidIsoDate, monthOf } from '#shared/domain/calendar.ts';
import type { Observation } from '#shared/domain/observation.ts';

/** A fixed, recognisable test key in FRED's shape (32 lower-case alphanumerics). */
export const TEST_FRED_KEY = 'fredlaketestkey0123456789abcdefz';

export type Fault =
  /** 429; `retryAfter` overrides the header value verbatim (e.g. an HTTP date). */
  | { kind: '429'; retryAfterSeconds?: number; retryAfter?: string }
  | { kind: '500' }
  /** An HTML error page, as a proxy in front of FRED sends it (502 unless told otherwise). */
  | { kind: 'html'; status?: 502 | 200 }
  /** 200 with the first half of the JSON body that would have been sent. */
  | { kind: 'truncated' }
  /** Answers normally after `ms`. */
  | { kind: 'slow'; ms: number }
  /** Destroys the socket without answering. */
  | { kind: 'reset' }
  /** 400 with FRED's api_key-not-registered body, whatever key was sent. */
  | { kind: 'badKey' }
  /** 200 with the given body. */
  | { kind: 'garbage'; body: string };

export interface FredServerOptions {
  apiKey?: string;
  /** The server's notion of today (YYYY-MM-DD). */
  today?: string;
  seed?: number;
  windowYears?: number;
  sp500Series?: string;
  cpiSeries?: string;
}

export interface FredServerRequest {
  path: string;
  seriesId: string | undefined;
  /** The status answered; 0 when the socket was destroyed or the answer never went out. */
  status: number;
  /** Arrival time, ms since the epoch (sub-millisecond precision). */
  at: number;
}

export interface FredServer {
  /** The FRED_API_URL to use, e.g. http://127.0.0.1:PORT/fred */
  url: string;
  close(): Promise<void>;
  setToday(date: string): void;
  /** Revision mode: the last 60 published CPI months take revised values, as every February. */
  reviseCpi(enabled?: boolean): void;
  /** The next `times` observation requests get this fault (Infinity: until clearFaults). */
  inject(fault: Fault, times?: number): void;
  clearFaults(): void;
  /** Every request received, in order. No key is recorded. */
  requests: FredServerRequest[];
  /** What the server currently serves for SP500 (the whole window). */
  sp500(): Observation[];
  /** What the server currently serves for CPI (every published month). */
  cpi(): Observation[];
}

const DEFAULTS = {
  apiKey: TEST_FRED_KEY,
  today: '2026-11-25',
  seed: 1,
  windowYears: 10,
  sp500Series: 'SP500',
  cpiSeries: 'CPIAUCSL',
};

// ---------------------------------------------------------------------------------------------------------------
// NYSE calendar, by rule

const iso = (year: number, month: number, day: number): string =>
  new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
const weekdayOf = (date: string): number => new Date(`${date}T00:00:00Z`).getUTCDay();

const nthWeekday = (year: number, month: number, weekday: number, n: number): string => {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  return iso(year, month, 1 + ((weekday - first + 7) % 7) + (n - 1) * 7);
};

const lastWeekday = (year: number, month: number, weekday: number): string => {
  const lastDay = new Date(Date.UTC(year, month, 0));
  const back = (lastDay.getUTCDay() - weekday + 7) % 7;
  return iso(year, month, lastDay.getUTCDate() - back);
};

/** Easter Sunday (anonymous Gregorian algorithm). */
const easter = (year: number): string => {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(year, month, day);
};

/** A fixed-date holiday moves to Friday when on Saturday, to Monday when on Sunday. */
const observed = (date: string): string => {
  const weekday = weekdayOf(date);
  if (weekday === 6) return addDays(date, -1);
  if (weekday === 0) return addDays(date, 1);
  return date;
};

const holidayCache = new Map<number, string[]>();
const holidaySets = new Map<number, Set<string>>();

/**
 * The NYSE full-day holidays of a year, as observed (sorted). New Year's Day on a Saturday is not observed
 * (NYSE stays open on Dec 31). MLK Day from 1998, Juneteenth from 2022. One-off closures are not included.
 */
export const nyseHolidays = (year: number): string[] => {
  const cached = holidayCache.get(year);
  if (cached) return [...cached];
  const newYear = iso(year, 1, 1);
  const days = [
    weekdayOf(newYear) === 6 ? undefined : observed(newYear),
    year >= 1998 ? nthWeekday(year, 1, 1, 3) : undefined,
    nthWeekday(year, 2, 1, 3),
    addDays(easter(year), -2),
    lastWeekday(year, 5, 1),
    year >= 2022 ? observed(iso(year, 6, 19)) : undefined,
    observed(iso(year, 7, 4)),
    nthWeekday(year, 9, 1, 1),
    nthWeekday(year, 11, 4, 4),
    observed(iso(year, 12, 25)),
  ]
    .filter((day): day is string => day !== undefined)
    .sort();
  holidayCache.set(year, days);
  return [...days];
};

export const isWeekend = (date: string): boolean => {
  const weekday = weekdayOf(date);
  return weekday === 0 || weekday === 6;
};

/** A weekday that is not an NYSE holiday. */
export const isTradingDay = (date: string): boolean => {
  if (isWeekend(date)) return false;
  const year = Number(date.slice(0, 4));
  let holidays = holidaySets.get(year);
  if (!holidays) {
    holidays = new Set(nyseHolidays(year));
    holidaySets.set(year, holidays);
  }
  return !holidays.has(date);
};

// ---------------------------------------------------------------------------------------------------------------
// Deterministic data: every step is a function of (seed, date), accumulated from a fixed origin

/** A uniform number in [0, 1) from a string (cyrb53). */
const unit = (key: string): number => {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)) / 2 ** 53;
};

const round = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

/** FRED keeps numbers as stored: sometimes "4512.30", sometimes "4512.3". */
const formatValue = (value: number, decimals: number, key: string): string => {
  const fixed = value.toFixed(decimals);
  if (fixed.endsWith('0') && unit(`fmt:${key}`) < 0.4) return fixed.replace(/0+$/, '').replace(/\.$/, '.0');
  return fixed;
};

const SP500_ORIGIN = '1990-01-01';
const SP500_ORIGIN_LEVEL = 353.4;
/** Log drift per trading day: about 360 in 1990 to about 6,300 in 2026. */
const SP500_DRIFT = 0.00031;

interface Sp500Walk {
  /** Every weekday from the origin; holidays have a null value. */
  dates: string[];
  values: (number | null)[];
  tradingDays: number;
  deviation: number;
}

const sp500Walks = new Map<number, Sp500Walk>();

/** The SP500 walk of this seed, extended through `end`: a trend plus a mean-reverting deviation. */
const sp500Walk = (seed: number, end: string): Sp500Walk => {
  let walk = sp500Walks.get(seed);
  if (!walk) {
    walk = { dates: [], values: [], tradingDays: 0, deviation: 0 };
    sp500Walks.set(seed, walk);
  }
  let date = walk.dates.length ? addDays(walk.dates.at(-1) as string, 1) : SP500_ORIGIN;
  for (; date <= end; date = addDays(date, 1)) {
    if (isWeekend(date)) continue;
    walk.dates.push(date);
    if (!isTradingDay(date)) {
      walk.values.push(null);
      continue;
    }
    const shock =
      0.02 *
      (unit(`${seed}:sp500:a:${date}`) + unit(`${seed}:sp500:b:${date}`) + unit(`${seed}:sp500:c:${date}`) - 1.5);
    walk.deviation = 0.995 * walk.deviation + shock;
    walk.tradingDays++;
    const level = SP500_ORIGIN_LEVEL * Math.exp(SP500_DRIFT * walk.tradingDays + walk.deviation);
    walk.values.push(round(level, 2));
  }
  return walk;
};

const CPI_ORIGIN = '1947-01-01';
const CPI_ORIGIN_LEVEL = 21.48;
/** BLS collected no October 2025 data: FRED serves "." for it. */
export const CPI_MISSING_MONTH = '2025-10-01';
export const CPI_REVISION_MONTHS = 60;

interface CpiWalk {
  months: string[];
  /** Unrounded levels. */
  levels: number[];
}

const cpiWalks = new Map<number, CpiWalk>();

const cpiWalk = (seed: number, end: string): CpiWalk => {
  let walk = cpiWalks.get(seed);
  if (!walk) {
    walk = { months: [CPI_ORIGIN], levels: [CPI_ORIGIN_LEVEL] };
    cpiWalks.set(seed, walk);
  }
  for (let month = addMonths(walk.months.at(-1) as string, 1); month <= end; month = addMonths(month, 1)) {
    const growth = 0.0028 + (unit(`${seed}:cpi:${month}`) - 0.5) * 0.004;
    walk.months.push(month);
    walk.levels.push((walk.levels.at(-1) as number) * (1 + growth));
  }
  return walk;
};

/** The month whose CPI is the latest published on `today`: month M appears from the 13th of month M+1. */
export const latestCpiMonth = (today: string): string =>
  addMonths(monthOf(today), Number(today.slice(8, 10)) >= 13 ? -1 : -2);

/** The same day `years` earlier (Feb 29 -> Feb 28). */
const yearsBefore = (date: string, years: number): string => {
  const candidate = `${String(Number(date.slice(0, 4)) - years).padStart(4, '0')}${date.slice(4)}`;
  return isValidIsoDate(candidate) ? candidate : candidate.replace(/-29$/, '-28');
};

interface Row {
  date: string;
  value: string;
}

const toObservation = (row: Row): Observation => ({
  date: row.date,
  value: row.value === '.' ? null : Number(row.value),
});

// ---------------------------------------------------------------------------------------------------------------
// Protocol

const BAD_REQUEST = 'Bad Request.  ';
const MESSAGES = {
  keyNotSet: `${BAD_REQUEST}Variable api_key is not set.`,
  keyNotRegistered: `${BAD_REQUEST}The value for variable api_key is not registered.  Read https://fred.stlouisfed.org/docs/api/api_key.html for more information.`,
  fileType: `${BAD_REQUEST}Variable file_type is not json; this server only serves file_type=json.`,
  seriesNotSet: `${BAD_REQUEST}Variable series_id is not set.`,
  seriesInvalid: `${BAD_REQUEST}Invalid value for variable series_id.  Series IDs should be 25 or less alphanumeric characters.`,
  seriesUnknown: `${BAD_REQUEST}The series does not exist.`,
  limit: `${BAD_REQUEST}Variable limit is not an integer between 1 and 100000.`,
  offset: `${BAD_REQUEST}Variable offset is not a non-negative integer.`,
  badDate: (name: string) => `${BAD_REQUEST}Variable ${name} is not a valid date.`,
  startAfterEnd: `${BAD_REQUEST}The value for variable observation_start can not be after the value for variable observation_end.`,
  notFound: 'Not Found.  The requested endpoint does not exist.',
  rateLimited: 'Too Many Requests.  Exceeded Rate Limit',
  internal: 'Internal Server Error',
};

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=UTF-8';

const errorReply = (status: number, message: string, headers: Record<string, string> = {}): Reply => ({
  status,
  body: JSON.stringify({ error_code: status, error_message: message }),
  headers: { 'content-type': JSON_TYPE, ...headers },
});

const HTML_ERROR_PAGE =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>502 Proxy Error</title>\n</head><body>\n' +
  '<h1>Proxy Error</h1>\n<p>The proxy server received an invalid response from an upstream server.</p>\n</body></html>\n';

const INTEGER = /^\d+$/;

export const startFredServer = async (options: FredServerOptions = {}): Promise<FredServer> => {
  const settings = { ...DEFAULTS, ...options };
  if (!isValidIsoDate(settings.today)) throw new Error(`today ${settings.today} is not a calendar date`);
  let today = settings.today;
  let revised = false;
  const faults: Array<{ fault: Fault; remaining: number }> = [];
  const requests: FredServerRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  /** Served rows and their JSON fragments, per series, for the current day and revision mode. */
  const cache = new Map<string, { rows: Row[]; fragments: string[] }>();

  const sp500Rows = (): Row[] => {
    const end = addDays(today, -1);
    const start = yearsBefore(today, settings.windowYears);
    const walk = sp500Walk(settings.seed, end);
    const rows: Row[] = [];
    for (let i = 0; i < walk.dates.length; i++) {
      const date = walk.dates[i] as string;
      if (date < start) continue;
      if (date > end) break;
      const value = walk.values[i];
      rows.push({
        date,
        value: value === null || value === undefined ? '.' : formatValue(value, 2, `${settings.seed}:sp500:${date}`),
      });
    }
    return rows;
  };

  const cpiRows = (): Row[] => {
    const latest = latestCpiMonth(today);
    const walk = cpiWalk(settings.seed, latest);
    const revisedFrom = addMonths(latest, -(CPI_REVISION_MONTHS - 1));
    const rows: Row[] = [];
    for (let i = 0; i < walk.months.length; i++) {
      const date = walk.months[i] as string;
      if (date > latest) break;
      if (date === CPI_MISSING_MONTH) {
        rows.push({ date, value: '.' });
        continue;
      }
      let level = walk.levels[i] as number;
      if (revised && date >= revisedFrom) {
        const size = 0.0005 + unit(`${settings.seed}:cpi:revision:size:${date}`) * 0.0015;
        level *= 1 + (unit(`${settings.seed}:cpi:revision:sign:${date}`) < 0.5 ? -size : size);
      }
      rows.push({ date, value: formatValue(round(level, 3), 3, `${settings.seed}:cpi:${date}`) });
    }
    return rows;
  };

  const served = (seriesId: string): { rows: Row[]; fragments: string[] } => {
    const key = `${seriesId}|${today}|${revised}`;
    let entry = cache.get(key);
    if (!entry) {
      const rows = seriesId === settings.sp500Series ? sp500Rows() : cpiRows();
      const prefix = `{"realtime_start":"${today}","realtime_end":"${today}","date":"`;
      entry = { rows, fragments: rows.map((row) => `${prefix}${row.date}","value":"${row.value}"}`) };
      cache.set(key, entry);
    }
    return entry;
  };

  const lastModified = (seriesId: string): string => {
    // SP500: the evening update (19:11 CT) of the last trading day; CPI: the release morning (08:30 ET).
    if (seriesId === settings.sp500Series) return new Date(`${today}T00:11:05Z`).toUTCString();
    return new Date(`${addMonths(latestCpiMonth(today), 1).slice(0, 8)}13T13:30:00Z`).toUTCString();
  };

  const observationsReply = (query: URLSearchParams): Reply => {
    const apiKey = query.get('api_key');
    if (!apiKey) return errorReply(400, MESSAGES.keyNotSet);
    if (apiKey !== settings.apiKey) return errorReply(400, MESSAGES.keyNotRegistered);
    if (query.get('file_type') !== 'json') return errorReply(400, MESSAGES.fileType);
    const seriesId = query.get('series_id');
    if (!seriesId) return errorReply(400, MESSAGES.seriesNotSet);
    if (!/^[A-Za-z0-9]{1,25}$/.test(seriesId)) return errorReply(400, MESSAGES.seriesInvalid);
    if (seriesId !== settings.sp500Series && seriesId !== settings.cpiSeries) {
      return errorReply(400, MESSAGES.seriesUnknown);
    }
    const limitText = query.get('limit') ?? '100000';
    const limit = Number(limitText);
    if (!INTEGER.test(limitText) || limit < 1 || limit > 100_000) return errorReply(400, MESSAGES.limit);
    const offsetText = query.get('offset') ?? '0';
    if (!INTEGER.test(offsetText)) return errorReply(400, MESSAGES.offset);
    const offset = Number(offsetText);
    const start = query.get('observation_start') ?? '1776-07-04';
    const end = query.get('observation_end') ?? '9999-12-31';
    if (!isValidIsoDate(start)) return errorReply(400, MESSAGES.badDate('observation_start'));
    if (!isValidIsoDate(end)) return errorReply(400, MESSAGES.badDate('observation_end'));
    if (start > end) return errorReply(400, MESSAGES.startAfterEnd);

    const { rows, fragments } = served(seriesId);
    let from = 0;
    while (from < rows.length && (rows[from] as Row).date < start) from++;
    let to = rows.length;
    while (to > from && (rows[to - 1] as Row).date > end) to--;
    const count = to - from;
    const page = fragments.slice(Math.min(from + offset, to), Math.min(from + offset + limit, to));
    const body =
      `{"realtime_start":"${today}","realtime_end":"${today}","observation_start":"${start}","observation_end":"${end}",` +
      `"units":"lin","output_type":1,"file_type":"json","order_by":"observation_date","sort_order":"asc",` +
      `"count":${count},"offset":${offset},"limit":${limit},"observations":[${page.join(',')}]}`;
    return {
      status: 200,
      body,
      headers: {
        'content-type': JSON_TYPE,
        'last-modified': lastModified(seriesId),
        'cache-control': 'max-age=0, no-cache',
        server: 'Apache',
      },
    };
  };

  const takeFault = (): Fault | undefined => {
    const entry = faults[0];
    if (!entry) return undefined;
    entry.remaining--;
    if (entry.remaining <= 0) faults.shift();
    return entry.fault;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: FredServerRequest = {
      path: url.pathname,
      seriesId: url.searchParams.get('series_id') ?? undefined,
      status: 0,
      at: performance.timeOrigin + performance.now(),
    };
    requests.push(record);
    const send = (reply: Reply): void => {
      if (res.destroyed || res.headersSent) return;
      record.status = reply.status;
      res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
    };

    if (req.method !== 'GET' || url.pathname.replace(/\/+$/, '') !== '/fred/series/observations') {
      send(errorReply(404, MESSAGES.notFound));
      return;
    }
    const fault = takeFault();
    switch (fault?.kind) {
      case undefined:
        send(observationsReply(url.searchParams));
        return;
      case '429': {
        const retryAfter = fault.retryAfter ?? fault.retryAfterSeconds?.toString();
        send(errorReply(429, MESSAGES.rateLimited, retryAfter === undefined ? {} : { 'retry-after': retryAfter }));
        return;
      }
      case '500':
        send(errorReply(500, MESSAGES.internal));
        return;
      case 'html':
        send({
          status: fault.status ?? 502,
          body: HTML_ERROR_PAGE,
          headers: { 'content-type': 'text/html; charset=iso-8859-1' },
        });
        return;
      case 'truncated': {
        const reply = observationsReply(url.searchParams);
        send({ ...reply, status: 200, body: reply.body.slice(0, Math.floor(reply.body.length / 2)) });
        return;
      }
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(observationsReply(url.searchParams));
        }, fault.ms);
        timers.add(timer);
        return;
      }
      case 'reset':
        req.socket.destroy();
        return;
      case 'badKey':
        send(errorReply(400, MESSAGES.keyNotRegistered));
        return;
      case 'garbage':
        send({ status: 200, body: fault.body, headers: { 'content-type': JSON_TYPE } });
        return;
    }
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/fred`,
    requests,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setToday: (date) => {
      if (!isValidIsoDate(date)) throw new Error(`today ${date} is not a calendar date`);
      today = date;
      cache.clear();
    },
    reviseCpi: (enabled = true) => {
      revised = enabled;
      cache.clear();
    },
    inject: (fault, times = 1) => {
      if (times > 0) faults.push({ fault, remaining: times });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    sp500: () => served(settings.sp500Series).rows.map(toObservation),
    cpi: () => served(settings.cpiSeries).rows.map(toObservation),
  };
};
