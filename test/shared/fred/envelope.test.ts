import { describe, expect, it } from 'vitest';
import { FredResponseInvalidError, FredUnavailableError } from '#shared/errors.ts';
import { parseObservationsPage } from '#shared/fred/envelope.ts';

type Row = { date: string; value: string };

const envelope = (rows: Row[], overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  realtime_start: '2024-12-13',
  realtime_end: '2024-12-13',
  observation_start: '1776-07-04',
  observation_end: '9999-12-31',
  units: 'lin',
  output_type: 1,
  file_type: 'json',
  order_by: 'observation_date',
  sort_order: 'asc',
  count: rows.length,
  offset: 0,
  limit: 100000,
  observations: rows.map((row) => ({ realtime_start: '2024-12-13', realtime_end: '2024-12-13', ...row })),
  ...overrides,
});

const bodyOf = (rows: Row[], overrides: Record<string, unknown> = {}): string =>
  JSON.stringify(envelope(rows, overrides));

const context = { seriesId: 'SP500', status: 200 };

const failureOf = (text: string, ctx: Parameters<typeof parseObservationsPage>[1] = context): Error => {
  try {
    parseObservationsPage(text, ctx);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected parseObservationsPage to throw');
};

describe('parseObservationsPage', () => {
  it('converts values to numbers and FRED\'s "." to null, whatever the number formatting', () => {
    const text = bodyOf([
      { date: '2024-12-23', value: '5974.07' },
      { date: '2024-12-24', value: '6040.0' },
      { date: '2024-12-25', value: '.' },
      { date: '2024-12-26', value: '6037.59' },
      { date: '2024-12-27', value: '5970.80' },
    ]);

    const page = parseObservationsPage(text, context);

    expect(page).toEqual({
      count: 5,
      offset: 0,
      limit: 100000,
      observations: [
        { date: '2024-12-23', value: 5974.07 },
        { date: '2024-12-24', value: 6040 },
        { date: '2024-12-25', value: null },
        { date: '2024-12-26', value: 6037.59 },
        { date: '2024-12-27', value: 5970.8 },
      ],
    });
  });

  it('keeps count as the total of all pages, not the length of this one', () => {
    const text = bodyOf([{ date: '2024-01-02', value: '1.5' }], { count: 2610, offset: 5, limit: 1 });

    const page = parseObservationsPage(text, context);

    expect(page.count).toBe(2610);
    expect(page.offset).toBe(5);
    expect(page.observations).toHaveLength(1);
  });

  it('accepts an empty result (count 0) as a valid page', () => {
    const page = parseObservationsPage(bodyOf([]), context);

    expect(page.observations).toEqual([]);
  });

  it('leaves zero and negative values to the later quality gate', () => {
    const text = bodyOf([
      { date: '2024-01-02', value: '0' },
      { date: '2024-01-03', value: '-12.5' },
    ]);

    const page = parseObservationsPage(text, context);

    expect(page.observations.map((o) => o.value)).toEqual([0, -12.5]);
  });

  it.each(['abc', 'NaN', 'Infinity', '-Infinity', '1e309', '1e3', '', ' ', '0x10', '1,234.5', '12.3.4'])(
    'refuses the value %j, naming the observation',
    (value) => {
      const text = bodyOf([
        { date: '2024-01-02', value: '4700.5' },
        { date: '2024-01-03', value },
      ]);

      const error = failureOf(text);

      expect(error).toBeInstanceOf(FredResponseInvalidError);
      expect(error.message).toContain(`observations[1].value ${JSON.stringify(value)} is not a number`);
    },
  );

  it('refuses a date that does not exist', () => {
    const error = failureOf(bodyOf([{ date: '2024-02-30', value: '1' }]));

    expect(error).toBeInstanceOf(FredResponseInvalidError);
    expect(error.message).toContain('observations[0].date "2024-02-30" is not a calendar date');
  });

  it('refuses duplicate dates', () => {
    const text = bodyOf([
      { date: '2024-01-02', value: '1' },
      { date: '2024-01-02', value: '2' },
    ]);

    const error = failureOf(text);

    expect(error).toBeInstanceOf(FredResponseInvalidError);
    expect(error.message).toContain('observations[1].date 2024-01-02 repeats 2024-01-02');
  });

  it('refuses dates out of order', () => {
    const text = bodyOf([
      { date: '2024-01-03', value: '1' },
      { date: '2024-01-02', value: '2' },
    ]);

    const error = failureOf(text);

    expect(error).toBeInstanceOf(FredResponseInvalidError);
    expect(error.message).toContain('comes before 2024-01-03');
  });

  it('treats a missing observations key as an error, never as an empty result', () => {
    const { observations: _, ...rest } = envelope([]);

    const error = failureOf(JSON.stringify(rest));

    expect(error).toBeInstanceOf(FredResponseInvalidError);
    expect(error.message).toContain('"observations" key is missing');
  });

  it('refuses FRED error bodies and other JSON that is not the envelope', () => {
    const errors = [
      failureOf('{"error_code":400,"error_message":"Bad Request.  The series does not exist."}'),
      failureOf('[]'),
      failureOf('null'),
      failureOf(bodyOf([], { count: '0' })),
      failureOf(bodyOf([{ date: '2024-01-02', value: '1' }], { count: 0 })),
      failureOf(bodyOf([{ date: '2024-01-02', value: 1 as unknown as string }])),
    ];

    for (const error of errors) expect(error).toBeInstanceOf(FredResponseInvalidError);
    expect(errors[3]?.message).toContain('count:');
    expect(errors[4]?.message).toContain('exceeds count 0');
    expect(errors[5]?.message).toContain('observations[0].value');
  });

  it('says an HTML page or a cut-off body is a transient FRED problem, with the status and an excerpt', () => {
    const html = `<!DOCTYPE html>\n<html><head><title>502 Proxy Error</title></head><body>${'x'.repeat(500)}</body></html>`;
    const truncated = bodyOf([{ date: '2024-01-02', value: '1' }]).slice(0, 150);

    const htmlError = failureOf(html, { seriesId: 'SP500', status: 502 });
    const truncatedError = failureOf(truncated, { seriesId: 'CPIAUCSL', status: 200 });

    expect(htmlError).toBeInstanceOf(FredUnavailableError);
    expect(htmlError.message).toMatch(/^Unreadable FRED response for series SP500 \(HTTP 502\): not JSON/);
    expect(htmlError.message).toContain('<!DOCTYPE html> <html><head><title>502 Proxy Error');
    expect(truncatedError).toBeInstanceOf(FredUnavailableError);
    expect(truncatedError.message).toContain('series CPIAUCSL (HTTP 200)');
  });

  it('writes one-line messages whose body excerpt is at most 120 characters', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      date: `2024-01-${String(i + 1).padStart(2, '0')}`,
      value: '1',
    }));

    const error = failureOf(bodyOf(rows.slice(0, 31)).replace('"value":"1"}]', '"value":"abc"}]'));

    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('observations[30].value "abc" is not a number');
    const excerpt = JSON.parse(error.message.slice(error.message.indexOf('body: ') + 6)) as string;
    expect(excerpt.length).toBeLessThanOrEqual(120);
    expect(excerpt.startsWith('{"realtime_start":"2024-12-13"')).toBe(true);
  });

  it('leaves the HTTP status out when it is not known', () => {
    const error = failureOf(bodyOf([{ date: '2024-01-02', value: 'x' }]), { seriesId: 'SP500' });

    expect(error.message).toMatch(/^Invalid FRED observations page for series SP500: /);
  });

  it('blanks the given secrets out of messages and details', () => {
    const secret = 'abcdefghijklmnopqrstuvwxyz123456';
    const text = `<html>api_key=${secret} is wrong</html>`;

    const error = failureOf(text, { seriesId: 'SP500', status: 200, secrets: [secret] });

    expect(error.message).toContain('api_key=*** is wrong');
    expect(JSON.stringify(error)).not.toContain(secret);
  });
});
