/**
 * Opens a rendered HTML report in headless Chromium from a file:// URL and checks that it really works
 * offline: every chart draws visible pixels, nothing is logged as an error and nothing is requested from
 * anywhere but the file itself.
 *
 * The browser is Debian's Chromium at /usr/bin/chromium (or HYPERWATT_CHROMIUM). When it is missing the tests
 * fail with instructions; set HYPERWATT_SKIP_BROWSER=1 to skip them deliberately.
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport, type ReportSection } from '../../src/report/html.js';
import { syntheticRunResult } from './synthetic-run.js';
import { chartPixels, expectChartsPainted, openReport, SKIP_BROWSER, type BrowserCanvas, type BrowserElement, type OpenReport } from './report-browser.js';

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

declare const document: {
  body: BrowserElement;
  querySelector(selector: string): BrowserCanvas | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
};

describe.skipIf(SKIP_BROWSER)('HTML report in headless Chromium', () => {
  let report: OpenReport | undefined;
  let page: Page;

  beforeAll(async () => {
    report = await openReport(renderReport(syntheticRunResult(), { extraSections: [sweepSection] }), 'hyperwatt-report-');
    page = report.page;
  });

  afterAll(async () => {
    await report?.close();
  });

  it('draws every chart', async () => {
    const drawn = await page.evaluate(() => document.body.dataset.chartsDrawn);
    const containers = await page.evaluate(() => Array.from(document.querySelectorAll('[data-chart]'), (element) => element.dataset.chart));
    expect(containers).toEqual(EXPECTED_CHART_IDS);
    expect(drawn).toBe(String(EXPECTED_CHART_IDS.length));
  });

  it('paints each chart canvas with visible axes and coloured series', async () => {
    expectChartsPainted(await chartPixels(page), EXPECTED_CHART_IDS);
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
    expect(report!.consoleErrors).toEqual([]);
    expect(report!.requestedUrls.length).toBeGreaterThan(0);
    for (const url of report!.requestedUrls) expect(url.startsWith('file://'), url).toBe(true);
  });
});
