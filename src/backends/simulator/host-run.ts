/**
 * Runs a host scenario (`kind: host`): builds the detailed host, fits or loads the estimator weights, wires
 * the accountant, the host energy manager and the energy-aware guests, runs, and collects the summary, the
 * per-VM accounting and the time series the report draws.
 */
import { calibrate, type CalibrationFit } from '../../mechanisms/host/calibration.js';
import { EnergyAccountant } from '../../mechanisms/host/energy-accountant.js';
import { EnergyWeights, type EnergyWeightsJson } from '../../mechanisms/host/energy-weights.js';
import { HostMachine, type HostMachineSpec, type VmSpec } from '../../mechanisms/host/host-machine.js';
import { DEFAULT_CORE_POWER, type CorePowerParameters } from '../../model/host/core-power.js';
import { DEFAULT_DISK, type DiskParameters } from '../../model/host/disk-model.js';
import { PENTIUM_M_1600_PSTATES, pStateProblems } from '../../model/host/p-states.js';
import { EVENT_COUNT, EVENT_INSTRUCTIONS, EVENT_NAMES } from '../../model/host/performance-events.js';
import { DEFAULT_THERMAL, type ThermalParameters } from '../../model/host/thermal-model.js';
import { GuestEnergyPolicy } from '../../policies/energy/guest-energy-policy.js';
import { HostEnergyManager } from '../../policies/energy/host-energy-manager.js';
import type { HostScenario } from '../../scenario/host-schema.js';
import { resolveScenarioPath } from '../../scenario/build.js';
import { loadDocument } from '../../scenario/document.js';
import { EnergyWeightsFileSchema } from '../../scenario/host-check.js';
import { parseWith } from '../../scenario/validate.js';
import { UserError } from '../../util/user-error.js';
import { DRIVER_EVENT_RATES, GUEST_PROFILES, PAUSE_LOOP_RATES, type ComputePhase, type EventRates, type GuestProgram } from '../../workload/guest-workload.js';
import { guestEnergyView, hostEnergyView } from './host-energy-adapter.js';
import type { DetailedHostSeries, HostRunResult, VmAccountingRow } from '../../metrics/host-run-result.js';

export type { DetailedHostSeries, HostRunResult, ThreadAccountingRow, VmAccountingRow } from '../../metrics/host-run-result.js';

/**
 * The calibration workloads: microbenchmarks that each excite one kind of activity, as Bellosa's calibration
 * does — a pause loop (cycles, almost no instructions), an ALU loop (instructions), a pointer chase (L2 misses
 * and stalls), an FP kernel (floating point), a branch-misprediction loop and a load-store loop (memory accesses
 * out of their usual ratio to instructions) — and duty-cycled variants, whose halted time separates the TSC
 * weight from the unhalted-cycle weight. None of the named guest profiles is among them: every profile is
 * held out for the accuracy validation. The microbenchmarks' event rates are chosen, not measured: each is far
 * from the others in one direction (what matters for a fit is that the columns vary independently).
 */
export function calibrationWorkloads(): GuestProgram[] {
  const kernel = (name: string, rates: EventRates, memoryStallFraction: number): GuestProgram => ({ name, phases: [{ kind: 'compute', seconds: 1, rates, memoryStallFraction }] });
  const duty = (program: GuestProgram, busySeconds: number): GuestProgram => ({
    name: `${program.name}-duty`,
    phases: [{ ...(program.phases[0] as ComputePhase), seconds: busySeconds }, { kind: 'sleep', seconds: 0.01 - busySeconds }],
  });
  const spin = kernel('pause-loop', PAUSE_LOOP_RATES, 0);
  const alu = kernel('alu-loop', { instructions: 2.2, l2Misses: 0, memoryAccesses: 0.3, branchMispredictions: 0.001, floatingPoint: 0 }, 0);
  const chase = kernel('pointer-chase', { instructions: 0.2, l2Misses: 0.025, memoryAccesses: 0.1, branchMispredictions: 0.001, floatingPoint: 0 }, 0.8);
  const fp = kernel('fp-kernel', { instructions: 1.0, l2Misses: 0.001, memoryAccesses: 0.4, branchMispredictions: 0.001, floatingPoint: 1.0 }, 0.05);
  const branches = kernel('branch-miss', { instructions: 0.6, l2Misses: 0, memoryAccesses: 0.15, branchMispredictions: 0.05, floatingPoint: 0 }, 0);
  const loadStore = kernel('load-store', { instructions: 1.2, l2Misses: 0.0005, memoryAccesses: 1.1, branchMispredictions: 0.0005, floatingPoint: 0 }, 0.02);
  return [spin, alu, chase, fp, branches, loadStore, duty(alu, 0.004), duty(spin, 0.006), duty(chase, 0.005), duty(fp, 0.003)];
}

