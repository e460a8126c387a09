/**
 * vCPU ballooning: how many vCPUs each VM should have online, from its entitled share of the cores and its
 * demand. The policy sees a {@link VcpuBalloonView} — cumulative readings a hypervisor has (CPU time per VM,
 * runnable guest threads, pause-loop exits) — and answers targets; it keeps its previous readings and works
 * on differences. The simulator implements the view over its double-scheduling machine
 * (backends/simulator/smp-run.ts); a real backend implements it with per-vCPU thread CPU time, the guest
 * agent's load average and KVM's `pause_exits` statistic, and applies targets by guest CPU offlining.
 *
 * Presets:
 * - `flexcore` (Miao and Chen, Tsinghua Science and Technology 20(1), 2015): each VM gets its entitled share
 *   of the cores, `cores × weight / Σ weights of the VMs with demand`, rounded down, at least one vCPU; cores
 *   left over go to VMs whose demand (runnable threads) exceeds their allocation, largest unmet remainder first;
 *   never above the demand rounded up or the VM's maximum. So the hypervisor has about one vCPU per core to
 *   schedule. Evaluated every period and also at once when a VM's pause-loop exits per online vCPU and second
 *   exceed a spike threshold; a spiking VM does not borrow cores beyond its entitlement (spinning means its
 *   vCPUs are being preempted).
 * - `vscale` (after Cheng, Rao and Lau, "vScale: automatic and efficient processor scaling for SMP virtual
 *   machines", EuroSys 2016): each VM's target is its entitlement plus its weighted part of the capacity the
 *   other VMs left unused in the last period, capped by its demand, rounded up. Evaluated every 10 ms with a
 *   fast (microsecond) guest reconfiguration instead of Linux hot-plug.
 *
 * A registry maps a name to a factory; an unknown name fails with the list of valid ones.
 */

/** What a ballooning policy sees (cumulative readings since the start). */
export interface VcpuBalloonView {
  readonly vmCount: number;
  readonly coreCount: number;
  nowSeconds(): number;
  maxVcpus(vm: number): number;
  onlineVcpus(vm: number): number;
  /** Scheduling weight of the VM's vCPUs (1024: nice 0). */
  weight(vm: number): number;
  /** CPU time the VM's vCPUs ran so far, seconds. */
  cpuSeconds(vm: number): number;
  /** ∫ runnable guest threads dt so far (running, waiting for a vCPU, or spinning), thread·seconds. */
  runnableThreadSeconds(vm: number): number;
  /** Pause-loop exits so far. */
  pleExits(vm: number): number;
}

/** A ballooning policy. */
export interface VcpuBalloonPolicy {
  readonly name: string;
  /** Evaluation period, seconds. */
  readonly periodSeconds: number;
  /**
   * Writes each VM's target online vCPU count into `targets` (within 1..maxVcpus). `spiking` marks VMs whose
   * pause-loop exits spiked since the last evaluation (all zero at a periodic evaluation).
   */
  targets(view: VcpuBalloonView, spiking: Uint8Array, targets: Int32Array): void;
  /** Whether the VM's exits since the last evaluation make a spike. */
  isSpike(exits: number, onlineVcpus: number, seconds: number): boolean;
}

export interface FlexCoreParameters {
  /** Evaluation period, seconds (default 0.1: an assumption, the paper gives none). */
  readonly periodSeconds?: number;
  /** Pause-loop exits per online vCPU per second that trigger an immediate evaluation (default 2000: an assumption). */
  readonly pleSpikeExitsPerVcpuSecond?: number;
}

export interface VScaleParameters {
  /** Evaluation period, seconds (default 0.01: vScale's 10 ms). */
  readonly periodSeconds?: number;
}

export type VcpuBalloonPolicyConfig = ({ readonly name: 'flexcore' } & FlexCoreParameters) | ({ readonly name: 'vscale' } & VScaleParameters);

/**
 * Demand under this many runnable threads (a twentieth of a thread on average over the period) counts as an idle
 * VM: it keeps one vCPU and no entitlement. A choice, not a measurement: well below one busy thread, above the
 * rounding noise of the runnable-thread integral.
 */
const IDLE_DEMAND_THREADS = 0.05;

