/**
 * The host energy manager: enforces per-VM CPU and disk power limits and per-core temperature or power limits,
 * and runs a DVFS governor, every period (10–100 ms), through a {@link HostEnergyView}.
 *
 * - Per-VM CPU power limit (Stoess et al., USENIX ATC 2007, §4.2): the budget becomes the VM's vCPU
 *   allocations (power-limit-controller.ts); time nobody is allotted is halt. Other VMs keep their share.
 * - Per-core temperature or power limit: first energy balancing — between the hottest and the coolest core, the
 *   swap of one vCPU of each (or the move of one vCPU, when the cool queue is shorter by two or more) that best
 *   narrows the gap between the power their run queues put on them, each vCPU weighing its mean power over the
 *   period (Merkel and Bellosa, "Balancing power consumption in multiprocessor systems", EuroSys 2006: run
 *   queues balanced by their tasks' power, not only their length); throttle only a core that stays above its limit: forced halt cycles
 *   (`halt`) or a slower P-state (`dvfs`), with a proportional-integral step on the excess, released when the
 *   core is back under the limit.
 * - Per-VM disk power limit: a token bucket of the VM's disk budget, spent by the energy of its own requests (its
 *   share of the disk's idle power is not under its control); a VM in debt has its requests held until the next
 *   period (delayed to the next tick), as Stoess et al. throttle disk requests.
 * - DVFS governor: `performance` (fastest), `powersave` (slowest), `ondemand` (fastest above 80 % load,
 *   otherwise the slowest P-state whose frequency covers load / 0.8, as Linux's ondemand governor). Thermal DVFS
 *   throttling only ever slows a core further.
 */

import type { HostEnergyView } from './host-energy-view.js';
import { powerLimitStep, type PowerLimitState } from './power-limit-controller.js';

export const GOVERNORS = ['performance', 'powersave', 'ondemand'] as const;
export type Governor = (typeof GOVERNORS)[number];

export interface CoreLimit {
  /** Temperature limit, °C (either this or powerWatts). */
  readonly temperatureCelsius?: number;
  /** Power limit per core, watts. */
  readonly powerWatts?: number;
  /** Balance vCPUs across cores by their power before throttling. */
  readonly balancing: boolean;
  /** How a core over its limit is throttled. */
  readonly throttle: 'halt' | 'dvfs';
}

export interface HostEnergyManagerConfig {
  /** Control period, seconds (10–100 ms). */
  readonly periodSeconds: number;
  /** Per-VM CPU power limits, watts, by VM index. */
  readonly vmCpuLimitWatts: ReadonlyMap<number, number>;
  /** Per-VM disk power limits, watts, by VM index. */
  readonly vmDiskLimitWatts: ReadonlyMap<number, number>;
  readonly coreLimit: CoreLimit | null;
  readonly governor: Governor;
  /** Frequencies of the P-states, Hz (for the ondemand governor). */
  readonly pStateFrequenciesHz: readonly number[];
}

/** What the manager did, for reports. */
export interface ManagerCounters {
  balancingMoves: number;
  diskHoldPeriods: number;
}

export class HostEnergyManager {
  readonly config: HostEnergyManagerConfig;
  readonly counters: ManagerCounters = { balancingMoves: 0, diskHoldPeriods: 0 };
  private readonly view: HostEnergyView;
  private readonly lastVmCpu: Float64Array;
  private readonly lastVmDisk: Float64Array;
  private readonly lastVcpuActive: Float64Array;
  private readonly lastVcpuSeconds: Float64Array;
  private readonly lastCoreEnergy: Float64Array;
  private readonly lastCoreBusy: Float64Array;
  private readonly vcpuWatts: Float64Array;
  // Per-period deltas, kept between steps so that a step allocates nothing.
  private readonly vcpuActive: Float64Array;
  private readonly vcpuSeconds: Float64Array;
  private readonly coreLoad: Float64Array;
  private readonly coreWatts: Float64Array;
  private readonly diskTokens: Float64Array;
  private readonly limitStates = new Map<number, PowerLimitState>();
  private readonly throttleIntegral: Float64Array;
  private readonly thermalFloor: Int32Array;
  private readonly vmVcpus: number[][];

