/**
 * Runs the double-scheduling model (mechanisms/vcpu/smp-machine.ts) for SMP scenarios (`kind: smp`) and the
 * FlexCore experiment (`kind: vcpu-experiment`): builds the machine from plain data, attaches a vCPU ballooning
 * policy through its view (policies/vcpu), runs each VM's program to completion and collects per-VM completion
 * times and the counters that explain them.
 */

import { BALANCE_PERIOD_SECONDS, CO_SCHEDULING_DEFAULTS, HOTPLUG_COSTS, IPI_SECONDS, PLE_DEFAULTS, cfsDefaults } from '../../mechanisms/vcpu/smp-defaults.js';
import { SmpMachine, type HypervisorSchedulerName, type SmpVmSpec } from '../../mechanisms/vcpu/smp-machine.js';
import { CorePowerModel, DEFAULT_CORE_POWER } from '../../model/host/core-power.js';
import { EVENT_BRANCH_MISPREDICTIONS, EVENT_COUNT, EVENT_FLOATING_POINT, EVENT_INSTRUCTIONS, EVENT_L2_MISSES, EVENT_MEMORY_ACCESSES, EVENT_UNHALTED_CYCLES } from '../../model/host/performance-events.js';
import { PENTIUM_M_1600_PSTATES } from '../../model/host/p-states.js';
import { COMPUTE_PROFILE_RATES, PAUSE_LOOP_RATES, type EventRates } from '../../workload/guest-workload.js';
import { createVcpuBalloonPolicy, type VcpuBalloonPolicyConfig, type VcpuBalloonView } from '../../policies/vcpu/vcpu-balloon-policy.js';
import type { ProfileOverrides, SmpScenario, VcpuExperiment } from '../../scenario/smp-schema.js';
import type { ParallelProfile } from '../../workload/parallel-profile.js';
import { PARSEC_PROFILES, parallelProfile } from '../../workload/parsec-profiles.js';

/** One VM of an SMP run, resolved. */
export interface SmpRunVm {
  readonly name: string;
  readonly vcpus: number;
  readonly weight: number;
  readonly profile: ParallelProfile;
  /** Threads (default: one per vCPU). */
  readonly threads?: number;
  /** Keep running the program after it completes (background load). Default false. */
  readonly repeat?: boolean;
}

/** Everything one SMP run needs. */
export interface SmpRunConfig {
  readonly cores: number;
  /** Core clock, Hz; default the detailed host's fastest P-state (1.6 GHz). */
  readonly clockHz?: number;
  readonly scheduler: HypervisorSchedulerName;
  /** The ballooning policy (used with `flexcore`; default the `flexcore` preset). */
  readonly balloon?: VcpuBalloonPolicyConfig;
  /** Hot-plug costs, seconds; default Linux's for `flexcore`, the fast path for `vscale`. */
  readonly offlineCostSeconds?: number;
  readonly onlineCostSeconds?: number;
  readonly pleEnabled?: boolean;
  readonly vms: readonly SmpRunVm[];
  readonly seed: number;
  /** Stop even if a VM has not completed, simulated seconds. */
  readonly limitSeconds: number;
  /** Run exactly this long instead of until the VMs complete (every VM repeats its program), seconds. */
  readonly durationSeconds?: number;
  /** Stop once VMs 0..waitFor−1 have completed (default: all VMs). */
  readonly waitFor?: number;
  /** Record the online vCPU count of every VM at this period, seconds (0: do not). */
  readonly seriesPeriodSeconds?: number;
}

/** Per-VM results of one run. */
export interface SmpVmResult {
  readonly name: string;
  readonly profile: string;
  /** Completion time of the first run of the program, seconds (null: not completed within the limit). */
  readonly completionSeconds: number | null;
  readonly runsCompleted: number;
  readonly usefulSeconds: number;
  readonly spinSeconds: number;
  readonly hotplugSeconds: number;
  readonly cpuSeconds: number;
  readonly pleExits: number;
  readonly directedYields: number;
  readonly lockHolderPreemptions: number;
  readonly lockWaiterPreemptions: number;
  readonly stackingEvents: number;
  readonly barrierWaitSeconds: number;
  readonly ipiWaitSeconds: number;
  readonly ipisSent: number;
  readonly coStops: number;
  readonly vcpuOfflines: number;
  readonly vcpuOnlines: number;
  /** Time-weighted mean of online vCPUs. */
  readonly meanOnlineVcpus: number;
  /** Energy charged to the VM: its cores' busy time at compute or spin power, plus an equal share of halted cores' energy, joules. */
  readonly energyJoules: number;
  /** The part of it spent spinning, joules. */
  readonly spinEnergyJoules: number;
  readonly onlineVcpusAtEnd: number;
}

