/**
 * The HTML report of a host run (`kind: host`, backends/simulator/host-run.ts): one self-contained page with the
 * headline figures and the summary, the estimator's weights and fit, the per-VM accounting (estimate against the
 * ground truth), the attribution rules of deployed meters compared on the same run, the guest threads, and
 * charts over time of the cores (true power, temperature, forced halt, P-state) and of the VMs (estimated and
 * true CPU power against their limits, disk power, throughput, allocation).
 *
 * It uses the run report's page machinery (html.ts: `renderPage`, `renderSection`, `embeddedChart`; uPlot, the
 * style sheet and the page script inlined), so it works offline and draws like every other Hyperwatt report.
 * Limits are drawn as constant series (a horizontal line) next to the data they bound.
 *
 * Rendering is deterministic: the same result and scenario give the same bytes (pass `includeWallClock: false`
 * to leave out the one summary field that differs between identical runs, as `hyperwatt run` does).
 */
import type { HostRunResult, VmAccountingRow } from '../metrics/host-run-result.js';
import type { HostScenario } from '../scenario/host-schema.js';
import { escapeHtml } from './html-escape.js';
import { embeddedChart, renderPage } from './html.js';
import { reportSectionProblems, type ChartSeries, type ChartSpec, type ReportSection } from './report-section.js';
import { formatDisplayNumber, formatDuration, renderFieldTable, type FieldRow as SummaryFieldRow } from './summary-table.js';

/** Options of {@link renderHostReport}. */
export interface HostReportOptions {
  /** Page title and main heading; default `Hyperwatt host report: <scenario>`. */
  title?: string;
  /** Whether to show the wall-clock time of the run (default true); false makes identical runs give identical bytes. */
  includeWallClock?: boolean;
}

/** Summary fields that describe the machine the run happened on rather than the run. */
export const HOST_WALL_CLOCK_FIELDS: readonly string[] = ['wall_seconds'];

const TIME_AXIS = 'Time (s)';
/** Colour of limit lines: near-black, so they stand apart from the palette of the data series. */
const LIMIT_COLOUR = '#111827';
const ESTIMATE_COLOUR = '#2563eb';
const TRUTH_COLOUR = '#16a34a';
const BUDGET_COLOUR = '#d97706';

/**
 * Renders a host run as one self-contained HTML page.
 *
 * Charts (ids): `core-power`, `core-temperature`, `core-throttle`, `core-pstate`, one `vm-power-<i>` per guest VM
 * (i: its index in the scenario), `vm-disk-power`, `vm-throughput`, `vm-allocation`. The page embeds
 * `{ title, summary, charts }` as the run report does and sets `document.body.dataset.chartsDrawn` once drawn.
 *
 * @param result a finished host run.
 * @param scenario the scenario it ran (for the limits, the guest budgets, the P-state table and the description).
 * @throws Error if the result is inconsistent (series lengths, duplicate ids): a bug, not bad input.
 * @example writeFileSync('report.html', renderHostReport(runHostScenario(scenario, file), scenario, { includeWallClock: false }));
 */
export function renderHostReport(result: HostRunResult, scenario: HostScenario, options: HostReportOptions = {}): string {
  const includeWallClock = options.includeWallClock ?? true;
  const title = options.title ?? `Hyperwatt host report: ${scenario.name}`;
  const sections: ReportSection[] = [
    summarySection(result, scenario, includeWallClock),
    estimatorSection(result),
    vmSection(result),
    rulesSection(result),
    threadSection(result),
    coreChartSection(result, scenario),
    vmPowerSection(result, scenario),
    vmWorkSection(result),
  ];
  const problems = reportSectionProblems(sections);
  if (problems.length > 0) throw new Error(`Invalid host report sections:\n  ${problems.join('\n  ')}`);
  const summary: Record<string, unknown> = { ...result.summary };
  if (!includeWallClock) for (const field of HOST_WALL_CLOCK_FIELDS) delete summary[field];
  const data = {
    title,
    summary,
    charts: sections.flatMap((section) => (section.charts ?? []).map((chart) => embeddedChart(section.id, chart))),
  };
  return renderPage({
    title,
    facts: hostFacts(result, scenario),
    sections,
    data,
    extraCss: EXTRA_CSS,
    footer: (uplotVersion) =>
      `Written by Hyperwatt (<code>hyperwatt run</code>, detailed host model). Charts drawn with uPlot ${escapeHtml(uplotVersion)} ` +
      '(MIT licence), embedded in this file together with the data; the page loads nothing from the network. Every figure is also ' +
      'in summary.json and the CSV files next to this page.',
  });
}

