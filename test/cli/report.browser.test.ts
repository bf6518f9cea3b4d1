import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPipeline } from '#cli/pipeline.ts';
import { queryLocalLake } from '#shared/adapters/local/duckdb-query.ts';
import { addDays, isoDateOf } from '#shared/domain/calendar.ts';
import { partitionKey } from '#shared/domain/keys.ts';
import { REPO_ROOT, runCli } from '#test/support/cli.ts';
import { type FredServer, isTradingDay, startFredServer } from '#test/support/fred-server.ts';
import { makeTempDir, removeDir, testConfig, testEnv } from '#test/support/local-env.ts';

/**
 * `fredlake report` opened in headless Chromium (Debian's package; `.ci/run` installs it when it can). The lake:
 * three years, a backfilled range (recent revisions), a poison write message in the DLQ, three deleted partitions.
 * Set FREDLAKE_UPDATE_SCREENSHOT=1 to refresh docs/report.png; otherwise the screenshot stays in the temp dir.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  process.stderr.write(`report.browser.test.ts skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)\n`);
}

describe.skipIf(!hasChromium)('the report in a browser', () => {
  const today = isoDateOf(new Date());
  let server: FredServer;
  let dataDir: string;
  let browser: Browser;
  let reportFile: string;
  let reportStdout: string;
  let deleted: string[];
  const backfill = { from: addDays(today, -400), to: addDays(today, -340) };

  beforeAll(async () => {
    server = await startFredServer({ today, windowYears: 3 });
    dataDir = await makeTempDir('fredlake-report-');
    const env = testEnv(dataDir, server.url);
    expect((await runCli(['run', '--data-dir', dataDir], env)).code).toBe(0);
    expect(
      (await runCli(['backfill', '--from', backfill.from, '--to', backfill.to, '--data-dir', dataDir], env)).code,
    ).toBe(0);
    // A poison write message, so the DLQ section has something to say.
    const pipeline = await openPipeline(testConfig(dataDir, server.url));
    try {
      await pipeline.deps.queues.write.sendBatch([
        JSON.stringify({ version: 1, runId: '20260101T000000Z-poison', date: '2025-02-30' }),
      ]);
      await pipeline.drain();
      // Three trading days of the first year lose their partition file.
      const start = addDays(today, -900);
      deleted = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
        .map((n) => addDays(start, n * 37))
        .filter(isTradingDay)
        .slice(0, 3);
      for (const date of deleted) await pipeline.deps.store.delete(partitionKey(date));
    } finally {
      await pipeline.close();
    }
    const report = await runCli(['report', '--data-dir', dataDir], env);
    expect(report.code).toBe(0);
    reportStdout = report.stdout;
    reportFile = join(dataDir, 'report.html');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dataDir) await removeDir(dataDir);
  });

  it('names the deleted dates on the command line', () => {
    expect(deleted).toHaveLength(3);

    for (const date of deleted) expect(reportStdout).toContain(date);
    expect(reportStdout).toMatch(/missing {3}3: /);
  });

  it('loads with no console error and no request but the file itself, and draws exactly the deleted dates as missing', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => requests.push(request.url()));
    const url = pathToFileURL(reportFile).href;

    await page.goto(url, { waitUntil: 'load' });
    const missingCells = await page.locator('rect[data-state="missing"]').evaluateAll((cells) => {
      // Runs in the page (the tsconfig has no DOM lib).
      const style = (globalThis as unknown as { getComputedStyle: (e: unknown) => { fill: string } }).getComputedStyle;
      return cells.map((c) => [c.getAttribute('data-date'), style(c).fill]);
    });
    const listed = await page.locator('#missing time').allInnerTexts();
    const revised = await page
      .locator('rect[data-state="revised"]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-date') ?? ''));

    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    expect(missingCells).toEqual(deleted.map((date) => [date, 'rgb(229, 72, 77)']));
    expect(listed).toEqual(deleted);
    expect(revised.length).toBeGreaterThan(30);
    expect(revised.every((date) => date >= backfill.from && date <= backfill.to)).toBe(true);
    await page.close();
  });

  it('shows the value of the day under the pointer when hovering the chart, and the DLQ reason', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(reportFile).href);
    const hit = page.locator('#chart-hit');
    await hit.scrollIntoViewIfNeeded();
    const box = await hit.boundingBox();

    await page.mouse.move((box?.x ?? 0) + (box?.width ?? 0) * 0.62, (box?.y ?? 0) + 60);
    const tip = page.locator('#chart-tip');
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText keeps the tooltip's rows as lines
    const [date, sp500, cpi] = (await tip.innerText()).split('\n');

    expect(await tip.isVisible()).toBe(true);
    expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const lake = await queryLocalLake(
      dataDir,
      `SELECT sp500_daily_price AS p FROM fred_daily WHERE date = DATE '${date}'`,
    );
    const price = Number(lake.rows[0]?.p);
    expect(sp500).toBe(
      `S&P 500 ${price.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
    );
    expect(cpi).toMatch(/^CPI y\/y -?\d+\.\d{2}% \(\d{4}-\d{2}\)$/);
    expect(await page.locator('[data-dlq="write"]').textContent()).toBe('1');
    expect(await page.locator('#dlq .reason').textContent()).toMatch(/date: expected a real calendar date/);

    const screenshot =
      process.env.FREDLAKE_UPDATE_SCREENSHOT === '1'
        ? join(REPO_ROOT, 'docs', 'report.png')
        : join(dataDir, 'report.png');
    await mkdir(join(screenshot, '..'), { recursive: true });
    await rm(screenshot, { force: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    await page.close();
  });
});
