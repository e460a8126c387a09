/**
 * The summary table of an HTML report: every {@link RunSummary} field with a label, a unit and a human format.
 *
 * Fractions (stored as 0..1 in JSON and CSV) are shown as percent and labelled so; durations in seconds also
 * get a readable form (`5,400 s (90 min)`). Display numbers use fixed, locale-independent rules so the page is
 * the same on every machine.
 */

import type { RunSummary } from '../metrics/run-result.js';
import { escapeHtml } from './html-escape.js';
import { formatNumber } from './number-format.js';

/** How a summary value is shown. */
type ValueKind = 'text' | 'count' | 'number' | 'percent' | 'seconds';

/** A row of the run summary: a field of RunSummary. */
interface SummaryRow extends FieldRow<ValueKind> {
  field: keyof RunSummary;
}

interface SummaryGroup {
  title: string;
  rows: SummaryRow[];
}

/** The table layout. Every RunSummary field appears exactly once (checked at compile time below). */
const SUMMARY_GROUPS = [
  {
    title: 'Run',
    rows: [
      { field: 'scenario', label: 'Scenario', unit: '', kind: 'text' },
      { field: 'mode', label: 'Model mode', unit: '', kind: 'text' },
      { field: 'seed', label: 'Seed', unit: '', kind: 'text' },
      { field: 'hosts', label: 'Hosts', unit: 'hosts', kind: 'count' },
      { field: 'vms', label: 'Virtual machines', unit: 'VMs', kind: 'count' },
      { field: 'sim_seconds', label: 'Simulated time', unit: 's', kind: 'seconds' },
      { field: 'events', label: 'Events processed', unit: 'events', kind: 'count' },
      { field: 'wall_seconds', label: 'Wall-clock time of the simulation', unit: 's', kind: 'number' },
    ],
  },
  {
    title: 'Energy and SLA',
    rows: [
      { field: 'energy_kwh', label: 'Energy', unit: 'kWh', kind: 'number' },
      { field: 'slatah', label: 'SLA time per active host (SLATAH)', unit: '% (fraction)', kind: 'percent' },
      { field: 'pdm', label: 'Performance degradation due to migration (PDM)', unit: '% (fraction)', kind: 'percent' },
      { field: 'slav', label: 'SLA violation, SLAV = SLATAH × PDM', unit: '% (fraction)', kind: 'percent' },
      { field: 'esv', label: 'Energy × SLAV (ESV)', unit: 'kWh', kind: 'number' },
      { field: 'overall_sla_violation', label: 'Overall SLA violation (unallocated / requested CPU)', unit: '% (fraction)', kind: 'percent' },
      { field: 'average_sla_violation', label: 'Average SLA violation (per VM and interval with a shortfall)', unit: '% (fraction)', kind: 'percent' },
    ],
  },
  {
    title: 'Hosts and migrations',
    rows: [
      { field: 'migrations', label: 'Migrations started', unit: 'migrations', kind: 'count' },
      { field: 'mean_migration_time_s', label: 'Mean migration time', unit: 's', kind: 'seconds' },
      { field: 'stdev_migration_time_s', label: 'Standard deviation of migration time', unit: 's', kind: 'seconds' },
      { field: 'host_shutdowns', label: 'Host shutdowns', unit: 'shutdowns', kind: 'count' },
      { field: 'mean_time_before_host_shutdown_s', label: 'Mean active time before a host shutdown', unit: 's', kind: 'seconds' },
      { field: 'stdev_time_before_host_shutdown_s', label: 'Standard deviation of active time before a shutdown', unit: 's', kind: 'seconds' },
    ],
  },
  {
    title: 'Live migrations (realistic models)',
    rows: [
      { field: 'migration_model', label: 'Migration model', unit: '', kind: 'text' },
      { field: 'migrations_completed', label: 'Migrations completed within the run', unit: 'migrations', kind: 'count' },
      { field: 'mean_switchover_s', label: 'Mean time until the VM runs on the target', unit: 's', kind: 'seconds' },
      { field: 'mean_downtime_s', label: 'Mean downtime', unit: 's', kind: 'number' },
      { field: 'max_downtime_s', label: 'Largest downtime', unit: 's', kind: 'number' },
      { field: 'migration_traffic_gib', label: 'Migration traffic', unit: 'GiB', kind: 'number' },
      { field: 'remote_faults', label: 'Post-copy remote page faults', unit: 'faults', kind: 'count' },
      { field: 'migrations_not_converged', label: 'Pre-copy migrations that did not converge', unit: 'migrations', kind: 'count' },
      { field: 'migrations_postcopy', label: 'Migrations that switched to post-copy', unit: 'migrations', kind: 'count' },
      { field: 'migration_lost_vcpu_seconds', label: 'Guest work lost to migrations', unit: 'vCPU·s', kind: 'number' },
      { field: 'host_failures', label: 'Host failures', unit: 'hosts', kind: 'count' },
      { field: 'link_failures', label: 'Network (NIC) failures', unit: 'links', kind: 'count' },
      { field: 'vms_lost', label: 'VMs lost to failures', unit: 'VMs', kind: 'count' },
      { field: 'migrations_aborted', label: 'Migrations aborted by a failure (VM stayed on its source)', unit: 'migrations', kind: 'count' },
    ],
  },
  {
    title: 'Per-VM energy (default mode)',
    rows: [
      { field: 'vm_energy_attributed_kwh', label: 'Energy charged to VMs', unit: 'kWh', kind: 'number' },
      { field: 'vm_energy_unattributed_kwh', label: 'Energy of hosts with no VM (not charged)', unit: 'kWh', kind: 'number' },
      { field: 'vm_energy_mean_kwh', label: 'Mean energy per VM', unit: 'kWh', kind: 'number' },
      { field: 'vm_energy_max_kwh', label: 'Largest energy of one VM', unit: 'kWh', kind: 'number' },
      { field: 'vm_energy_sum_error', label: 'Sum rule: |charged + not charged − total| / total', unit: '', kind: 'number' },
      { field: 'power_cap_w', label: 'Facility power cap', unit: 'W', kind: 'number' },
      { field: 'power_cap_policy', label: 'Power-cap throttling choice', unit: '', kind: 'text' },
      { field: 'power_cap_exceeded_intervals', label: 'Intervals whose mean power exceeded the cap', unit: 'intervals', kind: 'count' },
      { field: 'power_cap_rack_w', label: 'Rack power cap', unit: 'W', kind: 'number' },
      { field: 'power_cap_rack_exceeded_intervals', label: '(Rack, interval) pairs whose mean power exceeded the rack cap', unit: 'pairs', kind: 'count' },
      { field: 'power_cap_migrations', label: 'Migrations started to bring racks under their cap', unit: 'migrations', kind: 'count' },
      { field: 'power_cap_throttled_vms_mean', label: 'VMs throttled per tick (mean)', unit: 'VMs', kind: 'number' },
      { field: 'power_cap_shortfall', label: 'CPU demand lost to the cap', unit: '% (fraction)', kind: 'percent' },
    ],
  },
] as const satisfies readonly SummaryGroup[];