const EXTRA_CSS = `
table.summary td.number, table.summary th.number { text-align: right; white-space: nowrap; }
table.summary td.flag { color: #b91c1c; font-weight: 600; }
table.summary.data { font-size: 13px; }
table.summary.data td, table.summary.data th { padding: 4px 8px; }
table.summary.data thead th { vertical-align: bottom; }
table.summary.fit { width: auto; }
table.summary tr.total td { font-weight: 600; border-top: 2px solid var(--border); }
.table-scroll { overflow-x: auto; margin-bottom: 8px; }
h3.spaced { margin-top: 20px; }
p.description { margin: -8px 0 16px; }
dl.rules { font-size: 13.5px; margin: 12px 0 0; }
dl.rules dt { font-weight: 600; margin-top: 6px; }
dl.rules dd { margin: 0 0 0 16px; color: var(--muted); }
`;

// ------------------------------------------------------------------------------------------------ summary

type FieldKind = 'text' | 'count' | 'number' | 'percent-number' | 'fraction-small' | 'seconds';
type FieldRow = SummaryFieldRow<FieldKind>;

/** The summary table layout; fields a later version adds appear under "Other" with their names. */
const SUMMARY_GROUPS: readonly { title: string; rows: readonly FieldRow[] }[] = [
  {
    title: 'Run',
    rows: [
      { field: 'scenario', label: 'Scenario', unit: '', kind: 'text' },
      { field: 'kind', label: 'Scenario kind', unit: '', kind: 'text' },
      { field: 'cores', label: 'Cores', unit: 'cores', kind: 'count' },
      { field: 'vms', label: 'Guest VMs', unit: 'VMs', kind: 'count' },
      { field: 'vcpus', label: 'vCPUs (with the driver VM’s)', unit: 'vCPUs', kind: 'count' },
      { field: 'sim_seconds', label: 'Simulated time', unit: 's', kind: 'seconds' },
      { field: 'slice_ms', label: 'Hypervisor time slice', unit: 'ms', kind: 'number' },
      { field: 'scheduler', label: 'Hypervisor scheduler', unit: '', kind: 'text' },
      { field: 'weights', label: 'Estimator weights', unit: '', kind: 'text' },
      { field: 'events', label: 'Scheduling events', unit: 'events', kind: 'count' },
      { field: 'wall_seconds', label: 'Wall-clock time of the run', unit: 's', kind: 'number' },
    ],
  },
  {
    title: 'Energy',
    rows: [
      { field: 'host_energy_true_j', label: 'Host energy, ground truth (cores and disk)', unit: 'J', kind: 'number' },
      { field: 'host_energy_estimated_j', label: 'Host energy, estimated (events × weights, and the disk)', unit: 'J', kind: 'number' },
      { field: 'host_estimate_error_pct', label: 'Error of the host estimate', unit: '%', kind: 'percent-number' },
      { field: 'disk_energy_j', label: 'Disk energy', unit: 'J', kind: 'number' },
      { field: 'mean_host_power_w', label: 'Mean host power, ground truth', unit: 'W', kind: 'number' },
    ],
  },
  {
    title: 'Per-VM accounting',
    rows: [
      { field: 'vm_cpu_error_mean_pct', label: 'Mean |error| of the guest VMs’ CPU energy estimates', unit: '%', kind: 'number' },
      { field: 'vm_cpu_error_max_pct', label: 'Largest |error| of a guest VM’s CPU energy estimate', unit: '%', kind: 'number' },
      { field: 'sum_rule_error', label: 'Sum rule: |Σ per-VM + unattributed − host| / host', unit: '(fraction)', kind: 'fraction-small' },
      { field: 'unattributed_j', label: 'Energy charged to no VM (unattributed and carried)', unit: 'J', kind: 'number' },
      { field: 'total_work_seconds', label: 'Work done by the guests (CPU seconds at the fastest P-state)', unit: 's', kind: 'number' },
    ],
  },
  {
    title: 'Host energy manager',
    rows: [
      { field: 'max_core_temperature_c', label: 'Highest core temperature (over every slice)', unit: '°C', kind: 'number' },
      { field: 'throttled_core_seconds', label: 'Forced halt (throttling), summed over cores', unit: 'core·s', kind: 'number' },
      { field: 'slow_pstate_core_seconds', label: 'Time below the fastest P-state, summed over cores', unit: 'core·s', kind: 'number' },
      { field: 'balancing_moves', label: 'vCPU moves by energy balancing', unit: 'moves', kind: 'count' },
      { field: 'disk_hold_periods', label: 'VM periods with disk requests held (disk limits)', unit: 'periods', kind: 'count' },
      { field: 'disk_requests', label: 'Disk requests served', unit: 'requests', kind: 'count' },
    ],
  },
];