  constructor(view: HostEnergyView, config: HostEnergyManagerConfig) {
    this.view = view;
    this.config = config;
    this.lastVmCpu = new Float64Array(view.vmCount);
    this.lastVmDisk = new Float64Array(view.vmCount);
    this.lastVcpuActive = new Float64Array(view.vcpuCount);
    this.lastVcpuSeconds = new Float64Array(view.vcpuCount);
    this.lastCoreEnergy = new Float64Array(view.coreCount);
    this.lastCoreBusy = new Float64Array(view.coreCount);
    this.vcpuWatts = new Float64Array(view.vcpuCount);
    this.vcpuActive = new Float64Array(view.vcpuCount);
    this.vcpuSeconds = new Float64Array(view.vcpuCount);
    this.coreLoad = new Float64Array(view.coreCount);
    this.coreWatts = new Float64Array(view.coreCount);
    this.diskTokens = new Float64Array(view.vmCount);
    this.throttleIntegral = new Float64Array(view.coreCount);
    this.thermalFloor = new Int32Array(view.coreCount);
    this.vmVcpus = Array.from({ length: view.vmCount }, () => []);
    for (let v = 0; v < view.vcpuCount; v++) this.vmVcpus[view.vcpuVm(v)].push(v);
    for (const vm of config.vmCpuLimitWatts.keys()) this.limitStates.set(vm, { energyPerCpuSecond: 0, allowedCpu: this.vmVcpus[vm].length });
  }

  /** One control step; call every `config.periodSeconds`. */
  step(): void {
    const view = this.view;
    const period = this.config.periodSeconds;
    // Per-vCPU power while running (W per CPU-second) and per-core power over the period, from the accounting.
    const vcpuActive = this.vcpuActive;
    const vcpuSeconds = this.vcpuSeconds;
    for (let v = 0; v < view.vcpuCount; v++) {
      const e = view.vcpuActiveEnergyJoules(v);
      const s = view.vcpuCpuSeconds(v);
      vcpuActive[v] = e - this.lastVcpuActive[v];
      vcpuSeconds[v] = s - this.lastVcpuSeconds[v];
      this.lastVcpuActive[v] = e;
      this.lastVcpuSeconds[v] = s;
      // Mean power the vCPU put on its core over the period (power while running × share of time it ran).
      this.vcpuWatts[v] = vcpuActive[v] / period;
    }
    const coreLoad = this.coreLoad;
    for (let c = 0; c < view.coreCount; c++) {
      const e = view.coreEnergyJoules(c);
      const busy = view.coreBusySeconds(c);
      this.coreWatts[c] = (e - this.lastCoreEnergy[c]) / period;
      coreLoad[c] = (busy - this.lastCoreBusy[c]) / period;
      this.lastCoreEnergy[c] = e;
      this.lastCoreBusy[c] = busy;
    }

    for (const [vm, limit] of this.config.vmCpuLimitWatts) {
      // Service (driver) VMs are charged to their clients; limiting them would throttle everyone's I/O.
      if (view.vmIsService(vm)) continue;
      const now = view.vmCpuEnergyJoules(vm);
      const spent = now - this.lastVmCpu[vm];
      this.lastVmCpu[vm] = now;
      let active = 0;
      let seconds = 0;
      for (const v of this.vmVcpus[vm]) {
        active += vcpuActive[v];
        seconds += vcpuSeconds[v];
      }
      const state = this.limitStates.get(vm)!;
      const width = this.vmVcpus[vm].length;
      const allowed = powerLimitStep(state, active, Math.max(0, spent - active), seconds, period, limit, width);
      // Water-filling: a vCPU that used less than its allocation needs only what it used.
      const demands = this.vmVcpus[vm].map((v) => (vcpuSeconds[v] / period < view.vcpuAllocation(v) - 0.02 ? vcpuSeconds[v] / period : 1));
      let lo = allowed / width;
      let hi = 1;
      for (let k = 0; k < 60; k++) {
        const mid = (lo + hi) / 2;
        if (demands.reduce((sum, d) => sum + Math.min(d, mid), 0) > allowed) hi = mid;
        else lo = mid;
      }
      const share = allowed >= width ? 1 : lo;
      for (const v of this.vmVcpus[vm]) view.setVcpuAllocation(v, share);
    }

    for (const [vm, limit] of this.config.vmDiskLimitWatts) {
      if (view.vmIsService(vm)) continue;
      const now = view.vmDiskRequestEnergyJoules(vm);
      const spent = now - this.lastVmDisk[vm];
      this.lastVmDisk[vm] = now;
      // Token bucket: one period of budget at most in reserve, debt carried until paid.
      this.diskTokens[vm] = Math.min(limit * period, this.diskTokens[vm] + limit * period - spent);
      const held = this.diskTokens[vm] < 0;
      view.setVmDiskHold(vm, held);
      if (held) this.counters.diskHoldPeriods++;
    }

    const limit = this.config.coreLimit;
    if (limit) {
      if (limit.balancing) this.balance(limit);
      this.throttle(limit);
    }
    this.governor(coreLoad);
  }