/** The `flexcore` preset's defaults (assumptions: the paper gives neither number). */
export const FLEXCORE_DEFAULTS = { periodSeconds: 0.1, pleSpikeExitsPerVcpuSecond: 2000 } as const;
/** The `vscale` preset's default period: vScale's 10 ms. */
export const VSCALE_DEFAULTS = { periodSeconds: 0.01 } as const;

/** Per-period readings shared by the presets: demand (mean runnable threads) and CPU used (cores), per VM. */
class PeriodReadings {
  private lastTime = 0;
  private lastCpu = new Float64Array(0);
  private lastRunnable = new Float64Array(0);
  demand = new Float64Array(0);
  used = new Float64Array(0);

  read(view: VcpuBalloonView): void {
    const n = view.vmCount;
    if (this.lastCpu.length !== n) {
      this.lastCpu = new Float64Array(n);
      this.lastRunnable = new Float64Array(n);
      this.demand = new Float64Array(n);
      this.used = new Float64Array(n);
    }
    const now = view.nowSeconds();
    const dt = now - this.lastTime;
    for (let vm = 0; vm < n; vm++) {
      const cpu = view.cpuSeconds(vm);
      const runnable = view.runnableThreadSeconds(vm);
      // At time 0 (nothing measured yet) a VM is taken to want all its vCPUs.
      this.demand[vm] = dt > 0 ? (runnable - this.lastRunnable[vm]) / dt : view.maxVcpus(vm);
      this.used[vm] = dt > 0 ? (cpu - this.lastCpu[vm]) / dt : view.maxVcpus(vm);
      this.lastCpu[vm] = cpu;
      this.lastRunnable[vm] = runnable;
    }
    this.lastTime = now;
  }
}

/** Entitled cores per VM: the cores split by weight among the VMs with demand. */
function entitlements(view: VcpuBalloonView, demand: Float64Array, out: Float64Array): void {
  let total = 0;
  for (let vm = 0; vm < view.vmCount; vm++) if (demand[vm] > IDLE_DEMAND_THREADS) total += view.weight(vm);
  for (let vm = 0; vm < view.vmCount; vm++) {
    out[vm] = demand[vm] > IDLE_DEMAND_THREADS && total > 0 ? (view.coreCount * view.weight(vm)) / total : 0;
  }
}

function clampTarget(view: VcpuBalloonView, vm: number, value: number): number {
  return Math.max(1, Math.min(view.maxVcpus(vm), value));
}

/** FlexCore: entitled share rounded down, leftovers to unmet demand, capped by demand. */
export class FlexCorePolicy implements VcpuBalloonPolicy {
  readonly name = 'flexcore';
  readonly periodSeconds: number;
  private readonly spikeRate: number;
  private readonly readings = new PeriodReadings();
  private entitled = new Float64Array(0);
  private want = new Int32Array(0);

  constructor(parameters: FlexCoreParameters = {}) {
    this.periodSeconds = parameters.periodSeconds ?? FLEXCORE_DEFAULTS.periodSeconds;
    this.spikeRate = parameters.pleSpikeExitsPerVcpuSecond ?? FLEXCORE_DEFAULTS.pleSpikeExitsPerVcpuSecond;
    if (!(this.periodSeconds > 0)) throw new RangeError(`flexcore: periodSeconds must be positive, got ${this.periodSeconds}`);
    if (!(this.spikeRate > 0)) throw new RangeError(`flexcore: pleSpikeExitsPerVcpuSecond must be positive, got ${this.spikeRate}`);
  }

  isSpike(exits: number, onlineVcpus: number, seconds: number): boolean {
    return seconds > 0 && exits / (onlineVcpus * seconds) > this.spikeRate;
  }

