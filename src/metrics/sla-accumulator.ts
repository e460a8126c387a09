/**
 * SLA and activity metrics from VM and host state histories, as CloudSim 3.0.3's `Helper.printResults` computes
 * them (Beloglazov & Buyya, CCPE 2012, §6.1), but accumulated on the fly instead of stored.
 *
 * A history is a list of entries (time, allocated MIPS, requested MIPS, flag); an entry at the same time as the
 * previous one replaces it (CloudSim's addStateHistoryEntry). Each entry is kept pending until an entry with a
 * later time arrives, then "finalised": the interval from the previous finalised entry to it is accounted with
 * the previous entry's values, exactly as CloudSim's loops over the stored lists do.
 *
 * - SLATAH: Σ over hosts of time active with allocated < requested / Σ time active.
 * - PDM: Σ over VMs of (requested − allocated)·Δt while migrating / Σ requested·Δt.
 * - overall SLA violation: (Σ requested·Δt − Σ allocated·Δt) / Σ requested·Δt.
 * - average SLA violation: mean over intervals with a shortfall of (requested − allocated) / requested.
 * - host shutdowns: active → inactive transitions, with the active time before each.
 * - migration times: lengths of the in-migration periods in VM histories.
 */
import { DOUBLE_ZERO } from '../util/double-zero.js';


export interface SlaMetrics {
  slatah: number;
  pdm: number;
  overall: number;
  average: number;
  hostShutdowns: number;
  meanTimeBeforeShutdown: number;
  stdevTimeBeforeShutdown: number;
  meanMigrationTime: number;
  stdevMigrationTime: number;
}

/** Mean and sample standard deviation as CloudSim's MathUtil (Welford, n − 1); NaN when empty. */
export function meanAndStdev(values: readonly number[]): [number, number] {
  if (values.length === 0) return [NaN, NaN];
  let sum = 0;
  for (const v of values) sum += v;
  const plainMean = sum / values.length;
  let mean = plainMean;
  let s = 0;
  let n = 0;
  for (const x of values) {
    n++;
    const delta = x - mean;
    mean += delta / n;
    s += delta * (x - mean);
  }
  return [plainMean, Math.sqrt(s / (n - 1))];
}

export class SlaAccumulator {
  // VM pending entries.
  private readonly vmPendingTime: Float64Array;
  private readonly vmPendingAllocated: Float64Array;
  private readonly vmPendingRequested: Float64Array;
  private readonly vmPendingMigrating: Uint8Array;
  private readonly vmHasPending: Uint8Array;
  // VM last finalised entries.
  private readonly vmLastTime: Float64Array;
  private readonly vmLastAllocated: Float64Array;
  private readonly vmLastRequested: Float64Array;
  private readonly vmLastMigrating: Uint8Array;
  private readonly vmHasLast: Uint8Array;
  private readonly vmMigrationStart: Float64Array;
  // Host pending and last entries.
  private readonly hostPendingTime: Float64Array;
  private readonly hostPendingAllocated: Float64Array;
  private readonly hostPendingRequested: Float64Array;
  private readonly hostPendingActive: Uint8Array;
  private readonly hostHasPending: Uint8Array;
  private readonly hostLastTime: Float64Array;
  private readonly hostLastAllocated: Float64Array;
  private readonly hostLastRequested: Float64Array;
  private readonly hostLastActive: Uint8Array;
  private readonly hostHasLast: Uint8Array;
  private readonly hostSwitchedOn: Float64Array;

  totalRequested = DOUBLE_ZERO;
  totalAllocated = DOUBLE_ZERO;
  private underAllocatedMigration = DOUBLE_ZERO;
  private violationSum = DOUBLE_ZERO;
  private violationCount = 0;
  private activeTime = DOUBLE_ZERO;
  private violationTime = DOUBLE_ZERO;
  private readonly shutdownTimes: number[] = [];
  private readonly migrationTimes: number[] = [];

  constructor(hostCount: number, vmCount: number) {
    this.vmPendingTime = new Float64Array(vmCount);
    this.vmPendingAllocated = new Float64Array(vmCount);
    this.vmPendingRequested = new Float64Array(vmCount);
    this.vmPendingMigrating = new Uint8Array(vmCount);
    this.vmHasPending = new Uint8Array(vmCount);
    this.vmLastTime = new Float64Array(vmCount);
    this.vmLastAllocated = new Float64Array(vmCount);
    this.vmLastRequested = new Float64Array(vmCount);
    this.vmLastMigrating = new Uint8Array(vmCount);
    this.vmHasLast = new Uint8Array(vmCount);
    this.vmMigrationStart = new Float64Array(vmCount);
    this.hostPendingTime = new Float64Array(hostCount);
    this.hostPendingAllocated = new Float64Array(hostCount);
    this.hostPendingRequested = new Float64Array(hostCount);
    this.hostPendingActive = new Uint8Array(hostCount);
    this.hostHasPending = new Uint8Array(hostCount);
    this.hostLastTime = new Float64Array(hostCount);
    this.hostLastAllocated = new Float64Array(hostCount);
    this.hostLastRequested = new Float64Array(hostCount);
    this.hostLastActive = new Uint8Array(hostCount).fill(1); // CloudSim starts with previousIsActive = true
    this.hostHasLast = new Uint8Array(hostCount);
    this.hostSwitchedOn = new Float64Array(hostCount);
  }

