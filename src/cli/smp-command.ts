/**
 * `hyperwatt run` for the double-scheduling formats: an SMP comparison (`kind: smp`) or FlexCore's experiment
 * (`kind: vcpu-experiment`). Prints a table, writes the output directory all at once (never half-written).
 * docs/outputs.md ("SMP runs") lists the files and columns.
 */
import { runSmpScenario, runVcpuExperiment, type VcpuExperimentRow } from '../backends/simulator/smp-run.js';
import { renderSmpReport, renderVcpuExperimentReport, smpSeriesCsv, smpVmCsv, vcpuExperimentCsv } from '../report/smp-report.js';
import { formatDisplayNumber } from '../report/summary-table.js';
import type { SmpScenario, VcpuExperiment } from '../scenario/smp-schema.js';
import { checkOutputDirectory, writeOutputDirectory } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';
import { formatTable } from './format-table.js';
import { createProgress } from './progress.js';

interface SmpFlags {
  out?: string | false;
  json?: boolean;
  quiet?: boolean;
}

type Loaded = { kind: 'smp'; scenario: SmpScenario } | { kind: 'vcpu-experiment'; scenario: VcpuExperiment };

export const SMP_OUTPUT_FILES = ['summary.json', 'scenario.json', 'vms.csv', 'online-vcpus.csv', 'report.html'] as const;
export const EXPERIMENT_OUTPUT_FILES = ['summary.json', 'scenario.json', 'experiment.csv', 'report.html'] as const;

const shown = (value: number | null): string => (value === null ? '–' : formatDisplayNumber(value));

export async function runSmpCommand(loaded: Loaded, flags: SmpFlags): Promise<void> {
  const name = loaded.scenario.name;
  const outDir = flags.out === false ? undefined : (flags.out ?? `out/${name}`);
  if (outDir) await checkOutputDirectory(outDir);
  if (loaded.kind === 'smp') return runComparison(loaded.scenario, outDir, flags);
  return runExperiment(loaded.scenario, outDir, flags);
}

async function runComparison(scenario: SmpScenario, outDir: string | undefined, flags: SmpFlags): Promise<void> {
  const rows = runSmpScenario(scenario);
  const summary = {
    scenario: scenario.name,
    cores: scenario.host.cores,
    vms: scenario.vms.length,
    runs: rows.map(({ scheduler, result }) => ({
      scheduler,
      balloon: result.balloon,
      simulated_seconds: result.simulatedSeconds,
      events: result.events,
      busy_seconds: result.busySeconds,
      core_energy_j: result.coreEnergyJoules,
      energy_j: Object.fromEntries(result.vms.map((vm) => [vm.name, vm.energyJoules])),
      completion_seconds: Object.fromEntries(result.vms.map((vm) => [vm.name, vm.completionSeconds])),
    })),
  };
  if (outDir) {
    await writeOutputDirectory(outDir, {
      'summary.json': stableJson(summary),
      'scenario.json': stableJson(scenario),
      'vms.csv': smpVmCsv(rows),
      'online-vcpus.csv': smpSeriesCsv(rows),
      'report.html': renderSmpReport(scenario, rows),
    });
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const table: string[][] = [['scheduler', 'vm', 'profile', 'completion s', 'speed-up', 'spin s', 'PLE exits', 'LHP', 'stacking', 'barrier wait s', 'mean vCPUs', 'energy J']];
  const base = rows[0].result.vms;
  for (const { scheduler, result } of rows) {
    result.vms.forEach((vm, i) => {
      const b = base[i].completionSeconds;
      const speedup = b !== null && vm.completionSeconds !== null ? b / vm.completionSeconds : null;
      table.push([scheduler, vm.name, vm.profile, shown(vm.completionSeconds), shown(speedup), shown(vm.spinSeconds), shown(vm.pleExits), shown(vm.lockHolderPreemptions), shown(vm.stackingEvents), shown(vm.barrierWaitSeconds), shown(vm.meanOnlineVcpus), shown(vm.energyJoules)]);
    });
  }
  process.stdout.write(`${scenario.name}: ${scenario.vms.length} VMs on ${scenario.host.cores} cores\n${formatTable(table, 3)}`);
  if (outDir) process.stdout.write(`\nwrote ${outDir}/ (${SMP_OUTPUT_FILES.join(', ')})\n`);
}

async function runExperiment(experiment: VcpuExperiment, outDir: string | undefined, flags: SmpFlags): Promise<void> {
  const total = experiment.profiles.length * experiment.vmCounts.length * experiment.schedulers.length;
  const progress = createProgress(process.stderr, flags.quiet || flags.json);
  let done = 0;
  progress.update(0, total, `runs, ${experiment.name}`);
  const rows = runVcpuExperiment(experiment, () => progress.update(++done, total, `runs, ${experiment.name}`));
  progress.finish();
  const summary = {
    scenario: experiment.name,
    runs: rows.length,
    mean_speedup: Object.fromEntries(experiment.schedulers.slice(1).map((s) => [s, meanSpeedup(rows, s, 2)])),
  };
  if (outDir) {
    await writeOutputDirectory(outDir, {
      'summary.json': stableJson({ ...summary, rows: rows.map((r) => ({ profile: r.profile, vms: r.vms, scheduler: r.scheduler, co_runners: r.coRunners, completion_seconds: r.completionSeconds, speedup: r.speedup })) }),
      'scenario.json': stableJson(experiment),
      'experiment.csv': vcpuExperimentCsv(rows),
      'report.html': renderVcpuExperimentReport(experiment, rows),
    });
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const table: string[][] = [['profile', 'VMs', 'scheduler', 'completion s', 'speed-up', 'spin s', 'LHP', 'stacking', 'barrier wait s', 'mean vCPUs']];
  for (const r of rows) {
    const m = r.measured;
    table.push([r.profile, String(r.vms), r.scheduler, shown(r.completionSeconds), shown(r.speedup), shown(m.spinSeconds), shown(m.lockHolderPreemptions), shown(m.stackingEvents), shown(m.barrierWaitSeconds), shown(m.meanOnlineVcpus)]);
  }
  process.stdout.write(`${experiment.name}: ${experiment.profiles.length} profiles, ${experiment.vmCounts.join('/')} VMs of ${experiment.vcpusPerVm} vCPUs on ${experiment.host.cores} cores\n${formatTable(table, 3)}`);
  if (outDir) process.stdout.write(`\nwrote ${outDir}/ (${EXPERIMENT_OUTPUT_FILES.join(', ')})\n`);
}

/** Geometric mean of a scheduler's speed-ups over the runs with at least `minVms` VMs (over-committed ones). */
function meanSpeedup(rows: readonly VcpuExperimentRow[], scheduler: string, minVms: number): number | null {
  const values = rows.filter((r) => r.scheduler === scheduler && r.vms >= minVms && r.speedup !== null).map((r) => r.speedup!);
  if (values.length === 0) return null;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}
