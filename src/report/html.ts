/**
 * The HTML report of a run: one self-contained page that works offline, even from a `file://` URL.
 *
 * The page holds a header (scenario, mode, seed), headline figures, the summary table, charts over time and
 * any extra sections a feature passes in. Everything is inline: uPlot's JavaScript and CSS are read from
 * node_modules at render time, and the chart data sits in a `<script type="application/json">` element that
 * the page script draws from. Per-host series stay out of the page (they can be tens of megabytes); the
 * utilisation spread over hosts is drawn instead, and the host CSV holds the rest.
 *
 * Rendering is deterministic: the same result and options give the same bytes (pass
 * `includeWallClock: false` to leave out the one summary field that differs between identical runs).
 */

import type { RunResult } from '../metrics/run-result.js';
import { escapeHtml } from './html-escape.js';
import { roundForOutput } from './number-format.js';
import { inlineJson, inlineScript, inlineStyle, loadUplotAssets, PAGE_CSS, PAGE_SCRIPT } from './page-assets.js';
import { reportSectionProblems, type ChartSpec, type ReportSection } from './report-section.js';
import { runChartSections } from './run-charts.js';
import { assertConsistentRunResult } from './run-result-check.js';
import { formatDisplayNumber, formatDuration, renderSummaryTable, WALL_CLOCK_FIELDS } from './summary-table.js';

export type { ChartSeries, ChartSpec, ReportSection } from './report-section.js';
export { escapeHtml } from './html-escape.js';

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** Page title and main heading; default `Hyperwatt report: <scenario>`. */
  title?: string;
  /** Sections appended after the built-in ones, e.g. a migration sweep's charts. */
  extraSections?: ReportSection[];
  /**
   * Whether to show the wall-clock time of the simulation (default true). It differs between otherwise
   * identical runs, so pass false when the page must be byte-identical for the same seed (golden tests).
   */
  includeWallClock?: boolean;
}

/** The element id of the embedded JSON data. */
export const REPORT_DATA_ELEMENT_ID = 'hyperwatt-data';

/**
 * Renders a run as one self-contained HTML page.
 *
 * The page embeds, as JSON, `{ title, summary, charts }` where each chart is a {@link ChartSpec} plus its
 * `section` id, numbers rounded to six significant digits and gaps as `null`. Each chart's container has a
 * `data-chart` attribute with the chart id; after drawing, the page sets `document.body.dataset.chartsDrawn`.
 *
 * @param result a finished run.
 * @param options title, extra sections, and whether to include the wall-clock time.
 * @returns the complete HTML document (UTF-8 text).
 * @throws Error listing every inconsistency of the result or of the sections (lengths, duplicate ids).
 * @example
 * writeFileSync('report.html', renderReport(result, {
 *   extraSections: [{ id: 'sweep', title: 'Threshold sweep', charts: [sweepChart] }],
 * }));
 */
export function renderReport(result: RunResult, options: ReportOptions = {}): string {
  assertConsistentRunResult(result);
  const includeWallClock = options.includeWallClock ?? true;
  const summary = result.summary;
  const title = options.title ?? `Hyperwatt report: ${summary.scenario}`;

  const summarySection: ReportSection = {
    id: 'summary',
    title: 'Summary',
    html:
      renderHeadline(result) +
      renderSummaryTable(summary, includeWallClock) +
      '\n<p class="note after-table">Fractions (0 to 1 in the JSON and CSV outputs) are shown here as percent.</p>',
  };
  const sections = [summarySection, ...runChartSections(result), ...(options.extraSections ?? [])];
  const problems = reportSectionProblems(sections);
  if (problems.length > 0) throw new Error(`Invalid report sections:\n  ${problems.join('\n  ')}`);

  const embeddedSummary: Record<string, unknown> = { ...summary };
  if (!includeWallClock) for (const field of WALL_CLOCK_FIELDS) delete embeddedSummary[field];
  const data = {
    title,
    summary: embeddedSummary,
    charts: sections.flatMap((section) => (section.charts ?? []).map((chart) => embeddedChart(section.id, chart))),
  };
  return renderPage({
    title,
    facts: runFacts(result),
    sections,
    data,
    footer: (uplotVersion) =>
      `Written by Hyperwatt. Charts drawn with uPlot ${escapeHtml(uplotVersion)} (MIT licence), embedded in this ` +
      'file together with the data; the page loads nothing from the network. Per-host series are in the host CSV.',
  });
}

/** What a self-contained report page is made of. */
export interface PageParts {
  title: string;
  /** Facts shown under the title, as name (trusted) and value (text). */
  facts: readonly [string, string][];
  sections: readonly ReportSection[];
  /** The embedded data the page script reads (its `charts` draw into the sections' containers). */
  data: unknown;
  /** CSS added after the shared page CSS. */
  extraCss?: string;
  /** The footer text (trusted HTML), given the uPlot version embedded. */
  footer: (uplotVersion: string) => string;
}

