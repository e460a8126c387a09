/**
 * Reports of the double-scheduling model: an SMP comparison (`kind: smp`, one VM set under several hypervisor
 * schedulers) and FlexCore's experiment (`kind: vcpu-experiment`): CSV files and one self-contained HTML page
 * each, with the table of completion times and the counters that explain them, and charts (speed-up of each
 * scheduler over the baseline per profile and VM count; online vCPUs over time).
 *
 * Rendering is deterministic: the same results give the same bytes.
 */
import type { SmpComparisonRow, VcpuExperimentRow } from '../backends/simulator/smp-run.js';
import type { SmpScenario, VcpuExperiment } from '../scenario/smp-schema.js';
import { csvField } from './csv-field.js';
import { escapeHtml } from './html-escape.js';
import { renderDataPage } from './data-page.js';
import type { ChartSpec, ReportSection } from './report-section.js';
import { formatDisplayNumber } from './summary-table.js';

const COUNTER_COLUMNS = [
  ['useful_s', 'usefulSeconds'],
  ['spin_s', 'spinSeconds'],
  ['cpu_s', 'cpuSeconds'],
  ['ple_exits', 'pleExits'],
  ['directed_yields', 'directedYields'],
  ['lock_holder_preemptions', 'lockHolderPreemptions'],
  ['lock_waiter_preemptions', 'lockWaiterPreemptions'],
  ['stacking_events', 'stackingEvents'],
  ['barrier_wait_s', 'barrierWaitSeconds'],
  ['ipi_wait_s', 'ipiWaitSeconds'],
  ['co_stops', 'coStops'],
  ['vcpu_offlines', 'vcpuOfflines'],
  ['vcpu_onlines', 'vcpuOnlines'],
  ['mean_online_vcpus', 'meanOnlineVcpus'],
  ['energy_j', 'energyJoules'],
  ['spin_energy_j', 'spinEnergyJoules'],
] as const;

const num = (value: number | null): string => (value === null || !Number.isFinite(value) ? '' : String(Math.round(value * 1e6) / 1e6));

