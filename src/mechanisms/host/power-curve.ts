/**
 * The detailed host as a power curve for data-center scenarios: its mean power at 0 %, 10 %, …, 100 % CPU load,
 * measured by simulation, as a SPECpower-style table that the fluid data-center model interpolates.
 *
 * This is how a detailed host takes part in a data-center scenario (`power: { model: detailed-host }`): the
 * data-center model moves load in CPU shares, so what it needs from a host is power as a function of load, and
 * the detailed host provides it from its own models — P-states, per-event dynamic power, leakage at the
 * temperature the load leads to, the halted cores' residual power, the disk's idle power — rather than from a
 * measured table. Load u: every core runs one vCPU whose thread computes for u · 10 ms of every 10 ms and sleeps
 * the rest (the governor is `performance`: the fastest P-state). Each point is measured at thermal steady state
 * (a warm-up, a jump of the RC network to the steady state of the power just measured, a second warm-up) over
 * `measureSeconds`. `otherWatts` adds the rest of the platform (memory, fans, power-supply losses), which the
 * detailed host does not model: by default 0, so the curve is CPU cores plus disk.
 */
import { DEFAULT_CORE_POWER } from '../../model/host/core-power.js';
import { DEFAULT_DISK } from '../../model/host/disk-model.js';
import { PENTIUM_M_1600_PSTATES } from '../../model/host/p-states.js';
import { DEFAULT_THERMAL } from '../../model/host/thermal-model.js';
import type { GuestProgram } from '../../workload/guest-workload.js';
import { EnergyWeights } from './energy-weights.js';
import { HostMachine, type HostMachineSpec } from './host-machine.js';

export interface PowerCurveOptions {
  /** Seconds before the thermal jump, and again after it. */
  readonly warmUpSeconds: number;
  /** Seconds over which each point's mean power is measured. */
  readonly measureSeconds: number;
  /** Constant power of the rest of the platform, watts. */
  readonly otherWatts: number;
}

/** The default detailed host (every model at its documented default) with `coreCount` cores. */
export function defaultDetailedHost(coreCount: number): Omit<HostMachineSpec, 'vms' | 'weights'> {
  return {
    coreCount,
    pStates: PENTIUM_M_1600_PSTATES,
    corePower: DEFAULT_CORE_POWER,
    thermal: DEFAULT_THERMAL,
    disk: DEFAULT_DISK,
    sliceSeconds: 0.001,
    allocationPeriodSeconds: 0.01,
    scheduler: 'stride',
  };
}

export const DEFAULT_POWER_CURVE_OPTIONS: PowerCurveOptions = { warmUpSeconds: 1, measureSeconds: 2, otherWatts: 0 };

/**
 * Mean power at loads 0, 0.1, …, 1, watts (11 values).
 * @param host the detailed host (its VMs and weights are ignored).
 * @param program the work a busy core does: its first phase must be a compute phase.
 */
export function detailedHostPowerCurve(host: Omit<HostMachineSpec, 'vms' | 'weights'>, program: GuestProgram, options: PowerCurveOptions = DEFAULT_POWER_CURVE_OPTIONS): number[] {
  const compute = program.phases.find((p) => p.kind === 'compute');
  if (!compute || compute.kind !== 'compute') throw new RangeError(`detailedHostPowerCurve: program ${program.name} has no compute phase`);
  const period = 0.01;
  const watts: number[] = [];
  for (let step = 0; step <= 10; step++) {
    const load = step / 10;
    const duty: GuestProgram =
      step === 10 ? { name: program.name, phases: [compute] } : { name: `${program.name}-${step * 10}%`, phases: [{ ...compute, seconds: load * period }, { kind: 'sleep', seconds: period - load * period }] };
    const machine = new HostMachine({
      ...host,
      weights: new EnergyWeights(host.pStates, [], host.pStates[0].frequencyHz),
      vms:
        step === 0
          ? []
          : Array.from({ length: host.coreCount }, (_, core) => ({ name: `load-${core}`, kind: 'guest' as const, vcpus: [{ core, threads: [{ name: 'load', program: duty }] }] })),
    });
    const coreJoules = (): number => machine.coreTrueJoules.reduce((a, b) => a + b, 0);
    machine.runUntil(options.warmUpSeconds);
    const settled = new Float64Array(machine.coreCount);
    for (let c = 0; c < machine.coreCount; c++) settled[c] = machine.coreTrueJoules[c] / options.warmUpSeconds;
    machine.thermal.setSteadyState(settled);
    machine.runUntil(2 * options.warmUpSeconds);
    const startJoules = coreJoules() + machine.diskEnergyJoules();
    machine.runUntil(2 * options.warmUpSeconds + options.measureSeconds);
    watts.push((coreJoules() + machine.diskEnergyJoules() - startJoules) / options.measureSeconds + options.otherWatts);
  }
  return watts;
}
