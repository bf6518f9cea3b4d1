import { QUEUE_NAMES } from '#shared/ports/queue.ts';
import type { DayState, ReportData } from './lake-report.ts';

/**
 * The report page: one self-contained HTML string (inline CSS, SVG and JS; a Content-Security-Policy that forbids
 * every network request). A pure function of the data, so tests read its output directly.
 */

const esc = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const num = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const DAY_MS = 86_400_000;
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOfDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** 0 = Monday .. 6 = Sunday */
const weekday = (date: string): number => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;

export const STATE_LABELS: Record<DayState, string> = {
  written: 'written (trading day)',
  filled: 'forward-filled (weekend or holiday)',
  missing: 'missing (no partition file)',
  revised: 'recently revised',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// ---------------------------------------------------------------------------------------------------------------
// Coverage calendar: one small SVG per year, weeks as columns, Monday..Sunday as rows.

const CELL = 10;
const PITCH = 12;
const CAL_LEFT = 28;
const CAL_TOP = 16;

const yearCalendar = (year: number, states: ReadonlyMap<string, DayState>): string => {
  const first = `${year}-01-01`;
  const offset = weekday(first);
  const cells: string[] = [];
  const monthLabels: string[] = [];
  const days = dayNumber(`${year + 1}-01-01`) - dayNumber(first);
  let columns = 0;
  for (let i = 0; i < days; i++) {
    const date = dateOfDay(dayNumber(first) + i);
    const column = Math.floor((i + offset) / 7);
    columns = column + 1;
    const x = CAL_LEFT + column * PITCH;
    const y = CAL_TOP + weekday(date) * PITCH;
    if (date.endsWith('-01')) {
      monthLabels.push(`<text x="${x}" y="10" class="cal-month">${MONTHS[Number(date.slice(5, 7)) - 1]}</text>`);
    }
    const state = states.get(date);
    cells.push(
      state === undefined
        ? `<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" rx="2" class="s-none"/>`
        : `<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" rx="2" class="s-${state}" data-date="${date}" data-state="${state}"/>`,
    );
  }
  const width = CAL_LEFT + columns * PITCH;
  const height = CAL_TOP + 7 * PITCH;
  const weekdays = ['Mon', '', 'Wed', '', 'Fri', '', 'Sun']
    .map((label, i) => (label ? `<text x="0" y="${CAL_TOP + i * PITCH + 9}" class="cal-day">${label}</text>` : ''))
    .join('');
  return (
    `<figure class="year"><figcaption>${year}</figcaption>` +
    `<svg class="cal" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Coverage of ${year}">` +
    `${monthLabels.join('')}${weekdays}${cells.join('')}</svg></figure>`
  );
};

const calendarSection = (data: ReportData): string => {
  const states = new Map(data.days.map((d) => [d.date, d.state]));
  const counts: Record<DayState, number> = { written: 0, filled: 0, missing: 0, revised: 0 };
  for (const day of data.days) counts[day.state] += 1;
  const firstYear = Number(data.days[0]?.date.slice(0, 4));
  const lastYear = Number(data.days.at(-1)?.date.slice(0, 4));
  const years: string[] = [];
  if (data.days.length > 0) for (let y = lastYear; y >= firstYear; y--) years.push(yearCalendar(y, states));
  const legend = (Object.keys(STATE_LABELS) as DayState[])
    .map(
      (state) =>
        `<li><span class="swatch s-${state}"></span>${esc(STATE_LABELS[state])} <b data-count="${state}">${num(counts[state])}</b></li>`,
    )
    .join('');
  const revisedNote =
    data.revisedWindow.runs === 0
      ? 'Only one fetch run so far: nothing counts as revised yet.'
      : `Revised: rewritten by ${data.revisedWindow.runs === 1 ? 'the last fetch run' : `one of the last ${data.revisedWindow.runs} fetch runs`} (since ${esc(data.revisedWindow.since ?? '')}) more than a week after the date: a CPI revision, a backfill or a repair.`;
  return `<section class="card" id="coverage">
  <h2>Coverage</h2>
  <ul class="legend">${legend}</ul>
  ${years.length > 0 ? `<div class="years">${years.join('')}</div>` : '<p class="empty">No staged state yet: run <code>fredlake run</code> first.</p>'}
  <p class="note">${revisedNote}</p>
</section>`;
};

// ---------------------------------------------------------------------------------------------------------------
// Chart: the S&P 500 over the whole range, CPI year over year below it, one shared time axis.

const W = 1000;
const LEFT = 64;
const RIGHT = 16;
const SP_TOP = 22;
const SP_H = 230;
const CPI_TOP = SP_TOP + SP_H + 48;
const CPI_H = 130;
const H = CPI_TOP + CPI_H + 26;

/** A scale over [min, max] widened to round tick steps (1, 2, 2.5, 5 x 10^n), about `count` of them. */
export const niceScale = (min: number, max: number, count: number): { min: number; max: number; ticks: number[] } => {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const low = Math.floor(min / step) * step;
  const high = Math.max(low + step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let v = low; v <= high + step * 1e-9; v += step) ticks.push(Number(v.toFixed(10)));
  return { min: low, max: high, ticks };
};

const chartSection = (data: ReportData): string => {
  if (data.sp500.length < 2) {
    return '<section class="card" id="chart"><h2>S&amp;P 500 and CPI</h2><p class="empty">No partitions to draw yet.</p></section>';
  }
  const x0 = dayNumber(data.sp500[0]?.date ?? '');
  const x1 = dayNumber(data.sp500.at(-1)?.date ?? '');
  const sx = (day: number) => LEFT + ((day - x0) / Math.max(1, x1 - x0)) * (W - LEFT - RIGHT);

  const spValues = data.sp500.map((p) => p.value);
  const { min: spMin, max: spMax, ticks: spTicks } = niceScale(Math.min(...spValues), Math.max(...spValues), 4);
  const sy = (v: number) => SP_TOP + SP_H - ((v - spMin) / (spMax - spMin || 1)) * SP_H;

  const cpiValues = data.cpiYoy.map((p) => p.value);
  const {
    min: cpiMin,
    max: cpiMax,
    ticks: cpiTicks,
  } = niceScale(Math.min(0, ...cpiValues), Math.max(0, ...cpiValues), 3);
  const cy = (v: number) => CPI_TOP + CPI_H - ((v - cpiMin) / (cpiMax - cpiMin || 1)) * CPI_H;

  const spPath = data.sp500
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(dayNumber(p.date)).toFixed(1)},${sy(p.value).toFixed(1)}`)
    .join('');
  const spArea = `${spPath}L${sx(x1).toFixed(1)},${SP_TOP + SP_H}L${LEFT},${SP_TOP + SP_H}Z`;
  // CPI is monthly: a step line, each month's value held until the next.
  const cpiPath = data.cpiYoy
    .map((p, i) => {
      const start = Math.max(x0, dayNumber(p.month));
      const next = data.cpiYoy[i + 1];
      const end = next ? dayNumber(next.month) : Math.min(x1, dayNumber(p.month) + 31);
      return `${i === 0 ? 'M' : 'L'}${sx(start).toFixed(1)},${cy(p.value).toFixed(1)}H${sx(Math.min(end, x1)).toFixed(1)}`;
    })
    .join('');

  const grid = [
    ...spTicks.map(
      (v) =>
        `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" class="grid"/><text x="${LEFT - 8}" y="${(sy(v) + 4).toFixed(1)}" class="axis" text-anchor="end">${num(v)}</text>`,
    ),
    ...cpiTicks.map(
      (v) =>
        `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${cy(v).toFixed(1)}" y2="${cy(v).toFixed(1)}" class="${v === 0 ? 'zero' : 'grid'}"/><text x="${LEFT - 8}" y="${(cy(v) + 4).toFixed(1)}" class="axis" text-anchor="end">${num(v, Number.isInteger(v) ? 0 : 1)}%</text>`,
    ),
  ];
  const firstYear = Number(dateOfDay(x0).slice(0, 4));
  const lastYear = Number(dateOfDay(x1).slice(0, 4));
  const yearStep = Math.max(1, Math.ceil((lastYear - firstYear + 1) / 12));
  for (let year = firstYear + 1; year <= lastYear; year += yearStep) {
    const x = sx(dayNumber(`${year}-01-01`)).toFixed(1);
    grid.push(
      `<line x1="${x}" x2="${x}" y1="${SP_TOP}" y2="${CPI_TOP + CPI_H}" class="grid vertical"/><text x="${x}" y="${H - 6}" class="axis" text-anchor="middle">${year}</text>`,
    );
  }

  const last = data.sp500.at(-1);
  const lastCpi = data.cpiYoy.at(-1);
  return `<section class="card" id="chart">
  <h2>S&amp;P 500 and CPI, year over year</h2>
  <p class="figures"><span class="key sp"></span>S&amp;P 500 <b>${last ? num(last.value, 2) : ''}</b> on ${esc(last?.date ?? '')}
    <span class="key cpi"></span>CPI year over year <b>${lastCpi ? `${num(lastCpi.value, 1)}%` : 'n/a'}</b>${lastCpi ? ` in ${esc(lastCpi.month.slice(0, 7))}` : ''}</p>
  <div class="chart-wrap">
    <svg id="chart-svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="S&amp;P 500 daily price and CPI year-over-year change">
      <defs><linearGradient id="sp-fill" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2563eb" stop-opacity="0.22"/><stop offset="1" stop-color="#2563eb" stop-opacity="0"/></linearGradient></defs>
      <text x="${LEFT}" y="${SP_TOP - 8}" class="panel">S&amp;P 500, daily close</text>
      <text x="${LEFT}" y="${CPI_TOP - 8}" class="panel">CPI, % change on a year earlier</text>
      ${grid.join('\n      ')}
      <path d="${spArea}" class="sp-area"/>
      <path d="${spPath}" class="sp-line"/>
      <path d="${cpiPath}" class="cpi-line"/>
      <g id="hover" visibility="hidden">
        <line id="hover-line" y1="${SP_TOP}" y2="${CPI_TOP + CPI_H}" class="hover-line"/>
        <circle id="hover-sp" r="4" class="hover-dot sp"/>
        <circle id="hover-cpi" r="4" class="hover-dot cpi"/>
      </g>
      <rect id="chart-hit" x="${LEFT}" y="${SP_TOP}" width="${W - LEFT - RIGHT}" height="${CPI_TOP + CPI_H - SP_TOP}" fill="transparent"/>
    </svg>
    <div id="chart-tip" class="tip" hidden></div>
  </div>
  <script id="chart-data" type="application/json">${scriptJson({
    x0,
    x1,
    left: LEFT,
    right: W - RIGHT,
    sp: data.sp500.map((p) => [dayNumber(p.date), p.value]),
    cpi: data.cpiYoy.map((p) => [dayNumber(p.month), p.value]),
    sp500Scale: { min: spMin, max: spMax, top: SP_TOP, height: SP_H },
    cpiScale: { min: cpiMin, max: cpiMax, top: CPI_TOP, height: CPI_H },
  })}</script>
</section>`;
};