/** experiment.csv: one row per profile, VM count and scheduler (the measured VM's figures). */
export function vcpuExperimentCsv(rows: readonly VcpuExperimentRow[]): string {
  const header = ['profile', 'sync_class', 'vms', 'overcommit', 'co_runners', 'scheduler', 'completion_s', 'completion_s_min', 'completion_s_max', 'speedup', 'improvement_pct', ...COUNTER_COLUMNS.map(([name]) => name)];
  const lines = [header.join(',')];
  for (const row of rows) {
    lines.push(
      [
        csvField(row.profile),
        row.syncClass,
        row.vms,
        num(row.overcommit),
        csvField(row.coRunners),
        row.scheduler,
        num(row.completionSeconds),
        num(extreme(row.completionSecondsBySeed, Math.min)),
        num(extreme(row.completionSecondsBySeed, Math.max)),
        num(row.speedup),
        num(row.improvementPercent),
        ...COUNTER_COLUMNS.map(([, key]) => num(row.measured[key])),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The smallest or largest of the per-seed completion times (null if a seed did not complete). */
function extreme(values: readonly (number | null)[], pick: (...values: number[]) => number): number | null {
  return values.some((value) => value === null) ? null : pick(...(values as number[]));
}

/** vms.csv of an SMP comparison: one row per scheduler and VM. */
export function smpVmCsv(rows: readonly SmpComparisonRow[]): string {
  const header = ['scheduler', 'vm', 'profile', 'completion_s', 'runs_completed', ...COUNTER_COLUMNS.map(([name]) => name)];
  const lines = [header.join(',')];
  for (const { scheduler, result } of rows) {
    for (const vm of result.vms) {
      lines.push([scheduler, csvField(vm.name), csvField(vm.profile), num(vm.completionSeconds), vm.runsCompleted, ...COUNTER_COLUMNS.map(([, key]) => num(vm[key]))].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** online-vcpus.csv of an SMP comparison: time, then one column per scheduler and VM. */
export function smpSeriesCsv(rows: readonly SmpComparisonRow[]): string {
  const columns: { name: string; values: number[] }[] = [];
  let times: number[] = [];
  for (const { scheduler, result } of rows) {
    if (!result.series) continue;
    if (result.series.timeSeconds.length > times.length) times = result.series.timeSeconds;
    result.vms.forEach((vm, i) => columns.push({ name: `${scheduler}/${vm.name}`, values: result.series!.onlineVcpus[i] }));
  }
  const lines = [['time_s', ...columns.map((c) => csvField(c.name))].join(',')];
  for (let k = 0; k < times.length; k++) lines.push([num(times[k]), ...columns.map((c) => (k < c.values.length ? String(c.values[k]) : ''))].join(','));
  return `${lines.join('\n')}\n`;
}

const shown = (value: number | null): string => (value === null ? '–' : escapeHtml(formatDisplayNumber(value)));

function counterCells(vm: VcpuExperimentRow['measured']): string {
  return [
    shown(vm.spinSeconds),
    shown(vm.pleExits),
    shown(vm.lockHolderPreemptions),
    shown(vm.stackingEvents),
    shown(vm.barrierWaitSeconds),
    shown(vm.ipiWaitSeconds),
    shown(vm.meanOnlineVcpus),
    shown(vm.energyJoules),
    shown(vm.spinEnergyJoules),
  ]
    .map((cell) => `<td class="number">${cell}</td>`)
    .join('');
}

const COUNTER_HEADINGS = ['spin s', 'PLE exits', 'lock-holder preemptions', 'stacking', 'barrier wait s', 'IPI wait s', 'mean online vCPUs', 'energy J', 'spin energy J'];

/** The FlexCore experiment page. */
export function renderVcpuExperimentReport(experiment: VcpuExperiment, rows: readonly VcpuExperimentRow[]): string {
  const title = `Hyperwatt vCPU ballooning experiment: ${experiment.name}`;
  const table = [
    '<div class="table-scroll"><table class="summary data">',
    `<thead><tr><th>profile</th><th>class</th><th>VMs</th><th>co-runners</th><th>scheduler</th><th class="number">completion s</th><th class="number">speed-up</th><th class="number">time saved %</th>${COUNTER_HEADINGS.map((h) => `<th class="number">${h}</th>`).join('')}</tr></thead><tbody>`,
    ...rows.map(
      (row) =>
        `<tr><td>${escapeHtml(row.profile)}</td><td>${escapeHtml(row.syncClass)}</td><td class="number">${row.vms}</td><td>${escapeHtml(row.coRunners)}</td><td>${escapeHtml(row.scheduler)}</td>` +
        `<td class="number">${shown(row.completionSeconds)}</td><td class="number">${shown(row.speedup)}</td><td class="number">${shown(row.improvementPercent)}</td>${counterCells(row.measured)}</tr>`,
    ),
    '</tbody></table></div>',
  ].join('\n');
  const charts: ChartSpec[] = [];
  for (const scheduler of experiment.schedulers.slice(1)) {
    charts.push({
      id: `speedup-${scheduler}`,
      title: `Speed-up of ${scheduler} over ${experiment.schedulers[0]} (measured VM)`,
      xLabel: 'VMs on the host',
      yLabel: 'Speed-up (×)',
      x: experiment.vmCounts,
      series: experiment.profiles.map((profile) => ({
        label: profile,
        values: experiment.vmCounts.map((count) => rows.find((r) => r.profile === profile && r.vms === count && r.scheduler === scheduler)?.speedup ?? NaN),
      })),
    });
  }
  const legend = `<p class="description">One line per profile: the baseline's completion time of the measured VM (VM 0) over this scheduler's, by the number of VMs of ${experiment.vcpusPerVm} vCPUs on ${experiment.host.cores} cores. Co-runners: ${escapeHtml(JSON.stringify(experiment.coRunners))}.</p>`;
  const sections: ReportSection[] = [
    { id: 'results', title: 'Completion times and counters', html: table },
    { id: 'speedup', title: 'Speed-up over the baseline', html: legend, charts },
  ];
  const seeds = experiment.seeds.length === 1 ? String(experiment.seeds[0]) : `${experiment.seeds[0]}–${experiment.seeds[experiment.seeds.length - 1]} (completion times averaged)`;
  return page(title, [['cores', String(experiment.host.cores)], ['vCPUs per VM', String(experiment.vcpusPerVm)], ['balloon', experiment.balloon.policy], ['seeds', seeds]], sections);
}

/** The SMP comparison page. */
export function renderSmpReport(scenario: SmpScenario, rows: readonly SmpComparisonRow[]): string {
  const title = `Hyperwatt SMP report: ${scenario.name}`;
  const baseline = rows[0];
  const table = [
    '<div class="table-scroll"><table class="summary data">',
    `<thead><tr><th>scheduler</th><th>VM</th><th>profile</th><th class="number">completion s</th><th class="number">speed-up</th>${COUNTER_HEADINGS.map((h) => `<th class="number">${h}</th>`).join('')}</tr></thead><tbody>`,
    ...rows.flatMap(({ scheduler, result }) =>
      result.vms.map((vm, i) => {
        const base = baseline.result.vms[i].completionSeconds;
        const speedup = base !== null && vm.completionSeconds !== null ? base / vm.completionSeconds : null;
        return `<tr><td>${escapeHtml(scheduler)}</td><td>${escapeHtml(vm.name)}</td><td>${escapeHtml(vm.profile)}</td><td class="number">${shown(vm.completionSeconds)}</td><td class="number">${shown(speedup)}</td>${counterCells(vm)}</tr>`;
      }),
    ),
    '</tbody></table></div>',
  ].join('\n');
  const charts: ChartSpec[] = [];
  for (const { scheduler, result } of rows) {
    if (!result.series || result.series.timeSeconds.length === 0 || result.balloon === null) continue;
    charts.push({
      id: `online-${scheduler}`,
      title: `Online vCPUs per VM (${scheduler}, ${result.balloon} policy)`,
      xLabel: 'Time (s)',
      yLabel: 'Online vCPUs',
      x: result.series.timeSeconds,
      series: result.vms.map((vm, i) => ({ label: vm.name, kind: 'step' as const, values: result.series!.onlineVcpus[i] })),
    });
  }
  const sections: ReportSection[] = [{ id: 'results', title: 'Completion times and counters', html: table }];
  if (charts.length > 0) sections.push({ id: 'vcpus', title: 'vCPU ballooning', charts });
  return page(title, [['cores', String(scenario.host.cores)], ['VMs', String(scenario.vms.length)], ['schedulers', scenario.schedulers.join(', ')], ['seed', String(scenario.seed)]], sections);
}

function page(title: string, facts: [string, string][], sections: ReportSection[]): string {
  return renderDataPage(title, facts, sections, 'double-scheduling model');
}
