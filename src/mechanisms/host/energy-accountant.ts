/**
 * Per-VM energy accounting on the detailed host, after Stoess, Lang and Bellosa (USENIX ATC 2007, §4).
 *
 * At every flush (the accounting period, 10 ms by default) the accountant turns what the hypervisor logged
 * since the last flush into per-VM energy, twice: once from the estimator (events × weights, the disk's
 * power states) — what a real hypervisor can know — and once from the ground truth, with the same rules, so
 * that the estimator's error is measured per VM.
 *
 * Rules:
 * - CPU active energy: each vCPU's run segments (events × weights of the core's P-state, plus TSC ticks × the
 *   TSC weight), summed per VM;
 * - CPU idle energy (halted segments, TSC ticks × TSC weight) is shared among the guest VMs by the idle rule:
 *   `equal` (default: being on costs every VM the same), `by-vcpus` (VM size) or `by-cpu-time`;
 * - disk: a request's active energy is the active power × its service time (size ÷ rate, plus positioning),
 *   charged as the service happens; the rest of the disk's energy (idle, standby, spin-up) is shared equally
 *   among the guest VMs' virtual disks;
 * - recursive: the driver VM's CPU energy is charged to its clients in proportion to the work it did for each
 *   in the period. The driver is itself an energy-aware guest: it logs its own virtual counters per client
 *   request, so it knows the cycles each client cost it, and reports that split to the host (Stoess et al.
 *   §4.3). The estimate splits the driver's estimated energy that way, the truth its true energy. Energy of a
 *   period in which the driver served nobody is carried to the next period;
 * - nothing is lost or counted twice: Σ per-VM + unattributed + carried = host total, checked by
 *   {@link EnergyAccountant.sumRuleError}.
 *
 * For comparison, {@link EnergyAccountant.ruleComparison} splits the true host CPU energy (what a package meter
 * such as RAPL reads) as deployed meters do: all of it by CPU time (Scaphandre's process share), dynamic by CPU
 * time with idle split equally or by VM size, and dynamic by CPU time with the whole idle power charged to every
 * VM (the double counting reported for early Kepler versions).
 */

import type { HostMachine } from './host-machine.js';

export type IdleRule = 'equal' | 'by-vcpus' | 'by-cpu-time';
export const IDLE_RULES: readonly IdleRule[] = ['equal', 'by-vcpus', 'by-cpu-time'];

/** Per-VM energy in one view (estimate or truth), cumulative, joules. */
export interface VmEnergyBook {
  readonly cpuActive: Float64Array;
  readonly cpuIdle: Float64Array;
  readonly disk: Float64Array;
  /** Charged to this VM for the driver VM's work on its behalf. */
  readonly recursive: Float64Array;
  /** For the driver VM: its own CPU energy before it was passed on. */
  readonly driverRaw: Float64Array;
  /** Energy no VM could be charged with (idle with no guest VM, a driver's leftover at the end). */
  unattributed: number;
  /** Driver energy waiting for the requests it belongs to. */
  carried: number;
}

/** Names of the comparison rules, in report order. */
export const COMPARISON_RULES = ['events (this model)', 'cpu-time (Scaphandre-like)', 'cpu-time, idle equal', 'cpu-time, idle by size', 'cpu-time, idle to every VM (Kepler flaw)'] as const;

function book(vmCount: number): VmEnergyBook {
  return {
    cpuActive: new Float64Array(vmCount),
    cpuIdle: new Float64Array(vmCount),
    disk: new Float64Array(vmCount),
    recursive: new Float64Array(vmCount),
    driverRaw: new Float64Array(vmCount),
    unattributed: 0,
    carried: 0,
  };
}

export class EnergyAccountant {
  readonly machine: HostMachine;
  readonly idleRule: IdleRule;
  readonly estimate: VmEnergyBook;
  readonly truth: VmEnergyBook;
  /** Comparison rules applied to the true CPU energy, per rule × VM, cumulative joules. */
  readonly comparison: Float64Array;
  private readonly lastVcpuEstimate: Float64Array;
  private readonly lastVcpuTrue: Float64Array;
  private readonly lastVcpuRun: Float64Array;
  private readonly lastDriverCycles: Float64Array;
  private readonly diskService: Float64Array;
  /** Disk energy of each VM's own requests (without its share of idle), joules. */
  readonly diskRequests: Float64Array;
  private lastDiskEnergy = 0;
  private lastFlushSeconds = 0;
  private lastBaseline = 0;
  private readonly vmActiveEstimate: Float64Array;
  private readonly vmActiveTrue: Float64Array;
  private readonly vmRun: Float64Array;
  private readonly vmVcpus: Float64Array;
  private readonly guestVms: number[];
  private readonly driverVm: number;
  private carriedTrue = 0;

