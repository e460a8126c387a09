/**
 * The migration-sweep report: the page of a tiny sweep opened in headless Chromium from a file:// URL (as
 * chromium.test.ts does for the run report): every chart draws, a pre-copy that did not converge is a gap (null in
 * the embedded data, a flagged table row and a note), nothing is logged as an error and nothing is requested from
 * anywhere but the file. Also the CSV and the convergence summary, without a browser.
 *
 * The browser is Debian's Chromium at /usr/bin/chromium (or HYPERWATT_CHROMIUM); set HYPERWATT_SKIP_BROWSER=1 to
 * skip the browser tests deliberately.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { convergenceLimits, MIGRATION_SWEEP_CSV_COLUMNS, migrationSweepCsv, renderMigrationSweepReport } from '../../src/report/migration-report.js';
import { MigrationSweepSchema, runMigrationSweep, type MigrationSweepInput, type MigrationSweepResults } from '../../src/scenario/migration-sweep.js';

const CHROMIUM_PATH = process.env.HYPERWATT_CHROMIUM ?? '/usr/bin/chromium';
const SKIP_BROWSER = process.env.HYPERWATT_SKIP_BROWSER === '1';
/** Flags that keep Chromium from contacting Google services, so any request seen comes from the page. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
/** Where the test leaves a full-page screenshot for people to look at (outside the repository). */
const SCREENSHOT_PATH = join(tmpdir(), 'hyperwatt-migration-report-screenshot.png');

/** 64 MiB guest; at 200 Mbit/s pre-copy converges at 0 and 2,000 pages/s and is cancelled at 20,000 and 50,000. */
const TINY: MigrationSweepInput = {
  name: 'tiny-migration-sweep',
  guest: { ram_mib: 64 },
  qemu: { max_bandwidth_mib_s: 1024, time_limit_s: 10 },
  strategies: [{ strategy: 'precopy' }, { strategy: 'postcopy' }, { name: 'hybrid after 1 pass', strategy: 'hybrid', switch_after_passes: 1 }],
  grid: { dirty_pages_per_s: [0, 2000, 20000, 50000], bandwidth_mbit: [200, 1000] },
  seeds: 2,
};

const EXPECTED_CHART_IDS = ['total-200mbit', 'downtime-200mbit', 'total-1000mbit', 'downtime-1000mbit'];

let results: MigrationSweepResults;
beforeAll(() => {
  results = runMigrationSweep(MigrationSweepSchema.parse(TINY));
});

interface EmbeddedChart {
  id: string;
  x: number[];
  series: { label: string; values: (number | null)[] }[];
}

function embeddedCharts(html: string): EmbeddedChart[] {
  const match = /<script type="application\/json" id="hyperwatt-data">(.*?)<\/script>/s.exec(html);
  expect(match).not.toBeNull();
  return (JSON.parse(match![1]) as { charts: EmbeddedChart[] }).charts;
}

describe('migration-sweep outputs (no browser)', () => {
  it('writes one CSV row per point, an empty switch-over for a cancelled migration, quoted notes', () => {
    const csv = migrationSweepCsv(results);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(MIGRATION_SWEEP_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + 3 * 2 * 4 * 2);
    expect(csv.endsWith('\n')).toBe(true);
    // Point 4: precopy, 200 Mbit/s, 20,000 pages/s, seed 1.
    expect(lines[5]).toMatch(/^4,precopy,precopy,200,20000,1,aborted,false,10,0,,/);
    expect(lines[5]).toMatch(/,"pre-copy did not converge within 10 s \(\d+ pages still dirty\): cancelled, the VM stays on the source"$/);
  });

  it('finds where each strategy stops converging', () => {
    const precopy = convergenceLimits(results).filter((limit) => limit.strategy === 'precopy');
    expect(precopy).toEqual([
      { strategy: 'precopy', bandwidthMbit: 200, highestConvergedPagesPerSecond: 2000, lowestFailedPagesPerSecond: 20000 },
      { strategy: 'precopy', bandwidthMbit: 1000, highestConvergedPagesPerSecond: 50000, lowestFailedPagesPerSecond: NaN },
    ]);
  });

  it('draws a cancelled migration as a gap, never as a number, and is deterministic', () => {
    const html = renderMigrationSweepReport(results);
    expect(renderMigrationSweepReport(results)).toBe(html);
    const charts = embeddedCharts(html);
    expect(charts.map((chart) => chart.id)).toEqual(EXPECTED_CHART_IDS);
    for (const chart of charts) {
      expect(chart.x).toEqual([0, 2000, 20000, 50000]);
      expect(chart.series.map((series) => series.label)).toEqual(['precopy', 'postcopy', 'hybrid after 1 pass']);
    }
    const [total200, downtime200, total1000] = charts;
    expect(total200.series[0].values.map((value) => value === null)).toEqual([false, false, true, true]);
    expect(downtime200.series[0].values.map((value) => value === null)).toEqual([false, false, true, true]);
    expect(total1000.series[0].values.every((value) => value !== null)).toBe(true);
    // Two seeds: the chart shows their mean.
    const seeds = results.rows.filter((row) => row.strategy === 'precopy' && row.bandwidth_mbit === 200 && row.dirty_pages_per_s === 2000);
    expect(total200.series[0].values[1]).toBeCloseTo((seeds[0].total_s + seeds[1].total_s) / 2, 4);
    expect(html).toContain('<strong>precopy</strong>: did not converge: cancelled at the time limit (the VM stayed on the source) at 20,000, 50,000 pages/s (4 of 4 runs)');
    expect(html.match(/<tr data-point="\d+" class="failed">/g)).toHaveLength(4);
  });
});

