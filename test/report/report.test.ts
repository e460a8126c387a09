/**
 * Tests of the report writers without a browser: number formatting, the CSV files (header, rows, formatting,
 * speed for 10,000 hosts) and the HTML page's structure (self-contained, escaped, deterministic, extensible).
 */

import { describe, expect, it } from 'vitest';

import type { RunResult } from '../../src/metrics/run-result.js';
import { dataCenterCsv, hostCsv, hostCsvChunks, DATA_CENTER_CSV_COLUMNS } from '../../src/report/csv.js';
import { renderReport, type ReportSection } from '../../src/report/html.js';
import { formatNumber, roundForOutput } from '../../src/report/number-format.js';
import { inlineScript } from '../../src/report/page-assets.js';
import { formatDisplayNumber, formatDuration } from '../../src/report/summary-table.js';
import { syntheticRunResult } from './synthetic-run.js';

describe('formatNumber', () => {
  it('prints integers plainly, with every digit', () => {
    expect([0, -0, 288, -7, 1_250_000, 2 ** 53 + 2, 1e21].map(formatNumber)).toEqual([
      '0',
      '0',
      '288',
      '-7',
      '1250000',
      '9007199254740994',
      '1000000000000000000000',
    ]);
  });

  it('keeps six significant digits of other numbers, without floating-point noise', () => {
    const cases: [number, string][] = [
      [0.1 + 0.2, '0.3'],
      [1 / 3, '0.333333'],
      [2 / 3, '0.666667'],
      [12.3456789, '12.3457'],
      [86.5, '86.5'],
      [-0.5, '-0.5'],
      [0.05, '0.05'],
      [123456.789, '123457'],
      [1234567.891, '1234568'],
      [99.99999999, '100'],
      [0.000999999999, '0.001'],
      [2.5e-7, '0.00000025'],
      [1.23456789e-9, '0.000000001235'],
      [1e-17, '0'],
      [-1e-15, '0'],
    ];
    for (const [value, text] of cases) expect(formatNumber(value), `formatNumber(${value})`).toBe(text);
  });

  it('prints NaN as an empty field and infinities as words', () => {
    expect([NaN, Infinity, -Infinity].map(formatNumber)).toEqual(['', 'Infinity', '-Infinity']);
  });

  it('never prints an exponent and reads back within rounding', () => {
    // A fixed pseudo-random sequence (xorshift) so the test is reproducible.
    let state = 0x9e3779b9;
    const random = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
    for (let trial = 0; trial < 20_000; trial++) {
      const value = (random() - 0.5) * 10 ** Math.floor(random() * 20 - 8);
      const text = formatNumber(value);
      expect(text).toMatch(/^-?\d+(\.\d*[1-9])?$/);
      if (Math.abs(value) >= 1e-6) expect(Math.abs(Number(text) - value)).toBeLessThanOrEqual(Math.abs(value) * 5e-6);
    }
  });

  it('rounds for embedded JSON the way it prints', () => {
    expect(roundForOutput(1 / 3)).toBe(0.333333);
    expect(roundForOutput(-1e-15)).toBe(0);
    expect(roundForOutput(NaN)).toBeNull();
    expect(Object.is(roundForOutput(-0), 0)).toBe(true);
  });
});

describe('dataCenterCsv', () => {
  const result = syntheticRunResult();
  const csv = dataCenterCsv(result);
  const lines = csv.split('\n');

  it('has the header, one row per sample and a final newline', () => {
    expect(lines[0]).toBe(
      'time_s,power_w,active_hosts,utilisation,migrations_in_flight,migrations_started,overloaded_host_fraction,sla_violation',
    );
    expect(lines[0].split(',')).toEqual([...DATA_CENTER_CSV_COLUMNS]);
    expect(lines.length).toBe(288 + 2);
    expect(lines[lines.length - 1]).toBe('');
    for (const line of lines.slice(1, -1)) expect(line.split(',').length).toBe(8);
  });

  it('writes each value with formatNumber, fractions as fractions', () => {
    const series = result.dataCenter;
    const sample = 100;
    expect(lines[sample + 1]).toBe(
      [
        series.timeSeconds,
        series.powerWatts,
        series.activeHosts,
        series.utilisation,
        series.migrationsInFlight,
        series.migrationsStarted,
        series.overloadedHostFraction,
        series.slaViolation,
      ]
        .map((column) => formatNumber(column[sample]))
        .join(','),
    );
    expect(lines[1].startsWith('300,')).toBe(true);
    expect(lines.slice(1).join('\n')).toMatch(/^[0-9.,\n]*$/); // no exponent, no NaN or minus signs here
    const utilisation = lines.slice(1, -1).map((line) => Number(line.split(',')[3]));
    expect(Math.max(...utilisation)).toBeLessThanOrEqual(1);
  });

  it('is deterministic', () => {
    expect(dataCenterCsv(syntheticRunResult())).toBe(csv);
  });

  it('lists every inconsistent series at once', () => {
    const broken: RunResult = {
      ...result,
      dataCenter: { ...result.dataCenter, powerWatts: new Float64Array(3), slaViolation: new Float64Array(5) },
      hosts: { ...result.hosts, utilisation: new Float64Array(7) },
    };
    expect(() => dataCenterCsv(broken)).toThrow(/dataCenter\.powerWatts has 3 samples[\s\S]*dataCenter\.slaViolation has 5[\s\S]*hosts\.utilisation has 7/);
  });
});