  constructor(machine: HostMachine, idleRule: IdleRule = 'equal') {
    this.machine = machine;
    this.idleRule = idleRule;
    const n = machine.vmCount;
    this.estimate = book(n);
    this.truth = book(n);
    this.comparison = new Float64Array(COMPARISON_RULES.length * n);
    this.lastVcpuEstimate = new Float64Array(machine.vcpuCount);
    this.lastVcpuTrue = new Float64Array(machine.vcpuCount);
    this.lastVcpuRun = new Float64Array(machine.vcpuCount);
    this.lastDriverCycles = new Float64Array(n);
    this.diskService = new Float64Array(n);
    this.diskRequests = new Float64Array(n);
    this.vmActiveEstimate = new Float64Array(n);
    this.vmActiveTrue = new Float64Array(n);
    this.vmRun = new Float64Array(n);
    this.vmVcpus = new Float64Array(n);
    for (let v = 0; v < machine.vcpuCount; v++) this.vmVcpus[machine.vcpuVm[v]]++;
    this.guestVms = [];
    let driver = -1;
    for (let vm = 0; vm < n; vm++) {
      if (machine.vmIsDriver[vm] === 1) driver = vm;
      else this.guestVms.push(vm);
    }
    this.driverVm = driver;
  }

  /** Total energy charged to a VM so far (CPU active + idle + disk + recursive), estimate or truth, joules. */
  vmTotal(vm: number, view: 'estimate' | 'truth' = 'estimate'): number {
    const b = view === 'estimate' ? this.estimate : this.truth;
    return b.cpuActive[vm] + b.cpuIdle[vm] + b.disk[vm] + b.recursive[vm] - b.driverRaw[vm];
  }

  /** CPU energy charged to a VM (active + idle + recursive, without disk), joules. */
  vmCpu(vm: number, view: 'estimate' | 'truth' = 'estimate'): number {
    const b = view === 'estimate' ? this.estimate : this.truth;
    return b.cpuActive[vm] + b.cpuIdle[vm] + b.recursive[vm] - b.driverRaw[vm];
  }

  /** Disk energy charged to a VM, joules. */
  vmDisk(vm: number): number {
    return this.estimate.disk[vm];
  }

  /** Distributes everything logged since the last flush. Call at the accounting period. */
  flush(): void {
    const m = this.machine;
    const n = m.vmCount;
    this.vmActiveEstimate.fill(0);
    this.vmActiveTrue.fill(0);
    this.vmRun.fill(0);
    for (let v = 0; v < m.vcpuCount; v++) {
      const vm = m.vcpuVm[v];
      this.vmActiveEstimate[vm] += m.vcpuEstimatedJoules[v] - this.lastVcpuEstimate[v];
      this.vmActiveTrue[vm] += m.vcpuTrueJoules[v] - this.lastVcpuTrue[v];
      this.vmRun[vm] += m.vcpuRunSeconds[v] - this.lastVcpuRun[v];
      this.lastVcpuEstimate[v] = m.vcpuEstimatedJoules[v];
      this.lastVcpuTrue[v] = m.vcpuTrueJoules[v];
      this.lastVcpuRun[v] = m.vcpuRunSeconds[v];
    }
    let idleEstimate = 0;
    let idleTrue = 0;
    for (let c = 0; c < m.coreCount; c++) {
      idleEstimate += m.coreIdleEstimatedJoules[c];
      idleTrue += m.coreIdleTrueJoules[c];
      m.coreIdleEstimatedJoules[c] = 0;
      m.coreIdleTrueJoules[c] = 0;
    }
    for (let vm = 0; vm < n; vm++) {
      this.estimate.cpuActive[vm] += this.vmActiveEstimate[vm];
      this.truth.cpuActive[vm] += this.vmActiveTrue[vm];
    }
    this.shareIdle(idleEstimate, this.estimate);
    this.shareIdle(idleTrue, this.truth);

    // Disk: active per request, the rest shared equally among virtual disks. The disk model is also the truth.
    const diskNow = m.diskEnergyJoules();
    const diskPeriod = diskNow - this.lastDiskEnergy;
    this.lastDiskEnergy = diskNow;
    const activeWatts = m.disk.parameters.activePowerWatts;
    let diskActive = 0;
    const now = m.timeSeconds;
    this.diskService.fill(0);
    m.diskActiveSeconds(this.lastFlushSeconds, now, this.diskService);
    for (let vm = 0; vm < n; vm++) {
      const joules = this.diskService[vm] * activeWatts;
      diskActive += joules;
      this.estimate.disk[vm] += joules;
      this.truth.disk[vm] += joules;
      this.diskRequests[vm] += joules;
    }
    this.lastFlushSeconds = now;
    const diskRest = diskPeriod - diskActive;
    if (this.guestVms.length > 0) {
      for (const vm of this.guestVms) {
        this.estimate.disk[vm] += diskRest / this.guestVms.length;
        this.truth.disk[vm] += diskRest / this.guestVms.length;
      }
    } else {
      this.estimate.unattributed += diskRest;
      this.truth.unattributed += diskRest;
    }

    // Recursive: the driver's energy of this period (plus what was carried) goes to its clients.
    if (this.driverVm >= 0) {
      const d = this.driverVm;
      const ownEstimate = this.vmActiveEstimate[d];
      const ownTrue = this.vmActiveTrue[d];
      this.estimate.driverRaw[d] += ownEstimate;
      this.truth.driverRaw[d] += ownTrue;
      let cycles = 0;
      for (const vm of this.guestVms) cycles += m.vmDriverCycles[vm] - this.lastDriverCycles[vm];
      const poolEstimate = ownEstimate + this.estimate.carried;
      const poolTrue = ownTrue + this.carriedTrue;
      for (const vm of this.guestVms) {
        const c = m.vmDriverCycles[vm] - this.lastDriverCycles[vm];
        if (cycles > 0) {
          this.estimate.recursive[vm] += (poolEstimate * c) / cycles;
          this.truth.recursive[vm] += (poolTrue * c) / cycles;
        }
        this.lastDriverCycles[vm] = m.vmDriverCycles[vm];
      }
      this.estimate.carried = cycles > 0 ? 0 : poolEstimate;
      this.carriedTrue = cycles > 0 ? 0 : poolTrue;
      this.truth.carried = this.carriedTrue;
    }

    this.compare(idleTrue);
  }