  /** Vm.addStateHistoryEntry */
  addVmEntry(vm: number, time: number, allocated: number, requested: number, migrating: boolean): void {
    if (this.vmHasPending[vm] && this.vmPendingTime[vm] !== time) this.finaliseVm(vm);
    this.vmHasPending[vm] = 1;
    this.vmPendingTime[vm] = time;
    this.vmPendingAllocated[vm] = allocated;
    this.vmPendingRequested[vm] = requested;
    this.vmPendingMigrating[vm] = migrating ? 1 : 0;
  }

  /** HostDynamicWorkload.addStateHistoryEntry */
  addHostEntry(host: number, time: number, allocated: number, requested: number, active: boolean): void {
    if (this.hostHasPending[host] && this.hostPendingTime[host] !== time) this.finaliseHost(host);
    this.hostHasPending[host] = 1;
    this.hostPendingTime[host] = time;
    this.hostPendingAllocated[host] = allocated;
    this.hostPendingRequested[host] = requested;
    this.hostPendingActive[host] = active ? 1 : 0;
  }

  /**
   * Whether the host's newest entry is inactive. Another inactive entry after it would change no metric (but a
   * host's very first entry does: CloudSim counts an initially inactive host as one shutdown).
   */
  hostIdleSince(host: number): boolean {
    return this.hostHasPending[host] === 1 && this.hostPendingActive[host] === 0;
  }

  /** Whether the host's newest entry has allocated < requested. */
  hostShortfall(host: number): boolean {
    return this.hostHasPending[host] === 1 && this.hostPendingAllocated[host] < this.hostPendingRequested[host];
  }

  private finaliseVm(vm: number): void {
    const time = this.vmPendingTime[vm];
    const migrating = this.vmPendingMigrating[vm];
    if (this.vmHasLast[vm]) {
      const dt = time - this.vmLastTime[vm];
      const allocated = this.vmLastAllocated[vm];
      const requested = this.vmLastRequested[vm];
      this.totalAllocated += allocated * dt;
      this.totalRequested += requested * dt;
      if (allocated < requested) {
        this.violationSum += (requested - allocated) / requested;
        this.violationCount++;
        if (this.vmLastMigrating[vm]) this.underAllocatedMigration += (requested - allocated) * dt;
      }
    }
    // getTimesBeforeVmMigration: previousIsInMigration starts false, lastTimeMigrationFinished at 0.
    const previous = this.vmHasLast[vm] ? this.vmLastMigrating[vm] : 0;
    if (previous && !migrating) this.migrationTimes.push(time - this.vmMigrationStart[vm]);
    if (!previous && migrating) this.vmMigrationStart[vm] = time;
    this.vmHasLast[vm] = 1;
    this.vmLastTime[vm] = time;
    this.vmLastAllocated[vm] = this.vmPendingAllocated[vm];
    this.vmLastRequested[vm] = this.vmPendingRequested[vm];
    this.vmLastMigrating[vm] = migrating;
    this.vmHasPending[vm] = 0;
  }

  private finaliseHost(host: number): void {
    const time = this.hostPendingTime[host];
    const active = this.hostPendingActive[host];
    if (this.hostHasLast[host] && this.hostLastActive[host]) {
      const dt = time - this.hostLastTime[host];
      this.activeTime += dt;
      if (this.hostLastAllocated[host] < this.hostLastRequested[host]) this.violationTime += dt;
    }
    const previous = this.hostLastActive[host];
    if (previous && !active) this.shutdownTimes.push(time - this.hostSwitchedOn[host]);
    if (!previous && active) this.hostSwitchedOn[host] = time;
    this.hostHasLast[host] = 1;
    this.hostLastTime[host] = time;
    this.hostLastAllocated[host] = this.hostPendingAllocated[host];
    this.hostLastRequested[host] = this.hostPendingRequested[host];
    this.hostLastActive[host] = active;
    this.hostHasPending[host] = 0;
  }

  /** Finalises every pending entry and returns the metrics. Call once, at the end. */
  finish(): SlaMetrics {
    for (let vm = 0; vm < this.vmHasPending.length; vm++) if (this.vmHasPending[vm]) this.finaliseVm(vm);
    for (let h = 0; h < this.hostHasPending.length; h++) if (this.hostHasPending[h]) this.finaliseHost(h);
    const [meanShutdown, stdevShutdown] = meanAndStdev(this.shutdownTimes);
    const [meanMigration, stdevMigration] = meanAndStdev(this.migrationTimes);
    return {
      slatah: this.activeTime > 0 ? this.violationTime / this.activeTime : 0,
      pdm: this.totalRequested > 0 ? this.underAllocatedMigration / this.totalRequested : 0,
      overall: this.totalRequested > 0 ? (this.totalRequested - this.totalAllocated) / this.totalRequested : 0,
      average: this.violationCount > 0 ? this.violationSum / this.violationCount : 0,
      hostShutdowns: this.shutdownTimes.length,
      meanTimeBeforeShutdown: meanShutdown,
      stdevTimeBeforeShutdown: stdevShutdown,
      meanMigrationTime: meanMigration,
      stdevMigrationTime: stdevMigration,
    };
  }
}
