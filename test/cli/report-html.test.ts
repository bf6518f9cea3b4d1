import { describe, expect, it } from 'vitest';
import type { DayState, ReportData } from '#cli/lake-report.ts';
import { buildReportHtml, niceScale } from '#cli/report-html.ts';

const day = (date: string, state: DayState) => ({ date, state });

/** A small report: ten days of January 2024, two of them missing, one revised, a dead letter. */
const sample = (overrides: Partial<ReportData> = {}): ReportData => ({
  generatedAt: '2024-01-12T08:00:00.000Z',
  today: '2024-01-12',
  dataDir: '/data/lake',
  days: [
    day('2024-01-02', 'written'),
    day('2024-01-03', 'written'),
    day('2024-01-04', 'missing'),
    day('2024-01-05', 'written'),
    day('2024-01-06', 'filled'),
    day('2024-01-07', 'filled'),
    day('2024-01-08', 'revised'),
    day('2024-01-09', 'missing'),
    day('2024-01-10', 'written'),
    day('2024-01-11', 'written'),
  ],
  revisedWindow: { runs: 2, since: '20240110T000000Z-aaaaaa' },
  sp500: [
    { date: '2024-01-02', value: 4742.83 },
    { date: '2024-01-03', value: 4704.81 },
    { date: '2024-01-05', value: 4697.24 },
    { date: '2024-01-11', value: 4780.24 },
  ],
  cpiYoy: [{ month: '2024-01-01', value: 3.1 }],
  freshness: {
    sp500: { last: '2024-01-11', expected: '2024-01-11', freshness: 'current' },
    cpi: { lastMonth: '2023-12-01', expectedMonth: '2023-12-01', freshness: 'current' },
  },
  runs: [
    {
      runId: '20240112T070000Z-bbbbbb',
      command: 'run',
      startedAt: '2024-01-12T07:00:00.000Z',
      elapsedMs: 1234,
      written: 3,
      unchanged: 7,
      deadLettered: 1,
      ok: false,
      fredRequests: 4,
      fredRateLimited: 2,
    },
  ],
  dlq: {
    depths: { fetch: 0, transform: 0, write: 1 },
    messages: [
      {
        queue: 'write',
        about: 'write 2024-01-04 (run x)',
        code: 'MESSAGE_INVALID',
        reason: 'write message m1 is invalid: <script>alert(1)</script>',
        receiveCount: 3,
        failedAt: '2024-01-12T07:00:01.000Z',
      },
    ],
  },
  missing: ['2024-01-04', '2024-01-09'],
  ...overrides,
});

const cellsIn = (html: string, state: DayState): string[] =>
  [...html.matchAll(new RegExp(`data-date="([0-9-]+)" data-state="${state}"`, 'g'))].map((m) => m[1] ?? '');

describe('buildReportHtml', () => {
  it('draws one calendar cell per expected date, marking exactly the missing ones as missing', () => {
    const data = sample();

    const html = buildReportHtml(data);

    expect(cellsIn(html, 'missing')).toEqual(['2024-01-04', '2024-01-09']);
    expect(cellsIn(html, 'revised')).toEqual(['2024-01-08']);
    expect(cellsIn(html, 'filled')).toEqual(['2024-01-06', '2024-01-07']);
    expect(html.match(/data-state="/g)).toHaveLength(10);
  });

  it('lists the missing dates by date with their weekday', () => {
    const html = buildReportHtml(sample());

    const listed = [...html.matchAll(/<time datetime="([0-9-]+)">/g)].map((m) => m[1]);

    expect(listed).toEqual(['2024-01-04', '2024-01-09']);
    expect(html).toContain('<time datetime="2024-01-04">2024-01-04</time> <span>Thu</span>');
  });

  it('escapes what it shows, so a failure reason cannot inject markup', () => {
    const html = buildReportHtml(sample());

    expect(html).toContain('write message m1 is invalid: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });

  it('keeps the chart data inert inside its script element even when a value holds "</script>"', () => {
    const data = sample({ dataDir: '/tmp/</script><b>x' });

    const html = buildReportHtml(data);

    expect(html.split('</script>')).toHaveLength(3);
    expect(html).toContain('/tmp/&lt;/script&gt;&lt;b&gt;x');
  });

  it('refers to no resource outside the file and forbids network requests by policy', () => {
    const html = buildReportHtml(sample());

    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    expect(html).toContain(`content="default-src 'none';`);
  });

  it('shows the DLQ depth, the reason and the 429s of the last run', () => {
    const html = buildReportHtml(sample());

    expect(html).toContain('data-dlq="write">1</b>');
    expect(html).toContain('<code>MESSAGE_INVALID</code>');
    expect(html).toContain('(2 × 429)');
    expect(html).toContain('1 to DLQ');
  });

  it('says so instead of drawing when the lake is empty', () => {
    const data = sample({ days: [], sp500: [], cpiYoy: [], missing: [], runs: [] });

    const html = buildReportHtml(data);

    expect(html).toContain('No staged state yet');
    expect(html).toContain('No partitions to draw yet');
    expect(html).toContain('No run recorded yet');
    expect(html).not.toContain('data-state=');
  });
});

describe('niceScale', () => {
  it('widens the range to round steps that cover every value', () => {
    const scale = niceScale(2_931.5, 6_412.2, 4);

    expect(scale).toEqual({ min: 2_000, max: 7_000, ticks: [2_000, 3_000, 4_000, 5_000, 6_000, 7_000] });
  });
});