  private shareIdle(joules: number, into: VmEnergyBook): void {
    const guests = this.guestVms;
    if (guests.length === 0) {
      into.unattributed += joules;
      return;
    }
    let total = 0;
    for (const vm of guests) total += this.idleWeight(vm);
    if (!(total > 0)) {
      for (const vm of guests) into.cpuIdle[vm] += joules / guests.length;
      return;
    }
    for (const vm of guests) into.cpuIdle[vm] += (joules * this.idleWeight(vm)) / total;
  }

  private idleWeight(vm: number): number {
    if (this.idleRule === 'equal') return 1;
    if (this.idleRule === 'by-vcpus') return this.vmVcpus[vm];
    return this.vmRun[vm];
  }

  /** Applies the deployed-meter rules to the true CPU energy of the period. */
  private compare(idleTrue: number): void {
    const m = this.machine;
    const n = m.vmCount;
    let baseline = 0;
    for (let c = 0; c < m.coreCount; c++) baseline += m.coreBaselineTrueJoules[c];
    const baselinePeriod = baseline - this.lastBaseline;
    this.lastBaseline = baseline;
    let activeTrue = 0;
    let run = 0;
    for (let vm = 0; vm < n; vm++) {
      activeTrue += this.vmActiveTrue[vm];
      run += this.vmRun[vm];
    }
    const total = activeTrue + idleTrue;
    const dynamic = total - baselinePeriod;
    let vcpus = 0;
    for (let vm = 0; vm < n; vm++) vcpus += this.vmVcpus[vm];
    for (let vm = 0; vm < n; vm++) {
      const timeShare = run > 0 ? this.vmRun[vm] / run : 1 / n;
      // Rule 0 (this model, on the truth) is maintained from the truth book when reported; rows 1.. here.
      this.comparison[1 * n + vm] += total * timeShare;
      this.comparison[2 * n + vm] += dynamic * timeShare + baselinePeriod / n;
      this.comparison[3 * n + vm] += dynamic * timeShare + (baselinePeriod * this.vmVcpus[vm]) / vcpus;
      this.comparison[4 * n + vm] += dynamic * timeShare + baselinePeriod;
    }
  }

  /** Per-VM CPU energy under each comparison rule (rule 0 is this model on the ground truth), joules. */
  ruleComparison(): { rule: string; perVm: number[]; sum: number }[] {
    const n = this.machine.vmCount;
    return COMPARISON_RULES.map((rule, r) => {
      const perVm: number[] = [];
      for (let vm = 0; vm < n; vm++) perVm.push(r === 0 ? this.vmCpu(vm, 'truth') : this.comparison[r * n + vm]);
      return { rule, perVm, sum: perVm.reduce((a, b) => a + b, 0) };
    });
  }

  /**
   * |Σ per-VM + unattributed + carried − host total| / host total for the estimate, over CPU and disk, after a
   * flush. Host total: every core's estimated energy plus the disk's.
   */
  sumRuleError(view: 'estimate' | 'truth' = 'estimate'): number {
    const m = this.machine;
    const b = view === 'estimate' ? this.estimate : this.truth;
    let host = m.diskEnergyJoules();
    for (let c = 0; c < m.coreCount; c++) host += view === 'estimate' ? m.coreEstimatedJoules[c] : m.coreTrueJoules[c];
    let charged = b.unattributed + (view === 'estimate' ? b.carried : this.carriedTrue);
    for (let vm = 0; vm < m.vmCount; vm++) charged += this.vmTotal(vm, view);
    return Math.abs(charged - host) / host;
  }
}