export interface SmpRunResult {
  readonly scheduler: HypervisorSchedulerName;
  readonly balloon: string | null;
  readonly simulatedSeconds: number;
  readonly events: number;
  /** CPU time the cores ran vCPUs, seconds. */
  readonly busySeconds: number;
  /** Energy of the cores over the run (busy and halted), joules; the VMs' energies add up to it. */
  readonly coreEnergyJoules: number;
  readonly vms: readonly SmpVmResult[];
  /** Online vCPUs per VM over time (when requested): times, then one row per VM. */
  readonly series: { readonly timeSeconds: number[]; readonly onlineVcpus: number[][] } | null;
  /** Threads found on offline vCPUs (an invariant: always 0). */
  readonly offlineViolations: number;
}

/** Runs one configuration until every VM has completed its program once (or the limit). */
export function runSmp(config: SmpRunConfig): SmpRunResult {
  const machine = buildSmpMachine(config);
  const balloon = config.scheduler === 'flexcore' ? (config.balloon ?? { name: 'flexcore' as const }) : undefined;
  if (balloon) attachBalloon(machine, balloon, config);
  const series = config.seriesPeriodSeconds && config.seriesPeriodSeconds > 0 ? { timeSeconds: [] as number[], onlineVcpus: config.vms.map(() => [] as number[]) } : null;
  if (series) {
    machine.every(config.seriesPeriodSeconds!, (now) => {
      series.timeSeconds.push(now);
      for (let vm = 0; vm < machine.vmCount; vm++) series.onlineVcpus[vm].push(machine.onlineVcpus(vm));
    });
  }
  if (config.waitFor !== undefined) machine.watched = config.waitFor;
  machine.start();
  let end: number;
  if (config.durationSeconds !== undefined) {
    machine.runUntil(config.durationSeconds);
    end = config.durationSeconds;
  } else {
    end = machine.runToCompletion(config.limitSeconds);
  }
  const c = machine.counters;
  const power = smpCorePower(config.clockHz);
  const haltedJoules = Math.max(0, machine.coreCount * end - machine.busySeconds()) * power.haltedWatts;
  const vms: SmpVmResult[] = config.vms.map((vm, i) => ({
    name: vm.name,
    profile: vm.profile.name,
    completionSeconds: machine.completions[i].length > 0 ? machine.completions[i][0] : null,
    runsCompleted: machine.completions[i].length,
    usefulSeconds: c.usefulSeconds[i],
    spinSeconds: c.spinSeconds[i],
    hotplugSeconds: c.hotplugSeconds[i],
    cpuSeconds: c.runSeconds[i],
    pleExits: c.pleExits[i],
    directedYields: c.directedYields[i],
    lockHolderPreemptions: c.lockHolderPreemptions[i],
    lockWaiterPreemptions: c.lockWaiterPreemptions[i],
    stackingEvents: c.stackingEvents[i],
    barrierWaitSeconds: c.barrierWaitSeconds[i],
    ipiWaitSeconds: c.ipiWaitSeconds[i],
    ipisSent: c.ipisSent[i],
    coStops: c.coStops[i],
    vcpuOfflines: c.vcpuOfflines[i],
    vcpuOnlines: c.vcpuOnlines[i],
    meanOnlineVcpus: end > 0 ? c.onlineVcpuSeconds[i] / end : vm.vcpus,
    onlineVcpusAtEnd: machine.onlineVcpus(i),
    energyJoules: (c.usefulSeconds[i] + c.hotplugSeconds[i]) * power.computeWatts + c.spinSeconds[i] * power.spinWatts + haltedJoules / machine.vmCount,
    spinEnergyJoules: c.spinSeconds[i] * power.spinWatts,
  }));
  return {
    scheduler: config.scheduler,
    balloon: balloon?.name ?? null,
    simulatedSeconds: end,
    events: machine.eventCount,
    busySeconds: machine.busySeconds(),
    coreEnergyJoules: vms.reduce((sum, vm) => sum + vm.energyJoules, 0),
    vms,
    series,
    offlineViolations: machine.offlineViolations(),
  };
}

