/**
 * Outputs of a migration sweep (`hyperwatt migrate sweep`): results.csv, one row per point, and report.html, one
 * self-contained page with, for each link bandwidth, total migration time and downtime against the dirty rate (a
 * series per strategy) and the full results table.
 *
 * The page uses the run report's assets (src/report/page-assets.ts: style sheet, page script, uPlot inlined), so
 * it works offline and draws exactly like the run report: the charts are {@link ChartSpec} data embedded as JSON
 * in the element the page script reads. A point whose migration did not complete (a pre-copy cancelled at its
 * time limit, or any seed of it) is a gap in the charts, never a made-up number, and is listed under the charts
 * and flagged in the table. With several seeds a chart point is the mean over the seeds.
 *
 * Rendering is deterministic: the same results give the same bytes.
 */
import { migrationPointInputs, sweepSeeds, type MigrationSweepResults, type MigrationSweepRow } from '../scenario/migration-sweep.js';
import { escapeHtml } from './html-escape.js';
import { embeddedChart, renderPage } from './html.js';
import { formatNumber, roundForOutput } from './number-format.js';
import { reportSectionProblems, type ChartSpec, type ReportSection } from './report-section.js';
import { formatDisplayNumber } from './summary-table.js';
import { csvField } from './csv-field.js';

/** Columns of {@link migrationSweepCsv}, in order (units in the names; fractions as fractions). */
export const MIGRATION_SWEEP_CSV_COLUMNS = [
  'point',
  'strategy',
  'mechanism',
  'bandwidth_mbit',
  'dirty_pages_per_s',
  'seed',
  'outcome',
  'converged',
  'total_s',
  'downtime_s',
  'switchover_s',
  'transferred_mib',
  'precopy_mib',
  'postcopy_mib',
  'passes',
  'remote_faults',
  'vcpu_blocked_s',
  'throughput_loss_during',
  'throughput_loss_after',
  'max_throttle_percent',
  'max_dirty_pages_rate',
  'remaining_mib',
  'note',
] as const satisfies readonly (keyof MigrationSweepRow)[];

/**
 * The results as CSV: a header of {@link MIGRATION_SWEEP_CSV_COLUMNS}, one row per point in point order, `\n`
 * line endings. Numbers print as in every Hyperwatt CSV (integers plainly, otherwise six significant digits, never
 * an exponent); a missing value (`switchover_s` of a migration that never switched) is an empty field.
 *
 * @example
 * // point,strategy,mechanism,bandwidth_mbit,dirty_pages_per_s,seed,outcome,converged,total_s,downtime_s,…
 * // 0,precopy,precopy,1000,0,1,completed,true,8.61444,0.262338,…
 */
export function migrationSweepCsv(results: MigrationSweepResults): string {
  const lines = [MIGRATION_SWEEP_CSV_COLUMNS.join(',')];
  for (const row of results.rows) lines.push(MIGRATION_SWEEP_CSV_COLUMNS.map((column) => csvField(row[column])).join(','));
  return `${lines.join('\n')}\n`;
}


/** Where a strategy stops converging on one link: the figure a reader of a dirty-rate sweep looks for first. */
export interface ConvergenceLimit {
  strategy: string;
  bandwidthMbit: number;
  /** Highest dirty rate at which every seed converged and completed (NaN if none did). */
  highestConvergedPagesPerSecond: number;
  /** Lowest dirty rate at which some seed did not converge or did not complete (NaN if all did). */
  lowestFailedPagesPerSecond: number;
}

/** For each strategy and bandwidth (in the file's order), where the migrations stop converging. */
export function convergenceLimits(results: MigrationSweepResults): ConvergenceLimit[] {
  const limits: ConvergenceLimit[] = [];
  for (const strategy of strategyNames(results)) {
    for (const bandwidthMbit of results.definition.grid.bandwidth_mbit) {
      let highestConverged = NaN;
      let lowestFailed = NaN;
      for (const rate of ascendingDirtyRates(results)) {
        const rows = rowsAt(results, strategy, bandwidthMbit, rate);
        if (rows.length === 0) continue;
        if (rows.every(isGood)) highestConverged = Number.isNaN(highestConverged) ? rate : Math.max(highestConverged, rate);
        else if (Number.isNaN(lowestFailed)) lowestFailed = rate;
      }
      limits.push({ strategy, bandwidthMbit, highestConvergedPagesPerSecond: highestConverged, lowestFailedPagesPerSecond: lowestFailed });
    }
  }
  return limits;
}