describe('hostCsv', () => {
  const result = syntheticRunResult();
  const csv = hostCsv(result);
  const lines = csv.split('\n');

  it('is long format ordered by time, then host', () => {
    expect(lines[0]).toBe('time_s,host,power_w,utilisation');
    expect(lines.length).toBe(4 * 288 + 2);
    expect(lines[lines.length - 1]).toBe('');
    expect(lines.slice(1, 5).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['300,0', '300,1', '300,2', '300,3']);
    const sample = 10;
    const host = 2;
    const index = host * 288 + sample;
    expect(lines[1 + sample * 4 + host]).toBe(
      `3300,2,${formatNumber(result.hosts.powerWatts[index])},${formatNumber(result.hosts.utilisation[index])}`,
    );
    // Host 3 is off at night: zero power and utilisation print as 0.
    expect(lines[4]).toBe('300,3,0,0');
  });

  it('streams the same text in chunks of whole rows', () => {
    const chunks = Array.from(hostCsvChunks(result, 2048));
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(2048);
      expect(chunk.endsWith('\n')).toBe(true);
    }
    expect(chunks.join('')).toBe(csv);
  });

  it('writes 10,000 hosts × 288 samples: every row, whole, in order', () => {
    // Size, not speed: timings belong in `npm run bench`, not in tests.
    const large = syntheticRunResult({ hostCount: 10_000, sampleCount: 288 });
    const text = hostCsv(large);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n');
    expect(lines.length).toBe(1 + 10_000 * 288 + 1); // header, rows, the empty string after the final newline
    expect(lines[1].split(',')[1]).toBe('0');
    expect(lines[10_000 * 288].split(',')[1]).toBe('9999');
  });
});

