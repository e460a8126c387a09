/**
 * vCPU ballooning claims (Miao and Chen, "FlexCore", Tsinghua Science and Technology 20(1), 2015), measured on
 * the double-scheduling model with the PARSEC-like profiles, 12 cores and VMs of 12 vCPUs:
 * - `flexcore.sync_heavy`: at 2× over-commitment, FlexCore's completion time for each synchronisation-heavy
 *   profile is at least 30 % shorter than plain fair share's. Measured next to a different PARSEC-like program
 *   (the one after it in the suite's list: a consolidation mix), and reported next to a copy of itself too; each
 *   configuration with three seeds, completion times averaged;
 * - `flexcore.embarrassingly_parallel`: for blackscholes and swaptions at 2×, 3× and 4× the change stays within ±5 %;
 * - `flexcore.no_overcommit`: with one VM (no over-commitment) FlexCore costs every profile less than 2 %.
 * docs/validation.md explains each and names the mechanism behind every gain from the counters.
 */
import { runVcpuExperiment, type VcpuExperimentRow } from '../src/backends/simulator/smp-run.js';
import { VcpuExperimentSchema } from '../src/scenario/smp-schema.js';
import { PARSEC_PROFILES } from '../src/workload/parsec-profiles.js';
import type { Claim } from './cloudsim.js';

/** Seeds per configuration of the sync-heavy claim (completion times averaged). */
const SEEDS = 3;

const r1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);
const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);

function experiment(profiles: string[], vmCounts: number[], coRunners: 'same' | 'next', log: (line: string) => void, repeats = 1): VcpuExperimentRow[] {
  const input = VcpuExperimentSchema.parse({ kind: 'vcpu-experiment', name: 'validation', profiles, vmCounts, coRunners, repeats, schedulers: ['fair-share', 'flexcore'] });
  return runVcpuExperiment(input, (row) => {
    if (row.scheduler === 'flexcore') log(`  ${row.profile} ×${row.overcommit} (${row.coRunners}): flexcore ${r3(row.completionSeconds)} s, ${r1(row.improvementPercent)} % shorter`);
  });
}

/** The mechanism counters of a row, for the claim's record. */
function counters(row: VcpuExperimentRow): Record<string, number> {
  const m = row.measured;
  return { lhp: m.lockHolderPreemptions, stacking: m.stackingEvents, barrier_wait_s: r3(m.barrierWaitSeconds)!, spin_s: r3(m.spinSeconds)!, ipi_wait_s: r3(m.ipiWaitSeconds)! };
}

function syncHeavy(log: (line: string) => void): Claim {
  const profiles = PARSEC_PROFILES.filter((p) => p.syncClass === 'sync-heavy').map((p) => p.name);
  log('flexcore.sync_heavy: 2× over-commitment, next to a different profile (mix) and next to itself');
  // Three seeds: next to a co-runner the baseline can fall into a convoy in one run and not in another.
  const mixed = experiment(profiles, [2], 'next', log, SEEDS);
  const same = experiment(profiles, [2], 'same', log, SEEDS);
  const measured: Claim['measured'] = {};
  let pass = true;
  for (const profile of profiles) {
    const base = mixed.find((r) => r.profile === profile && r.scheduler === 'fair-share')!;
    const flex = mixed.find((r) => r.profile === profile && r.scheduler === 'flexcore')!;
    const alone = same.find((r) => r.profile === profile && r.scheduler === 'flexcore')!;
    measured[`${profile}_mix_pct`] = r1(flex.improvementPercent);
    measured[`${profile}_mix_base_s_by_seed`] = base.completionSecondsBySeed.map((t) => r3(t)).join(' ');
    measured[`${profile}_mix_flexcore_s_by_seed`] = flex.completionSecondsBySeed.map((t) => r3(t)).join(' ');
    measured[`${profile}_mix_with`] = flex.coRunners;
    measured[`${profile}_same_pct`] = r1(alone.improvementPercent);
    for (const [key, value] of Object.entries(counters(base))) measured[`${profile}_base_${key}`] = value;
    for (const [key, value] of Object.entries(counters(flex))) measured[`${profile}_flexcore_${key}`] = value;
    if (!(flex.improvementPercent !== null && flex.improvementPercent >= 30)) pass = false;
  }
  return {
    id: 'flexcore.sync_heavy',
    claim: 'At 2× over-commitment FlexCore completes each synchronisation-heavy profile at least 30 % sooner than fair share (consolidation mix)',
    measured,
    target: 'every *_mix_pct ≥ 30 (the *_same_pct, next to a copy of itself, are reported, not judged)',
    pass,
  };
}

function embarrassinglyParallel(log: (line: string) => void): Claim {
  log('flexcore.embarrassingly_parallel: blackscholes and swaptions at 2×, 3×, 4×');
  const rows = experiment(['blackscholes', 'swaptions'], [2, 3, 4], 'same', log).filter((r) => r.scheduler === 'flexcore');
  const measured: Claim['measured'] = {};
  let worst = 0;
  for (const row of rows) {
    measured[`${row.profile}_x${row.vms}_pct`] = r1(row.improvementPercent);
    worst = Math.max(worst, Math.abs(row.improvementPercent ?? Infinity));
  }
  measured.worst_abs_pct = r1(worst);
  return { id: 'flexcore.embarrassingly_parallel', claim: 'For embarrassingly parallel profiles FlexCore changes completion time by at most ±5 %', measured, target: 'worst_abs_pct ≤ 5', pass: worst <= 5 };
}

function noOvercommit(log: (line: string) => void): Claim {
  log('flexcore.no_overcommit: one VM, every profile');
  const rows = experiment([...PARSEC_PROFILES.map((p) => p.name), 'synthetic'], [1], 'same', log).filter((r) => r.scheduler === 'flexcore');
  const measured: Claim['measured'] = {};
  let worst = -Infinity;
  for (const row of rows) {
    const cost = -(row.improvementPercent ?? -Infinity);
    measured[`${row.profile}_cost_pct`] = r1(cost);
    worst = Math.max(worst, cost);
  }
  measured.worst_cost_pct = r1(worst);
  return { id: 'flexcore.no_overcommit', claim: 'Without over-commitment FlexCore costs less than 2 %', measured, target: 'worst_cost_pct < 2', pass: worst < 2 };
}

export function validateFlexCore(log: (line: string) => void): Claim[] {
  log('\n# vCPU ballooning (double-scheduling model, 12 cores, VMs of 12 vCPUs)');
  return [syncHeavy(log), embarrassinglyParallel(log), noOvercommit(log)];
}