// ---------------------------------------------------------------------------------------------------------------
// Tiles, runs, DLQs, missing dates

const badge = (freshness: string): string => `<span class="badge f-${esc(freshness)}">${esc(freshness)}</span>`;

const tiles = (data: ReportData): string => {
  const { sp500, cpi } = data.freshness;
  const dlqTotal = QUEUE_NAMES.reduce((sum, q) => sum + data.dlq.depths[q], 0);
  const first = data.days[0]?.date;
  const last = data.days.at(-1)?.date;
  return `<section class="tiles">
  <div class="tile"><h3>Dataset</h3><p class="big">${num(data.days.length)}</p><p>${first ? `dates ${esc(first)} .. ${esc(last ?? '')}` : 'no dates yet'}</p></div>
  <div class="tile ${data.missing.length > 0 ? 'bad' : 'good'}"><h3>Missing</h3><p class="big" id="missing-count">${num(data.missing.length)}</p><p>${data.missing.length > 0 ? 'dates without a partition file' : 'every expected date has its partition'}</p></div>
  <div class="tile"><h3>S&amp;P 500 freshness</h3><p class="big">${badge(sp500.freshness)}</p><p>last ${esc(sp500.last ?? 'none')}, expected ${esc(sp500.expected)}</p></div>
  <div class="tile"><h3>CPI freshness</h3><p class="big">${badge(cpi.freshness)}</p><p>last ${esc(cpi.lastMonth?.slice(0, 7) ?? 'none')}, expected ${esc(cpi.expectedMonth.slice(0, 7))}</p></div>
  <div class="tile ${dlqTotal > 0 ? 'bad' : 'good'}"><h3>Dead letters</h3><p class="big" id="dlq-total">${num(dlqTotal)}</p><p>${QUEUE_NAMES.map((q) => `${q} ${data.dlq.depths[q]}`).join(' · ')}</p></div>
</section>`;
};