function summarySection(result: HostRunResult, scenario: HostScenario, includeWallClock: boolean): ReportSection {
  const s = result.summary;
  const value = (field: string): number => numberField(s, field);
  const figures: [string, string, string][] = [
    ['Host energy, true', formatDisplayNumber(value('host_energy_true_j')), 'J'],
    ['Host energy, estimated', formatDisplayNumber(value('host_energy_estimated_j')), `J (${formatPercent(value('host_estimate_error_pct'))} %)`],
    ['Per-VM CPU estimate |error|, mean', formatFixed(value('vm_cpu_error_mean_pct')), '%'],
    ['Per-VM CPU estimate |error|, worst', formatFixed(value('vm_cpu_error_max_pct')), '%'],
    ['Sum-rule error', formatSmallFraction(value('sum_rule_error')), ''],
    ['Max core temperature', formatDisplayNumber(value('max_core_temperature_c')), '°C'],
    ['Throttled', formatDisplayNumber(value('throttled_core_seconds')), 'core·s'],
    ['Balancing moves', formatDisplayNumber(value('balancing_moves')), ''],
  ];
  const headline = `<dl class="headline">\n${figures
    .map(([name, shown, unit]) => `<div><dt>${escapeHtml(name)}</dt><dd>${shown}${unit === '' ? '' : `<small>${escapeHtml(unit)}</small>`}</dd></div>`)
    .join('\n')}\n</dl>`;
  const description = scenario.description === undefined ? '' : `<p class="description">${escapeHtml(scenario.description)}</p>\n`;
  return {
    id: 'summary',
    title: 'Summary',
    html:
      description +
      headline +
      '\n' +
      renderSummaryTable(s, includeWallClock) +
      '\n<p class="note after-table">Errors are (estimate − truth) / truth. The ground truth is the simulator’s core power model ' +
      '(dynamic energy of every event, temperature-dependent leakage), which the estimator never sees; the estimator only ' +
      'knows the counted events and its fitted weights.</p>',
  };
}

function renderSummaryTable(summary: HostRunResult['summary'], includeWallClock: boolean): string {
  const listed = new Set(SUMMARY_GROUPS.flatMap((group) => group.rows.map((row) => row.field)));
  // Fields without a row of their own (a later version's) are shown under "Other" with their names.
  const others: FieldRow[] = Object.keys(summary)
    .filter((field) => !listed.has(field))
    .map((field) => ({ field, label: field, unit: '', kind: typeof summary[field] === 'number' ? 'number' : 'text' }));
  const groups = others.length > 0 ? [...SUMMARY_GROUPS, { title: 'Other', rows: others }] : SUMMARY_GROUPS;
  return renderFieldTable(groups, (field) => (!includeWallClock && HOST_WALL_CLOCK_FIELDS.includes(field) ? undefined : summary[field]), formatField);
}

function formatField(value: string | number, kind: FieldKind): string {
  if (typeof value === 'string') return escapeHtml(value);
  switch (kind) {
    case 'percent-number':
      return formatPercent(value);
    case 'fraction-small':
      return formatSmallFraction(value);
    default:
      return formatDisplayNumber(value);
  }
}

// ------------------------------------------------------------------------------------------------ estimator

