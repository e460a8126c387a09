/**
 * Fixtures shared by the detailed-host tests: a small host spec with round numbers, guest VMs built from
 * programs or named profiles, the exact estimator weights of a linear ground truth, and a tiny seeded PRNG.
 */
import { EnergyWeights } from '../../../src/mechanisms/host/energy-weights.js';
import type { HostMachineSpec, VmSpec } from '../../../src/mechanisms/host/host-machine.js';
import { DEFAULT_CORE_POWER, type CorePowerParameters } from '../../../src/model/host/core-power.js';
import { DEFAULT_DISK } from '../../../src/model/host/disk-model.js';
import { EVENT_COUNT } from '../../../src/model/host/performance-events.js';
import { PENTIUM_M_1600_PSTATES, type PState } from '../../../src/model/host/p-states.js';
import { DEFAULT_THERMAL } from '../../../src/model/host/thermal-model.js';
import { DRIVER_EVENT_RATES, GUEST_PROFILES, type ComputePhase, type EventRates, type GuestProgram } from '../../../src/workload/guest-workload.js';

/** Every event kind, for a PMU that counts all of them. */
export const ALL_COUNTERS = Array.from({ length: EVENT_COUNT }, (_, e) => e);

/** The default ground truth with temperature-independent leakage: truth is then linear in the events. */
export const LINEAR_CORE_POWER: CorePowerParameters = { ...DEFAULT_CORE_POWER, leakageTemperatureCoefficientPerKelvin: 0 };

/** Rates with one unit of everything small, for hand arithmetic. */
export const SIMPLE_RATES: EventRates = { instructions: 1, l2Misses: 0.01, memoryAccesses: 0.5, branchMispredictions: 0.002, floatingPoint: 0.1 };

export function computePhase(seconds: number, rates: EventRates = SIMPLE_RATES, memoryStallFraction = 0): ComputePhase {
  return { kind: 'compute', seconds, rates, memoryStallFraction };
}

/** A program that always has work (1 s compute phases, repeated). */
export function busyProgram(rates: EventRates = SIMPLE_RATES, memoryStallFraction = 0): GuestProgram {
  return { name: 'busy', phases: [computePhase(1, rates, memoryStallFraction)] };
}

/** A one-vCPU-per-core guest VM: `programs[i]` runs alone on vCPU i placed on `cores[i]`. */
export function guestVm(name: string, cores: readonly number[], programs: readonly GuestProgram[], tickets?: number): VmSpec {
  return {
    name,
    kind: 'guest',
    ...(tickets !== undefined ? { tickets } : {}),
    vcpus: cores.map((core, i) => ({ core, threads: [{ name: `${programs[i].name}-${i}`, program: programs[i] }] })),
  };
}

/** A guest VM running a named profile on each of its vCPUs. */
export function profileVm(name: string, profile: string, cores: readonly number[], tickets?: number): VmSpec {
  return guestVm(
    name,
    cores,
    cores.map(() => GUEST_PROFILES[profile]()),
    tickets,
  );
}

/** The driver VM: one vCPU on `core`. */
export function driverVm(core: number, cyclesPerRequest = 40_000, cyclesPerByte = 0.5): VmSpec {
  return { name: 'driver', kind: 'driver', vcpus: [{ core, threads: [] }], driverCost: { cyclesPerRequest, cyclesPerByte, rates: DRIVER_EVENT_RATES } };
}

/**
 * The estimator weights that reproduce a ground truth with leakage independent of temperature exactly, when
 * every event is counted. Per P-state with v = V/V₀, f the clock and f₀ = the TSC rate:
 * run energy = v²·Σ E_e·events + L·v·t, halted energy = (H·v²·f/f₀ + L·v)·t, with t = cycles / f while running.
 * Hence w_tsc = (L·v + H·v²·f/f₀)/f₀ per tick, w_cycles = v²·(E_cycle − H/f₀) (a running core does not pay the
 * halted residual), w_e = v²·E_e for the other events.
 */
export function exactWeights(pStates: readonly PState[], power: CorePowerParameters, counters: readonly number[] = ALL_COUNTERS): EnergyWeights {
  const f0 = pStates[0].frequencyHz;
  const v0 = pStates[0].voltageVolts;
  const weights = new EnergyWeights(pStates, counters, f0);
  const energies = [power.cycleEnergyJoules, power.eventEnergyJoules.instructions, power.eventEnergyJoules.l2Misses, power.eventEnergyJoules.memoryAccesses, power.eventEnergyJoules.branchMispredictions, power.eventEnergyJoules.floatingPoint];
  pStates.forEach((p, ps) => {
    const v = p.voltageVolts / v0;
    const row = ps * weights.stride;
    weights.table[row] = (power.leakagePowerWatts * v + power.haltPowerWatts * v * v * (p.frequencyHz / f0)) / f0;
    for (const e of counters) weights.table[row + 1 + e] = e === 0 ? v * v * (energies[0] - power.haltPowerWatts / f0) : v * v * energies[e];
  });
  return weights;
}

/** A host spec: Pentium M P-states, default thermal and disk, 1 ms slices, 10 ms allocation period, stride. */
export function hostSpec(vms: readonly VmSpec[], overrides: Partial<HostMachineSpec> = {}): HostMachineSpec {
  const pStates = overrides.pStates ?? PENTIUM_M_1600_PSTATES;
  const corePower = overrides.corePower ?? DEFAULT_CORE_POWER;
  return {
    coreCount: 1,
    pStates,
    corePower,
    thermal: DEFAULT_THERMAL,
    disk: DEFAULT_DISK,
    sliceSeconds: 0.001,
    allocationPeriodSeconds: 0.01,
    scheduler: 'stride',
    weights: exactWeights(pStates, corePower),
    vms,
    ...overrides,
  };
}

/** mulberry32: a tiny seeded PRNG (uniform in [0, 1)) so that the property tests pick their mixes reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** |a − b| / max(|a|, |b|), 0 when both are 0. */
export function relativeError(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}