/** Options of {@link renderMigrationSweepReport}. */
export interface MigrationReportOptions {
  /** Page title and main heading; default `Migration sweep: <name>`. */
  title?: string;
}

/**
 * Renders a migration sweep as one self-contained HTML page (uPlot and the data inlined; nothing is loaded from
 * the network). Charts have ids `total-<bandwidth>mbit` and `downtime-<bandwidth>mbit` (characters other than
 * letters and digits in the bandwidth become `_`); after drawing, the page sets `document.body.dataset.chartsDrawn`
 * to the number of charts drawn, as the run report does.
 *
 * @throws Error if the results are inconsistent with their definition (a bug, not bad input).
 * @example writeFileSync('report.html', renderMigrationSweepReport(runMigrationSweep(sweep)));
 */
export function renderMigrationSweepReport(results: MigrationSweepResults, options: MigrationReportOptions = {}): string {
  const title = options.title ?? `Migration sweep: ${results.sweep}`;
  const sections: ReportSection[] = [overviewSection(results), ...bandwidthSections(results), resultsSection(results)];
  const problems = reportSectionProblems(sections);
  if (problems.length > 0) throw new Error(`Invalid report sections:\n  ${problems.join('\n  ')}`);
  const data = {
    title,
    charts: sections.flatMap((section) => (section.charts ?? []).map((chart) => embeddedChart(section.id, chart))),
  };
  return renderPage({
    title,
    facts: sweepFacts(results),
    sections,
    data,
    extraCss: EXTRA_CSS,
    footer: (uplotVersion) =>
      `Written by Hyperwatt (<code>hyperwatt migrate sweep</code>, page-level migration engine). Charts drawn with uPlot ${escapeHtml(uplotVersion)} ` +
      '(MIT licence), embedded in this file together with the data; the page loads nothing from the network. Every figure is also in results.csv.',
  });
}

/** The page's additions to the run report's style sheet: the results table's flagged rows and markers. */
const EXTRA_CSS = `
table.summary tr.failed td { background: #fef2f2; }
table.summary td.flag { color: #b91c1c; font-weight: 600; white-space: nowrap; }
table.summary td.number { text-align: right; white-space: nowrap; }
table.summary.facts { width: auto; }
table.summary.facts th { color: var(--muted); font-weight: 500; padding-right: 24px; }
table.summary.results { font-size: 13px; }
table.summary.results td, table.summary.results th { white-space: nowrap; padding: 4px 8px; }
table.summary.results thead th { white-space: normal; vertical-align: bottom; }
h3.spaced { margin-top: 20px; }
table.summary th.number { text-align: right; }
.table-scroll { overflow-x: auto; }
ul.gaps { margin: 0 0 14px; padding-left: 20px; font-size: 13.5px; color: var(--muted); }
ul.gaps strong { color: #b91c1c; font-weight: 600; }
`;

/** A completed migration that converged: the only kind whose figures are a normal migration's. */
function isGood(row: MigrationSweepRow): boolean {
  return row.outcome === 'completed' && row.converged;
}

function strategyNames(results: MigrationSweepResults): string[] {
  return [...new Set(results.rows.map((row) => row.strategy))];
}

function ascendingDirtyRates(results: MigrationSweepResults): number[] {
  return [...results.definition.grid.dirty_pages_per_s].sort((a, b) => a - b);
}

/** The rows of each (strategy, bandwidth, dirty rate), one per seed; built once per results object. */
const rowGroups = new WeakMap<MigrationSweepResults, Map<string, MigrationSweepRow[]>>();