function estimatorSection(result: HostRunResult): ReportSection {
  const w = result.weights;
  const header = ['P-state', 'Clock (MHz)', 'Voltage (V)', 'Halted power (W)', ...w.counters.map((name) => `${name} (nJ)`)];
  const rows = w.pStates.map((p, index) =>
    [
      String(index),
      formatDisplayNumber(p.frequencyHz / 1e6),
      formatDisplayNumber(p.voltageVolts),
      formatDisplayNumber(p.tscJoules * w.tscHz),
      ...w.counters.map((name) => formatDisplayNumber((p.eventJoules[name] ?? 0) * 1e9)),
    ].map((cell) => `<td class="number">${cell}</td>`),
  );
  const parts = [
    '<p class="note">Estimated energy of a run segment = halted power × time + Σ events × weight, with the weights of the core’s ' +
      'P-state (events the PMU does not count weigh nothing). ' +
      (result.calibration !== null
        ? 'Fitted at the start of the run by non-negative least squares against the ground truth, on calibration workloads run on every core at every P-state.'
        : `Read from ${escapeHtml(String(result.summary.weights))} (written by <code>hyperwatt calibrate</code>).`) +
      '</p>',
    '<div class="table-scroll"><table class="summary data">',
    `<thead><tr>${header.map((name) => `<th class="number">${escapeHtml(name)}</th>`).join('')}</tr></thead>`,
    `<tbody>\n${rows.map((cells) => `<tr>${cells.join('')}</tr>`).join('\n')}\n</tbody></table></div>`,
  ];
  if (result.calibration !== null) {
    const fits = result.calibration.map(
      (fit) =>
        `<tr><td class="number">${fit.pState}</td><td class="number">${formatDisplayNumber(fit.samples)}</td>` +
        `<td class="number">${formatFixed(fit.rmsRelativeError * 100)}</td><td class="number">${fit.rSquared.toFixed(6)}</td></tr>`,
    );
    parts.push(
      '<h3 class="spaced">Fit quality</h3>',
      '<p class="note">Per P-state, over the calibration samples (one per core and 100 ms window): how far the fitted energies are from the true ones.</p>',
      '<div class="table-scroll"><table class="summary data fit">',
      '<thead><tr><th class="number">P-state</th><th class="number">Samples</th><th class="number">RMS relative error (%)</th><th class="number">R²</th></tr></thead>',
      `<tbody>\n${fits.join('\n')}\n</tbody></table></div>`,
    );
  }
  return { id: 'estimator', title: 'Estimator weights', html: parts.join('\n') };
}

// ------------------------------------------------------------------------------------------------ per-VM table