type ShownField = (typeof SUMMARY_GROUPS)[number]['rows'][number]['field'];
/** Fails to compile, naming the field, when a RunSummary field is added but not shown. */
const everyFieldShown: [Exclude<keyof RunSummary, ShownField>] extends [never] ? true : Exclude<keyof RunSummary, ShownField> = true;
void everyFieldShown;

/** Summary fields that describe the machine the run happened on rather than the run; see `includeWallClock`. */
export const WALL_CLOCK_FIELDS: readonly (keyof RunSummary)[] = ['wall_seconds'];

/**
 * Renders the summary as an HTML table with one row group per topic.
 *
 * @param summary the run's summary.
 * @param includeWallClock whether to show {@link WALL_CLOCK_FIELDS}, which differ between identical runs.
 * @returns a `<table>` element; each row carries `data-field` with the RunSummary field name.
 */
export function renderSummaryTable(summary: RunSummary, includeWallClock: boolean): string {
  return renderFieldTable(
    SUMMARY_GROUPS,
    (field) => (!includeWallClock && (WALL_CLOCK_FIELDS as readonly string[]).includes(field) ? undefined : summary[field as keyof RunSummary]),
    formatSummaryValue,
  );
}

/** One row of a field table: a summary field with its label, unit and how its value is shown. */
export interface FieldRow<K extends string = string> {
  field: string;
  label: string;
  unit: string;
  kind: K;
}

