/**
 * Opening a self-contained report in Debian's headless Chromium (playwright-core) for the report tests, and
 * reading what its charts painted. The browser is /usr/bin/chromium, or HYPERWATT_CHROMIUM; with
 * HYPERWATT_SKIP_BROWSER=1 the browser tests are skipped.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = process.env.HYPERWATT_CHROMIUM ?? '/usr/bin/chromium';
export const SKIP_BROWSER = process.env.HYPERWATT_SKIP_BROWSER === '1';
/** Flags that keep Chromium from contacting Google services, so any request seen comes from the page. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The few browser globals the page.evaluate callbacks use. The project compiles without the DOM library (it is
 * a Node program), so they are declared here, as narrowly as the callbacks need.
 */
export interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } } | null;
  getBoundingClientRect(): { width: number };
}
export interface BrowserElement {
  dataset: Record<string, string | undefined>;
  querySelector(selector: 'canvas'): BrowserCanvas | null;
}
declare const document: {
  body: BrowserElement;
  querySelector(selector: string): BrowserCanvas | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
};

/** A report open in a page, with what the page said and asked for since it was opened. */
export interface OpenReport {
  page: Page;
  /** Console errors and uncaught exceptions. */
  consoleErrors: string[];
  /** Every URL the page requested (a self-contained page requests only file:// URLs). */
  requestedUrls: string[];
  close(): Promise<void>;
}

/** Writes `html` to a temporary file, opens it at 1280 × 900 and waits until its charts are drawn. */
export async function openReport(html: string, prefix: string): Promise<OpenReport> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the HTML report browser tests need it. Install it ` +
        '(apt-get install -y chromium), point HYPERWATT_CHROMIUM at another Chromium, or set ' +
        'HYPERWATT_SKIP_BROWSER=1 to skip these tests.',
    );
  }
  const directory = await mkdtemp(join(tmpdir(), prefix));
  const file = join(directory, 'report.html');
  await writeFile(file, html);
  let browser: Browser | undefined;
  const consoleErrors: string[] = [];
  const requestedUrls: string[] = [];
  const close = async (): Promise<void> => {
    await browser?.close();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Context-level listeners also see requests from workers and subresources of every kind.
    context.on('request', (request) => requestedUrls.push(request.url()));
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-charts-drawn]', { timeout: 15_000 });
    return { page, consoleErrors, requestedUrls, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface ChartPixels {
  id: string;
  canvasWidth: number;
  canvasHeight: number;
  /** Pixels with any opacity: axes, grid, lines. */
  opaquePixels: number;
  /** Clearly coloured pixels (not grey): only the series' lines and fills are coloured. */
  colouredPixels: number;
}

/** What each chart's canvas painted, in page order. */
export function chartPixels(page: Page): Promise<ChartPixels[]> {
  return page.evaluate(() =>
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
}

/** Every expected chart, in order, painted with visible axes and coloured series. */
export function expectChartsPainted(charts: ChartPixels[], expectedIds: readonly string[]): void {
  expect(charts.map((chart) => chart.id)).toEqual(expectedIds);
  for (const chart of charts) {
    expect(chart.canvasWidth, chart.id).toBeGreaterThan(200);
    expect(chart.canvasHeight, chart.id).toBeGreaterThan(100);
    expect(chart.opaquePixels, chart.id).toBeGreaterThan(1000);
    expect(chart.colouredPixels, chart.id).toBeGreaterThan(200);
  }
}
