/**
 * `hyperwatt run`: one scenario, summary to the terminal, files to the output directory. A data-center scenario
 * (no `kind`) runs on the data-center simulator; a host scenario (`kind: host`) on the detailed host model; an
 * SMP scenario or vCPU experiment (`kind: smp`, `kind: vcpu-experiment`) on the double-scheduling model; a
 * guest-memory scenario (`kind: memory`) on the guest-memory model with gray-box inference.
 */
import type { HostRunResult } from '../metrics/host-run-result.js';
import { runScenario } from '../backends/simulator/run.js';
import type { RunSummary } from '../metrics/run-result.js';
import { formatDisplayNumber } from '../report/summary-table.js';
import type { HostScenario } from '../scenario/host-schema.js';
import type { Scenario } from '../scenario/schema.js';
import { loadAnyScenario } from './load-scenario.js';
import { writeRunOutput } from './output.js';
import { checkOutputDirectory } from '../util/atomic-output.js';
import { createProgress } from './progress.js';

interface RunFlags {
  set: string[];
  seed?: number;
  out?: string | false;
  json?: boolean;
  quiet?: boolean;
}

export async function runCommand(file: string, flags: RunFlags): Promise<void> {
  const loaded = await loadAnyScenario(file, { sets: flags.set, seed: flags.seed });
  if (loaded.kind === 'host') return runHostCommand(file, loaded.scenario, flags);
  if (loaded.kind === 'smp' || loaded.kind === 'vcpu-experiment') {
    // Loaded here, so that data-center runs do not pay for the double-scheduling model's modules at start-up.
    const { runSmpCommand } = await import('./smp-command.js');
    return runSmpCommand(loaded, flags);
  }
  if (loaded.kind === 'memory') {
    const { runMemoryCommand } = await import('./memory-command.js');
    return runMemoryCommand(loaded.scenario, flags);
  }
  return runDataCenterCommand(file, loaded.scenario, flags);
}

async function runDataCenterCommand(file: string, scenario: Scenario, flags: RunFlags): Promise<void> {
  const outDir = flags.out === false ? undefined : (flags.out ?? `out/${scenario.name}`);
  // Refuse an unusable output directory before spending time on the run.
  if (outDir) await checkOutputDirectory(outDir);
  const progress = createProgress(process.stderr, flags.quiet || flags.json);
  // Progress in simulated hours (a bar on a terminal, a line per 10 % otherwise).
  const hours = Math.round(scenario.durationSeconds / 3600);
  progress.update(0, hours, `h simulated, ${scenario.name}`);
  const result = runScenario(scenario, file, {
    onProgress: (fraction) => progress.update(Math.round(fraction * hours), hours, `h simulated, ${scenario.name}`),
  });
  progress.update(hours, hours, `h simulated, ${scenario.name}`);
  progress.finish();
  for (const warning of result.warnings ?? []) process.stderr.write(`hyperwatt: warning: ${scenario.name}: ${warning}\n`);
  if (outDir) await writeRunOutput(outDir, scenario, result);
  if (flags.json) {
    // process_cpu_seconds: user + system CPU of this whole process so far (start-up, loading, run, output),
    // the figure the benchmarks compare with CloudSim's JVM user time.
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    process.stdout.write(
      `${JSON.stringify({ ...result.summary, process_cpu_seconds: (cpu.user + cpu.system) / 1e6, max_rss_mib: usage.maxRSS / 1024 })}\n`,
    );
  } else {
    process.stdout.write(formatSummary(result.summary));
    const files = ['summary.json', 'datacenter.csv', 'hosts.csv', ...(result.vmEnergyJoules ? ['vms.csv'] : []), 'report.html'];
    if (outDir) process.stdout.write(`\nwrote ${outDir}/ (${files.join(', ')})\n`);
  }
}

const percent = (x: number): string => `${(x * 100).toFixed(5).replace(/0+$/, '').replace(/\.$/, '')} %`;