function rowsAt(results: MigrationSweepResults, strategy: string, bandwidthMbit: number, rate: number): MigrationSweepRow[] {
  let groups = rowGroups.get(results);
  if (groups === undefined) {
    groups = new Map();
    for (const row of results.rows) {
      const key = groupKey(row.strategy, row.bandwidth_mbit, row.dirty_pages_per_s);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [row]);
      else group.push(row);
    }
    rowGroups.set(results, groups);
  }
  return groups.get(groupKey(strategy, bandwidthMbit, rate)) ?? [];
}

function groupKey(strategy: string, bandwidthMbit: number, rate: number): string {
  return `${strategy}\u0000${bandwidthMbit}\u0000${rate}`;
}

function chartIdPart(bandwidthMbit: number): string {
  return `${formatNumber(bandwidthMbit).replace(/[^A-Za-z0-9]/g, '_')}mbit`;
}

function pagesPerSecond(rate: number): string {
  return `${formatDisplayNumber(rate)} pages/s`;
}

/** The guest, the link and the strategies with their effective QEMU knobs (defaults filled in). */
function overviewSection(results: MigrationSweepResults): ReportSection {
  const sweep = results.definition;
  const guest = sweep.guest;
  const seeds = sweepSeeds(sweep);
  const facts: [string, string][] = [
    ['Guest RAM', `${formatDisplayNumber(guest.ram_mib)} MiB (${formatDisplayNumber(guest.used_mib ?? guest.ram_mib)} MiB in use)`],
    ['Writes', `${guest.pattern} over a ${formatDisplayNumber(guest.hot_set_mib ?? guest.ram_mib)} MiB hot set`],
    ['vCPUs', String(guest.vcpus)],
    [
      'Accesses after a post-copy switch',
      `${guest.touch_pages_per_s === undefined ? 'the dirty rate' : pagesPerSecond(guest.touch_pages_per_s)} per vCPU, locality ${formatDisplayNumber(guest.touch_locality)}`,
    ],
    ['Link latency', `${formatDisplayNumber(sweep.link.latency_ms)} ms one way`],
    ['Seeds', seeds.length <= 8 ? seeds.join(', ') : `${seeds.length} seeds (${seeds[0]}, ${seeds[1]}, …, ${seeds[seeds.length - 1]})`],
  ];
  const strategyRows = sweep.strategies.map((_, strategyIndex) => {
    const { parameters } = migrationPointInputs(sweep, {
      index: 0,
      strategyIndex,
      strategy: '',
      mechanism: sweep.strategies[strategyIndex].strategy,
      bandwidthMbit: 1,
      dirtyPagesPerSecond: 0,
      seed: 1,
    });
    const knobs: string[] = [`max-bandwidth ${formatDisplayNumber(parameters.maxBandwidthBytesPerSecond / 1048576)} MiB/s`];
    if (parameters.strategy !== 'postcopy' && parameters.strategy !== 'stop-and-copy') {
      knobs.push(`downtime-limit ${formatDisplayNumber(parameters.downtimeLimitSeconds * 1000)} ms`);
    }
    if (Number.isFinite(parameters.postcopyMaxBandwidthBytesPerSecond)) {
      knobs.push(`max-postcopy-bandwidth ${formatDisplayNumber(parameters.postcopyMaxBandwidthBytesPerSecond / 1048576)} MiB/s`);
    }
    const ac = parameters.autoConverge;
    if (ac) knobs.push(`auto-converge (${ac.initialPercent} %, +${ac.incrementPercent} %, ≤ ${ac.maxPercent} %)`);
    if (parameters.xbzrleCacheBytes > 0) knobs.push(`XBZRLE cache ${formatDisplayNumber(parameters.xbzrleCacheBytes / 1048576)} MiB`);
    if (parameters.precacheBytes > 0) knobs.push(`pre-cache ${formatDisplayNumber(parameters.precacheBytes / 1048576)} MiB`);
    if (Number.isFinite(parameters.switchAfterPasses)) knobs.push(`switch to post-copy after ${parameters.switchAfterPasses} passes`);
    if (Number.isFinite(parameters.switchAfterSeconds)) knobs.push(`switch to post-copy after ${formatDisplayNumber(parameters.switchAfterSeconds)} s`);
    if (parameters.strategy === 'precopy' || parameters.strategy === 'hybrid') {
      knobs.push(`time limit ${formatDisplayNumber(parameters.timeLimitSeconds)} s, then ${parameters.onTimeLimit === 'abort' ? 'cancel' : 'stop and copy'}`);
    }
    const name = sweep.strategies[strategyIndex].name ?? parameters.strategy;
    return `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(parameters.strategy)}</td><td>${escapeHtml(knobs.join('; '))}</td></tr>`;
  });
  const limits = convergenceLimits(results);
  const limitRows = [...new Set(limits.map((limit) => limit.strategy))].map((strategy) => {
    const cells = sweep.grid.bandwidth_mbit.map((bandwidth) => {
      const limit = limits.find((candidate) => candidate.strategy === strategy && candidate.bandwidthMbit === bandwidth)!;
      const failed = limit.lowestFailedPagesPerSecond;
      const converged = limit.highestConvergedPagesPerSecond;
      if (Number.isNaN(failed)) return '<td>converges at every rate</td>';
      const upTo = Number.isNaN(converged) ? 'never converges' : `converges up to ${formatDisplayNumber(converged)}`;
      return `<td class="flag">${upTo}; fails at ${formatDisplayNumber(failed)}</td>`;
    });
    return `<tr><td>${escapeHtml(strategy)}</td>${cells.join('')}</tr>`;
  });
  return {
    id: 'overview',
    title: 'Set-up',
    html: [
      '<table class="summary facts"><tbody>',
      ...facts.map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`),
      '</tbody></table>',
      '<h3 class="spaced">Strategies</h3>',
      '<div class="table-scroll"><table class="summary"><thead><tr><th>Name</th><th>Strategy</th><th>QEMU knobs (defaults filled in)</th></tr></thead>',
      `<tbody>${strategyRows.join('\n')}</tbody></table></div>`,
      '<h3 class="spaced">Where each strategy stops converging (dirty pages/s)</h3>',
      '<div class="table-scroll"><table class="summary"><thead><tr><th>Strategy</th>' +
        `${sweep.grid.bandwidth_mbit.map((bandwidth) => `<th>${formatDisplayNumber(bandwidth)} Mbit/s</th>`).join('')}</tr></thead>`,
      `<tbody>${limitRows.join('\n')}</tbody></table></div>`,
      '<p class="note after-table">Among the dirty rates of the grid: the highest at which every seed converged and completed, ' +
        'and the lowest at which some seed did not.</p>',
    ].join('\n'),
  };
}

/** One section per bandwidth: total time and downtime against the dirty rate, a series per strategy. */
function bandwidthSections(results: MigrationSweepResults): ReportSection[] {
  const rates = ascendingDirtyRates(results);
  const strategies = strategyNames(results);
  const seedCount = sweepSeeds(results.definition).length;
  return results.definition.grid.bandwidth_mbit.map((bandwidthMbit) => {
    const total: number[][] = [];
    const downtime: number[][] = [];
    const gaps: string[] = [];
    for (const strategy of strategies) {
      const totals: number[] = [];
      const downtimes: number[] = [];
      const failures = new Map<string, number[]>();
      for (const rate of rates) {
        const rows = rowsAt(results, strategy, bandwidthMbit, rate);
        // Only completed migrations have a total time and a downtime; a cancelled one is a gap, never 0 or the limit.
        const plotted = rows.length > 0 && rows.every((row) => row.outcome === 'completed');
        totals.push(plotted ? mean(rows.map((row) => row.total_s)) : NaN);
        downtimes.push(plotted ? mean(rows.map((row) => row.downtime_s * 1000)) : NaN);
        for (const row of rows) {
          if (isGood(row)) continue;
          const reason = failureReason(row);
          failures.set(reason, [...(failures.get(reason) ?? []), rate]);
        }
      }
      total.push(totals);
      downtime.push(downtimes);
      for (const [reason, failedRates] of failures) {
        const distinct = [...new Set(failedRates)];
        const seedsNote = seedCount > 1 ? ` (${failedRates.length} of ${distinct.length * seedCount} runs)` : '';
        gaps.push(`<li><strong>${escapeHtml(strategy)}</strong>: ${escapeHtml(reason)} at ${distinct.map((rate) => formatDisplayNumber(rate)).join(', ')} pages/s${seedsNote}</li>`);
      }
    }
    const overlaps = overlapNote(strategies, total, downtime);
    const idPart = chartIdPart(bandwidthMbit);
    const x = rates;
    const xLabel = 'Dirty rate (pages/s)';
    const series = (values: number[][]) => strategies.map((label, index) => ({ label, values: values[index] }));
    const averaged = seedCount > 1 ? ` Each point is the mean over ${seedCount} seeds; it is left out unless every seed completed.` : '';
    return {
      id: `bandwidth-${idPart}`,
      title: `${formatDisplayNumber(bandwidthMbit)} Mbit/s`,
      html:
        `<p class="note">Migrations of the ${formatDisplayNumber(results.definition.guest.ram_mib)} MiB guest over a ` +
        `${formatDisplayNumber(bandwidthMbit)} Mbit/s link. A gap is a point where the migration did not complete.${averaged}</p>` +
        (gaps.length > 0 ? `\n<ul class="gaps">\n${gaps.join('\n')}\n</ul>` : '\n<p class="note">Every migration converged and completed.</p>') +
        overlaps,
      charts: [
        { id: `total-${idPart}`, title: `Total migration time, ${formatDisplayNumber(bandwidthMbit)} Mbit/s`, xLabel, yLabel: 'Total time (s)', x, series: series(total) },
        { id: `downtime-${idPart}`, title: `Downtime, ${formatDisplayNumber(bandwidthMbit)} Mbit/s`, xLabel, yLabel: 'Downtime (ms, log scale)', x, series: series(downtime), yScale: 'log' },
      ] satisfies ChartSpec[],
    };
  });
}

/**
 * Strategies whose lines coincide are drawn over each other (only the last shows): say which, so a reader does not
 * look for a missing line. Values are compared as embedded (six significant digits).
 */
function overlapNote(strategies: readonly string[], total: readonly number[][], downtime: readonly number[][]): string {
  const groupsOf = (values: readonly number[][]): string[][] => {
    const groups = new Map<string, string[]>();
    values.forEach((series, index) => {
      const key = JSON.stringify(series.map(roundForOutput));
      groups.set(key, [...(groups.get(key) ?? []), strategies[index]]);
    });
    return [...groups.values()].filter((group) => group.length > 1);
  };
  const describe = (groups: string[][]): string => groups.map((group) => group.map(escapeHtml).join(', ')).join('; ');
  const totalGroups = groupsOf(total);
  const downtimeGroups = groupsOf(downtime);
  const sentences: string[] = [];
  if (totalGroups.length > 0 && describe(totalGroups) === describe(downtimeGroups)) {
    sentences.push(`Same figures, lines drawn over each other in both charts: ${describe(totalGroups)}.`);
  } else {
    if (totalGroups.length > 0) sentences.push(`Same total times, lines drawn over each other: ${describe(totalGroups)}.`);
    if (downtimeGroups.length > 0) sentences.push(`Same downtimes, lines drawn over each other: ${describe(downtimeGroups)}.`);
  }
  return sentences.length === 0 ? '' : `\n<p class="note">${sentences.join(' ')}</p>`;
}

function failureReason(row: MigrationSweepRow): string {
  if (row.outcome === 'aborted') return 'did not converge: cancelled at the time limit (the VM stayed on the source)';
  if (row.outcome === 'lost') return 'lost the VM';
  if (row.outcome !== 'completed') return `ended ${row.outcome}`;
  return 'did not converge: stopped and copied at the time limit (shown, with that downtime)';
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Every point, flagged when it did not converge or complete. */
function resultsSection(results: MigrationSweepResults): ReportSection {
  const number = (value: number | null, digits = 4): string => (value === null || !Number.isFinite(value) ? '–' : formatDisplayNumber(Number(value.toPrecision(digits))));
  const header = [
    ['Strategy', ''],
    ['Bandwidth (Mbit/s)', 'number'],
    ['Dirty rate (pages/s)', 'number'],
    ['Seed', 'number'],
    ['Outcome', ''],
    ['Total (s)', 'number'],
    ['Downtime (ms)', 'number'],
    ['Switch-over (s)', 'number'],
    ['Transferred (MiB)', 'number'],
    ['Passes', 'number'],
    ['Remote faults', 'number'],
    ['Work lost before switch (%)', 'number'],
    ['Work lost after switch (%)', 'number'],
    ['Max throttle (%)', 'number'],
  ];
  const body = results.rows.map((row) => {
    const good = isGood(row);
    const completed = row.outcome === 'completed';
    const outcome = good ? escapeHtml(row.outcome) : `✗ ${escapeHtml(row.outcome === 'completed' ? 'completed, not converged' : `${row.outcome}, not converged`)}`;
    const cells = [
      `<td>${escapeHtml(row.strategy)}</td>`,
      `<td class="number">${formatDisplayNumber(row.bandwidth_mbit)}</td>`,
      `<td class="number">${formatDisplayNumber(row.dirty_pages_per_s)}</td>`,
      `<td class="number">${row.seed}</td>`,
      `<td${good ? '' : ' class="flag"'} title="${escapeHtml(row.note)}">${outcome}</td>`,
      // A cancelled migration has no total time or downtime of a migration: show what it spent, marked.
      `<td class="number">${completed ? number(row.total_s) : `(${number(row.total_s)})`}</td>`,
      `<td class="number">${completed ? number(row.downtime_s * 1000) : '–'}</td>`,
      `<td class="number">${number(row.switchover_s)}</td>`,
      `<td class="number">${number(row.transferred_mib, 5)}</td>`,
      `<td class="number">${row.passes}</td>`,
      `<td class="number">${formatDisplayNumber(row.remote_faults)}</td>`,
      `<td class="number">${number(row.throughput_loss_during * 100, 3)}</td>`,
      `<td class="number">${number(row.throughput_loss_after * 100, 3)}</td>`,
      `<td class="number">${row.max_throttle_percent}</td>`,
    ];
    return `<tr data-point="${row.point}"${good ? '' : ' class="failed"'}>${cells.join('')}</tr>`;
  });
  return {
    id: 'results',
    title: 'Results',
    html: [
      '<p class="note">One row per migration, in the order of results.csv. ✗ marks a migration that did not converge or did not ' +
        'complete; for a cancelled one the total is the time spent before giving up (in parentheses) and there is no downtime. ' +
        'Hover over an outcome for the engine’s note.</p>',
      '<div class="table-scroll"><table class="summary results">',
      `<thead><tr>${header.map(([name, kind]) => `<th${kind ? ` class="${kind}"` : ''}>${escapeHtml(name)}</th>`).join('')}</tr></thead>`,
      `<tbody>\n${body.join('\n')}\n</tbody>`,
      '</table></div>',
    ].join('\n'),
  };
}

/** What was swept, shown in the page header. */
function sweepFacts(results: MigrationSweepResults): [string, string][] {
  const sweep = results.definition;
  return [
    ['Sweep', results.sweep],
    ['Guest', `${formatDisplayNumber(sweep.guest.ram_mib)} MiB`],
    ['Strategies', String(sweep.strategies.length)],
    ['Bandwidths', `${sweep.grid.bandwidth_mbit.map(formatDisplayNumber).join(', ')} Mbit/s`],
    ['Dirty rates', String(sweep.grid.dirty_pages_per_s.length)],
    ['Migrations', formatDisplayNumber(results.points)],
  ];
}