function vmSection(result: HostRunResult): ReportSection {
  const header: [string, string][] = [
    ['VM', ''],
    ['Kind', ''],
    ['vCPUs', 'number'],
    ['CPU est. (J)', 'number'],
    ['CPU true (J)', 'number'],
    ['Error (%)', 'number'],
    ['Idle share est. (J)', 'number'],
    ['Driver charge est. (J)', 'number'],
    ['Driver charge true (J)', 'number'],
    ['Disk (J)', 'number'],
    ['Disk (MiB)', 'number'],
    ['Mean CPU est. (W)', 'number'],
    ['CPU limit (W)', 'number'],
    ['Max 1 s est. (W)', 'number'],
    ['Max 1 s true (W)', 'number'],
    ['Work (s)', 'number'],
  ];
  const body = result.vms.map((row) => {
    const over = (watts: number): boolean => row.cpu_limit_watts !== null && watts > row.cpu_limit_watts * 1.02;
    const cells = [
      `<td>${escapeHtml(row.vm)}</td>`,
      `<td>${escapeHtml(row.kind)}</td>`,
      numberCell(row.vcpus),
      numberCell(row.cpu_estimated_j),
      numberCell(row.cpu_true_j),
      `<td class="number">${row.kind === 'driver' ? '–' : formatPercent(row.cpu_error_pct)}</td>`,
      numberCell(row.cpu_idle_share_j),
      numberCell(row.recursive_j),
      numberCell(row.recursive_true_j),
      numberCell(row.disk_j),
      numberCell(row.disk_mib),
      numberCell(row.mean_cpu_watts),
      `<td class="number">${row.cpu_limit_watts === null ? '–' : formatDisplayNumber(row.cpu_limit_watts)}</td>`,
      `<td class="number${over(row.max_window_estimated_watts) ? ' flag' : ''}">${formatDisplayNumber(row.max_window_estimated_watts)}</td>`,
      `<td class="number${over(row.max_window_true_watts) ? ' flag' : ''}">${formatDisplayNumber(row.max_window_true_watts)}</td>`,
      numberCell(row.work_seconds),
    ];
    return `<tr data-vm="${escapeHtml(row.vm)}">${cells.join('')}</tr>`;
  });
  const total = (pick: (row: VmAccountingRow) => number): number => result.vms.reduce((sum, row) => sum + pick(row), 0);
  const totalRow =
    '<tr class="total"><td>Sum</td><td></td>' +
    numberCell(total((r) => r.vcpus)) +
    numberCell(total((r) => r.cpu_estimated_j)) +
    numberCell(total((r) => r.cpu_true_j)) +
    '<td></td>' +
    numberCell(total((r) => r.cpu_idle_share_j)) +
    numberCell(total((r) => r.recursive_j)) +
    numberCell(total((r) => r.recursive_true_j)) +
    numberCell(total((r) => r.disk_j)) +
    numberCell(total((r) => r.disk_mib)) +
    numberCell(total((r) => r.mean_cpu_watts)) +
    '<td></td><td></td><td></td>' +
    numberCell(total((r) => r.work_seconds)) +
    '</tr>';
  const hasDriver = result.vms.some((row) => row.kind === 'driver');
  return {
    id: 'vms',
    title: 'Per-VM accounting',
    html: [
      '<p class="note">CPU energy charged to each VM over the run: its vCPUs’ run segments, its share of the halted cores’ energy ' +
        '(the idle rule), and what the driver VM spent serving its disk requests. The estimate values events with the fitted weights; ' +
        'the truth applies the same rules to the ground-truth energy. The 1 s maxima are over sliding windows after the first second; ' +
        'a value more than 2 % over the VM’s limit is flagged.' +
        (hasDriver ? ' The driver VM passes its own CPU energy on to the guests whose requests it served, so it keeps about none.' : '') +
        '</p>',
      '<div class="table-scroll"><table class="summary data">',
      `<thead><tr>${header.map(([name, kind]) => `<th${kind ? ` class="${kind}"` : ''}>${escapeHtml(name)}</th>`).join('')}</tr></thead>`,
      `<tbody>\n${body.join('\n')}\n${totalRow}\n</tbody></table></div>`,
    ].join('\n'),
  };
}

// ------------------------------------------------------------------------------------------------ rules

/** What each comparison rule does, by the rule names of mechanisms/host/energy-accountant.ts. */
const RULE_DESCRIPTIONS: readonly [string, string][] = [
  ['events (this model)', 'this model’s rules applied to the ground truth: each vCPU’s run segments, the halted cores’ energy shared by the idle rule, the driver’s energy passed on to its clients.'],
  ['cpu-time (Scaphandre-like)', 'the host’s whole CPU energy (what a package meter such as RAPL reads) split by CPU time, as Scaphandre splits it among processes.'],
  ['cpu-time, idle equal', 'energy above the all-halted baseline split by CPU time; the baseline split equally among the VMs.'],
  ['cpu-time, idle by size', 'as above, the baseline split in proportion to the VMs’ vCPUs.'],
  ['cpu-time, idle to every VM (Kepler flaw)', 'energy above the baseline by CPU time, and the whole baseline charged to every VM: the double counting reported for early Kepler versions; the sum exceeds the host’s energy.'],
];

