/**
 * Opens a rendered HTML report in headless Chromium from a file:// URL and checks that it really works
 * offline: every chart draws visible pixels, nothing is logged as an error and nothing is requested from
 * anywhere but the file itself.
 *
 * The browser is Debian's Chromium at /usr/bin/chromium (or HYPERWATT_CHROMIUM). When it is missing the tests
 * fail with instructions; set HYPERWATT_SKIP_BROWSER=1 to skip them deliberately.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { renderReport, type ReportSection } from '../../src/report/html.js';
import { syntheticRunResult } from './synthetic-run.js';

const CHROMIUM_PATH = process.env.HYPERWATT_CHROMIUM ?? '/usr/bin/chromium';
const SKIP_BROWSER = process.env.HYPERWATT_SKIP_BROWSER === '1';
/** Flags that keep Chromium from contacting Google services, so any request seen comes from the page. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
/** Where the test leaves a full-page screenshot for people to look at (outside the repository). */
const SCREENSHOT_PATH = join(tmpdir(), 'hyperwatt-report-screenshot.png');

/** Six built-in charts plus one from the extra section below. */
const EXPECTED_CHART_IDS = ['power', 'active-hosts', 'utilisation', 'host-utilisation', 'migrations', 'sla', 'sweep-energy'];

const sweepSection: ReportSection = {
  id: 'sweep',
  title: 'Threshold sweep (extra section)',
  html: '<p>An extra section added through <code>extraSections</code>.</p>',
  charts: [
    {
      id: 'sweep-energy',
      title: 'Energy by upper threshold',
      xLabel: 'Upper threshold (%)',
      yLabel: 'Energy (kWh)',
      x: [60, 70, 80, 90, 100],
      series: [
        { label: 'Energy', values: [9.1, 8.6, 8.2, 8.0, 7.9] },
        { label: 'Energy with a 10 % safety margin', values: [9.4, 8.9, 8.5, 8.3, 8.2] },
      ],
    },
  ],
};

/**
 * The few browser globals the page.evaluate callbacks below use. The project compiles without the DOM library
 * (it is a Node program), so they are declared here, in this module only.
 */
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } } | null;
  getBoundingClientRect(): { width: number };
}
interface BrowserElement {
  dataset: Record<string, string | undefined>;
  querySelector(selector: 'canvas'): BrowserCanvas | null;
}
declare const document: {
  body: BrowserElement;
  querySelector(selector: string): BrowserCanvas | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
};

interface ChartPixels {
  id: string;
  canvasWidth: number;
  canvasHeight: number;
  /** Pixels with any opacity: axes, grid, lines. */
  opaquePixels: number;
  /** Clearly coloured pixels (not grey): only the series' lines and fills are coloured. */
  colouredPixels: number;
}

describe.skipIf(SKIP_BROWSER)('HTML report in headless Chromium', () => {
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
    directory = await mkdtemp(join(tmpdir(), 'hyperwatt-report-'));
    const file = join(directory, 'report.html');
    await writeFile(file, renderReport(syntheticRunResult(), { extraSections: [sweepSection] }));

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Context-level listeners also see requests from workers and subresources of every kind.
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

  it('draws every chart', async () => {
    const drawn = await page.evaluate(() => document.body.dataset.chartsDrawn);
    const containers = await page.evaluate(() => Array.from(document.querySelectorAll('[data-chart]'), (element) => element.dataset.chart));
    expect(containers).toEqual(EXPECTED_CHART_IDS);
    expect(drawn).toBe(String(EXPECTED_CHART_IDS.length));
  });

  it('paints each chart canvas with visible axes and coloured series', async () => {
    const charts: ChartPixels[] = await page.evaluate(() =>
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

  it('shows the summary and the legend labels', async () => {
    await expect(page.locator('h1').textContent()).resolves.toBe('Hyperwatt report: synthetic-sine');
    await expect(page.locator('tr[data-field="slatah"] td.value').textContent()).resolves.toBe('4.23 %');
    const legend = await page.locator('[data-chart="migrations"] .u-legend').textContent();
    expect(legend).toContain('In flight');
    expect(legend).toContain('Started');
  });

  it('resizes the charts with the window', async () => {
    const widthBefore = await page.evaluate(() => document.querySelector('[data-chart="power"] canvas')!.getBoundingClientRect().width);
    await page.setViewportSize({ width: 480, height: 900 });
    await page.waitForFunction(
      (before) => document.querySelector('[data-chart="power"] canvas')!.getBoundingClientRect().width < before - 50,
      widthBefore,
    );
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.waitForFunction(
      (before) => Math.abs(document.querySelector('[data-chart="power"] canvas')!.getBoundingClientRect().width - before) < 2,
      widthBefore,
    );
  });

  it('logs no errors and requests nothing but the file', async () => {
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(requestedUrls.length).toBeGreaterThan(0);
    for (const url of requestedUrls) expect(url.startsWith('file://'), url).toBe(true);
  });
});
