import * as z from 'zod';
import { isValidIsoDate } from '#shared/domain/calendar.ts';
import type { Observation } from '#shared/domain/observation.ts';
import { FredResponseInvalidError, FredUnavailableError } from '#shared/errors.ts';
import { redact } from '#shared/redact.ts';

/**
 * The v1 `fred/series/observations` JSON envelope, as FRED sends it (every observation field is a string,
 * including `value`; a missing value is `"."`).
 */
export const ObservationsEnvelope = z.object({
  realtime_start: z.string(),
  realtime_end: z.string(),
  observation_start: z.string(),
  observation_end: z.string(),
  units: z.string(),
  output_type: z.number(),
  file_type: z.string(),
  order_by: z.string(),
  sort_order: z.string(),
  count: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  observations: z.array(
    z.object({
      realtime_start: z.string(),
      realtime_end: z.string(),
      date: z.string(),
      value: z.string(),
    }),
  ),
});
export type ObservationsEnvelope = z.infer<typeof ObservationsEnvelope>;

export interface ObservationsPage {
  /** Total number of matching observations (all pages), not this page's length. */
  count: number;
  offset: number;
  limit: number;
  observations: Observation[];
}

export interface ParseContext {
  seriesId: string;
  /** The HTTP status, when the body came from a response. */
  status?: number;
  /** Strings to blank out of messages (the API key), should the body echo them. */
  secrets?: readonly string[];
}

export const MISSING_VALUE = '.';
const EXCERPT_CHARS = 120;
/** Plain decimal notation only: no exponent, hex, `NaN` or `Infinity`. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

/** The start of a body on one line, at most 120 characters, secrets blanked. */
export const bodyExcerpt = (body: string, secrets: readonly string[] = []): string => {
  const line = redact(body, secrets).replace(/\s+/g, ' ').trim();
  return line.length <= EXCERPT_CHARS ? line : `${line.slice(0, EXCERPT_CHARS - 3)}...`;
};

/** `"." -> null`; a plain finite decimal -> its number; anything else -> undefined. */
export const parseObservationValue = (value: string): number | null | undefined => {
  if (value === MISSING_VALUE) return null;
  if (!DECIMAL.test(value)) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
};

const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : `${out}${out ? '.' : ''}${String(part)}`),
    '',
  ) || 'body';

const quote = (value: string): string => JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);

/**
 * Validates one FRED observations page and converts its values. Throws FredUnavailableError when the body is
 * not JSON at all (an HTML error page or a cut-off body: FRED may answer properly next time) and
 * FredResponseInvalidError when it is JSON but not a valid page.
 */
export const parseObservationsPage = (text: string, context: ParseContext): ObservationsPage => {
  const { seriesId, status } = context;
  const secrets = context.secrets ?? [];
  const statusNote = status === undefined ? '' : ` (HTTP ${status})`;
  const details = { seriesId, status, excerpt: bodyExcerpt(text, secrets) };

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'invalid JSON';
    throw new FredUnavailableError(
      redact(
        `Unreadable FRED response for series ${seriesId}${statusNote}: not JSON (${reason}); body: ${JSON.stringify(details.excerpt)}`,
        secrets,
      ),
      details,
    );
  }

  const invalid = (problem: string) =>
    new FredResponseInvalidError(
      redact(
        `Invalid FRED observations page for series ${seriesId}${statusNote}: ${problem}; body: ${JSON.stringify(details.excerpt)}`,
        secrets,
      ),
      { ...details, problem: redact(problem, secrets) },
    );

  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('the body is not a JSON object');
  if (!('observations' in json)) throw invalid('the "observations" key is missing');

  const parsed = ObservationsEnvelope.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(issue ? `${formatPath(issue.path)}: ${issue.message}` : 'unexpected shape');
  }
  const envelope = parsed.data;

  const observations: Observation[] = [];
  let previous: string | undefined;
  for (const [index, row] of envelope.observations.entries()) {
    if (!isValidIsoDate(row.date))
      throw invalid(`observations[${index}].date ${quote(row.date)} is not a calendar date`);
    if (previous !== undefined && row.date <= previous) {
      const relation = row.date === previous ? 'repeats' : 'comes before';
      throw invalid(`observations[${index}].date ${row.date} ${relation} ${previous}: dates must strictly increase`);
    }
    const value = parseObservationValue(row.value);
    if (value === undefined) throw invalid(`observations[${index}].value ${quote(row.value)} is not a number`);
    observations.push({ date: row.date, value });
    previous = row.date;
  }

  if (envelope.offset + observations.length > envelope.count) {
    throw invalid(`offset ${envelope.offset} + ${observations.length} observations exceeds count ${envelope.count}`);
  }
  if (observations.length > envelope.limit) {
    throw invalid(`${observations.length} observations exceed limit ${envelope.limit}`);
  }

  return { count: envelope.count, offset: envelope.offset, limit: envelope.limit, observations };
};