/** The machine of a configuration (exported for tests that drive it step by step). */
export function buildSmpMachine(config: SmpRunConfig): SmpMachine {
  if (!(Number.isInteger(config.cores) && config.cores >= 1)) throw new RangeError(`SMP run: cores must be a positive integer, got ${config.cores}`);
  const vms: SmpVmSpec[] = config.vms.map((vm) => ({
    name: vm.name,
    maxVcpus: vm.vcpus,
    initialVcpus: vm.vcpus,
    weight: vm.weight,
    program: vm.profile,
    threads: vm.threads ?? vm.profile.threads ?? vm.vcpus,
    // A VM that completes keeps loading the host (it starts its program again) until every VM has completed.
    repeat: vm.repeat ?? true,
  }));
  const fast = config.balloon?.name === 'vscale';
  const costs = fast ? HOTPLUG_COSTS.fast : HOTPLUG_COSTS.linux;
  return new SmpMachine({
    coreCount: config.cores,
    clockHz: config.clockHz ?? PENTIUM_M_1600_PSTATES[0].frequencyHz,
    scheduler: config.scheduler,
    cfs: cfsDefaults(config.cores),
    guestCfs: cfsDefaults(Math.max(...config.vms.map((vm) => vm.vcpus))),
    ple: { ...PLE_DEFAULTS, enabled: config.pleEnabled ?? true },
    coScheduling: CO_SCHEDULING_DEFAULTS,
    balancePeriodSeconds: BALANCE_PERIOD_SECONDS,
    ipiSeconds: IPI_SECONDS,
    offlineCostSeconds: config.offlineCostSeconds ?? costs.offlineSeconds,
    onlineCostSeconds: config.onlineCostSeconds ?? costs.onlineSeconds,
    vms,
    seed: config.seed,
  });
}

/** Connects a ballooning policy to the machine: periodic evaluations, and immediate ones on exit spikes. */
function attachBalloon(machine: SmpMachine, config: VcpuBalloonPolicyConfig, run: SmpRunConfig): void {
  const policy = createVcpuBalloonPolicy(config);
  const c = machine.counters;
  const view: VcpuBalloonView = {
    vmCount: machine.vmCount,
    coreCount: machine.coreCount,
    nowSeconds: () => machine.now,
    maxVcpus: (vm) => machine.maxVcpus(vm),
    onlineVcpus: (vm) => machine.onlineVcpus(vm),
    weight: (vm) => run.vms[vm].weight,
    cpuSeconds: (vm) => c.runSeconds[vm],
    runnableThreadSeconds: (vm) => {
      machine.touchCounters(vm);
      return c.runnableThreadSeconds[vm];
    },
    pleExits: (vm) => c.pleExits[vm],
  };
  const targets = new Int32Array(machine.vmCount);
  const spiking = new Uint8Array(machine.vmCount);
  const exitsAtLast = new Float64Array(machine.vmCount);
  let lastEvaluation = 0;
  let pending = false;
  const evaluate = (now: number): void => {
    pending = false;
    policy.targets(view, spiking, targets);
    for (let vm = 0; vm < machine.vmCount; vm++) {
      machine.setOnlineTarget(vm, targets[vm]);
      exitsAtLast[vm] = c.pleExits[vm];
    }
    spiking.fill(0);
    lastEvaluation = now;
  };
  // The first evaluation comes after one period, on measured demand; exit spikes can bring it earlier.
  const controller = machine.every(policy.periodSeconds, evaluate, policy.periodSeconds);
  machine.onPleExit = (vm, now) => {
    if (pending) return;
    const elapsed = now - lastEvaluation;
    // At most one spike evaluation per tenth of a period: exits come in bursts of thousands.
    if (elapsed < policy.periodSeconds / 10) return;
    if (!policy.isSpike(c.pleExits[vm] - exitsAtLast[vm], machine.onlineVcpus(vm), elapsed)) return;
    spiking[vm] = 1;
    pending = true;
    machine.requestControl(controller);
  };
}

// ------------------------------------------------------------------ scenarios and the experiment