const duration = (ms: number): string =>
  ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;

const runsSection = (data: ReportData): string => {
  const rows = data.runs.map(
    (run) => `<tr>
      <td><time>${esc(run.startedAt.replace('T', ' ').slice(0, 19))}</time></td>
      <td>${esc(run.command)}</td>
      <td class="n">${num(run.written)}</td>
      <td class="n">${num(run.unchanged)}</td>
      <td class="n">${run.fredRequests === undefined ? '' : `${num(run.fredRequests)}${run.fredRateLimited ? ` <span class="warn">(${num(run.fredRateLimited)} × 429)</span>` : ''}`}</td>
      <td class="n">${duration(run.elapsedMs)}</td>
      <td>${run.ok ? '<span class="badge f-current">ok</span>' : `<span class="badge f-stale">${run.deadLettered > 0 ? `${run.deadLettered} to DLQ` : 'problem'}</span>`}</td>
    </tr>`,
  );
  return `<section class="card" id="runs">
  <h2>Last runs</h2>
  ${
    rows.length === 0
      ? '<p class="empty">No run recorded yet.</p>'
      : `<table><thead><tr><th>Started (UTC)</th><th>Command</th><th class="n">Written</th><th class="n">Unchanged</th><th class="n">FRED requests</th><th class="n">Took</th><th>Outcome</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  }
