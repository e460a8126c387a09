/**
 * CSV files of a host run (`kind: host`, backends/simulator/host-run.ts): the per-VM accounting, the guest
 * threads, the attribution-rule comparison, and the time series in long format (one row per sample and core, or
 * per sample and VM).
 *
 * Same conventions as every Hyperwatt CSV (csv.ts): a header row, `\n` line endings and a final newline, numbers
 * through {@link formatNumber} (integers plainly, otherwise six significant digits, never an exponent), an empty
 * field for a missing value (`null`, `NaN`), and text quoted only when it holds a comma, a quote or a line break.
 * The same run gives the same bytes. Units are in the column names (docs/outputs.md lists every column).
 */
import type { HostRunResult, VmAccountingRow } from '../metrics/host-run-result.js';
import { formatNumber } from './number-format.js';
import { csvField } from './csv-field.js';

/** Columns of {@link hostVmCsv}, in order: the fields of a VM's accounting row. */
export const HOST_VM_CSV_COLUMNS = [
  'vm',
  'kind',
  'vcpus',
  'cpu_estimated_j',
  'cpu_true_j',
  'cpu_error_pct',
  'cpu_active_j',
  'cpu_idle_share_j',
  'recursive_j',
  'recursive_true_j',
  'disk_j',
  'disk_mib',
  'mean_cpu_watts',
  'cpu_limit_watts',
  'max_window_estimated_watts',
  'max_window_true_watts',
  'work_seconds',
  'instructions',
] as const satisfies readonly (keyof VmAccountingRow)[];

/** Fails to compile, naming the field, when an accounting field is added but not written. */
const everyVmFieldWritten: [Exclude<keyof VmAccountingRow, (typeof HOST_VM_CSV_COLUMNS)[number]>] extends [never]
  ? true
  : Exclude<keyof VmAccountingRow, (typeof HOST_VM_CSV_COLUMNS)[number]> = true;
void everyVmFieldWritten;

/** Columns of {@link hostThreadCsv}: the thread (`vm/application`), CPU seconds, work seconds, guest limit (W). */
export const HOST_THREAD_CSV_COLUMNS = ['thread', 'cpu_seconds', 'work_seconds', 'active_estimated_j', 'active_true_j', 'limit_watts'] as const;

/** Columns of {@link hostCoreSeriesCsv}: seconds, core index, watts (true), °C, P-state index, forced-halt share. */
export const HOST_CORE_SERIES_CSV_COLUMNS = ['time_s', 'core', 'power_w', 'temperature_c', 'pstate', 'throttle'] as const;

/** Columns of {@link hostVmSeriesCsv}: seconds, VM name, CPU watts (estimate, truth), disk watts, work per second, allocation share. */
export const HOST_VM_SERIES_CSV_COLUMNS = ['time_s', 'vm', 'estimated_w', 'true_w', 'disk_w', 'throughput', 'allocation'] as const;

/**
 * The per-VM accounting, one row per VM in scenario order (the driver VM, if any, last).
 *
 * @example
 * // vm,kind,vcpus,cpu_estimated_j,cpu_true_j,cpu_error_pct,…
 * // capped,guest,2,238.012,236.97,0.439662,…
 */
export function hostVmCsv(result: HostRunResult): string {
  return csv(
    HOST_VM_CSV_COLUMNS,
    result.vms.map((row) => HOST_VM_CSV_COLUMNS.map((column) => row[column])),
  );
}

/** The guest threads, one row per thread in host order. */
export function hostThreadCsv(result: HostRunResult): string {
  return csv(
    HOST_THREAD_CSV_COLUMNS,
    result.threads.map((row) => [row.thread, row.cpu_seconds, row.work_seconds, row.active_estimated_j, row.active_true_j, row.limit_watts]),
  );
}

/**
 * The attribution-rule comparison: one row per rule, then a column per VM (named after it) and the sum, joules of
 * CPU energy.
 *
 * @example
 * // rule,capped,neighbour,memory,sum
 * // events (this model),236.97,600.35,444.23,1281.55
 * // "cpu-time, idle equal",…
 */
export function hostRulesCsv(result: HostRunResult): string {
  return csv(
    ['rule', ...result.vmNames, 'sum'],
    result.rules.map((rule) => [rule.rule, ...rule.perVm, rule.sum]),
  );
}

/** Per-core time series in long format, ordered by time, then core. */
export function hostCoreSeriesCsv(result: HostRunResult): string {
  const s = result.series;
  const rows: (string | number)[][] = [];
  for (let sample = 0; sample < s.timeSeconds.length; sample++) {
    for (let core = 0; core < s.coreTrueWatts.length; core++) {
      rows.push([s.timeSeconds[sample], core, s.coreTrueWatts[core][sample], s.coreTemperatureCelsius[core][sample], s.corePState[core][sample], s.coreThrottle[core][sample]]);
    }
  }
  return csv(HOST_CORE_SERIES_CSV_COLUMNS, rows);
}

/** Per-VM time series in long format, ordered by time, then VM (scenario order, the driver VM last). */
export function hostVmSeriesCsv(result: HostRunResult): string {
  const s = result.series;
  const rows: (string | number)[][] = [];
  for (let sample = 0; sample < s.timeSeconds.length; sample++) {
    for (let vm = 0; vm < result.vmNames.length; vm++) {
      rows.push([
        s.timeSeconds[sample],
        result.vmNames[vm],
        s.vmEstimatedWatts[vm][sample],
        s.vmTrueWatts[vm][sample],
        s.vmDiskWatts[vm][sample],
        s.vmThroughput[vm][sample],
        s.vmAllocation[vm][sample],
      ]);
    }
  }
  return csv(HOST_VM_SERIES_CSV_COLUMNS, rows);
}

function csv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