describe('renderReport', () => {
  const result = syntheticRunResult();
  const html = renderReport(result);

  /** The parsed JSON data element of a page. */
  function embeddedData(page: string): { title: string; summary: Record<string, unknown>; charts: { id: string; section: string; x: number[]; series: { label: string; values: (number | null)[] }[] }[] } {
    const match = /<script type="application\/json" id="hyperwatt-data">([\s\S]*?)<\/script>/.exec(page);
    expect(match).not.toBeNull();
    return JSON.parse(match![1]);
  }

  it('shows per-VM energy ranked (sampled to 1000 ranks) and the ten largest, and the facility cap on the power chart', () => {
    const energy = Float64Array.from({ length: 2500 }, (_, vm) => (vm % 7) * 3.6e6 + vm);
    const withEnergy = renderReport({ ...result, vmEnergyJoules: energy, summary: { ...result.summary, power_cap_w: 5000 } });
    const data = embeddedData(withEnergy);
    const ranked = data.charts.find((c) => c.id === 'vm-energy-ranked')!;
    expect(ranked.section).toBe('vm-energy');
    expect(ranked.x).toHaveLength(1000);
    expect(ranked.x[0]).toBe(1);
    expect(ranked.x[999]).toBe(2500);
    // Largest first: VM 2498 (2498 % 7 = 6, the largest index among those) heads the ranking.
    expect(ranked.series[0].values[0]).toBeCloseTo((6 * 3.6e6 + 2498) / 3.6e6, 4);
    expect(ranked.series[0].values[999]).toBeCloseTo(0, 9); // VM 0
    expect(withEnergy).toMatch(/<tr><td>1<\/td><td>2498<\/td><td class="number">6\.001<\/td>/);
    const power = data.charts.find((c) => c.id === 'power')!;
    expect(power.series.map((s) => s.label)).toEqual(['Mean power over the interval', 'Facility cap (5000 W)']);
    // Without per-VM energy (the cloudsim-3.0.3 mode) there is no such section.
    expect(embeddedData(html).charts.some((c) => c.id === 'vm-energy-ranked')).toBe(false);
  });

  it('is one HTML document with the run identity in the header', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<title>Hyperwatt report: synthetic-sine</title>');
    expect(html).toMatch(/<dt>Scenario<\/dt><dd>synthetic-sine<\/dd>/);
    expect(html).toMatch(/<dt>Mode<\/dt><dd>default<\/dd>/);
    expect(html).toMatch(/<dt>Seed<\/dt><dd>42<\/dd>/);
    expect(renderReport(result, { title: 'Custom' })).toContain('<h1>Custom</h1>');
  });

  it('references nothing outside the file', () => {
    // uPlot's minified build starts with a licence banner naming its repository; that comment is the only URL.
    const banners = html.match(/\/\*![^*]*\*\//g) ?? [];
    expect(banners).toEqual([expect.stringContaining('https://github.com/leeoniya/uPlot')]);
    const withoutBanner = html.replace(/\/\*![^*]*\*\//g, '');
    expect(withoutBanner).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<(script|img|iframe)\b[^>]*\ssrc=/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/url\((?!data:)/i);
    for (const [, target] of html.matchAll(/\shref="([^"]*)"/g)) expect(target.startsWith('#')).toBe(true);
  });

  it('inlines uPlot and the page script in three script elements', () => {
    expect(html.match(/<script\b/g)?.length).toBe(3);
    expect(html.match(/<\/script>/g)?.length).toBe(3);
    expect(html).toContain('var uPlot=');
    expect(html).toMatch(/<style>[^<]*\.uplot/);
  });

  it('embeds the chart data as JSON, x in hours, fractions as percent', () => {
    const data = embeddedData(html);
    expect(data.charts.map((chart) => chart.id)).toEqual(['power', 'active-hosts', 'utilisation', 'host-utilisation', 'migrations', 'sla']);
    const power = data.charts[0];
    expect(power.x.length).toBe(288);
    expect(power.x[0]).toBe(roundForOutput(300 / 3600));
    expect(power.x[287]).toBe(24);
    expect(power.series[0].values[5]).toBe(roundForOutput(result.dataCenter.powerWatts[5]));
    const utilisation = data.charts.find((chart) => chart.id === 'utilisation')!;
    expect(utilisation.series[0].values[100]).toBe(roundForOutput(result.dataCenter.utilisation[100] * 100));
    expect(data.charts.find((chart) => chart.id === 'migrations')!.series.map((series) => series.label)).toEqual(['In flight', 'Started']);
    expect(data.summary.energy_kwh).toBe(result.summary.energy_kwh);
    for (const chart of data.charts) expect(html).toContain(`data-chart="${chart.id}"`);
  });

  it('reduces the per-host series to a min/mean/max over powered hosts', () => {
    const spread = embeddedData(html).charts.find((chart) => chart.id === 'host-utilisation')!;
    expect(spread.series.map((series) => series.label)).toEqual(['Max', 'Mean', 'Min']);
    // At 300 s host 3 is off: the minimum is over hosts 0..2 only.
    const { utilisation } = result.hosts;
    const expectedMin = Math.min(utilisation[0], utilisation[288], utilisation[576]) * 100;
    expect(spread.series[2].values[0]).toBe(roundForOutput(expectedMin));
    expect(html.length).toBeLessThan(250_000);
    const noHosts = renderReport({ ...result, hosts: { hostCount: 0, sampleCount: 288, powerWatts: new Float64Array(0), utilisation: new Float64Array(0) } });
    expect(embeddedData(noHosts).charts.map((chart) => chart.id)).not.toContain('host-utilisation');
  });

  it('shows every summary field, fractions as labelled percent', () => {
    for (const field of Object.keys(result.summary)) expect(html, field).toContain(`<tr data-field="${field}">`);
    expect(html).toMatch(/<tr data-field="slatah"><td>[^<]*<\/td><td class="value">4\.23 %<\/td><td class="unit">% \(fraction\)<\/td>/);
    expect(html).toMatch(/<tr data-field="events">.*<td class="value">123,456<\/td>/);
    expect(html).toMatch(/<tr data-field="mean_time_before_host_shutdown_s">.*<td class="value">5,400<\/td><td class="unit">s \(90 min\)<\/td>/);
    expect(html).toMatch(/<tr data-field="energy_kwh">.*<td class="unit">kWh<\/td>/);
  });

  it('escapes text and keeps </script> out of the embedded data', () => {
    const hostile = syntheticRunResult({ scenario: '</script><script>alert(1)</script><!-- "x" & y' });
    const page = renderReport(hostile);
    expect(page.match(/<script\b/g)?.length).toBe(3);
    expect(page).toContain('<title>Hyperwatt report: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!-- &quot;x&quot; &amp; y</title>');
    expect(embeddedData(page).summary.scenario).toBe(hostile.summary.scenario);
    expect(inlineScript('a = "</script>"; b = "<!--";')).toBe('a = "<\\/script>"; b = "<\\!--";');
  });

  it('is deterministic, and byte-identical across runs without the wall-clock time', () => {
    expect(renderReport(syntheticRunResult())).toBe(html);
    const other = syntheticRunResult();
    other.summary.wall_seconds = 99;
    expect(renderReport(other)).not.toBe(html);
    const page = renderReport(other, { includeWallClock: false });
    expect(page).toBe(renderReport(result, { includeWallClock: false }));
    expect(page).not.toContain('data-field="wall_seconds"');
    expect(embeddedData(page).summary).not.toHaveProperty('wall_seconds');
  });

  it('adds extra sections with their own HTML and charts', () => {
    const sweep: ReportSection = {
      id: 'sweep',
      title: 'Threshold sweep',
      html: '<p>Energy against the upper utilisation threshold.</p>',
      charts: [
        {
          id: 'sweep-energy',
          title: 'Energy by threshold',
          xLabel: 'Upper threshold (%)',
          yLabel: 'Energy (kWh)',
          x: [70, 80, 90],
          series: [{ label: 'Energy', values: new Float64Array([121.4, 117.9, NaN]) }],
        },
      ],
    };
    const page = renderReport(result, { extraSections: [sweep] });
    expect(page).toContain('<section class="card" id="sweep">\n<h2>Threshold sweep</h2>\n<p>Energy against');
    expect(page).toContain('data-chart="sweep-energy"');
    expect(page).toContain('<a href="#sweep">Threshold sweep</a>');
    const chart = embeddedData(page).charts.at(-1)!;
    expect(chart).toMatchObject({ id: 'sweep-energy', section: 'sweep', x: [70, 80, 90], series: [{ label: 'Energy', values: [121.4, 117.9, null] }] });
  });

  it('rejects sections with clashing ids or mismatched lengths, listing every problem', () => {
    const bad: ReportSection[] = [
      { id: 'summary', title: 'Clash' },
      { id: 'x y', title: 'Bad id', charts: [{ id: 'power', title: 'Clash', xLabel: 'x', yLabel: 'y', x: [1, 2], series: [{ label: 'a', values: [1] }] }] },
    ];
    expect(() => renderReport(result, { extraSections: bad })).toThrow(
      /sections\[4\]\.id "summary" is already used by sections\[0\][\s\S]*sections\[5\]\.id "x y" must be[\s\S]*sections\[5\]\.charts\[0\]\.id "power" is already used[\s\S]*sections\[5\]\.charts\[0\]\.series\[0\]\.values has 1 values, expected 2/,
    );
  });
});

describe('display formatting', () => {
  it('groups thousands and keeps four significant digits', () => {
    expect(formatDisplayNumber(86520.47)).toBe('86,520');
    expect(formatDisplayNumber(1234567)).toBe('1,234,567');
    expect(formatDisplayNumber(0.00123456)).toBe('0.001235');
    expect(formatDisplayNumber(12.5)).toBe('12.5');
    expect(formatDisplayNumber(-1500.4)).toBe('−1,500');
    expect(formatDisplayNumber(NaN)).toBe('–');
  });

  it('gives durations a readable unit', () => {
    expect(formatDuration(90)).toBe('');
    expect(formatDuration(5400)).toBe('90 min');
    expect(formatDuration(86_400)).toBe('24 h');
    expect(formatDuration(3 * 86_400)).toBe('3 days');
  });
});