</section>`;
};

const dlqSection = (data: ReportData): string => {
  const depths = QUEUE_NAMES.map(
    (q) =>
      `<li class="${data.dlq.depths[q] > 0 ? 'bad' : ''}"><span>${q}</span><b data-dlq="${q}">${num(data.dlq.depths[q])}</b></li>`,
  ).join('');
  const messages = data.dlq.messages.map(
    (m) => `<li><p><b>${esc(m.queue)} DLQ</b> · ${esc(m.about)}${m.code ? ` <code>${esc(m.code)}</code>` : ''}</p>
      <p class="reason">${esc(m.reason)}</p>
      <p class="meta">received ${m.receiveCount} time${m.receiveCount === 1 ? '' : 's'}${m.failedAt ? `, last failed ${esc(m.failedAt)}` : ''}</p></li>`,
  );
  return `<section class="card" id="dlq">
  <h2>Dead-letter queues</h2>
  <ul class="depths">${depths}</ul>
  ${
    messages.length === 0
      ? '<p class="empty">Nothing waits in a DLQ.</p>'
      : `<ul class="letters">${messages.join('')}</ul><p class="note">Fix the cause, then <code>fredlake redrive</code>.</p>`
  }
</section>`;
};

const MISSING_SHOWN = 1000;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const missingSection = (data: ReportData): string => {
  const items = data.missing
    .slice(0, MISSING_SHOWN)
    .map((date) => `<li><time datetime="${date}">${date}</time> <span>${WEEKDAYS[weekday(date)]}</span></li>`);
  const more = data.missing.length - MISSING_SHOWN;
  return `<section class="card" id="missing">
  <h2>Missing dates</h2>
  ${
    items.length === 0
      ? '<p class="empty">None: every date the staged state expects has its partition file.</p>'
      : `<ol class="missing-list">${items.join('')}</ol>${more > 0 ? `<p class="note">and ${num(more)} more</p>` : ''}<p class="note">Repair with <code>fredlake audit --fix</code>.</p>`
  }