/** The host part of a machine spec (no VMs, no weights) from a scenario. */
export function hostParameters(scenario: HostScenario): Omit<HostMachineSpec, 'vms' | 'weights'> {
  const h = scenario.host;
  const pStates = h.pStates ?? PENTIUM_M_1600_PSTATES;
  const problems = pStateProblems(pStates);
  if (problems.length > 0) throw new UserError(`${scenario.name}: host.pStates: ${problems.join('; ')}`);
  const corePower: CorePowerParameters = {
    ...DEFAULT_CORE_POWER,
    ...stripUndefined(h.corePower),
    eventEnergyJoules: { ...DEFAULT_CORE_POWER.eventEnergyJoules, ...stripUndefined(h.corePower.eventEnergyJoules ?? {}) },
  } as CorePowerParameters;
  const thermal: ThermalParameters = { ...DEFAULT_THERMAL, ...stripUndefined(h.thermal) } as ThermalParameters;
  const d = h.disk;
  const disk: DiskParameters = {
    idlePowerWatts: d.idlePowerWatts ?? DEFAULT_DISK.idlePowerWatts,
    activePowerWatts: d.activePowerWatts ?? DEFAULT_DISK.activePowerWatts,
    standbyPowerWatts: d.standbyPowerWatts ?? DEFAULT_DISK.standbyPowerWatts,
    transferBytesPerSecond: d.transferMBps !== undefined ? d.transferMBps * 1e6 : DEFAULT_DISK.transferBytesPerSecond,
    positioningSeconds: d.positioningMs !== undefined ? d.positioningMs / 1000 : DEFAULT_DISK.positioningSeconds,
    standbyAfterIdleSeconds: d.standbyAfterIdleSeconds ?? DEFAULT_DISK.standbyAfterIdleSeconds,
    spinUpSeconds: d.spinUpSeconds ?? DEFAULT_DISK.spinUpSeconds,
    spinUpPowerWatts: d.spinUpPowerWatts ?? DEFAULT_DISK.spinUpPowerWatts,
  };
  return {
    coreCount: h.cores,
    pStates,
    corePower,
    thermal,
    disk,
    sliceSeconds: h.sliceMs / 1000,
    allocationPeriodSeconds: h.allocationPeriodMs / 1000,
    scheduler: h.scheduler,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Fits the weights for a scenario's host (what `hyperwatt calibrate` and `weights: calibrate` do). */
export function calibrateHost(scenario: HostScenario): { weights: EnergyWeights; fits: readonly CalibrationFit[] } {
  return calibrate({
    host: hostParameters(scenario),
    workloads: calibrationWorkloads(),
    counters: scenario.host.counters.map((name) => EVENT_NAMES.indexOf(name)),
    runSeconds: 4,
    warmUpSeconds: 1,
    windowSeconds: 0.1,
  });
}

function loadWeights(scenario: HostScenario, scenarioFile: string): { weights: EnergyWeights; fits: readonly CalibrationFit[] | null } {
  if (scenario.host.weights === 'calibrate') return calibrateHost(scenario);
  const file = resolveScenarioPath(scenario.host.weights, scenarioFile);
  // Checked like any input file: every problem with the weights file's line and field (UserError).
  const json: EnergyWeightsJson = parseWith(EnergyWeightsFileSchema, loadDocument(file), file);
  const weights = EnergyWeights.fromJson(json, hostParameters(scenario).pStates);
  if (Array.isArray(weights)) throw new UserError(weights.map((p) => `${file}: ${p}`).join('\n'));
  return { weights, fits: null };
}

/** The VM specs of a scenario (the driver VM last). */
export function vmSpecs(scenario: HostScenario): VmSpec[] {
  const cores = scenario.host.cores;
  let next = 0;
  const vms: VmSpec[] = scenario.vms.map((vm) => ({
    name: vm.name,
    kind: 'guest' as const,
    tickets: vm.tickets,
    vcpus: Array.from({ length: vm.vcpus }, (_, v) => ({
      core: vm.cores ? vm.cores[v] : next++ % cores,
      threads: vm.threads
        .filter((t) => t.vcpu === v)
        .map((t) => ({
          name: t.name,
          tickets: t.tickets,
          program: t.profile !== undefined ? GUEST_PROFILES[t.profile]() : ({ name: t.name, phases: t.phases! } as GuestProgram),
        })),
    })),
  }));
  if (scenario.driver) {
    vms.push({
      name: 'driver',
      kind: 'driver',
      vcpus: [{ core: scenario.driver.core, threads: [] }],
      driverCost: { cyclesPerRequest: scenario.driver.cyclesPerRequest, cyclesPerByte: scenario.driver.cyclesPerByte, rates: DRIVER_EVENT_RATES },
    });
  }
  return vms;
}

/** Runs a host scenario. */
export function runHostScenario(scenario: HostScenario, scenarioFile: string): HostRunResult {
  const wallStart = performance.now();
  const { weights, fits } = loadWeights(scenario, scenarioFile);
  const spec: HostMachineSpec = { ...hostParameters(scenario), weights, vms: vmSpecs(scenario) };
  const machine = new HostMachine(spec);
  const accountant = new EnergyAccountant(machine, scenario.accounting.idleRule);
  const view = hostEnergyView(machine, accountant);

  // Order at a common tick: accounting first, then the host manager, then the guests, then sampling.
  machine.every(scenario.accounting.periodMs / 1000, () => accountant.flush());
  const cpuLimits = new Map<number, number>();
  const diskLimits = new Map<number, number>();
  scenario.vms.forEach((vm, i) => {
    if (vm.cpuPowerLimitWatts !== undefined) cpuLimits.set(i, vm.cpuPowerLimitWatts);
    if (vm.diskPowerLimitWatts !== undefined) diskLimits.set(i, vm.diskPowerLimitWatts);
  });
  const manager = new HostEnergyManager(view, {
    periodSeconds: scenario.manager.periodMs / 1000,
    vmCpuLimitWatts: cpuLimits,
    vmDiskLimitWatts: diskLimits,
    coreLimit: scenario.manager.coreLimit ? { ...scenario.manager.coreLimit } : null,
    governor: scenario.host.governor,
    pStateFrequenciesHz: spec.pStates.map((p) => p.frequencyHz),
  });
  machine.every(scenario.manager.periodMs / 1000, () => manager.step());
  const threadLimits = new Map<string, number>();
  scenario.vms.forEach((vm, i) => {
    const policy = vm.guestPolicy;
    if (!policy) return;
    const guest = guestEnergyView(machine, accountant, i);
    const limits = new Map<number, number>();
    for (let t = 0; t < guest.threadCount; t++) {
      const app = guest.threadName(t).slice(vm.name.length + 1);
      const limit = policy.threadLimitsWatts[app];
      if (limit !== undefined) limits.set(t, limit);
    }
    const guestPolicy = new GuestEnergyPolicy(guest, { periodSeconds: policy.periodMs / 1000, budgetWatts: policy.budgetWatts, threadLimitWatts: limits });
    for (let t = 0; t < guest.threadCount; t++) threadLimits.set(guest.threadName(t), guestPolicy.limits[t]);
    machine.every(policy.periodMs / 1000, () => guestPolicy.step());
  });

  const sampleSeconds = scenario.output.sampleMs / 1000;
  const recorder = recordSeries(machine, accountant, sampleSeconds);
  const series = recorder.series;
  machine.runUntil(scenario.durationSeconds);
  accountant.flush();
  // The last sample, at the end (every() fires at slice starts, so the end itself is never a tick).
  if (series.timeSeconds[series.timeSeconds.length - 1] !== machine.timeSeconds) recorder.sample(machine.timeSeconds);
  const wallSeconds = (performance.now() - wallStart) / 1000;

  const vmNames = spec.vms.map((v) => v.name);
  const vmRows = spec.vms.map((v, vm) => accountingRow(machine, accountant, series, vm, v.kind, cpuLimits.get(vm) ?? null));
  const rules = accountant.ruleComparison();
  let hostTrue = machine.diskEnergyJoules();
  let hostEstimated = machine.diskEnergyJoules();
  for (let c = 0; c < machine.coreCount; c++) {
    hostTrue += machine.coreTrueJoules[c];
    hostEstimated += machine.coreEstimatedJoules[c];
  }
  let throttled = 0;
  let slow = 0;
  // The peak over every slice, not only the samples.
  const maxTemperature = machine.peakCoreCelsius;
  for (let c = 0; c < machine.coreCount; c++) {
    throttled += machine.coreThrottledSeconds[c];
    slow += machine.coreSlowSeconds[c];
  }
  const guestRows = vmRows.filter((r) => r.kind === 'guest');
  const errors = guestRows.map((r) => Math.abs(r.cpu_error_pct));
  const totalWork = guestRows.reduce((s, r) => s + r.work_seconds, 0);
  const summary: Record<string, number | string> = {
    scenario: scenario.name,
    kind: 'host',
    cores: machine.coreCount,
    vms: scenario.vms.length,
    vcpus: machine.vcpuCount,
    sim_seconds: scenario.durationSeconds,
    slice_ms: scenario.host.sliceMs,
    scheduler: scenario.host.scheduler,
    weights: scenario.host.weights === 'calibrate' ? 'calibrated at start' : scenario.host.weights,
    host_energy_true_j: hostTrue,
    host_energy_estimated_j: hostEstimated,
    host_estimate_error_pct: ((hostEstimated - hostTrue) / hostTrue) * 100,
    disk_energy_j: machine.diskEnergyJoules(),
    mean_host_power_w: hostTrue / scenario.durationSeconds,
    vm_cpu_error_mean_pct: errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : 0,
    vm_cpu_error_max_pct: errors.length ? Math.max(...errors) : 0,
    sum_rule_error: accountant.sumRuleError(),
    unattributed_j: accountant.estimate.unattributed + accountant.estimate.carried,
    total_work_seconds: totalWork,
    max_core_temperature_c: maxTemperature,
    throttled_core_seconds: throttled,
    slow_pstate_core_seconds: slow,
    balancing_moves: manager.counters.balancingMoves,
    disk_hold_periods: manager.counters.diskHoldPeriods,
    disk_requests: machine.disk.requestCount,
    events: machine.eventCount,
    wall_seconds: wallSeconds,
  };
  const threads = machine.threadNames.map((name, t) => ({
    thread: name,
    cpu_seconds: machine.threadRunSeconds[t],
    work_seconds: machine.threadWorkSeconds[t],
    active_estimated_j: machine.threadEstimatedJoules[t],
    active_true_j: machine.threadTrueJoules[t],
    limit_watts: threadLimits.get(name) ?? null,
  }));
  return { summary, vms: vmRows, threads, rules, series, vmNames, weights: weights.toJson(), calibration: fits };
}

function recordSeries(machine: HostMachine, accountant: EnergyAccountant, sampleSeconds: number): { series: DetailedHostSeries; sample: (now: number) => void } {
  const C = machine.coreCount;
  const V = machine.vmCount;
  const series: DetailedHostSeries = {
    timeSeconds: [],
    coreTrueWatts: Array.from({ length: C }, () => []),
    coreTemperatureCelsius: Array.from({ length: C }, () => []),
    corePState: Array.from({ length: C }, () => []),
    coreThrottle: Array.from({ length: C }, () => []),
    vmEstimatedWatts: Array.from({ length: V }, () => []),
    vmTrueWatts: Array.from({ length: V }, () => []),
    vmDiskWatts: Array.from({ length: V }, () => []),
    vmThroughput: Array.from({ length: V }, () => []),
    vmAllocation: Array.from({ length: V }, () => []),
  };
  const lastCore = new Float64Array(C);
  const lastEstimate = new Float64Array(V);
  const lastTrue = new Float64Array(V);
  const lastDisk = new Float64Array(V);
  const lastWork = new Float64Array(V);
  const work = new Float64Array(V);
  const vcpusOf: number[][] = Array.from({ length: V }, () => []);
  for (let v = 0; v < machine.vcpuCount; v++) vcpusOf[machine.vcpuVm[v]].push(v);
  let lastTime = 0;
  const sample = (now: number): void => {
    const elapsed = now - lastTime;
    lastTime = now;
    series.timeSeconds.push(now);
    for (let c = 0; c < C; c++) {
      series.coreTrueWatts[c].push((machine.coreTrueJoules[c] - lastCore[c]) / elapsed);
      lastCore[c] = machine.coreTrueJoules[c];
      series.coreTemperatureCelsius[c].push(machine.coreTemperature(c));
      series.corePState[c].push(machine.corePState[c]);
      series.coreThrottle[c].push(machine.coreThrottle[c]);
    }
    work.fill(0);
    for (let t = 0; t < machine.threadCount; t++) work[machine.threadVm[t]] += machine.threadWorkSeconds[t];
    for (let vm = 0; vm < V; vm++) {
      const e = accountant.vmCpu(vm);
      const tr = accountant.vmCpu(vm, 'truth');
      const d = accountant.vmDisk(vm);
      series.vmEstimatedWatts[vm].push((e - lastEstimate[vm]) / elapsed);
      series.vmTrueWatts[vm].push((tr - lastTrue[vm]) / elapsed);
      series.vmDiskWatts[vm].push((d - lastDisk[vm]) / elapsed);
      series.vmThroughput[vm].push((work[vm] - lastWork[vm]) / elapsed);
      let allocation = 0;
      for (const v of vcpusOf[vm]) allocation += machine.vcpuAllocation[v];
      series.vmAllocation[vm].push(vcpusOf[vm].length ? allocation / vcpusOf[vm].length : 1);
      lastEstimate[vm] = e;
      lastTrue[vm] = tr;
      lastDisk[vm] = d;
      lastWork[vm] = work[vm];
    }
  };
  machine.every(sampleSeconds, sample);
  return { series, sample };
}

/** Highest mean over any window of `width` consecutive samples, skipping the first `skip` samples. */
export function maxWindowMean(values: readonly number[], width: number, skip: number): number {
  let best = -Infinity;
  let sum = 0;
  for (let i = skip; i < values.length; i++) {
    sum += values[i];
    if (i - skip >= width) sum -= values[i - width];
    if (i - skip >= width - 1) best = Math.max(best, sum / width);
  }
  return best === -Infinity ? NaN : best;
}

function accountingRow(machine: HostMachine, accountant: EnergyAccountant, series: DetailedHostSeries, vm: number, kind: 'guest' | 'driver', limit: number | null): VmAccountingRow {
  const sampleSeconds = series.timeSeconds.length > 1 ? series.timeSeconds[1] - series.timeSeconds[0] : 1;
  const perSecond = Math.max(1, Math.round(1 / sampleSeconds));
  let work = 0;
  let instructions = 0;
  for (let t = 0; t < machine.threadCount; t++) {
    if (machine.threadVm[t] !== vm) continue;
    work += machine.threadWorkSeconds[t];
    instructions += machine.threadCounters[t * EVENT_COUNT + EVENT_INSTRUCTIONS];
  }
  let vcpus = 0;
  for (let v = 0; v < machine.vcpuCount; v++) if (machine.vcpuVm[v] === vm) vcpus++;
  const estimated = accountant.vmCpu(vm);
  const truth = accountant.vmCpu(vm, 'truth');
  const duration = machine.timeSeconds;
  return {
    vm: machine.vmNames[vm],
    kind,
    vcpus,
    cpu_estimated_j: estimated,
    cpu_true_j: truth,
    cpu_error_pct: truth > 0 ? ((estimated - truth) / truth) * 100 : 0,
    cpu_active_j: accountant.estimate.cpuActive[vm],
    cpu_idle_share_j: accountant.estimate.cpuIdle[vm],
    recursive_j: accountant.estimate.recursive[vm],
    recursive_true_j: accountant.truth.recursive[vm],
    disk_j: accountant.vmDisk(vm),
    disk_mib: machine.vmDiskBytes[vm] / 1048576,
    mean_cpu_watts: estimated / duration,
    cpu_limit_watts: limit,
    max_window_estimated_watts: maxWindowMean(series.vmEstimatedWatts[vm], perSecond, perSecond),
    max_window_true_watts: maxWindowMean(series.vmTrueWatts[vm], perSecond, perSecond),
    work_seconds: work,
    instructions,
  };
}
