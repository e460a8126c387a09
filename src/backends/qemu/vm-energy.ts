/**
 * Per-VM energy on a real host estimated from CPU time alone: the fallback for hosts without hardware performance
 * counters or RAPL (this kind of machine has neither: perf sees software events only, and there is no powercap or
 * MSR interface; ../shared/reference/qemu/RESULTS.md §6).
 *
 * Between two samples Δt apart, each VM's CPU time c_i is the growth of its QEMU process's utime + stime (all its
 * threads: vCPUs and QEMU's own, which work for that VM). The host's power comes from a power model at the
 * utilisation the VMs cause, u = Σ c_i / (cores · Δt) (capped at 1; other host processes are not counted, an
 * assumption that fits a host that runs only VMs). The energy P(u) · Δt is then split with the attribution rules of
 * the host-energy model (docs/models/host-energy.md):
 * - the dynamic part, (P(u) − P(0)) · Δt, in proportion to CPU time (as active CPU energy follows run time when every
 *   cycle costs the same: no counters to weigh events);
 * - the idle part, P(0) · Δt, by the idle rule: `equal` (default), `by-vcpus` or `by-cpu-time`.
 * So the sum rule holds by construction: Σ per-VM = P(u) · Δt whenever a VM exists.
 */
import type { PowerModel } from '../../model/power-model.js';

export type IdleRule = 'equal' | 'by-vcpus' | 'by-cpu-time';

/** A VM's cumulative CPU time at a sample. */
export interface VmCpuReading {
  readonly name: string;
  readonly vcpus: number;
  /** utime + stime of its QEMU process so far, seconds. */
  readonly cpuSeconds: number;
}

export class VmEnergyMeter {
  readonly power: PowerModel;
  readonly cores: number;
  readonly idleRule: IdleRule;
  private lastTime: number | null = null;
  private readonly lastCpu = new Map<string, number>();
  private readonly energy = new Map<string, number>();
  private hostJoules = 0;

  constructor(power: PowerModel, cores: number, idleRule: IdleRule = 'equal') {
    if (!(Number.isInteger(cores) && cores >= 1)) throw new RangeError(`VmEnergyMeter: cores must be a positive integer, got ${cores}`);
    this.power = power;
    this.cores = cores;
    this.idleRule = idleRule;
  }

  /** Takes a sample at `timeSeconds` (monotonic) and charges the energy since the previous one. */
  sample(timeSeconds: number, readings: readonly VmCpuReading[]): void {
    const previous = this.lastTime;
    this.lastTime = timeSeconds;
    const deltas = readings.map((r) => {
      const before = this.lastCpu.get(r.name);
      this.lastCpu.set(r.name, r.cpuSeconds);
      if (!this.energy.has(r.name)) this.energy.set(r.name, 0);
      // A VM new since the last sample has no interval yet.
      return before === undefined ? 0 : Math.max(0, r.cpuSeconds - before);
    });
    if (previous === null || readings.length === 0) return;
    const dt = timeSeconds - previous;
    if (!(dt > 0)) return;
    const cpu = deltas.reduce((a, b) => a + b, 0);
    const utilisation = Math.min(1, cpu / (this.cores * dt));
    const idleWatts = this.power.powerWatts(0);
    const dynamicJoules = (this.power.powerWatts(utilisation) - idleWatts) * dt;
    const idleJoules = idleWatts * dt;
    this.hostJoules += dynamicJoules + idleJoules;
    const weights = readings.map((r, i) => (this.idleRule === 'by-vcpus' ? r.vcpus : this.idleRule === 'by-cpu-time' ? deltas[i]! : 1));
    let weightSum = weights.reduce((a, b) => a + b, 0);
    // By CPU time with no CPU time: equal shares.
    if (weightSum === 0) {
      weights.fill(1);
      weightSum = readings.length;
    }
    readings.forEach((r, i) => {
      const dynamic = cpu > 0 ? (dynamicJoules * deltas[i]!) / cpu : dynamicJoules / readings.length;
      this.energy.set(r.name, this.energy.get(r.name)! + dynamic + (idleJoules * weights[i]!) / weightSum);
    });
  }

  /** A VM's energy so far, joules. */
  energyJoules(name: string): number {
    return this.energy.get(name) ?? 0;
  }

  /** The host's energy so far (the sum over VMs), joules. */
  get hostEnergyJoules(): number {
    return this.hostJoules;
  }
}
