/**
 * What an HTML report page embeds besides its data: the page's style sheet and script, and uPlot's JavaScript
 * and CSS read from node_modules, so the page works offline and from a `file://` URL.
 *
 * The page script is plain browser JavaScript kept in a string (TypeScript does not copy .js assets to dist/).
 * It reads the chart specifications from the `<script type="application/json" id="hyperwatt-data">` element,
 * draws each into the element with the matching `data-chart` attribute, and then sets
 * `document.body.dataset.chartsDrawn` to the number of charts that actually drew, so tests and tools can wait
 * for it.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** uPlot's files, ready to inline. */
export interface UplotAssets {
  /** The IIFE build, defining the global `uPlot`; safe inside a `<script>` element. */
  script: string;
  /** uPlot's style sheet; safe inside a `<style>` element. */
  css: string;
  /** Version from uPlot's package.json, e.g. `1.6.32`. */
  version: string;
}

let cachedUplot: UplotAssets | undefined;

/**
 * Reads uPlot's minified IIFE build and CSS from node_modules (once per process).
 *
 * @throws Error saying how to install uPlot if it cannot be resolved.
 */
export function loadUplotAssets(): UplotAssets {
  if (cachedUplot !== undefined) return cachedUplot;
  const require = createRequire(import.meta.url);
  let scriptPath: string;
  let cssPath: string;
  let packagePath: string;
  try {
    scriptPath = require.resolve('uplot/dist/uPlot.iife.min.js');
    cssPath = require.resolve('uplot/dist/uPlot.min.css');
    packagePath = require.resolve('uplot/package.json');
  } catch (error) {
    throw new Error(`HTML reports need the uplot package (npm install uplot): ${(error as Error).message}`);
  }
  const version = (JSON.parse(readFileSync(packagePath, 'utf8')) as { version: string }).version;
  cachedUplot = {
    script: inlineScript(readFileSync(scriptPath, 'utf8')),
    css: inlineStyle(readFileSync(cssPath, 'utf8')),
    version,
  };
  return cachedUplot;
}

/**
 * Makes JavaScript safe to place inside `<script>…</script>`: the HTML parser ends the element at the first
 * `</script` and treats `<!--` specially, wherever they appear. Both can only occur inside JavaScript strings,
 * regular expressions or comments, where `<\/` and `<\!` mean the same characters.
 */