  /** How far a core is over its limit (positive: over), in the limit's unit. */
  private excess(core: number, limit: CoreLimit): number {
    if (limit.temperatureCelsius !== undefined) return this.view.coreTemperatureCelsius(core) - limit.temperatureCelsius;
    return this.coreWatts[core] - (limit.powerWatts ?? Infinity);
  }

  /** One balancing move per period: the hottest vCPU of the hottest core towards the coolest core. */
  private balance(limit: CoreLimit): void {
    const view = this.view;
    let hot = -1;
    let cool = -1;
    for (let c = 0; c < view.coreCount; c++) {
      const x = this.excess(c, limit);
      if (hot < 0 || x > this.excess(hot, limit)) hot = c;
      if (cool < 0 || x < this.excess(cool, limit)) cool = c;
    }
    if (hot === cool) return;
    // Balance only when the hot core is near its limit: moving costs cache warmth.
    const margin = limit.temperatureCelsius !== undefined ? 3 : 0.05 * (limit.powerWatts ?? 0);
    if (this.excess(hot, limit) < -margin) return;
    // Power a run queue puts on its core: the sum of its vCPUs' mean power over the period.
    const hotQueue: number[] = [];
    const coolQueue: number[] = [];
    for (let v = 0; v < view.vcpuCount; v++) {
      if (view.vcpuCore(v) === hot) hotQueue.push(v);
      else if (view.vcpuCore(v) === cool) coolQueue.push(v);
    }
    if (hotQueue.length === 0) return;
    const sum = (queue: number[]): number => queue.reduce((total, v) => total + this.vcpuWatts[v], 0);
    const gap = sum(hotQueue) - sum(coolQueue);
    if (gap <= 0) return;
    let bestA = -1;
    let bestB = -1;
    let bestGap = gap;
    for (const a of hotQueue) {
      if (coolQueue.length + 1 < hotQueue.length) {
        // The cool queue is shorter by two or more: a plain move also evens the lengths.
        const after = Math.abs(gap - 2 * this.vcpuWatts[a]);
        if (after < bestGap - 1e-9) {
          bestGap = after;
          bestA = a;
          bestB = -1;
        }
      }
      for (const b of coolQueue) {
        const after = Math.abs(gap - 2 * (this.vcpuWatts[a] - this.vcpuWatts[b]));
        if (after < bestGap - 1e-9) {
          bestGap = after;
          bestA = a;
          bestB = b;
        }
      }
    }
    // Move only when it narrows the gap clearly (no ping-pong on noise).
    if (bestA < 0 || gap - bestGap < 0.1 * gap) return;
    view.moveVcpu(bestA, cool);
    this.counters.balancingMoves++;
    if (bestB >= 0) {
      view.moveVcpu(bestB, hot);
      this.counters.balancingMoves++;
    }
  }

  private throttle(limit: CoreLimit): void {
    const view = this.view;
    const temperature = limit.temperatureCelsius !== undefined;
    // Gains per unit of excess (per kelvin, or per watt relative to the limit).
    const scale = temperature ? 1 : 1 / Math.max(1e-9, limit.powerWatts ?? 1);
    for (let c = 0; c < view.coreCount; c++) {
      const x = this.excess(c, limit) * scale;
      if (limit.throttle === 'halt') {
        // PI on the halt share: proportional to the excess, integral to remove the steady offset.
        this.throttleIntegral[c] = Math.min(0.95, Math.max(0, this.throttleIntegral[c] + 0.01 * x));
        const share = Math.min(0.95, Math.max(0, this.throttleIntegral[c] + 0.02 * x));
        view.setCoreThrottle(c, share);
      } else {
        const floor = this.thermalFloor[c];
        if (x > 0 && floor < view.pStateCount - 1) this.thermalFloor[c] = floor + 1;
        else if (x < (temperature ? -2 : -0.05) && floor > 0) this.thermalFloor[c] = floor - 1;
      }
    }
  }

  private governor(coreLoad: Float64Array): void {
    const view = this.view;
    const frequencies = this.config.pStateFrequenciesHz;
    const slowest = view.pStateCount - 1;
    for (let c = 0; c < view.coreCount; c++) {
      let ps = 0;
      if (this.config.governor === 'powersave') ps = slowest;
      else if (this.config.governor === 'ondemand') {
        // Load relative to the current frequency, as a fraction of the fastest one.
        const load = coreLoad[c] * (frequencies[view.corePState(c)] / frequencies[0]);
        if (load < 0.8) {
          const target = (frequencies[0] * load) / 0.8;
          ps = 0;
          for (let p = slowest; p >= 0; p--) {
            if (frequencies[p] >= target) {
              ps = p;
              break;
            }
          }
        }
      }
      ps = Math.max(ps, this.thermalFloor[c]);
      if (ps !== view.corePState(c)) view.setCorePState(c, ps);
    }
  }
}