/** A named profile with a scenario's overrides applied. */
export function resolveProfile(name: string, overrides: ProfileOverrides = {}): ParallelProfile {
  const base = parallelProfile(name);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...base, ...defined };
}

/** One scheduler's run of an SMP scenario. */
export interface SmpComparisonRow {
  readonly scheduler: HypervisorSchedulerName;
  readonly result: SmpRunResult;
}

/** Runs an SMP scenario under each of its schedulers (the first is the baseline). */
export function runSmpScenario(scenario: SmpScenario): SmpComparisonRow[] {
  return scenario.schedulers.map((scheduler) => ({
    scheduler,
    result: runSmp({
      cores: scenario.host.cores,
      clockHz: scenario.host.clockHz,
      pleEnabled: scenario.host.pauseLoopExits,
      scheduler,
      ...balloonOf(scenario.balloon),
      vms: scenario.vms.map((vm) => ({ name: vm.name, vcpus: vm.vcpus, weight: vm.weight, profile: resolveProfile(vm.profile, vm.params), threads: vm.params.threads })),
      seed: scenario.seed,
      limitSeconds: scenario.limitSeconds,
      seriesPeriodSeconds: scenario.seriesPeriodSeconds,
    }),
  }));
}

function balloonOf(balloon: SmpScenario['balloon']): Pick<SmpRunConfig, 'balloon' | 'offlineCostSeconds' | 'onlineCostSeconds'> {
  return {
    balloon: balloon.policy === 'flexcore' ? { name: 'flexcore', periodSeconds: balloon.periodSeconds, pleSpikeExitsPerVcpuSecond: balloon.pleSpikeExitsPerVcpuSecond } : { name: 'vscale', periodSeconds: balloon.periodSeconds },
    offlineCostSeconds: balloon.offlineCostSeconds,
    onlineCostSeconds: balloon.onlineCostSeconds,
  };
}

/** One cell of the experiment: the measured VM (VM 0) under one scheduler. */
export interface VcpuExperimentRow {
  readonly profile: string;
  readonly syncClass: string;
  readonly vms: number;
  /** Total vCPUs over cores. */
  readonly overcommit: number;
  readonly scheduler: HypervisorSchedulerName;
  readonly completionSeconds: number | null;
  /** Baseline completion over this one (1: same; 2: twice as fast). */
  readonly speedup: number | null;
  /** Completion time saved against the baseline, percent of the baseline's. */
  readonly improvementPercent: number | null;
  /** The measured VM's figures, each the mean over the seeds (completion: null if any seed did not complete). */
  readonly measured: SmpVmResult;
  /** Completion time with each seed, in the experiment's seed order. */
  readonly completionSecondsBySeed: (number | null)[];
  readonly coRunners: string;
}

/** The mean of one VM's results over several seeds; a completion time only if every seed completed. */
function meanOfRuns(runs: readonly SmpVmResult[]): SmpVmResult {
  if (runs.length === 1) return runs[0];
  const mean: Record<string, unknown> = { ...runs[0] };
  for (const [field, value] of Object.entries(runs[0])) {
    if (typeof value === 'number') mean[field] = runs.reduce((sum, run) => sum + (run[field as keyof SmpVmResult] as number), 0) / runs.length;
  }
  mean.completionSeconds = runs.every((run) => run.completionSeconds !== null) ? runs.reduce((sum, run) => sum + run.completionSeconds!, 0) / runs.length : null;
  return mean as unknown as SmpVmResult;
}

/**
 * FlexCore's experiment: for each profile and VM count, VM 0 runs the profile and the others run the
 * co-runners; every scheduler runs the same set, once per seed. Completion times are VM 0's first run, averaged
 * over the seeds (the speed-up is the ratio of the means); the others repeat their programs so the host stays
 * loaded until VM 0 is done.
 */