export function formatSummary(s: RunSummary): string {
  const rows: [string, string][] = [
    ['scenario', `${s.scenario} (${s.mode}, seed ${s.seed})`],
    ['hosts / VMs', `${s.hosts} / ${s.vms}`],
    ['energy', `${s.energy_kwh.toFixed(2)} kWh`],
    ['migrations', String(s.migrations)],
    ['SLATAH', percent(s.slatah)],
    ['PDM', percent(s.pdm)],
    ['SLAV', percent(s.slav)],
    ['ESV', s.esv.toPrecision(4)],
    ['overall SLA violation', percent(s.overall_sla_violation)],
    ['average SLA violation', percent(s.average_sla_violation)],
    ['host shutdowns', String(s.host_shutdowns)],
    ['mean migration time', Number.isNaN(s.mean_migration_time_s) ? '–' : `${s.mean_migration_time_s.toFixed(2)} s`],
    ['simulated', `${s.sim_seconds} s, ${s.events} events`],
    ['wall time', `${s.wall_seconds.toFixed(3)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
}

async function runHostCommand(file: string, scenario: HostScenario, flags: RunFlags): Promise<void> {
  const outDir = flags.out === false ? undefined : (flags.out ?? `out/${scenario.name}`);
  // Refuse an unusable output directory before spending time on the run.
  if (outDir) await checkOutputDirectory(outDir);
  // Loaded here, so that data-center runs do not pay for the host model's modules at start-up.
  const [{ runHostScenario }, { HOST_OUTPUT_FILES, writeHostRunOutput }] = await Promise.all([
    import('../backends/simulator/host-run.js'),
    import('./host-output.js'),
  ]);
  // A host run takes a second or so and reports no progress of its own: no bar.
  const result = runHostScenario(scenario, file);
  if (outDir) await writeHostRunOutput(outDir, scenario, result);
  if (flags.json) {
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    process.stdout.write(
      `${JSON.stringify({ ...result.summary, process_cpu_seconds: (cpu.user + cpu.system) / 1e6, max_rss_mib: usage.maxRSS / 1024 })}\n`,
    );
    return;
  }
  process.stdout.write(formatHostSummary(result));
  if (outDir) process.stdout.write(`\nwrote ${outDir}/ (${HOST_OUTPUT_FILES.join(', ')})\n`);
}

/** The terminal summary of a host run: the headline figures, then one line per VM. */
export function formatHostSummary(result: HostRunResult): string {
  const s = result.summary;
  const n = (field: string): number => (typeof s[field] === 'number' ? (s[field] as number) : NaN);
  const shown = (value: number): string => formatDisplayNumber(value);
  // Percentages to two decimals: the estimator's errors are around a percent.
  const signed = (value: number): string => (Number.isFinite(value) ? `${value > 0.005 ? '+' : ''}${value.toFixed(2).replace('-', '−')}` : '–');
  const rows: [string, string][] = [
    ['scenario', `${s.scenario} (host: ${s.cores} cores, ${s.vms} VMs, ${s.vcpus} vCPUs, ${s.scheduler} scheduler)`],
    ['weights', String(s.weights)],
    ['host energy', `${shown(n('host_energy_true_j'))} J true, ${shown(n('host_energy_estimated_j'))} J estimated (${signed(n('host_estimate_error_pct'))} %)`],
    ['mean host power', `${shown(n('mean_host_power_w'))} W (disk ${shown(n('disk_energy_j'))} J)`],
    ['VM CPU estimates', `|error| mean ${n('vm_cpu_error_mean_pct').toFixed(2)} %, worst ${n('vm_cpu_error_max_pct').toFixed(2)} %`],
    ['sum-rule error', n('sum_rule_error') === 0 ? '0' : n('sum_rule_error').toExponential(1)],
    ['max core temp.', `${shown(n('max_core_temperature_c'))} °C`],
    ['manager', `${shown(n('throttled_core_seconds'))} core·s throttled, ${shown(n('slow_pstate_core_seconds'))} core·s below P0, ${shown(n('balancing_moves'))} balancing moves`],
    ['simulated', `${shown(n('sim_seconds'))} s, ${shown(n('events'))} events`],
    ['wall time', `${n('wall_seconds').toFixed(3)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`);
  const table: string[][] = [['vm', 'CPU est. J', 'CPU true J', 'error', 'mean W', 'limit W', 'max 1 s true W', 'disk J', 'work s']];
  for (const row of result.vms) {
    table.push([
      row.kind === 'driver' ? `${row.vm} (driver)` : row.vm,
      shown(row.cpu_estimated_j),
      shown(row.cpu_true_j),
      row.kind === 'driver' ? '–' : `${signed(row.cpu_error_pct)} %`,
      shown(row.mean_cpu_watts),
      row.cpu_limit_watts === null ? '–' : shown(row.cpu_limit_watts),
      shown(row.max_window_true_watts),
      shown(row.disk_j),
      shown(row.work_seconds),
    ]);
  }
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  const tableLines = table.map(
    (row) => `${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd()}\n`,
  );
  return `${lines.join('')}\n${tableLines.join('')}`;
}