</section>`;
};

// ---------------------------------------------------------------------------------------------------------------

const CSS = `
:root{--bg:#f4f6f8;--card:#fff;--ink:#1d2733;--muted:#687684;--line:#e3e8ee;
--written:#1f9d78;--filled:#a9dcc9;--missing:#e5484d;--revised:#f2a516;--none:#edf0f3;--sp:#2563eb;--cpi:#8b3fd9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{padding:22px 32px 6px;display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
header h1{margin:0;font-size:22px;letter-spacing:-.01em}
header h1 span{color:var(--muted);font-weight:500}
header p{margin:0;color:var(--muted)}
main{padding:10px 32px 32px;display:grid;gap:18px;max-width:1400px}
.card{background:var(--card);border-radius:12px;padding:18px 22px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08)}
h2{margin:0 0 12px;font-size:16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:14px}
.tile{background:var(--card);border-radius:12px;padding:14px 18px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);border-top:4px solid var(--line)}
.tile.good{border-top-color:var(--written)}.tile.bad{border-top-color:var(--missing)}
.tile h3{margin:0;font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.tile .big{font-size:28px;font-weight:650;margin:4px 0 2px}
.tile p{margin:0;color:var(--muted)}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:13px;font-weight:600;vertical-align:middle}
.tile .badge{font-size:18px;padding:3px 14px}
.f-current{background:#dcf5ea;color:#11734f}.f-late{background:#fff1d6;color:#915d00}.f-stale{background:#fde3e3;color:#b4232a}.f-empty{background:var(--none);color:var(--muted)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:8px 22px;margin:0 0 12px;padding:0;color:var(--muted)}
.legend b{color:var(--ink);margin-left:4px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:7px;vertical-align:-1px}
.years{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:6px 28px}
.year{margin:0}
.year figcaption{font-weight:600;font-size:13px;margin-bottom:2px}
.cal{max-width:100%;height:auto}
.cal-month,.cal-day{font-size:9px;fill:var(--muted)}
.s-written{fill:var(--written);background:var(--written)}.s-filled{fill:var(--filled);background:var(--filled)}
.s-missing{fill:var(--missing);background:var(--missing)}.s-revised{fill:var(--revised);background:var(--revised)}
.s-none{fill:var(--none)}
rect[data-date]:hover{stroke:var(--ink);stroke-width:1.5}
.note,.empty{color:var(--muted);margin:10px 0 0}
.figures{margin:0 0 6px;color:var(--muted)}.figures b{color:var(--ink);margin-right:18px}
.key{display:inline-block;width:14px;height:3px;border-radius:2px;margin-right:6px;vertical-align:middle}
.key.sp{background:var(--sp)}.key.cpi{background:var(--cpi)}
.chart-wrap{position:relative}
#chart-svg{width:100%;height:auto;display:block}
.grid{stroke:var(--line);stroke-width:1}.grid.vertical{stroke-dasharray:2 4}.zero{stroke:#aab4bf;stroke-width:1}
.axis{font-size:11px;fill:var(--muted)}.panel{font-size:12px;font-weight:600;fill:var(--ink)}
.sp-line{fill:none;stroke:var(--sp);stroke-width:1.4;stroke-linejoin:round}
.sp-area{fill:url(#sp-fill);stroke:none}
.cpi-line{fill:none;stroke:var(--cpi);stroke-width:1.8}
.hover-line{stroke:#52606d;stroke-width:1;stroke-dasharray:3 3}
.hover-dot{stroke:#fff;stroke-width:2}.hover-dot.sp{fill:var(--sp)}.hover-dot.cpi{fill:var(--cpi)}
.tip{position:absolute;pointer-events:none;background:#1d2733;color:#fff;padding:7px 10px;border-radius:8px;font-size:12px;line-height:1.5;white-space:nowrap;box-shadow:0 4px 12px rgba(0,0,0,.18)}
.tip b{font-weight:650}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:18px}
@media (max-width:1000px){.split{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);white-space:nowrap}
th{font-size:12px;color:var(--muted);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.warn{color:#915d00}
.depths{list-style:none;display:flex;gap:10px;padding:0;margin:0 0 6px}
.depths li{flex:1;background:#f2fbf7;border-radius:10px;padding:8px 12px;display:flex;justify-content:space-between}
.depths li.bad{background:#fdecec}.depths b{font-size:18px}
.letters{list-style:none;padding:0;margin:8px 0 0}
.letters li{border-left:3px solid var(--missing);padding:4px 12px;margin:8px 0}
.letters p{margin:0}.letters .reason{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}
.letters .meta{color:var(--muted);font-size:12px}
.missing-list{columns:150px;list-style:none;padding:0;margin:0}
.missing-list li{padding:2px 0;font-variant-numeric:tabular-nums}
.missing-list li::before{content:"";display:inline-block;width:9px;height:9px;border-radius:2px;background:var(--missing);margin-right:8px}
.missing-list span{color:var(--muted);font-size:12px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#eef1f4;padding:1px 5px;border-radius:4px}
footer{padding:0 32px 28px;color:var(--muted);font-size:12px}
`;

const SCRIPT = `
(function () {
  var fmt = function (v, d) { return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }); };
  var iso = function (day) { return new Date(day * 86400000).toISOString().slice(0, 10); };
  var names = { written: 'written (trading day)', filled: 'forward-filled', missing: 'missing: no partition file', revised: 'recently revised' };

  // Calendar: the date and state of the cell under the pointer.
  var calTip = document.createElement('div');
  calTip.className = 'tip'; calTip.hidden = true; calTip.id = 'calendar-tip';
  document.body.appendChild(calTip);
  document.addEventListener('mouseover', function (e) {
    var t = e.target;
    if (!t || !t.getAttribute || !t.getAttribute('data-date')) { calTip.hidden = true; return; }
    calTip.textContent = t.getAttribute('data-date') + ' \\u00b7 ' + names[t.getAttribute('data-state')];
    var r = t.getBoundingClientRect();
    calTip.style.left = (r.left + window.scrollX + 14) + 'px';
    calTip.style.top = (r.top + window.scrollY - 30) + 'px';
    calTip.hidden = false;
  });

  // Chart: the nearest day's values under the pointer.
  var source = document.getElementById('chart-data');
  if (!source) return;
  var d = JSON.parse(source.textContent);
  var svg = document.getElementById('chart-svg');
  var hit = document.getElementById('chart-hit');
  var tip = document.getElementById('chart-tip');
  var hover = document.getElementById('hover');
  var line = document.getElementById('hover-line');
  var dotSp = document.getElementById('hover-sp');
  var dotCpi = document.getElementById('hover-cpi');
  var sx = function (day) { return d.left + (day - d.x0) / Math.max(1, d.x1 - d.x0) * (d.right - d.left); };
  var sy = function (v, s) { return s.top + s.height - (v - s.min) / ((s.max - s.min) || 1) * s.height; };
  var nearest = function (points, day, atOrBefore) {
    var lo = 0, hi = points.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (points[mid][0] <= day) lo = mid; else hi = mid - 1; }
    if (!atOrBefore && lo + 1 < points.length && Math.abs(points[lo + 1][0] - day) < Math.abs(points[lo][0] - day)) lo += 1;
    return points[lo];
  };
  var show = function (evt) {
    var box = svg.getBoundingClientRect();
    var x = (evt.clientX - box.left) / box.width * svg.viewBox.baseVal.width;
    var day = d.x0 + (x - d.left) / (d.right - d.left) * (d.x1 - d.x0);
    var p = nearest(d.sp, day, false);
    if (!p) return;
    var c = d.cpi.length ? nearest(d.cpi, p[0], true) : null;
    if (c && c[0] > p[0]) c = null;
    var px = sx(p[0]);
    line.setAttribute('x1', px); line.setAttribute('x2', px);
    dotSp.setAttribute('cx', px); dotSp.setAttribute('cy', sy(p[1], d.sp500Scale));
    if (c) { dotCpi.setAttribute('cx', px); dotCpi.setAttribute('cy', sy(c[1], d.cpiScale)); dotCpi.style.display = ''; }
    else dotCpi.style.display = 'none';
    hover.setAttribute('visibility', 'visible');
    tip.innerHTML = '';
    var add = function (label, value) {
      var row = document.createElement('div');
      if (label) { var b = document.createElement('b'); b.textContent = label + ' '; row.appendChild(b); }
      row.appendChild(document.createTextNode(value));
      tip.appendChild(row);
    };
    add('', iso(p[0]));
    add('S&P 500', fmt(p[1], 2));
    add('CPI y/y', c ? fmt(c[1], 2) + '% (' + iso(c[0]).slice(0, 7) + ')' : 'n/a');
    tip.hidden = false;
    var left = (px / svg.viewBox.baseVal.width) * box.width;
    tip.style.left = Math.min(left + 14, box.width - tip.offsetWidth - 4) + 'px';
    tip.style.top = '28px';
  };
  hit.addEventListener('mousemove', show);
  hit.addEventListener('mouseleave', function () { hover.setAttribute('visibility', 'hidden'); tip.hidden = true; });
})();
`;

/** The whole page. */
export const buildReportHtml = (data: ReportData): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>fredlake report: fred_daily on ${esc(data.today)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>fredlake <span>· fred_daily</span></h1>
  <p>Generated ${esc(data.generatedAt.replace('T', ' ').slice(0, 19))} UTC from <code>${esc(data.dataDir)}</code></p>
</header>
<main>
${tiles(data)}
${calendarSection(data)}
${chartSection(data)}
<div class="split">
${runsSection(data)}
${dlqSection(data)}
</div>
${missingSection(data)}
</main>
<footer>S&amp;P 500 and CPI from FRED. Freshness follows FRED's calendar: the S&amp;P 500 close of the last weekday before today; CPI month M from mid-month M+1. This page makes no network request.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