function rulesSection(result: HostRunResult): ReportSection {
  const hostCpuTrue = numberField(result.summary, 'host_energy_true_j') - numberField(result.summary, 'disk_energy_j');
  const reference = result.rules[0];
  const header = ['Rule', ...result.vmNames, 'Sum', 'Sum − host CPU energy'];
  const body = result.rules.map((rule, index) => {
    const cells = rule.perVm.map((joules, vm) => {
      const base = reference.perVm[vm];
      const difference = index === 0 || !(Math.abs(base) > 1e-9) ? '' : ` <small>(${formatPercent(((joules - base) / base) * 100)} %)</small>`;
      return `<td class="number">${formatDisplayNumber(joules)}${difference}</td>`;
    });
    // Rounding noise of the sums (1e-13 of the total) is not a difference.
    const excess = Math.abs(rule.sum - hostCpuTrue) < 1e-9 * hostCpuTrue ? 0 : rule.sum - hostCpuTrue;
    const excessShown = `${formatSigned(excess)} J (${formatPercent((excess / hostCpuTrue) * 100)} %)`;
    return (
      `<tr data-rule="${escapeHtml(rule.rule)}"><td>${escapeHtml(rule.rule)}</td>${cells.join('')}` +
      `<td class="number">${formatDisplayNumber(rule.sum)}</td><td class="number${Math.abs(excess) > 0.01 * hostCpuTrue ? ' flag' : ''}">${excessShown}</td></tr>`
    );
  });
  const descriptions = RULE_DESCRIPTIONS.filter(([name]) => result.rules.some((rule) => rule.rule === name));
  return {
    id: 'rules',
    title: 'Attribution rules compared',
    html: [
      `<p class="note">The same run’s true CPU energy (${formatDisplayNumber(hostCpuTrue)} J for the host’s cores) split among the VMs by ` +
        'the rules of deployed meters, in joules; in parentheses, the difference from the first row. The last column compares each ' +
        'rule’s sum with the host: a rule that charges more than the host used counts energy twice.</p>',
      '<div class="table-scroll"><table class="summary data">',
      `<thead><tr>${header.map((name, index) => `<th${index === 0 ? '' : ' class="number"'}>${escapeHtml(name)}</th>`).join('')}</tr></thead>`,
      `<tbody>\n${body.join('\n')}\n</tbody></table></div>`,
      `<dl class="rules">${descriptions.map(([name, text]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(text)}</dd>`).join('')}</dl>`,
    ].join('\n'),
  };
}

// ------------------------------------------------------------------------------------------------ threads

function threadSection(result: HostRunResult): ReportSection {
  const duration = numberField(result.summary, 'sim_seconds');
  const body = result.threads.map((row) => {
    const speed = row.cpu_seconds > 0 ? row.work_seconds / row.cpu_seconds : NaN;
    return (
      `<tr><td>${escapeHtml(row.thread)}</td>${numberCell(row.cpu_seconds)}${numberCell(row.work_seconds)}${numberCell(speed)}` +
      `${numberCell(row.active_estimated_j / duration)}${numberCell(row.active_true_j / duration)}` +
      `<td class="number">${row.limit_watts === null ? '–' : formatDisplayNumber(row.limit_watts)}</td></tr>`
    );
  });
  return {
    id: 'threads',
    title: 'Guest threads',
    html: [
      '<p class="note">Each application (thread) of each guest: the CPU time it ran, the work it did (CPU seconds at the fastest ' +
        'P-state: less than its CPU time when its core ran slower), the mean power of its own run segments (estimated and true; ' +
        'without the VM’s idle share, which its guest spreads over its threads when it holds them to their limits) and the ' +
        'limit its energy-aware guest gave it.</p>',
      '<div class="table-scroll"><table class="summary data">',
      '<thead><tr><th>Thread (VM/application)</th><th class="number">CPU time (s)</th><th class="number">Work (s)</th>' +
        '<th class="number">Work per CPU second</th><th class="number">Own power, estimated (W)</th><th class="number">Own power, true (W)</th>' +
        '<th class="number">Guest limit (W)</th></tr></thead>',
      `<tbody>\n${body.join('\n')}\n</tbody></table></div>`,
    ].join('\n'),
  };
}

// ------------------------------------------------------------------------------------------------ charts

function coreChartSection(result: HostRunResult, scenario: HostScenario): ReportSection {
  const s = result.series;
  const x = s.timeSeconds;
  const perCore = (values: number[][], kind?: ChartSeries['kind']): ChartSeries[] =>
    values.map((series, core) => ({ label: `Core ${core}`, values: series, ...(kind ? { kind } : {}) }));
  const limit = scenario.manager.coreLimit;
  const powerSeries = perCore(s.coreTrueWatts);
  if (limit?.powerWatts !== undefined) powerSeries.push(constantLine(`Limit (${formatDisplayNumber(limit.powerWatts)} W)`, limit.powerWatts, x.length));
  const temperatureSeries = perCore(s.coreTemperatureCelsius);
  if (limit?.temperatureCelsius !== undefined) {
    temperatureSeries.push(constantLine(`Limit (${formatDisplayNumber(limit.temperatureCelsius)} °C)`, limit.temperatureCelsius, x.length));
  }
  const pStates = result.weights.pStates.map((p, index) => `${index}: ${formatDisplayNumber(p.frequencyHz / 1e6)} MHz`).join(', ');
  const limitText =
    limit === undefined
      ? 'The scenario sets no core limit.'
      : `Core limit: ${limit.temperatureCelsius !== undefined ? `${formatDisplayNumber(limit.temperatureCelsius)} °C` : `${formatDisplayNumber(limit.powerWatts ?? NaN)} W per core`}, ` +
        `${limit.balancing ? 'energy balancing first, then ' : ''}throttling by ${limit.throttle === 'halt' ? 'forced halt cycles' : 'a slower P-state'}.`;
  const charts: ChartSpec[] = [
    { id: 'core-power', title: 'Core power (ground truth)', xLabel: TIME_AXIS, yLabel: 'Power (W)', x, series: powerSeries },
    { id: 'core-temperature', title: 'Core temperature', xLabel: TIME_AXIS, yLabel: 'Temperature (°C)', x, series: temperatureSeries, yFromZero: false },
    { id: 'core-throttle', title: 'Forced halt share (throttling)', xLabel: TIME_AXIS, yLabel: 'Share of each slice halted (%)', x, series: perCore(s.coreThrottle.map(toPercent), 'step') },
    { id: 'core-pstate', title: 'P-state (0 = fastest)', xLabel: TIME_AXIS, yLabel: 'P-state', x, series: perCore(s.corePState, 'step') },
  ];
  return {
    id: 'cores',
    title: 'Cores over time',
    html: `<p class="note">One sample every ${formatDisplayNumber(scenario.output.sampleMs)} ms; power is the mean over the sample. ${escapeHtml(limitText)} Governor: ${escapeHtml(scenario.host.governor)}. P-states: ${escapeHtml(pStates)}.</p>`,
    charts,
  };
}

function vmPowerSection(result: HostRunResult, scenario: HostScenario): ReportSection {
  const s = result.series;
  const x = s.timeSeconds;
  const charts: ChartSpec[] = [];
  result.vms.forEach((row, vm) => {
    if (row.kind === 'driver') return;
    const series: ChartSeries[] = [
      { label: 'Estimated', values: s.vmEstimatedWatts[vm], color: ESTIMATE_COLOUR },
      { label: 'True', values: s.vmTrueWatts[vm], color: TRUTH_COLOUR },
    ];
    if (row.cpu_limit_watts !== null) series.push(constantLine(`Host limit (${formatDisplayNumber(row.cpu_limit_watts)} W)`, row.cpu_limit_watts, x.length));
    const budget = scenario.vms[vm]?.guestPolicy?.budgetWatts;
    if (budget !== undefined) series.push({ ...constantLine(`Guest budget (${formatDisplayNumber(budget)} W)`, budget, x.length), color: BUDGET_COLOUR });
    charts.push({ id: `vm-power-${vm}`, title: `CPU power of ${row.vm}`, xLabel: TIME_AXIS, yLabel: 'CPU power (W)', x, series });
  });
  const guests = guestIndices(result);
  charts.push({
    id: 'vm-disk-power',
    title: 'Disk power charged to each VM',
    xLabel: TIME_AXIS,
    yLabel: 'Disk power (W)',
    x,
    series: guests.map((vm) => ({ label: result.vmNames[vm], values: s.vmDiskWatts[vm] })),
  });
  return {
    id: 'vm-power',
    title: 'VM power over time',
    html:
      '<p class="note">CPU power charged to each guest VM (estimated and true, with its idle share and driver charge), against the ' +
      'host-enforced limit and the guest’s own budget where the scenario sets them. Disk power: each request’s active energy, and ' +
      'the idle disk’s power shared equally.</p>',
    charts,
  };
}

function vmWorkSection(result: HostRunResult): ReportSection {
  const s = result.series;
  const x = s.timeSeconds;
  const guests = guestIndices(result);
  return {
    id: 'vm-work',
    title: 'VM throughput and allocation',
    html:
      '<p class="note">Throughput: work done per second (CPU seconds at the fastest P-state per second, summed over the VM’s threads). ' +
      'Allocation: the share of wall time the host lets each vCPU run (mean over the VM’s vCPUs; 100 % means no limit).</p>',
    charts: [
      {
        id: 'vm-throughput',
        title: 'Throughput',
        xLabel: TIME_AXIS,
        yLabel: 'Work (CPU s per s)',
        x,
        series: guests.map((vm) => ({ label: result.vmNames[vm], values: s.vmThroughput[vm] })),
      },
      {
        id: 'vm-allocation',
        title: 'vCPU allocation',
        xLabel: TIME_AXIS,
        yLabel: 'Allocation (%)',
        x,
        series: guests.map((vm) => ({ label: result.vmNames[vm], values: toPercent(s.vmAllocation[vm]), kind: 'step' as const })),
      },
    ],
  };
}

// ------------------------------------------------------------------------------------------------ helpers

function hostFacts(result: HostRunResult, scenario: HostScenario): [string, string][] {
  const seconds = scenario.durationSeconds;
  return [
    ['Scenario', scenario.name],
    ['Kind', 'host'],
    ['Cores', formatDisplayNumber(scenario.host.cores)],
    ['VMs', formatDisplayNumber(scenario.vms.length) + (scenario.driver ? ' and a driver VM' : '')],
    ['Governor', scenario.host.governor],
    ['Scheduler', `${scenario.host.scheduler}, ${formatDisplayNumber(scenario.host.sliceMs)} ms slices`],
    ['Simulated', formatDuration(seconds) || `${formatDisplayNumber(seconds)} s`],
    ['Samples', formatDisplayNumber(result.series.timeSeconds.length)],
  ];
}

function guestIndices(result: HostRunResult): number[] {
  return result.vms.flatMap((row, vm) => (row.kind === 'driver' ? [] : [vm]));
}

function constantLine(label: string, value: number, length: number): ChartSeries {
  return { label, values: new Array<number>(length).fill(value), color: LIMIT_COLOUR };
}

function toPercent(values: readonly number[]): number[] {
  return values.map((value) => value * 100);
}

function numberCell(value: number): string {
  return `<td class="number">${formatDisplayNumber(value)}</td>`;
}

function numberField(summary: HostRunResult['summary'], field: string): number {
  const value = summary[field];
  return typeof value === 'number' ? value : NaN;
}

/** A percentage to two decimals with an explicit sign: +0.44, −1.10, 0.00 (errors are around a percent). */
function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return formatDisplayNumber(value);
  const shown = Math.abs(value).toFixed(2);
  if (Number(shown) === 0) return '0.00';
  return `${value > 0 ? '+' : '−'}${shown}`;
}

/** Two decimals (a percentage that is an absolute value). */
function formatFixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : formatDisplayNumber(value);
}

/** A display number with an explicit sign for non-zero values: +0.44, −1.1. */
function formatSigned(value: number): string {
  const shown = formatDisplayNumber(value);
  return value > 0 && shown !== '0' ? `+${shown}` : shown;
}

/**
 * A fraction that is normally tiny (the sum-rule error, ~1e-14): two significant digits with a power of ten,
 * never rounded to a misleading 0.
 */
export function formatSmallFraction(value: number): string {
  if (!Number.isFinite(value)) return formatDisplayNumber(value);
  if (value === 0) return '0';
  if (Math.abs(value) >= 1e-3) return formatDisplayNumber(value);
  const [mantissa, exponent] = value.toExponential(1).split('e');
  const superscript = exponent.replace('+', '').replace(/[-0-9]/g, (c) => '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'['-0123456789'.indexOf(c)]);
  return `${mantissa.replace('-', '−')} × 10${superscript}`;
}
