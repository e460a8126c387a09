/**
 * The host report and CSV files (`kind: host`): a small host run with every feature the page draws — a core
 * temperature limit, a VM power limit, an energy-aware guest, a driver VM serving a disk-heavy guest — rendered
 * without a browser (every chart and table, limits as lines, deterministic bytes, the wall-clock time left out on
 * request) and in headless Chromium from a file:// URL (every chart paints; no errors; nothing requested from
 * anywhere but the file).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runHostScenario, type HostRunResult } from '../../src/backends/simulator/host-run.js';
import {
  HOST_CORE_SERIES_CSV_COLUMNS,
  HOST_THREAD_CSV_COLUMNS,
  HOST_VM_CSV_COLUMNS,
  HOST_VM_SERIES_CSV_COLUMNS,
  hostCoreSeriesCsv,
  hostRulesCsv,
  hostThreadCsv,
  hostVmCsv,
  hostVmSeriesCsv,
} from '../../src/report/host-csv.js';
import { formatSmallFraction, renderHostReport } from '../../src/report/host-report.js';
import { HostScenarioSchema, type HostScenario, type HostScenarioInput } from '../../src/scenario/host-schema.js';
import { chartPixels, expectChartsPainted, openReport, SKIP_BROWSER, type OpenReport } from './report-browser.js';

const INPUT: HostScenarioInput = {
  kind: 'host',
  name: 'report-host',
  description: 'every chart of the host report <on one page>',
  durationSeconds: 2,
  host: { cores: 3 },
  driver: { core: 2 },
  vms: [
    {
      name: 'capped',
      vcpus: 2,
      cores: [0, 1],
      threads: [
        { name: 'a', profile: 'compute', vcpu: 0 },
        { name: 'b', profile: 'compute', vcpu: 1 },
      ],
      cpuPowerLimitWatts: 12,
    },
    {
      name: 'aware',
      vcpus: 1,
      cores: [0],
      threads: [
        { name: 'render', profile: 'floating-point' },
        { name: 'indexer', profile: 'compute' },
      ],
      guestPolicy: { budgetWatts: 8, threadLimitsWatts: { indexer: 2 } },
    },
    { name: 'storage', vcpus: 1, cores: [1], threads: [{ name: 'writer', profile: 'disk' }] },
  ],
  manager: { coreLimit: { temperatureCelsius: 58, balancing: true, throttle: 'halt' } },
};

/** Guest VMs get a power chart each; the driver VM (index 3) does not. */
const EXPECTED_CHART_IDS = ['core-power', 'core-temperature', 'core-throttle', 'core-pstate', 'vm-power-0', 'vm-power-1', 'vm-power-2', 'vm-disk-power', 'vm-throughput', 'vm-allocation'];

interface EmbeddedChart {
  id: string;
  section: string;
  x: number[];
  series: { label: string; values: (number | null)[]; kind?: string }[];
}

function embeddedData(html: string): { summary: Record<string, unknown>; charts: EmbeddedChart[] } {
  const match = /<script type="application\/json" id="hyperwatt-data">(.*?)<\/script>/s.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]) as { summary: Record<string, unknown>; charts: EmbeddedChart[] };
}

let scenario: HostScenario;
let result: HostRunResult;
let html: string;
beforeAll(() => {
  scenario = HostScenarioSchema.parse(INPUT);
  result = runHostScenario(scenario, 'report-host.yaml');
  html = renderHostReport(result, scenario, { includeWallClock: false });
});