/** A titled group of rows. */
export interface FieldGroup<K extends string = string> {
  title: string;
  rows: readonly FieldRow<K>[];
}

/**
 * The summary-table markup shared by the run report and the host report: one row group per topic, each row with
 * `data-field`, label, value, unit (durations also in a readable form) and the field name. Rows whose value is
 * undefined are left out (optional fields, wall-clock fields when they are hidden).
 *
 * @param value the value of a field, or undefined to leave its row out.
 * @param format the value as HTML (escaped) for its kind.
 */
export function renderFieldTable<K extends string>(
  groups: readonly FieldGroup<K>[],
  value: (field: string) => string | number | undefined,
  format: (value: string | number, kind: K) => string,
): string {
  const parts: string[] = [
    '<table class="summary">',
    '<thead><tr><th scope="col">Metric</th><th scope="col" class="value">Value</th><th scope="col">Unit</th><th scope="col">Field</th></tr></thead>',
  ];
  for (const group of groups) {
    parts.push(`<tbody><tr class="group"><th colspan="4" scope="rowgroup">${escapeHtml(group.title)}</th></tr>`);
    for (const row of group.rows) {
      const shown = value(row.field);
      if (shown === undefined) continue;
      // Durations get a readable form next to their unit: "86,400 | s (24 h)".
      const readable = row.kind === 'seconds' && typeof shown === 'number' ? formatDuration(shown) : '';
      const unit = escapeHtml(row.unit) + (readable === '' ? '' : ` (${readable})`);
      const field = escapeHtml(row.field);
      parts.push(
        `<tr data-field="${field}"><td>${escapeHtml(row.label)}</td>` +
          `<td class="value">${format(shown, row.kind)}</td>` +
          `<td class="unit">${unit}</td><td class="field"><code>${field}</code></td></tr>`,
      );
    }
    parts.push('</tbody>');
  }
  parts.push('</table>');
  return parts.join('\n');
}

/** Formats one summary value as HTML (already escaped). */
function formatSummaryValue(value: string | number, kind: ValueKind): string {
  if (typeof value === 'string') return escapeHtml(value);
  switch (kind) {
    case 'text':
      return escapeHtml(String(value));
    case 'count':
    case 'number':
    case 'seconds':
      return formatDisplayNumber(value);
    case 'percent':
      return Number.isFinite(value) ? `${formatDisplayNumber(value * 100)} %` : formatDisplayNumber(value);
  }
}

/**
 * Formats a number for people: four significant digits (whole numbers from 1,000 up), thousands separated
 * by commas, a true minus sign, never an exponent. `NaN` shows as an en dash (not available).
 *
 * @example
 * formatDisplayNumber(86520.47); // '86,520'
 * formatDisplayNumber(0.0012345); // '0.001235'
 * formatDisplayNumber(12.5);      // '12.5'
 */
export function formatDisplayNumber(value: number): string {
  if (Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const magnitude = Math.abs(value);
  const rounded = magnitude >= 1000 ? Math.round(magnitude) : Number(magnitude.toPrecision(4));
  const text = formatNumber(rounded);
  const point = text.indexOf('.');
  const integerPart = point < 0 ? text : text.slice(0, point);
  const grouped = integerPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const signed = (value < 0 && rounded !== 0 ? '−' : '') + grouped + (point < 0 ? '' : text.slice(point));
  return signed;
}

/**
 * A readable form of a duration in seconds, or `''` when seconds are already readable (under two minutes).
 *
 * @example formatDuration(5400); // '1.5 h'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 120) return '';
  const withUnit = (amount: number, unit: string): string => `${formatDisplayNumber(Number(amount.toFixed(1)))} ${unit}`;
  if (seconds < 2 * 3600) return withUnit(seconds / 60, 'min');
  if (seconds < 2 * 86400) return withUnit(seconds / 3600, 'h');
  return withUnit(seconds / 86400, 'days');
}