  targets(view: VcpuBalloonView, spiking: Uint8Array, targets: Int32Array): void {
    const n = view.vmCount;
    this.readings.read(view);
    const demand = this.readings.demand;
    if (this.entitled.length !== n) {
      this.entitled = new Float64Array(n);
      this.want = new Int32Array(n);
    }
    entitlements(view, demand, this.entitled);
    let free = view.coreCount;
    for (let vm = 0; vm < n; vm++) {
      this.want[vm] = clampTarget(view, vm, Math.ceil(demand[vm] - 1e-9));
      if (spiking[vm] === 1) this.want[vm] = Math.min(this.want[vm], clampTarget(view, vm, Math.floor(this.entitled[vm] + 1e-9)));
      targets[vm] = Math.min(this.want[vm], clampTarget(view, vm, Math.floor(this.entitled[vm] + 1e-9)));
      free -= targets[vm];
    }
    // Leftover cores to VMs whose demand is unmet; then cores still free (no contention) up to each VM's maximum —
    // deflating a VM that nobody competes with only costs it parallelism. A spiking VM borrows nothing.
    free = this.handOut(free, targets, (vm) => this.want[vm]);
    this.handOut(free, targets, (vm) => (spiking[vm] === 1 ? 0 : view.maxVcpus(vm)));
  }

  /** Gives `free` cores one at a time to the VM below its cap with the largest entitlement remainder (then lowest index); returns what is left. */
  private handOut(free: number, targets: Int32Array, cap: (vm: number) => number): number {
    while (free > 0) {
      let best = -1;
      let key = -Infinity;
      for (let vm = 0; vm < targets.length; vm++) {
        if (targets[vm] >= cap(vm)) continue;
        const remainder = this.entitled[vm] - targets[vm];
        if (remainder > key) {
          key = remainder;
          best = vm;
        }
      }
      if (best < 0) break;
      targets[best]++;
      free--;
    }
    return free;
  }
}

/** vScale-like: entitlement plus a weighted part of the unused capacity, capped by demand, rounded up. */
export class VScalePolicy implements VcpuBalloonPolicy {
  readonly name = 'vscale';
  readonly periodSeconds: number;
  private readonly readings = new PeriodReadings();
  private entitled = new Float64Array(0);

  constructor(parameters: VScaleParameters = {}) {
    this.periodSeconds = parameters.periodSeconds ?? VSCALE_DEFAULTS.periodSeconds;
    if (!(this.periodSeconds > 0)) throw new RangeError(`vscale: periodSeconds must be positive, got ${this.periodSeconds}`);
  }

  isSpike(): boolean {
    return false;
  }

  targets(view: VcpuBalloonView, _spiking: Uint8Array, targets: Int32Array): void {
    const n = view.vmCount;
    this.readings.read(view);
    const { demand, used } = this.readings;
    if (this.entitled.length !== n) this.entitled = new Float64Array(n);
    entitlements(view, demand, this.entitled);
    // Unused capacity: cores nobody is entitled to, plus what VMs below their entitlement left; shared by
    // weight among the VMs that used all of theirs.
    let unused = view.coreCount;
    let hungryWeight = 0;
    for (let vm = 0; vm < n; vm++) {
      unused -= this.entitled[vm];
      if (this.hungry(vm, used, demand)) hungryWeight += view.weight(vm);
      else unused += Math.max(0, this.entitled[vm] - used[vm]);
    }
    for (let vm = 0; vm < n; vm++) {
      const extra = this.hungry(vm, used, demand) && hungryWeight > 0 ? (Math.max(0, unused) * view.weight(vm)) / hungryWeight : 0;
      targets[vm] = clampTarget(view, vm, Math.ceil(Math.min(this.entitled[vm] + extra, demand[vm]) - 1e-6));
    }
  }

  private hungry(vm: number, used: Float64Array, demand: Float64Array): boolean {
    return demand[vm] > IDLE_DEMAND_THREADS && used[vm] >= this.entitled[vm] - 1e-6;
  }
}

/** Names of the ballooning presets. */
export const VCPU_BALLOON_POLICY_NAMES = ['flexcore', 'vscale'] as const;

/** Builds a ballooning policy from its configuration. */
export function createVcpuBalloonPolicy(config: VcpuBalloonPolicyConfig): VcpuBalloonPolicy {
  switch (config.name) {
    case 'flexcore':
      return new FlexCorePolicy(config);
    case 'vscale':
      return new VScalePolicy(config);
    default:
      throw new RangeError(`unknown vCPU ballooning policy '${(config as { name: string }).name}'; valid: ${VCPU_BALLOON_POLICY_NAMES.join(', ')}`);
  }
}