export function runVcpuExperiment(experiment: VcpuExperiment, onRow?: (row: VcpuExperimentRow) => void): VcpuExperimentRow[] {
  const rows: VcpuExperimentRow[] = [];
  for (const profileName of experiment.profiles) {
    const profile = resolveProfile(profileName);
    for (const count of experiment.vmCounts) {
      const vms: SmpRunVm[] = [];
      for (let i = 0; i < count; i++) {
        const name = i === 0 ? profileName : coRunnerOf(experiment.coRunners, profileName, i);
        vms.push({ name: `vm${i}-${name}`, vcpus: experiment.vcpusPerVm, weight: 1024, profile: i === 0 ? profile : resolveProfile(name), repeat: i > 0 });
      }
      const coRunners = vms.slice(1).map((vm) => vm.profile.name).join('+') || '-';
      let baseline: number | null = null;
      for (const scheduler of experiment.schedulers) {
        const perSeed = experiment.seeds.map(
          (seed) =>
            runSmp({
              cores: experiment.host.cores,
              clockHz: experiment.host.clockHz,
              pleEnabled: experiment.host.pauseLoopExits,
              scheduler,
              ...balloonOf(experiment.balloon),
              vms,
              seed,
              limitSeconds: experiment.limitSeconds,
              waitFor: 1,
            }).vms[0],
        );
        const measured = meanOfRuns(perSeed);
        const t = measured.completionSeconds;
        if (scheduler === experiment.schedulers[0]) baseline = t;
        const row: VcpuExperimentRow = {
          profile: profileName,
          syncClass: profile.syncClass,
          vms: count,
          overcommit: (count * experiment.vcpusPerVm) / experiment.host.cores,
          scheduler,
          completionSeconds: t,
          speedup: baseline !== null && t !== null ? baseline / t : null,
          improvementPercent: baseline !== null && t !== null ? ((baseline - t) / baseline) * 100 : null,
          measured,
          completionSecondsBySeed: perSeed.map((run) => run.completionSeconds),
          coRunners,
        };
        rows.push(row);
        onRow?.(row);
      }
    }
  }
  return rows;
}

/** The profile VM i (≥ 1) runs next to `measured`. */
export function coRunnerOf(coRunners: VcpuExperiment['coRunners'], measured: string, i: number): string {
  if (coRunners === 'same') return measured;
  if (coRunners === 'next') {
    // The PARSEC profiles in their listed order, starting after the measured one (the synthetic one wraps to
    // the start of the list).
    const names = PARSEC_PROFILES.map((p) => p.name);
    const at = names.indexOf(measured);
    return names[(at + i) % names.length];
  }
  return coRunners[(i - 1) % coRunners.length];
}

/** Power of one core of the double-scheduling model in each of its states, watts. */
export interface SmpCorePower {
  readonly computeWatts: number;
  readonly spinWatts: number;
  readonly haltedWatts: number;
}

/**
 * The detailed host's ground-truth core power (model/host/core-power.ts, docs/models/host-energy.md) at its
 * fastest P-state and the leakage reference temperature (50 °C; the SMP model has no thermal model): a core
 * computing runs the `compute` profile's event rates (the PARSEC-like profiles give no rates of their own, an
 * assumption), a spinning core a PAUSE loop's, a halted core its residual power plus leakage. At a clock other
 * than 1.6 GHz the voltage stays P0's and power scales with the clock.
 */
export function smpCorePower(clockHz: number = PENTIUM_M_1600_PSTATES[0].frequencyHz): SmpCorePower {
  const p0 = PENTIUM_M_1600_PSTATES[0];
  const model = new CorePowerModel(DEFAULT_CORE_POWER, p0.voltageVolts, p0.frequencyHz);
  const temperature = DEFAULT_CORE_POWER.leakageReferenceCelsius;
  const leakage = model.leakageWatts(temperature, p0.voltageVolts);
  const busyWatts = (rates: EventRates): number => {
    // One second at the clock: every cycle unhalted, events at their per-cycle rates.
    const events = new Float64Array(EVENT_COUNT);
    events[EVENT_UNHALTED_CYCLES] = clockHz;
    events[EVENT_INSTRUCTIONS] = rates.instructions * clockHz;
    events[EVENT_L2_MISSES] = rates.l2Misses * clockHz;
    events[EVENT_MEMORY_ACCESSES] = rates.memoryAccesses * clockHz;
    events[EVENT_BRANCH_MISPREDICTIONS] = rates.branchMispredictions * clockHz;
    events[EVENT_FLOATING_POINT] = rates.floatingPoint * clockHz;
    return model.dynamicJoules(events, 0, p0.voltageVolts) + leakage;
  };
  return { computeWatts: busyWatts(COMPUTE_PROFILE_RATES), spinWatts: busyWatts(PAUSE_LOOP_RATES), haltedWatts: model.haltedWatts(temperature, p0.voltageVolts, clockHz) };
}