describe('host report (no browser)', () => {
  it('embeds every chart over the sample times, limits as constant lines', () => {
    const { charts } = embeddedData(html);
    expect(charts.map((chart) => chart.id)).toEqual(EXPECTED_CHART_IDS);
    const samples = result.series.timeSeconds.length;
    expect(samples).toBeGreaterThan(10);
    for (const chart of charts) {
      expect(chart.x, chart.id).toHaveLength(samples);
      for (const series of chart.series) expect(series.values, `${chart.id}: ${series.label}`).toHaveLength(samples);
    }
    const byId = new Map(charts.map((chart) => [chart.id, chart]));
    const labels = (id: string): string[] => byId.get(id)!.series.map((series) => series.label);
    expect(labels('core-power')).toEqual(['Core 0', 'Core 1', 'Core 2']);
    expect(labels('core-temperature')).toEqual(['Core 0', 'Core 1', 'Core 2', 'Limit (58 °C)']);
    expect(new Set(byId.get('core-temperature')!.series[3].values)).toEqual(new Set([58]));
    // Temperatures sit far from 0: their axis is fitted to the data; the other charts start at 0.
    expect((byId.get('core-temperature') as unknown as { yFromZero?: boolean }).yFromZero).toBe(false);
    expect((byId.get('core-power') as unknown as { yFromZero?: boolean }).yFromZero).toBeUndefined();
    expect(labels('vm-power-0')).toEqual(['Estimated', 'True', 'Host limit (12 W)']);
    expect(new Set(byId.get('vm-power-0')!.series[2].values)).toEqual(new Set([12]));
    expect(labels('vm-power-1')).toEqual(['Estimated', 'True', 'Guest budget (8 W)']);
    expect(labels('vm-power-2')).toEqual(['Estimated', 'True']);
    expect(labels('vm-throughput')).toEqual(['capped', 'aware', 'storage']);
    expect(byId.get('core-pstate')!.series.every((series) => series.kind === 'step')).toBe(true);
    // Estimated power follows the accounting: the chart's mean is the VM's estimated CPU energy over the run.
    const estimated = byId.get('vm-power-0')!.series[0].values as number[];
    const sampleSeconds = result.series.timeSeconds[1] - result.series.timeSeconds[0];
    const charted = estimated.reduce((sum, watts) => sum + watts * sampleSeconds, 0);
    expect(charted).toBeCloseTo(result.vms[0].cpu_estimated_j, -1);
  });

  it('shows the headline figures, the per-VM, rule and thread tables and the estimator fit', () => {
    for (const name of ['Host energy, true', 'Host energy, estimated', 'Per-VM CPU estimate |error|, mean', 'Per-VM CPU estimate |error|, worst', 'Sum-rule error', 'Max core temperature', 'Throttled', 'Balancing moves']) {
      expect(html).toContain(`<dt>${name}</dt>`);
    }
    expect(html.match(/<tr data-vm="[^"]+">/g)).toHaveLength(4);
    expect(html).toContain('<tr data-vm="driver"><td>driver</td><td>driver</td>');
    expect(html.match(/<tr data-rule="[^"]+">/g)).toHaveLength(result.rules.length);
    expect(html).toContain('<tr data-rule="cpu-time, idle to every VM (Kepler flaw)">');
    expect(html).toContain('<td>aware/indexer</td>');
    expect(html).toContain('<h3 class="spaced">Fit quality</h3>');
    // Text from the scenario is escaped.
    expect(html).toContain('every chart of the host report &lt;on one page&gt;');
    // The Kepler-like rule charges the baseline to every VM: its sum exceeds the host, flagged.
    expect(html).toMatch(/<tr data-rule="cpu-time, idle to every VM \(Kepler flaw\)">.*<td class="number flag">\+[\d,.]+ J \(\+[\d.]+ %\)<\/td><\/tr>/);
  });

  it('is deterministic and leaves the wall-clock time out on request', () => {
    expect(renderHostReport(result, scenario, { includeWallClock: false })).toBe(html);
    expect(embeddedData(html).summary).not.toHaveProperty('wall_seconds');
    expect(html).not.toContain('data-field="wall_seconds"');
    const withClock = renderHostReport(result, scenario);
    expect(embeddedData(withClock).summary).toHaveProperty('wall_seconds');
    expect(withClock).toContain('data-field="wall_seconds"');
  });

  it('references nothing outside the file', () => {
    // uPlot's licence banner names its repository; that comment is the only URL (as in the run report).
    const withoutBanner = html.replace(/\/\*![^*]*\*\//g, '');
    expect(withoutBanner).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<(script|img|iframe)\b[^>]*\ssrc=/i);
    for (const [, target] of html.matchAll(/\shref="([^"]*)"/g)) expect(target.startsWith('#')).toBe(true);
  });

  it('formats a tiny sum-rule error with its power of ten, never as 0', () => {
    expect(formatSmallFraction(2.4573980752109254e-14)).toBe('2.5 × 10⁻¹⁴');
    expect(formatSmallFraction(0)).toBe('0');
    expect(formatSmallFraction(0.25)).toBe('0.25');
  });
});

describe('host CSV files', () => {
  it('write the accounting, threads and rules with a header and a row each', () => {
    const vms = hostVmCsv(result).split('\n');
    expect(vms[0]).toBe(HOST_VM_CSV_COLUMNS.join(','));
    expect(vms.slice(1, -1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['capped,guest,2', 'aware,guest,1', 'storage,guest,1', 'driver,driver,1']);
    expect(vms.at(-1)).toBe('');
    // No limit: an empty field.
    expect(vms[2].split(',')[HOST_VM_CSV_COLUMNS.indexOf('cpu_limit_watts')]).toBe('');
    expect(vms[1].split(',')[HOST_VM_CSV_COLUMNS.indexOf('cpu_limit_watts')]).toBe('12');
    const threads = hostThreadCsv(result).trimEnd().split('\n');
    expect(threads.map((line) => line.split(',')[0])).toEqual(['thread', 'capped/a', 'capped/b', 'aware/render', 'aware/indexer', 'storage/writer']);
    expect(threads[4].split(',')[HOST_THREAD_CSV_COLUMNS.indexOf('limit_watts')]).toBe('2');
    // Each thread's own energy, estimated and true, is there and positive.
    expect(Number(threads[1].split(',')[HOST_THREAD_CSV_COLUMNS.indexOf('active_true_j')])).toBeGreaterThan(0);
    const rules = hostRulesCsv(result).trimEnd().split('\n');
    expect(rules[0]).toBe('rule,capped,aware,storage,driver,sum');
    expect(rules).toHaveLength(1 + result.rules.length);
    expect(rules[3]).toMatch(/^"cpu-time, idle equal",[\d.]+,/);
  });

  it('write the time series in long format, by time then core or VM', () => {
    const samples = result.series.timeSeconds.length;
    const cores = hostCoreSeriesCsv(result).trimEnd().split('\n');
    expect(cores[0]).toBe(HOST_CORE_SERIES_CSV_COLUMNS.join(','));
    expect(cores).toHaveLength(1 + samples * 3);
    expect(cores.slice(1, 4).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['0.1,0', '0.1,1', '0.1,2']);
    const vms = hostVmSeriesCsv(result).trimEnd().split('\n');
    expect(vms[0]).toBe(HOST_VM_SERIES_CSV_COLUMNS.join(','));
    expect(vms).toHaveLength(1 + samples * 4);
    expect(vms.slice(1, 5).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['0.1,capped', '0.1,aware', '0.1,storage', '0.1,driver']);
    expect(hostCoreSeriesCsv(result)).toBe(cores.join('\n') + '\n');
  });
});

declare const document: { body: { dataset: Record<string, string | undefined> } };

describe.skipIf(SKIP_BROWSER)('host report in headless Chromium', () => {
  let report: OpenReport | undefined;
  let page: Page;

  beforeAll(async () => {
    report = await openReport(html, 'hyperwatt-host-report-');
    page = report.page;
  });

  afterAll(async () => {
    await report?.close();
  });

  it('draws every chart with visible axes and coloured series', async () => {
    expect(await page.evaluate(() => document.body.dataset.chartsDrawn)).toBe(String(EXPECTED_CHART_IDS.length));
    expectChartsPainted(await chartPixels(page), EXPECTED_CHART_IDS);
  });

  it('shows the limits in the legends and every section in the contents', async () => {
    await expect(page.locator('[data-chart="core-temperature"] .u-legend').textContent()).resolves.toContain('Limit (58 °C)');
    await expect(page.locator('[data-chart="vm-power-0"] .u-legend').textContent()).resolves.toContain('Host limit (12 W)');
    const contents = await page.locator('nav.contents a').allTextContents();
    expect(contents).toEqual(['Summary', 'Estimator weights', 'Per-VM accounting', 'Attribution rules compared', 'Guest threads', 'Cores over time', 'VM power over time', 'VM throughput and allocation']);
  });

  it('logs no errors and requests nothing but the file', () => {
    expect(report!.consoleErrors).toEqual([]);
    expect(report!.requestedUrls.length).toBeGreaterThan(0);
    for (const url of report!.requestedUrls) expect(url.startsWith('file://'), url).toBe(true);
  });
});