export function inlineScript(javascript: string): string {
  return javascript.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** Makes CSS safe to place inside `<style>…</style>` (the element ends at the first `</style`). */
export function inlineStyle(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

/**
 * Serialises data for a `<script type="application/json">` element. Every `<` becomes `\u003c`, which
 * `JSON.parse` reads back unchanged, so no `</script>` or `<!--` in the data can end or confuse the element.
 */
export function inlineJson(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

/** The report's own style sheet: system fonts, light colours, a card per section and a grid of charts. */
export const PAGE_CSS = `
:root {
  color-scheme: light;
  --text: #1f2933; --muted: #616e7c; --border: #e4e7eb; --background: #f4f6f8; --card: #ffffff; --accent: #2563eb;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--background); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif;
  font-variant-numeric: tabular-nums;
}
header.page { background: var(--card); border-bottom: 1px solid var(--border); }
header.page .inner, main, footer .inner { max-width: 1240px; margin: 0 auto; padding-left: 32px; padding-right: 32px; }
header.page .inner { padding-top: 24px; padding-bottom: 16px; }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 8px; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 0 0 16px; font-weight: 620; }
h3 { font-size: 15px; margin: 0 0 6px; font-weight: 600; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0; color: var(--muted); }
.meta div { display: flex; gap: 6px; }
.meta dt { margin: 0; }
.meta dd { margin: 0; color: var(--text); font-weight: 600; }
nav.contents { margin-top: 12px; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 14px; }
nav.contents a { color: var(--accent); text-decoration: none; }
nav.contents a:hover { text-decoration: underline; }
main { padding-top: 24px; padding-bottom: 8px; }
section.card { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 20px 24px; margin-bottom: 24px; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 20px; }
.headline div { border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; }
.headline dt { color: var(--muted); font-size: 13px; }
.headline dd { margin: 2px 0 0; font-size: 22px; font-weight: 620; }
.headline dd small { font-size: 13px; font-weight: 400; color: var(--muted); margin-left: 4px; }
table.summary { border-collapse: collapse; width: 100%; font-size: 14px; }
table.summary th, table.summary td { padding: 5px 10px; border-bottom: 1px solid var(--border); text-align: left; vertical-align: baseline; }
table.summary thead th { color: var(--muted); font-weight: 600; font-size: 13px; border-bottom: 2px solid var(--border); }
table.summary tr.group th { padding-top: 16px; font-size: 13px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--accent); border-bottom: none; }
table.summary td.value, table.summary th.value { text-align: right; white-space: nowrap; font-weight: 600; }
table.summary td.unit { color: var(--muted); white-space: nowrap; }
table.summary td.field code { font-size: 12px; color: var(--muted); }
p.note { color: var(--muted); font-size: 13.5px; margin: -6px 0 14px; }
p.note.after-table { margin: 10px 0 0; }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 20px 28px; }
figure.chart { margin: 0; min-width: 0; }
figure.chart .chart-plot { min-height: 300px; }
figure.chart .chart-error { color: #b91c1c; }
.uplot { font-family: inherit; }
.uplot .u-legend { font-size: 13px; text-align: left; margin-top: 2px; }
.uplot .u-legend th { font-weight: 500; }
footer { color: var(--muted); font-size: 13px; }
footer .inner { padding-top: 4px; padding-bottom: 32px; }
@media (max-width: 560px) {
  header.page .inner, main, footer .inner { padding-left: 14px; padding-right: 14px; }
  section.card { padding: 14px; }
  .chart-grid { grid-template-columns: 1fr; }
}
`;

/** The page script: draws every chart of the embedded data with uPlot (plain browser JavaScript). */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
  var PLOT_HEIGHT = 260;
  var data = JSON.parse(document.getElementById('hyperwatt-data').textContent);

  function trimNumber(text) {
    return text.indexOf('.') < 0 ? text : text.replace(/\.?0+$/, '');
  }
  // Compact value for ticks and the legend: 1 234 567 -> 1.235M, 0.000123 -> 0.000123; never an exponent.
  function formatValue(value) {
    if (value == null || !isFinite(value)) return '–';
    var magnitude = Math.abs(value);
    if (magnitude >= 1e9) return trimNumber((value / 1e9).toFixed(3)) + 'G';
    if (magnitude >= 1e6) return trimNumber((value / 1e6).toFixed(3)) + 'M';
    if (magnitude >= 1e4) return trimNumber((value / 1e3).toFixed(2)) + 'k';
    if (magnitude >= 100) return trimNumber(value.toFixed(1));
    if (magnitude >= 1 || magnitude === 0) return trimNumber(value.toFixed(3));
    var decimals = Math.min(12, 3 - Math.floor(Math.log10(magnitude)));
    return trimNumber(value.toFixed(decimals));
  }
  function yRange(plot, min, max) {
    if (min == null || max == null) return [0, 1];
    var low = Math.min(0, min);
    var high = max;
    if (!(high > low)) high = low + 1;
    else high = high + (high - low) * 0.06;
    return [low, high];
  }
  // Fitted to the data (charts with yFromZero: false): a margin of 6 % of the span on both sides.
  function fittedRange(plot, min, max) {
    if (min == null || max == null) return [0, 1];
    var span = max - min;
    if (!(span > 0)) return [min - 1, max + 1];
    return [min - span * 0.06, max + span * 0.06];
  }
  function pathsFor(kind) {
    if (kind === 'step') return uPlot.paths.stepped({ align: 1 });
    if (kind === 'bars') return uPlot.paths.bars({ size: [0.7, 24], align: 0 });
    return undefined;
  }
  function plotWidth(target) {
    return Math.max(240, Math.floor(target.getBoundingClientRect().width));
  }

  var drawnIds = {};
  var plots = [];
  data.charts.forEach(function (spec) {
    var container = document.querySelector('[data-chart="' + spec.id + '"]');
    var target = container && container.querySelector('.chart-plot');
    if (!target) {
      console.error('Hyperwatt report: no element for chart ' + spec.id);
      return;
    }
    try {
      var series = [{ label: spec.xLabel, value: function (plot, value) { return formatValue(value); } }];
      spec.series.forEach(function (line, index) {
        var color = line.color || PALETTE[index % PALETTE.length];
        var options = {
          label: line.label,
          stroke: color,
          width: 1.5,
          points: { show: false },
          value: function (plot, value) { return formatValue(value); }
        };
        var paths = pathsFor(line.kind);
        if (paths) options.paths = paths;
        // Points: markers only, for measurements at a few x values among a dense series.
        if (line.kind === 'points') {
          options.paths = function () { return null; };
          options.points = { show: true, size: 8, fill: color, stroke: color };
        }
        if (line.kind === 'bars') options.fill = color + '99';
        else if (spec.series.length === 1) options.fill = color + '1a';
        series.push(options);
      });
      var axisStyle = { stroke: '#52606d', grid: { stroke: '#eceff2', width: 1 }, ticks: { stroke: '#d5dae0', width: 1 } };
      var options = {
        width: plotWidth(target),
        height: PLOT_HEIGHT,
        scales: { x: { time: false }, y: spec.yScale === 'log' ? { distr: 3, log: 10 } : { range: spec.yFromZero === false ? fittedRange : yRange } },
        cursor: { sync: { key: spec.xLabel }, points: { size: 6 } },
        legend: { live: true },
        series: series,
        axes: [
          Object.assign({ label: spec.xLabel, values: function (plot, splits) { return splits.map(formatValue); } }, axisStyle),
          Object.assign({ label: spec.yLabel, size: 56, values: function (plot, splits) { return splits.map(formatValue); } }, axisStyle)
        ],
        hooks: { draw: [function () { drawnIds[spec.id] = true; }] }
      };
      var columns = [spec.x].concat(spec.series.map(function (line) {
        // A log axis has no place for zero or less: those values are gaps.
        if (spec.yScale !== 'log') return line.values;
        return line.values.map(function (value) { return value !== null && value > 0 ? value : null; });
      }));
      plots.push({ plot: new uPlot(options, columns, target), target: target });
    } catch (error) {
      console.error('Hyperwatt report: chart ' + spec.id + ' failed', error);
      target.textContent = 'This chart could not be drawn: ' + (error && error.message);
      target.className += ' chart-error';
    }
  });

  // uPlot draws in a microtask after construction; a task runs after all of them.
  setTimeout(function () {
    document.body.dataset.chartsDrawn = String(Object.keys(drawnIds).length);
  }, 0);

  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (entry) { entry.plot.setSize({ width: plotWidth(entry.target), height: PLOT_HEIGHT }); });
    }, 100);
  });
})();
`;