/** The few browser globals the page.evaluate callbacks use (the project compiles without the DOM library). */
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } } | null;
}
interface BrowserElement {
  dataset: Record<string, string | undefined>;
  querySelector(selector: 'canvas'): BrowserCanvas | null;
}
declare const document: {
  body: BrowserElement;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
};

describe.skipIf(SKIP_BROWSER)('migration-sweep report in headless Chromium', () => {
  let browser: Browser | undefined;
  let directory: string | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  const requestedUrls: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM_PATH}: the HTML report browser tests need it. Install it ` +
          '(apt-get install -y chromium), point HYPERWATT_CHROMIUM at another Chromium, or set ' +
          'HYPERWATT_SKIP_BROWSER=1 to skip these tests.',
      );
    }
    directory = await mkdtemp(join(tmpdir(), 'hyperwatt-migration-report-'));
    const file = join(directory, 'report.html');
    await writeFile(file, renderMigrationSweepReport(results));
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.on('request', (request) => requestedUrls.push(request.url()));
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-charts-drawn]', { timeout: 15_000 });
  });

  afterAll(async () => {
    await browser?.close();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  it('draws every chart with visible axes and coloured series', async () => {
    expect(await page.evaluate(() => document.body.dataset.chartsDrawn)).toBe(String(EXPECTED_CHART_IDS.length));
    const charts = await page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-chart]'), (element) => {
        const canvas = element.querySelector('canvas');
        const result = { id: element.dataset.chart ?? '', canvasWidth: 0, canvasHeight: 0, opaquePixels: 0, colouredPixels: 0 };
        if (canvas === null || canvas.width === 0 || canvas.height === 0) return result;
        result.canvasWidth = canvas.width;
        result.canvasHeight = canvas.height;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let index = 0; index < pixels.length; index += 4) {
          if (pixels[index + 3] === 0) continue;
          result.opaquePixels++;
          const red = pixels[index];
          const green = pixels[index + 1];
          const blue = pixels[index + 2];
          if (Math.max(red, green, blue) - Math.min(red, green, blue) > 60) result.colouredPixels++;
        }
        return result;
      }),
    );
    expect(charts.map((chart) => chart.id)).toEqual(EXPECTED_CHART_IDS);
    for (const chart of charts) {
      expect(chart.canvasWidth, chart.id).toBeGreaterThan(200);
      expect(chart.canvasHeight, chart.id).toBeGreaterThan(100);
      expect(chart.opaquePixels, chart.id).toBeGreaterThan(1000);
      expect(chart.colouredPixels, chart.id).toBeGreaterThan(200);
    }
  });

  it('shows the strategies in the legends, the failures and the results table', async () => {
    await expect(page.locator('h1').textContent()).resolves.toBe('Migration sweep: tiny-migration-sweep');
    const legend = await page.locator('[data-chart="total-200mbit"] .u-legend').textContent();
    for (const label of ['precopy', 'postcopy', 'hybrid after 1 pass']) expect(legend).toContain(label);
    await expect(page.locator('#bandwidth-200mbit ul.gaps').textContent()).resolves.toContain('20,000, 50,000 pages/s');
    expect(await page.locator('#results tbody tr').count()).toBe(48);
    expect(await page.locator('#results tr.failed').count()).toBe(4);
    await expect(page.locator('#results tr[data-point="4"] td.flag').textContent()).resolves.toBe('✗ aborted, not converged');
  });

  it('logs no errors and requests nothing but the file', async () => {
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(requestedUrls.length).toBeGreaterThan(0);
    for (const url of requestedUrls) expect(url.startsWith('file://'), url).toBe(true);
  });
});
