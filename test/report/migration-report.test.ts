/**
 * The migration-sweep report: the page of a tiny sweep opened in headless Chromium from a file:// URL (as
 * chromium.test.ts does for the run report): every chart draws, a pre-copy that did not converge is a gap (null in
 * the embedded data, a flagged table row and a note), nothing is logged as an error and nothing is requested from
 * anywhere but the file. Also the CSV and the convergence summary, without a browser.
 *
 * The browser is Debian's Chromium at /usr/bin/chromium (or HYPERWATT_CHROMIUM); set HYPERWATT_SKIP_BROWSER=1 to
 * skip the browser tests deliberately.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { convergenceLimits, MIGRATION_SWEEP_CSV_COLUMNS, migrationSweepCsv, renderMigrationSweepReport } from '../../src/report/migration-report.js';
import { MigrationSweepSchema, runMigrationSweep, type MigrationSweepInput, type MigrationSweepResults } from '../../src/scenario/migration-sweep.js';
import { chartPixels, expectChartsPainted, openReport, SKIP_BROWSER, type OpenReport } from './report-browser.js';

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
  yScale?: string;
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
    // Downtimes span decades (post-copy's milliseconds, pre-copy's hundreds): a log axis; total time stays linear.
    expect(downtime200.yScale).toBe('log');
    expect(total200.yScale).toBeUndefined();
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

declare const document: { body: { dataset: Record<string, string | undefined> } };

describe.skipIf(SKIP_BROWSER)('migration-sweep report in headless Chromium', () => {
  let report: OpenReport | undefined;
  let page: Page;

  beforeAll(async () => {
    report = await openReport(renderMigrationSweepReport(results), 'hyperwatt-migration-report-');
    page = report.page;
  });

  afterAll(async () => {
    await report?.close();
  });

  it('draws every chart with visible axes and coloured series', async () => {
    expect(await page.evaluate(() => document.body.dataset.chartsDrawn)).toBe(String(EXPECTED_CHART_IDS.length));
    expectChartsPainted(await chartPixels(page), EXPECTED_CHART_IDS);
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
    expect(report!.consoleErrors).toEqual([]);
    expect(report!.requestedUrls.length).toBeGreaterThan(0);
    for (const url of report!.requestedUrls) expect(url.startsWith('file://'), url).toBe(true);
  });
});
