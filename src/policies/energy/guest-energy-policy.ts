/**
 * An energy-aware guest: splits its VM's power budget among its applications and holds each to its part.
 *
 * Two-level energy management (Stoess et al., USENIX ATC 2007, §3 and §5.3): the host only sees VMs; the guest
 * knows its applications. The guest reads its virtual energy meter (what the host charges the VM) and splits
 * each period's energy among its threads in proportion to the energy of their virtual-counter readings (the
 * counters it logs at its own thread switches, valued with the weights the host advertises). Applications with
 * an explicit limit get it; the others share the rest of the VM budget equally. Each application is held to its
 * part by its guest CPU allocation, with the same controller as the host (power-limit-controller.ts), so the
 * VM stays under the budget without the host having to step in — and if a guest does nothing of the kind, the
 * host's own limit still holds it.
 */

import type { GuestEnergyView } from './host-energy-view.js';
import { powerLimitStep, type PowerLimitState } from './power-limit-controller.js';

export interface GuestEnergyPolicyConfig {
  readonly periodSeconds: number;
  /** The VM's power budget (CPU), watts. */
  readonly budgetWatts: number;
  /** Explicit limits by thread index, watts; the other threads share what is left equally. */
  readonly threadLimitWatts: ReadonlyMap<number, number>;
}

export class GuestEnergyPolicy {
  private readonly view: GuestEnergyView;
  readonly config: GuestEnergyPolicyConfig;
  /** Each thread's limit, watts (explicit or its share of the rest). */
  readonly limits: Float64Array;
  private readonly states: PowerLimitState[];
  private readonly lastCounterEnergy: Float64Array;
  private readonly lastSeconds: Float64Array;
  private lastVmEnergy = 0;
  // Per-period deltas, kept between steps so that a step allocates nothing.
  private readonly counterEnergy: Float64Array;
  private readonly seconds: Float64Array;

  constructor(view: GuestEnergyView, config: GuestEnergyPolicyConfig) {
    this.view = view;
    this.config = config;
    const n = view.threadCount;
    this.limits = new Float64Array(n);
    let explicit = 0;
    for (const w of config.threadLimitWatts.values()) explicit += w;
    const others = n - config.threadLimitWatts.size;
    for (let t = 0; t < n; t++) this.limits[t] = config.threadLimitWatts.get(t) ?? Math.max(0, config.budgetWatts - explicit) / Math.max(1, others);
    this.states = Array.from({ length: n }, () => ({ energyPerCpuSecond: 0, allowedCpu: 1 }));
    this.lastCounterEnergy = new Float64Array(n);
    this.lastSeconds = new Float64Array(n);
    this.counterEnergy = new Float64Array(n);
    this.seconds = new Float64Array(n);
  }

  step(): void {
    const view = this.view;
    const n = view.threadCount;
    const vmEnergy = view.cpuEnergyJoules();
    const period = vmEnergy - this.lastVmEnergy;
    this.lastVmEnergy = vmEnergy;
    const counterEnergy = this.counterEnergy;
    const seconds = this.seconds;
    let counterTotal = 0;
    for (let t = 0; t < n; t++) {
      const e = view.threadCounterEnergyJoules(t);
      const s = view.threadCpuSeconds(t);
      counterEnergy[t] = e - this.lastCounterEnergy[t];
      seconds[t] = s - this.lastSeconds[t];
      this.lastCounterEnergy[t] = e;
      this.lastSeconds[t] = s;
      counterTotal += counterEnergy[t];
    }
    for (let t = 0; t < n; t++) {
      // The VM's energy of the period, split by counter energy (idle share included in proportion).
      // The guest cannot tell its idle share from its threads' activity, so all of it scales with CPU time.
      const charged = counterTotal > 0 ? (period * counterEnergy[t]) / counterTotal : period / n;
      const allowed = powerLimitStep(this.states[t], charged, 0, seconds[t], this.config.periodSeconds, this.limits[t], 1);
      view.setThreadAllocation(t, Math.min(1, allowed));
    }
  }
}