/** One self-contained page: uPlot, the page CSS and script and the data inlined; nothing loaded from the network. */
export function renderPage(parts: PageParts): string {
  const uplot = loadUplotAssets();
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="Hyperwatt">',
    `<title>${escapeHtml(parts.title)}</title>`,
    `<style>${uplot.css}</style>`,
    `<style>${inlineStyle(PAGE_CSS + (parts.extraCss ?? ''))}</style>`,
    '</head>',
    '<body>',
    renderPageHeader(parts.title, parts.facts, parts.sections),
    '<main>',
    ...parts.sections.map(renderSection),
    '</main>',
    '<footer><div class="inner">',
    `<p>${parts.footer(uplot.version)}</p>`,
    '</div></footer>',
    `<script type="application/json" id="${REPORT_DATA_ELEMENT_ID}">${inlineJson(parts.data)}</script>`,
    `<script>${uplot.script}</script>`,
    `<script>${inlineScript(PAGE_SCRIPT)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The run's identity, shown in the page header. */
function runFacts(result: RunResult): [string, string][] {
  const summary = result.summary;
  const simulated = formatDuration(summary.sim_seconds) || `${formatDisplayNumber(summary.sim_seconds)} s`;
  return [
    ['Scenario', summary.scenario],
    ['Mode', summary.mode],
    ['Seed', String(summary.seed)],
    ['Hosts', formatDisplayNumber(summary.hosts)],
    ['VMs', formatDisplayNumber(summary.vms)],
    ['Simulated', simulated],
  ];
}

/** The page header: the title, facts as name and value (text, escaped here), and a link to every section. */
function renderPageHeader(title: string, facts: readonly [string, string][], sections: readonly ReportSection[]): string {
  const links = sections.map((section) => `<a href="#${section.id}">${escapeHtml(section.title)}</a>`).join('\n');
  return [
    '<header class="page"><div class="inner">',
    `<h1>${escapeHtml(title)}</h1>`,
    '<dl class="meta">',
    ...facts.map(([name, value]) => `<div><dt>${name}</dt><dd>${escapeHtml(value)}</dd></div>`),
    '</dl>',
    `<nav class="contents" aria-label="Contents">${links}</nav>`,
    '</div></header>',
  ].join('\n');
}

/** The few figures a reader looks for first, above the full table. */
function renderHeadline(result: RunResult): string {
  const summary = result.summary;
  const power = result.dataCenter.powerWatts;
  let peakWatts = -Infinity;
  for (let index = 0; index < power.length; index++) if (power[index] > peakWatts) peakWatts = power[index];
  if (peakWatts === -Infinity) peakWatts = NaN;
  const figures: [string, string, string][] = [
    ['Energy', formatDisplayNumber(summary.energy_kwh), 'kWh'],
    ['Peak power', formatDisplayNumber(peakWatts), 'W'],
    ['Migrations', formatDisplayNumber(summary.migrations), ''],
    ['SLAV', formatDisplayNumber(summary.slav * 100), '%'],
    ['ESV', formatDisplayNumber(summary.esv), 'kWh'],
    ['Overall SLA violation', formatDisplayNumber(summary.overall_sla_violation * 100), '%'],
  ];
  const items = figures.map(
    ([name, value, unit]) => `<div><dt>${name}</dt><dd>${value}${unit === '' ? '' : `<small>${unit}</small>`}</dd></div>`,
  );
  return `<dl class="headline">\n${items.join('\n')}\n</dl>\n`;
}

/** One section card: heading, trusted HTML, then a grid of chart containers filled by the page script. */
export function renderSection(section: ReportSection): string {
  const parts = [`<section class="card" id="${section.id}">`, `<h2>${escapeHtml(section.title)}</h2>`];
  if (section.html !== undefined) parts.push(section.html);
  const charts = section.charts ?? [];
  if (charts.length > 0) {
    parts.push('<div class="chart-grid">');
    for (const chart of charts) {
      parts.push(
        `<figure class="chart" data-chart="${chart.id}"><figcaption><h3>${escapeHtml(chart.title)}</h3></figcaption>` +
          '<div class="chart-plot"></div></figure>',
      );
    }
    parts.push('</div>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** A chart as embedded JSON: plain arrays, numbers rounded like the CSV, gaps as null. */
export function embeddedChart(sectionId: string, chart: ChartSpec): Record<string, unknown> {
  return {
    id: chart.id,
    section: sectionId,
    title: chart.title,
    xLabel: chart.xLabel,
    yLabel: chart.yLabel,
    x: Array.from(chart.x, roundForOutput),
    series: chart.series.map((series) => ({
      label: series.label,
      values: Array.from(series.values, roundForOutput),
      ...(series.color === undefined ? {} : { color: series.color }),
      ...(series.kind === undefined ? {} : { kind: series.kind }),
    })),
    // Only when set, so pages whose charts are all linear embed exactly the data they did before.
    ...(chart.yScale === 'log' ? { yScale: 'log' } : {}),
    ...(chart.yFromZero === false ? { yFromZero: false } : {}),
  };
}
