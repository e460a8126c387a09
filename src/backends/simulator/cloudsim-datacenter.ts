/**
 * The `cloudsim-3.0.3` data-center model: CloudSim 3.0.3's power-aware PlanetLab experiments, reproduced
 * mechanism by mechanism, quirks included (docs/models/cloudsim-compat.md lists each one with the CloudSim class
 * it comes from). It is the reference against which the default model's fixes are measured.
 *
 * What it models (CloudSim class in brackets):
 * - time-shared CPU allocation with over-subscription, per-PE caps, proportional scaling and flooring
 *   [VmSchedulerTimeSharedOverSubscription], the 10 % migration overhead on both ends, and the stale
 *   "migrating out" list that gives a VM migrating back to a former host 90 % instead of 10 % of its MIPS there;
 * - host updates at every 300 s tick and at every migration completion [PowerDatacenter], energy as the
 *   trapezoid of the SPECpower curve between two updates, zero while the previous utilisation was zero;
 * - VMs whose demand is exactly 0 at an update are deallocated for good, as CloudSim treats them as finished
 *   [HostDynamicWorkload.getCompletedVms];
 * - consolidation [PowerVmAllocationPolicyMigrationAbstract.optimizeAllocation]: overload detection, VM
 *   selection, power-aware best-fit decreasing with tentative placements, underload evacuation, then a full
 *   restore of the allocation, which also reorders each host's VM list;
 * - migration time RAM / (BW / 2), SLA histories [Vm/Host state history] and the metrics of Helper.printResults.
 *
 * State is kept in typed arrays indexed by host and VM, with small ordered number arrays for each host's VM
 * list (order matters: it breaks ties, as in CloudSim). Nothing allocates per simulated event except those
 * lists' pushes.
 */
import { Simulator } from '../../kernel/simulator.js';
import { groupHosts, identityIds } from '../../model/host-classes.js';
import type { PowerModel } from '../../model/power-model.js';
import { cloudSimTablePower, PowerTables } from '../../model/power-tables.js';
import { HISTORY_LENGTH, type HostLoadView, type OverloadDetector } from '../../policies/consolidation/overload-detection.js';
import type { HostVmView, VmSelector } from '../../policies/consolidation/vm-selection.js';
import type { DataCenterSeries, HostSeries, RunSummary } from '../../metrics/run-result.js';
import { SlaAccumulator } from '../../metrics/sla-accumulator.js';
import { DOUBLE_ZERO } from '../../util/double-zero.js';


/** A physical host as CloudSim describes it. */
export interface CompatHostSpec {
  cores: number;
  mipsPerCore: number;
  ramMiB: number;
  /** Network bandwidth in kbit/s (CloudSim's unit: 1 Gbit/s = 1,000,000). */
  bandwidthKbps: number;
  storageMB: number;
  power: PowerModel;
}

/** A VM as CloudSim describes it; `utilisation` is its trace (fractions, one value per trace sample). */
export interface CompatVmSpec {
  mips: number;
  pes: number;
  ramMiB: number;
  bandwidthKbps: number;
  sizeMB: number;
}

export type CompatAllocation =
  | { kind: 'migration'; detector: OverloadDetector; selector: VmSelector }
  | { kind: 'first-fit' };

export interface CompatConfig {
  hosts: readonly CompatHostSpec[];
  vms: readonly CompatVmSpec[];
  /** Trace values, row-major [vm][sample], fractions 0..1; CloudSim appends a copy of the last sample. */
  utilisation: Float64Array;
  samplesPerVm: number;
  sampleIntervalSeconds: number;
  schedulingIntervalSeconds: number;
  /** The simulation stops at this time: events at or after it are not processed (CloudSim's terminateAt). */
  durationSeconds: number;
  /** When the cloudlets start: CloudSim's minimum event gap after VM creation (0.1 s). */
  startSeconds: number;
  allocation: CompatAllocation;
  /** `utilisation`: SPECpower curve (PowerDatacenter); `max-power`: every host at full power (NonPowerAware). */
  energy: 'utilisation' | 'max-power';
  /** Fraction of the target host's bandwidth a migration gets (CloudSim: 1/2). */
  migrationBandwidthFraction: number;
  /** Migration CPU overhead: the source gets (1 − f) of the VM's MIPS, the target reserves f (CloudSim: 0.1). */
  migrationOverhead: number;
  /** Called after every scheduling tick with the fraction of simulated time done. */
  onProgress?: (fraction: number) => void;
}

export interface CompatResult {
  summary: Omit<RunSummary, 'scenario' | 'mode' | 'seed' | 'wall_seconds'>;
  dataCenter: DataCenterSeries;
  hosts: HostSeries;
  /** Things the user should know that are not errors (for example VMs CloudSim would drop). */
  warnings: string[];
}

const TICK = 0;
const MIGRATION_DONE = 1;

/**
 * One run of the CloudSim-compatible model. Construct, then `run()` once.
 */
export class CloudSimDataCenter implements HostLoadView, HostVmView {
  readonly schedulingIntervalSeconds: number;
  private readonly sim = new Simulator();
  private readonly hostCount: number;
  private readonly vmCount: number;
  // Host constants.
  private readonly hostMips: Float64Array;
  private readonly hostPeMips: Float64Array;
  private readonly hostRam: Float64Array;
  private readonly hostBw: Float64Array;
  private readonly hostPower: PowerModel[];
  // Host state.
  private readonly hostStorage: Float64Array;
  private readonly hostRamUsed: Float64Array;
  private readonly hostBwUsed: Float64Array;
  private readonly availableMips: Float64Array;
  private readonly utilMips: Float64Array;
  private readonly previousUtilMips: Float64Array;
  /** Each host's VM list, in CloudSim's order; `storedRequest` and `allocated` are aligned with it. */
  private readonly vmList: number[][];
  private readonly storedRequest: number[][];
  private readonly allocated: number[][];
  /** Host.vmsMigratingIn (also the scheduler's list: they always agree). */
  private readonly migratingIn: number[][];
  /**
   * The schedulers' vmsMigratingOut lists, whose entries can outlive the migration (a CloudSim quirk). Only
   * membership matters; it is stored per VM (the hosts whose list holds it: a few) with a count per host, because
   * placement must clear one VM's entries on many hosts at once.
   */
  private readonly vmOutHosts: number[][];
  private readonly hostOutCount: Int32Array;
  // VM constants and state.
  private readonly vmMips: Float64Array;
  private readonly vmPes: Int32Array;
  private readonly vmRam: Float64Array;
  private readonly vmBw: Float64Array;
  private readonly vmSize: Float64Array;
  private readonly vmHost: Int32Array;
  private readonly vmRequested: Float64Array;
  private readonly vmInMigration: Uint8Array;
  private readonly vmInstantiating: Uint8Array;
  private readonly vmRemoved: Uint8Array;
  private readonly vmRamReserved: Float64Array;
  private readonly vmBwReserved: Float64Array;
  private readonly vmHistoryPreviousTime: Float64Array;
  /** Utilisation history ring: newest at `historyHead`, HISTORY_LENGTH slots per VM. */
  private readonly vmHistoryValues: Float64Array;
  private readonly vmHistoryHead: Int32Array;
  private readonly vmHistoryLength: Int32Array;
  private readonly sla: SlaAccumulator;

  private lastProcessTime = DOUBLE_ZERO;
  private unplacedVms = 0;
  private energyJoules = DOUBLE_ZERO;
  private migrations = 0;
  private migrationsInFlight = 0;
  // Time series (one sample per regular tick).
  private readonly seriesTime: number[] = [];
  private readonly seriesEnergy: number[] = [];
  private readonly seriesActive: number[] = [];
  private readonly seriesUtil: number[] = [];
  private readonly seriesInFlight: number[] = [];
  private readonly seriesStarted: number[] = [];
  private readonly seriesOverloaded: number[] = [];
  private readonly seriesSla: number[] = [];
  private readonly hostPowerSeries: number[] = [];
  private readonly hostUtilSeries: number[] = [];
  private energyAtLastSample = DOUBLE_ZERO;
  private timeAtLastSample = DOUBLE_ZERO;
  private requestedAtLastSample = DOUBLE_ZERO;
  private allocatedAtLastSample = DOUBLE_ZERO;
  // Caches, each invalidated where its inputs change (see the methods that read them).
  private readonly hostHistoryCache: Float64Array;
  /** Epoch at which each host's history cache was computed; −1 after its VM list changed. */
  private readonly hostHistoryEpoch: Float64Array;
  /** Bumped whenever any VM history gains a value. */
  private historyEpoch = 0;
  /** getUtilizationOfCpuMips per host, NaN when the allocation changed since it was computed. */
  private readonly allocatedWithIncomingCache: Float64Array;
  /** Power at the utilisation of the last update (PowerHost.getPower), per host. */
  private readonly powerNow: Float64Array;

  constructor(private readonly config: CompatConfig) {
    this.schedulingIntervalSeconds = config.schedulingIntervalSeconds;
    const H = (this.hostCount = config.hosts.length);
    const V = (this.vmCount = config.vms.length);
    this.hostMips = new Float64Array(H);
    this.hostPeMips = new Float64Array(H);
    this.hostRam = new Float64Array(H);
    this.hostBw = new Float64Array(H);
    this.hostStorage = new Float64Array(H);
    this.hostPower = [];
    for (let h = 0; h < H; h++) {
      const spec = config.hosts[h];
      this.hostPeMips[h] = spec.mipsPerCore;
      this.hostMips[h] = spec.mipsPerCore * spec.cores;
      this.hostRam[h] = spec.ramMiB;
      this.hostBw[h] = spec.bandwidthKbps;
      this.hostStorage[h] = spec.storageMB;
      this.hostPower.push(spec.power);
    }
    this.hostRamUsed = new Float64Array(H);
    this.hostBwUsed = new Float64Array(H);
    this.availableMips = Float64Array.from(this.hostMips);
    this.utilMips = new Float64Array(H);
    this.previousUtilMips = new Float64Array(H);
    this.vmList = Array.from({ length: H }, () => []);
    this.storedRequest = Array.from({ length: H }, () => []);
    this.allocated = Array.from({ length: H }, () => []);
    this.migratingIn = Array.from({ length: H }, () => []);
    this.hostOutCount = new Int32Array(H);
    this.vmMips = new Float64Array(V);
    this.vmPes = new Int32Array(V);
    this.vmRam = new Float64Array(V);
    this.vmBw = new Float64Array(V);
    this.vmSize = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      const spec = config.vms[v];
      this.vmMips[v] = spec.mips;
      this.vmPes[v] = spec.pes;
      this.vmRam[v] = spec.ramMiB;
      this.vmBw[v] = spec.bandwidthKbps;
      this.vmSize[v] = spec.sizeMB;
    }
    this.vmHost = new Int32Array(V).fill(-1);
    this.vmOutHosts = Array.from({ length: V }, () => []);
    this.vmRequested = new Float64Array(V);
    this.vmInMigration = new Uint8Array(V);
    this.vmInstantiating = new Uint8Array(V);
    this.vmRemoved = new Uint8Array(V);
    this.vmRamReserved = new Float64Array(V);
    this.vmBwReserved = new Float64Array(V);
    this.vmHistoryPreviousTime = new Float64Array(V);
    this.vmHistoryValues = new Float64Array(V * HISTORY_LENGTH);
    this.vmHistoryHead = new Int32Array(V);
    this.sortKey = new Float64Array(V);
    this.idleEntry = new Uint8Array(H);
    this.touched = new Uint8Array(H);
    this.vmHistoryLength = new Int32Array(V);
    this.sla = new SlaAccumulator(H, V);
    this.hostHistoryCache = new Float64Array(H * HISTORY_LENGTH);
    this.hostHistoryEpoch = new Float64Array(H).fill(-1);
    this.hostHistoryCount = new Int32Array(H);
    this.hostTrimmedLength = new Int32Array(H);
    this.vmTrimmed = new Int32Array(V);
    this.vmTrimmedEpoch = new Float64Array(V).fill(-1);
    this.allocatedWithIncomingCache = new Float64Array(H).fill(NaN);
    this.powerNow = new Float64Array(H);
    this.powerTables = new PowerTables(this.hostPower, 'cloudsim');
    for (let h = 0; h < H; h++) this.powerNow[h] = this.hostPower[h].powerWatts(0);
    this.candidateHosts = new Int32Array(H);
    const modelId = identityIds<PowerModel>();
    const classes = groupHosts(
      H,
      (h) => `${modelId(this.hostPower[h])}/${this.hostMips[h]}/${this.hostPeMips[h]}/${this.hostRam[h]}/${this.hostBw[h]}/${this.hostStorage[h]}`,
    );
    this.hostClass = classes.classOf;
    this.classHosts = classes.hostsOf;
    this.classIndex = classes.indexInClass;
    this.classEmptyFloor = new Int32Array(this.classHosts.length);
    this.occupiedPosition = new Int32Array(H).fill(-1);
    this.candidateDiffs = new Float64Array(H);
    this.candidateState = new Uint8Array(H);
    this.sim.on(TICK, () => this.onTick());
    this.sim.on(MIGRATION_DONE, (vm, target) => this.onMigrationDone(vm, target));
  }

  /** Runs the whole simulation and returns its figures. */
  run(): CompatResult {
    const config = this.config;
    this.placeInitialVms();
    // Cloudlets start at `startSeconds`; the first datacenter tick follows one interval later (PowerDatacenter).
    this.scheduleTick(config.startSeconds + config.schedulingIntervalSeconds);
    this.sim.run(config.durationSeconds);
    return this.collect();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Views for the policies.

  requestedUtilisation(host: number, withVm: number): number {
    const list = this.vmList[host];
    let total = 0;
    for (let i = 0; i < list.length; i++) total += this.vmRequested[list[i]];
    if (withVm >= 0) total += this.vmRequested[withVm];
    return total / this.hostMips[host];
  }

  utilisationHistory(host: number, withVm: number, out: Float64Array, count = HISTORY_LENGTH): number {
    // The sum over the host's VMs is cached until the VM list or a VM history changes, for the `count` newest
    // values a detector reads (LR reads 10 of 30); a candidate VM is added last, as CloudSim's tentative vmCreate
    // appends it, so the floating-point sums are the same.
    const base = host * HISTORY_LENGTH;
    const cache = this.hostHistoryCache;
    if (this.hostHistoryEpoch[host] !== this.historyEpoch || this.hostHistoryCount[host] < count) {
      cache.fill(0, base, base + count);
      this.hostHistoryCount[host] = count;
      let longest = 0;
      const list = this.vmList[host];
      for (let i = 0; i < list.length; i++) {
        const vm = list[i];
        this.addVmHistory(cache, base, vm, host, count);
        longest = Math.max(longest, this.vmTrimmedLength(vm));
      }
      this.hostTrimmedLength[host] = longest;
      this.hostHistoryEpoch[host] = this.historyEpoch;
    }
    for (let k = 0; k < count; k++) out[k] = cache[base + k];
    let longest = this.hostTrimmedLength[host];
    if (withVm >= 0) {
      this.addVmHistory(out, 0, withVm, host, count);
      longest = Math.max(longest, this.vmTrimmedLength(withVm));
    }
    // CloudSim's trimZeroTail on the 30-value sum. Every term is ≥ 0, so the sum is zero exactly where all terms
    // are: its length is the longest of the VMs' own, and an all-zero history keeps one value.
    return longest > 0 ? longest : 1;
  }

  /** Length of a VM's history without trailing (oldest) zeros, cached until its history changes. */
  private vmTrimmedLength(vm: number): number {
    if (this.vmTrimmedEpoch[vm] !== this.historyEpoch) {
      let n = this.vmHistoryLength[vm];
      const base = vm * HISTORY_LENGTH;
      const head = this.vmHistoryHead[vm];
      let slot = (head - (n - 1) + HISTORY_LENGTH * 2) % HISTORY_LENGTH;
      while (n > 0 && this.vmHistoryValues[base + slot] === 0) {
        n--;
        slot = slot === HISTORY_LENGTH - 1 ? 0 : slot + 1;
      }
      this.vmTrimmed[vm] = n;
      this.vmTrimmedEpoch[vm] = this.historyEpoch;
    }
    return this.vmTrimmed[vm];
  }

  /** Per host: how many values of its history cache are computed, and the cached history's trimmed length. */
  private readonly hostHistoryCount: Int32Array;
  private readonly hostTrimmedLength: Int32Array;
  private readonly vmTrimmed: Int32Array;
  private readonly vmTrimmedEpoch: Float64Array;

  /**
   * A VM appended to a host's list adds its history last, exactly as CloudSim's sum over the list would: update a
   * valid cache in place instead of rebuilding it (removals, which change the order of additions, invalidate it).
   */
  private appendToHistoryCache(host: number, vm: number): void {
    if (this.hostHistoryEpoch[host] === this.historyEpoch) {
      this.addVmHistory(this.hostHistoryCache, host * HISTORY_LENGTH, vm, host, this.hostHistoryCount[host]);
      this.hostTrimmedLength[host] = Math.max(this.hostTrimmedLength[host], this.vmTrimmedLength(vm));
    }
  }

  private addVmHistory(out: Float64Array, offset: number, vm: number, host: number, count: number): void {
    const n = Math.min(this.vmHistoryLength[vm], count);
    const head = this.vmHistoryHead[vm];
    const base = vm * HISTORY_LENGTH;
    const mips = this.vmMips[vm];
    const hostMips = this.hostMips[host];
    let slot = head;
    for (let k = 0; k < n; k++) {
      out[offset + k] += (this.vmHistoryValues[base + slot] * mips) / hostMips;
      slot = slot === 0 ? HISTORY_LENGTH - 1 : slot - 1;
    }
  }

  maxVmMigrationSeconds(host: number, withVm: number): number {
    const list = this.vmList[host];
    let maxRam = -2147483648; // Integer.MIN_VALUE, as CloudSim starts the search.
    for (let i = 0; i < list.length; i++) maxRam = Math.max(maxRam, this.vmRam[list[i]]);
    if (withVm >= 0) maxRam = Math.max(maxRam, this.vmRam[withVm]);
    return maxRam / this.migrationMegabytesPerSecond(host);
  }

  vmCountOn(host: number): number {
    return this.vmList[host].length;
  }
  vmOn(host: number, i: number): number {
    return this.vmList[host][i];
  }
  isMigrating(vm: number): boolean {
    return this.vmInMigration[vm] === 1;
  }
  vmRamMiB(vm: number): number {
    return this.vmRam[vm];
  }
  vmUtilisation(vm: number): number {
    return this.traceUtilisation(vm, this.sim.now);
  }
  vmHistory(vm: number, out: Float64Array, offset: number): number {
    const n = this.vmHistoryLength[vm];
    const head = this.vmHistoryHead[vm];
    const base = vm * HISTORY_LENGTH;
    for (let k = 0; k < n; k++) out[offset + k] = this.vmHistoryValues[base + ((head - k + HISTORY_LENGTH) % HISTORY_LENGTH)];
    return n;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Trace and power.

  /**
   * UtilizationModelPlanetLabInMemory.getUtilization: the sample at multiples of the interval, else linear.
   * The time-dependent parts are computed once per time (every VM is asked at the same instants) and the
   * per-VM arithmetic is CloudSim's, operation for operation, so the values are bit-identical.
   */
  private traceUtilisation(vm: number, time: number): number {
    if (time !== this.traceTime) this.prepareTraceTime(time);
    const base = vm * this.config.samplesPerVm;
    const data = this.config.utilisation;
    const u1 = data[base + this.traceIndex1];
    if (this.traceExact) return u1;
    return u1 + ((data[base + this.traceIndex2] - u1) / this.traceDenominator) * this.traceOffset;
  }

  private traceTime = NaN;
  private traceExact = false;
  private traceIndex1 = 0;
  private traceIndex2 = 0;
  private traceDenominator = 1;
  private traceOffset = DOUBLE_ZERO;

  private prepareTraceTime(time: number): void {
    const interval = this.config.sampleIntervalSeconds;
    // CloudSim appends a 289th value equal to the 288th; indices past the end read that copy.
    const last = this.config.samplesPerVm - 1;
    this.traceTime = time;
    if (time % interval === 0) {
      this.traceExact = true;
      this.traceIndex1 = Math.min(Math.trunc(Math.trunc(time) / Math.trunc(interval)), last);
      return;
    }
    const time1 = Math.floor(time / interval);
    const time2 = Math.ceil(time / interval);
    this.traceExact = false;
    this.traceIndex1 = Math.min(time1, last);
    this.traceIndex2 = Math.min(time2, last);
    this.traceDenominator = (time2 - time1) * interval;
    this.traceOffset = time - time1 * interval;
  }

  /** HostDynamicWorkload.getUtilizationOfCpu: allocated MIPS / capacity, with values in (1, 1.01) read as 1. */
  private hostUtilisation(host: number, mips: number): number {
    const u = mips / this.hostMips[host];
    return u > 1 && u < 1.01 ? 1 : u;
  }

  private migrationMegabytesPerSecond(host: number): number {
    // CloudSim: RAM / (BW / (2 · 8000)) with BW in kbit/s, i.e. MB at half the link rate.
    return (this.hostBw[host] * this.config.migrationBandwidthFraction) / 8000;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The VM scheduler (VmSchedulerTimeSharedOverSubscription) and host operations.

  private cappedRequest(host: number, vm: number, requestedTotal: number): number {
    const pes = this.vmPes[vm];
    const perPe = requestedTotal / pes;
    const peMips = this.hostPeMips[host];
    return (perPe > peMips ? peMips : perPe) * pes;
  }

  /** The protected allocatePesForVm(uid, mips): allocate entry `index` given the host's available MIPS. */
  private allocateEntry(host: number, index: number): void {
    this.allocatedWithIncomingCache[host] = NaN;
    const vm = this.vmList[host][index];
    const capped = this.cappedRequest(host, vm, this.storedRequest[host][index]);
    const incoming = this.migratingIn[host];
    const isIn = incoming.length > 0 && incoming.includes(vm);
    const required = isIn ? capped * this.config.migrationOverhead : capped;
    if (this.availableMips[host] >= required) {
      const isOut = this.hostOutCount[host] > 0 && this.vmOutHosts[vm].includes(host);
      // The out list is tested first: a stale entry wins over the in list (CloudSim's order of tests).
      const factor = isOut ? 1 - this.config.migrationOverhead : isIn ? this.config.migrationOverhead : 1;
      this.allocated[host][index] = capped * factor;
      this.availableMips[host] -= required;
    } else {
      this.redistribute(host, index);
    }
  }

  /** redistributeMipsDueToOverSubscription over entries 0..last: scale to capacity, floor per PE. */
  private redistribute(host: number, last: number): void {
    this.allocatedWithIncomingCache[host] = NaN;
    const list = this.vmList[host];
    const overhead = this.config.migrationOverhead;
    let total = 0;
    for (let i = 0; i <= last; i++) {
      const vm = list[i];
      const capped = this.cappedRequest(host, vm, this.storedRequest[host][i]);
      total += this.migratingIn[host].includes(vm) ? capped * overhead : capped;
    }
    const scale = this.hostMips[host] / total;
    for (let i = 0; i <= last; i++) {
      const vm = list[i];
      const pes = this.vmPes[vm];
      const perPe = this.cappedRequest(host, vm, this.storedRequest[host][i]) / pes;
      let mips: number;
      if (this.hostOutCount[host] > 0 && this.vmOutHosts[vm].includes(host)) mips = perPe * scale * (1 - overhead);
      else if (this.migratingIn[host].includes(vm)) mips = perPe * overhead * scale;
      else mips = perPe * scale;
      this.allocated[host][i] = Math.floor(mips) * pes;
    }
    this.availableMips[host] = 0;
  }

  /** The public allocatePesForVm(vm, mips) for the last entry: list bookkeeping, then allocation. */
  private allocateLast(host: number): void {
    const i = this.vmList[host].length - 1;
    this.updateOutList(host, this.vmList[host][i]);
    this.allocateEntry(host, i);
  }

  private updateOutList(host: number, vm: number): void {
    const hosts = this.vmOutHosts[vm];
    if (this.vmInMigration[vm]) {
      if (!this.migratingIn[host].includes(vm) && !hosts.includes(host)) {
        hosts.push(host);
        this.hostOutCount[host]++;
      }
    } else if (hosts.length > 0) {
      const at = hosts.indexOf(host);
      if (at >= 0) {
        hosts.splice(at, 1);
        this.hostOutCount[host]--;
      }
    }
  }

  /** deallocatePesForVm for every remaining entry: reset and re-allocate all in list order. */
  private reallocateAll(host: number): void {
    this.availableMips[host] = this.hostMips[host];
    const n = this.vmList[host].length;
    for (let i = 0; i < n; i++) this.allocateEntry(host, i);
  }

  /** Host.vmCreate. */
  private vmCreate(host: number, vm: number): boolean {
    if (this.hostStorage[host] < this.vmSize[vm]) return false;
    const ram = this.vmInstantiating[vm] ? this.vmRam[vm] : 0;
    const bw = this.vmInstantiating[vm] ? this.vmBw[vm] : 0;
    if (this.hostRam[host] - this.hostRamUsed[host] < ram) return false;
    if (this.hostBw[host] - this.hostBwUsed[host] < bw) return false;
    this.hostRamUsed[host] += ram;
    this.vmRamReserved[vm] = ram;
    this.hostBwUsed[host] += bw;
    this.vmBwReserved[vm] = bw;
    this.vmList[host].push(vm);
    this.storedRequest[host].push(this.vmRequested[vm]);
    this.allocated[host].push(0);
    this.appendToHistoryCache(host, vm);
    this.allocateLast(host);
    this.hostStorage[host] -= this.vmSize[vm];
    this.vmHost[vm] = host;
    this.refreshOccupancy(host);
    this.touched[host] = 1;
    return true;
  }

  private removeEntry(host: number, vm: number): void {
    const list = this.vmList[host];
    const at = list.indexOf(vm);
    if (at < 0) throw new Error(`internal: VM ${vm} is not on host ${host}`);
    list.splice(at, 1);
    this.storedRequest[host].splice(at, 1);
    this.allocated[host].splice(at, 1);
    this.hostHistoryEpoch[host] = -1;
    this.allocatedWithIncomingCache[host] = NaN;
    this.refreshOccupancy(host);
  }

  /** Host.vmDeallocate + list removal (vmDestroy, and the first half of removeMigratingInVm). */
  private vmDeallocate(host: number, vm: number): void {
    this.touched[host] = 1;
    this.hostRamUsed[host] -= this.vmRamReserved[vm];
    this.hostBwUsed[host] -= this.vmBwReserved[vm];
    this.vmRamReserved[vm] = 0;
    this.vmBwReserved[vm] = 0;
    this.removeEntry(host, vm);
    this.reallocateAll(host);
    this.hostStorage[host] += this.vmSize[vm];
  }

  /** Host.vmDestroy. */
  private vmDestroy(host: number, vm: number): void {
    this.vmDeallocate(host, vm);
    this.vmHost[vm] = -1;
  }

  /** Host.addMigratingInVm, then the updates of both hosts that follow it. */
  private addMigratingInVm(target: number, vm: number): void {
    this.vmInMigration[vm] = 1;
    if (this.migratingIn[target].includes(vm)) return;
    this.migratingIn[target].push(vm);
    this.vmList[target].push(vm);
    this.appendToHistoryCache(target, vm);
    this.refreshOccupancy(target);
    this.storedRequest[target].push(this.vmRequested[vm]);
    this.allocated[target].push(0);
    this.allocateLast(target);
    this.hostStorage[target] -= this.vmSize[vm];
    // CloudSim updates both hosts here, after each migration it starts. An update recomputes a host from its VM
    // list and the demands at this same instant, so only the last one of a host counts; the caller updates each
    // host once after starting all migrations (see onTick), which leaves the same state.
    this.touchedHosts.push(target, this.vmHost[vm]);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Updates, energy and histories.

  /** HostDynamicWorkload.updateVmsProcessing. */
  private updateHostProcessing(host: number, time: number): void {
    const list = this.vmList[host];
    const n = list.length;
    if (n === 0 && this.utilMips[host] === 0 && this.idleEntry[host] === 1) {
      // An empty host that was already off: its new history entry would change no metric (an inactive entry
      // after an inactive one adds no time and no transition), so skip the work. Most hosts are here.
      this.previousUtilMips[host] = 0;
      this.availableMips[host] = this.hostMips[host];
      return;
    }
    // VMs advance to `time`: their demand is the trace at `time`; PowerVm records history on the regular ticks.
    for (let i = 0; i < n; i++) this.updateVmProcessing(list[i], time);
    this.previousUtilMips[host] = this.utilMips[host];
    // Deallocate everything, then allocate each VM in list order with its current demand.
    this.availableMips[host] = this.hostMips[host];
    const stored = this.storedRequest[host];
    const incoming = this.migratingIn[host];
    const plain = incoming.length === 0 && this.hostOutCount[host] === 0;
    for (let i = 0; i < n; i++) {
      const vm = list[i];
      stored[i] = this.vmRequested[vm];
      if (!plain || this.vmInMigration[vm] === 1) this.updateOutList(host, vm);
      this.allocateEntry(host, i);
    }
    let utilMips = 0;
    let requestedMips = 0;
    const allocated = this.allocated[host];
    for (let i = 0; i < n; i++) {
      const vm = list[i];
      let mips = allocated[i];
      const requested = this.vmRequested[vm];
      if (incoming.length === 0 || !incoming.includes(vm)) {
        this.sla.addVmEntry(vm, time, mips, requested, this.vmInMigration[vm] === 1);
        if (this.vmInMigration[vm]) mips /= 1 - this.config.migrationOverhead;
      }
      utilMips += mips;
      requestedMips += requested;
    }
    this.utilMips[host] = utilMips;
    this.refreshOccupancy(host);
    this.powerNow[host] = this.powerOf(host, this.hostUtilisation(host, utilMips));
    this.sla.addHostEntry(host, time, utilMips, requestedMips, utilMips > 0);
    this.idleEntry[host] = utilMips > 0 ? 0 : 1;
  }

  /** 1 when the host's newest history entry is inactive (see the fast path in updateHostProcessing). */
  private readonly idleEntry: Uint8Array;

  /** PowerVm.updateVmProcessing: demand at `time`, and a history value on the regular ticks. */
  private updateVmProcessing(vm: number, time: number): void {
    const utilisation = this.traceUtilisation(vm, time);
    this.vmRequested[vm] = utilisation * this.vmMips[vm] * this.vmPes[vm];
    // CloudSim tests `(t − 0.1) % interval == 0` in floating point: ticks whose accumulated time drifts off the
    // grid record no history value. Reproduced as is.
    if (time !== this.historyTime) {
      this.historyTime = time;
      this.historyTick = (time - this.config.startSeconds) % this.schedulingIntervalSeconds === 0;
    }
    if (this.historyTick && time > this.vmHistoryPreviousTime[vm]) {
      if (time !== 0 || utilisation !== 0) this.pushHistory(vm, utilisation);
      this.vmHistoryPreviousTime[vm] = time;
    }
  }

  /** Whether `historyTime` passes CloudSim's `(t − 0.1) % interval == 0` test (computed once per time). */
  private historyTime = NaN;
  private historyTick = false;

  private pushHistory(vm: number, value: number): void {
    const head = (this.vmHistoryHead[vm] + 1) % HISTORY_LENGTH;
    this.vmHistoryHead[vm] = head;
    this.vmHistoryValues[vm * HISTORY_LENGTH + head] = value;
    this.historyEpoch++;
    if (this.vmHistoryLength[vm] < HISTORY_LENGTH) this.vmHistoryLength[vm]++;
  }

  /**
   * PowerDatacenter.updateCloudetProcessingWithoutSchedulingFutureEventsForce: update every host, add the
   * energy since the last update, and deallocate VMs whose demand is exactly zero.
   */
  private updateAll(time: number): void {
    const timeDiff = time - this.lastProcessTime;
    const H = this.hostCount;
    if (this.config.energy === 'max-power') {
      // PowerDatacenterNonPowerAware: every host at full power, whatever its load.
      if (timeDiff > 0) for (let h = 0; h < H; h++) this.energyJoules += this.hostPower[h].maxPowerWatts * timeDiff;
      for (let h = 0; h < H; h++) this.updateHostProcessing(h, time);
    } else {
      for (let h = 0; h < H; h++) this.updateHostProcessing(h, time);
      if (timeDiff > 0) {
        for (let h = 0; h < H; h++) {
          const from = this.hostUtilisation(h, this.previousUtilMips[h]);
          if (from === 0) continue; // PowerHost.getEnergyLinearInterpolation: a host that was off draws nothing.
          const to = this.hostUtilisation(h, this.utilMips[h]);
          const power = this.hostPower[h];
          const fromPower = power.powerWatts(from);
          this.energyJoules += (fromPower + (power.powerWatts(to) - fromPower) / 2) * timeDiff;
        }
      }
    }
    this.removeCompletedVms();
    this.lastProcessTime = time;
  }

  /** HostDynamicWorkload.getCompletedVms: a VM whose current demand is 0 counts as finished and is removed. */
  private removeCompletedVms(): void {
    for (let h = 0; h < this.hostCount; h++) this.removeCompletedVmsOn(h);
  }

  private removeCompletedVmsOn(h: number): void {
    const list = this.vmList[h];
    let completed: number[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const vm = list[i];
      if (this.vmInMigration[vm] === 0 && this.vmRequested[vm] === 0) (completed ??= []).push(vm);
    }
    if (!completed) return;
    for (const vm of completed) {
      const host = this.vmHost[vm];
      if (host >= 0) this.vmDestroy(host, vm);
      this.vmRemoved[vm] = 1;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Events.

  private scheduleTick(time: number): void {
    // Events at or after the end are never processed by CloudSim; not scheduling them gives the same result.
    if (time < this.config.durationSeconds) this.sim.scheduleAt(time, TICK);
  }

  private onTick(): void {
    const now = this.sim.now;
    if (now > this.lastProcessTime) {
      this.updateAll(now);
      let started = 0;
      if (this.config.allocation.kind === 'migration') {
        const plan = this.optimizeAllocation(this.config.allocation.detector, this.config.allocation.selector);
        for (let i = 0; i < plan.length; i += 2) {
          const vm = plan[i];
          const target = plan[i + 1];
          this.addMigratingInVm(target, vm);
          this.migrations++;
          this.migrationsInFlight++;
          started++;
          const delay = this.vmRam[vm] / this.migrationMegabytesPerSecond(target);
          if (now + delay < this.config.durationSeconds) this.sim.scheduleAt(now + delay, MIGRATION_DONE, vm, target);
        }
        this.updateTouchedHosts(now);
      }
      this.sample(now, started);
      this.config.onProgress?.(now / this.config.durationSeconds);
      this.scheduleTick(now + this.schedulingIntervalSeconds);
      this.lastProcessTime = now;
    }
  }

  /** PowerDatacenter.processVmMigrate. */
  private onMigrationDone(vm: number, target: number): void {
    const now = this.sim.now;
    if (now > this.lastProcessTime) this.updateAll(now);
    const source = this.vmHost[vm];
    if (source >= 0) this.vmDestroy(source, vm);
    this.touchedHosts.push(source, target);
    // Host.removeMigratingInVm
    this.vmDeallocate(target, vm);
    const incoming = this.migratingIn[target];
    incoming.splice(incoming.indexOf(vm), 1);
    this.vmInMigration[vm] = 0;
    if (!this.vmCreate(target, vm)) throw new Error(`internal: VM ${vm} could not be created on host ${target} after migration`);
    this.migrationsInFlight--;
    // The datacenter updates every host once more, unless another migration completes at this same instant.
    // Only the hosts the migrations touched can change in that second update at the same time (the others
    // recompute the same allocation and replace their history entries with equal ones), so only they are
    // updated; the result is the same.
    if (this.sim.peekTime() !== now) this.updateTouchedHosts(now, true);
  }

  /**
   * Updates each host in `touchedHosts` once, in id order, then (with `removeCompleted`, as CloudSim's full update
   * does after updating) deallocates their VMs whose demand is zero; empties the list.
   */
  private updateTouchedHosts(now: number, removeCompleted = false): void {
    const touched = this.touchedHosts.sort((a, b) => a - b);
    let previous = -1;
    for (const h of touched) {
      if (h !== previous && h >= 0) this.updateHostProcessing(h, now);
      previous = h;
    }
    if (removeCompleted) {
      previous = -1;
      for (const h of touched) {
        if (h !== previous && h >= 0) this.removeCompletedVmsOn(h);
        previous = h;
      }
    }
    touched.length = 0;
  }

  private readonly touchedHosts: number[] = [];

  // ---------------------------------------------------------------------------------------------------------
  // Placement and consolidation.

  /** Initial placement at t = 0 in VM order, each VM requesting its full MIPS while instantiated. */
  private placeInitialVms(): void {
    const empty = new Uint8Array(this.hostCount);
    for (let vm = 0; vm < this.vmCount; vm++) {
      this.vmInstantiating[vm] = 1;
      this.vmRequested[vm] = this.vmMips[vm] * this.vmPes[vm];
      const host = this.config.allocation.kind === 'migration' ? this.findHostForVm(vm, empty, this.config.allocation.detector) : this.firstFit(vm);
      if (host >= 0) this.vmCreate(host, vm);
      else {
        this.vmRemoved[vm] = 1; // CloudSim's broker gives up on a VM no host accepts.
        this.unplacedVms++;
      }
      this.vmInstantiating[vm] = 0;
      // Created VMs request nothing until their cloudlet starts (CloudletSchedulerDynamicWorkload, empty).
      this.vmRequested[vm] = 0;
    }
  }

  private isSuitable(host: number, vm: number): boolean {
    const requested = this.vmRequested[vm];
    if (this.hostPeMips[host] < requested / this.vmPes[vm]) return false;
    if (this.availableMips[host] < requested) return false;
    if (this.vmInstantiating[vm]) {
      if (this.hostRam[host] - this.hostRamUsed[host] < this.vmRam[vm]) return false;
      if (this.hostBw[host] - this.hostBwUsed[host] < this.vmBw[vm]) return false;
    }
    return true;
  }

  private firstFit(vm: number): number {
    for (let h = 0; h < this.hostCount; h++) if (this.isSuitable(h, vm)) return h;
    return -1;
  }

  /** getUtilizationOfCpuMips: allocated MIPS, counting a VM migrating in at its full (pre-overhead) share. */
  private allocatedMipsWithIncoming(host: number): number {
    const cached = this.allocatedWithIncomingCache[host];
    if (cached === cached) return cached; // not NaN
    const list = this.vmList[host];
    const allocated = this.allocated[host];
    const incoming = this.migratingIn[host];
    const overhead = this.config.migrationOverhead;
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      if (incoming.includes(list[i])) total += (allocated[i] * (1 - overhead)) / overhead;
      total += allocated[i];
    }
    this.allocatedWithIncomingCache[host] = total;
    return total;
  }

  private powerOf(host: number, utilisation: number): number {
    const u = utilisation > 1 && utilisation < 1.01 ? 1 : utilisation;
    const offset = this.powerTables.offsetOf[host];
    // Out of [0, 1] the model itself throws, with its message (CloudSim exits there).
    if (offset < 0 || !(u >= 0 && u <= 1)) return this.hostPower[host].powerWatts(u);
    return cloudSimTablePower(this.powerTables.values, offset, u);
  }

  private readonly powerTables: PowerTables;

  /**
   * PowerVmAllocationPolicyMigrationAbstract.findHostForVm: the non-excluded suitable host with the smallest
   * power increase that the detector does not find overloaded after the placement (lowest id on ties).
   *
   * CloudSim tests overload on every candidate; here candidates are ranked by power increase first and tested
   * lazily in that order, which picks the same host with far fewer tests. The test's one lasting side effect
   * in CloudSim (a tentative create clears a stale "migrating out" entry) is applied to every host it would
   * have touched.
   */
  private findHostForVm(vm: number, excluded: Uint8Array, detector: OverloadDetector, emptyHostsExcluded = false): number {
    const candidates = this.candidateHosts;
    const diffs = this.candidateDiffs;
    const state = this.candidateState; // 0: no test needed, 1: test needed, 2: failed the test
    let count = 0;
    const requested = this.vmRequested[vm];
    const migrating = this.vmInMigration[vm] === 1;
    // Occupied hosts (with VMs or load) are evaluated one by one.
    // CloudSim's overload test creates the VM tentatively on every non-excluded suitable host with allocated MIPS,
    // and that create removes a stale "migrating out" entry of this VM there: apply that effect first.
    const staleHosts = this.vmOutHosts[vm];
    if (!migrating && staleHosts.length > 0) {
      for (let i = staleHosts.length - 1; i >= 0; i--) {
        const h = staleHosts[i];
        if (!excluded[h] && this.isSuitable(h, vm) && this.allocatedMipsWithIncoming(h) !== 0) {
          staleHosts.splice(i, 1);
          this.hostOutCount[h]--;
        }
      }
    }
    const occupied = this.occupiedList;
    for (let i = 0; i < occupied.length; i++) {
      const h = occupied[i];
      if (excluded[h] || !this.isSuitable(h, vm)) continue;
      const allocatedMips = this.allocatedMipsWithIncoming(h);
      const check = allocatedMips !== 0;
      const after = (allocatedMips + requested) / this.hostMips[h];
      if (after > 1.01) throw new Error(`internal: host ${h} would run at utilisation ${after} (CloudSim exits here)`);
      candidates[count] = h;
      diffs[count] = this.powerOf(h, after) - this.powerNow[h];
      state[count] = check ? 1 : 0;
      count++;
    }
    // Empty hosts of one class (same power model and capacities) all offer the same power increase and need no
    // test, so only the lowest id of each class can win (CloudSim keeps the first host on ties).
    // (The underload phase excludes every switched-off host, so no empty host can qualify there.)
    for (let c = 0; emptyHostsExcluded ? false : c < this.classHosts.length; c++) {
      const h = this.lowestEmptyHost(c, excluded);
      if (h < 0 || !this.isSuitable(h, vm)) continue;
      candidates[count] = h;
      diffs[count] = this.powerOf(h, requested / this.hostMips[h]) - this.powerNow[h];
      state[count] = 0;
      count++;
    }
    // The smallest increase, lowest id on ties, that passes the test.
    for (;;) {
      let best = -1;
      let bestDiff = Number.MAX_VALUE;
      let bestHost = 0;
      for (let i = 0; i < count; i++) {
        if (state[i] === 2) continue;
        const d = diffs[i];
        if (d < bestDiff || (d === bestDiff && candidates[i] < bestHost)) {
          bestDiff = d;
          best = i;
          bestHost = candidates[i];
        }
      }
      if (best < 0) return -1;
      if (state[best] === 0 || !this.isOverloadedAfterAllocation(bestHost, vm, detector)) return bestHost;
      state[best] = 2;
    }
  }

  /** The lowest-id host of class `c` that is empty (no VMs, no load) and not excluded, or −1. */
  private lowestEmptyHost(c: number, excluded: Uint8Array): number {
    const hosts = this.classHosts[c];
    let i = this.classEmptyFloor[c];
    // Advance the floor past hosts that are no longer empty; it only moves back when a host empties.
    while (i < hosts.length && this.occupiedPosition[hosts[i]] >= 0) i++;
    this.classEmptyFloor[c] = i;
    for (; i < hosts.length; i++) {
      const h = hosts[i];
      if (this.occupiedPosition[h] < 0 && !excluded[h]) return h;
    }
    return -1;
  }

  /** Keeps the occupied-host list current: call after a host's VM list or its utilisation changes. */
  private refreshOccupancy(h: number): void {
    const occupied = this.vmList[h].length > 0 || this.utilMips[h] !== 0;
    const position = this.occupiedPosition[h];
    if (occupied && position < 0) {
      this.occupiedPosition[h] = this.occupiedList.length;
      this.occupiedList.push(h);
    } else if (!occupied && position >= 0) {
      const last = this.occupiedList.pop()!;
      if (last !== h) {
        this.occupiedList[position] = last;
        this.occupiedPosition[last] = position;
      }
      this.occupiedPosition[h] = -1;
      const c = this.hostClass[h];
      const index = this.classIndex[h];
      if (index < this.classEmptyFloor[c]) this.classEmptyFloor[c] = index;
    }
  }

  private readonly candidateHosts: Int32Array;
  /** Hosts with the same power model and capacities share a class (see findHostForVm). */
  private readonly hostClass: Int32Array;
  /** Each class's hosts in id order, a host's index in that list, and a lower bound of its first empty one. */
  private readonly classHosts: number[][];
  private readonly classIndex: Int32Array;
  private readonly classEmptyFloor: Int32Array;
  /** Hosts with VMs or load, in no particular order, and each host's position there (−1: not occupied). */
  private readonly occupiedList: number[] = [];
  private readonly occupiedPosition: Int32Array;
  private readonly candidateDiffs: Float64Array;
  private readonly candidateState: Uint8Array;

  /**
   * CloudSim creates the VM on the host, asks the detector, and destroys it again. The detector is asked
   * "as if" instead (the same sums in the same order); the only other effect of the create, on a host without
   * room in storage or (at t = 0) RAM or bandwidth, is to report the host overloaded, kept here.
   */
  private isOverloadedAfterAllocation(host: number, vm: number, detector: OverloadDetector): boolean {
    if (this.hostStorage[host] < this.vmSize[vm]) return true;
    return detector.isOverloaded(this, host, vm);
  }

  /** PowerVmList.sortByCpuUtilization: current MIPS, highest first, stable. */
  private sortByCurrentMips(vms: number[]): number[] {
    const now = this.sim.now;
    const key = this.sortKey;
    for (const vm of vms) key[vm] = this.traceUtilisation(vm, now) * this.vmMips[vm];
    // Array.prototype.sort is stable, like Java's Collections.sort: equal demands keep their order.
    return vms.sort((a, b) => key[b] - key[a]);
  }

  private readonly sortKey: Float64Array;

  /**
   * optimizeAllocation: returns the migration plan as [vm, target, vm, target, …]. Every tentative change is
   * rolled back before returning, as CloudSim does.
   */
  private optimizeAllocation(detector: OverloadDetector, selector: VmSelector): number[] {
    const H = this.hostCount;
    const overloaded: number[] = [];
    for (let h = 0; h < H; h++) if (detector.isOverloaded(this, h)) overloaded.push(h);
    this.touched.fill(0);
    // saveAllocation
    const saved: number[] = [];
    for (let h = 0; h < H; h++) {
      const list = this.vmList[h];
      for (let i = 0; i < list.length; i++) if (!this.migratingIn[h].includes(list[i])) saved.push(h, list[i]);
    }
    // VMs to migrate from overloaded hosts.
    const toMigrate: number[] = [];
    for (const h of overloaded) {
      for (;;) {
        const vm = selector.select(this, h);
        if (vm < 0) break;
        toMigrate.push(vm);
        this.vmDestroy(h, vm);
        if (!detector.isOverloaded(this, h)) break;
      }
    }
    const plan: number[] = [];
    const excludedForPlacement = new Uint8Array(H);
    for (const h of overloaded) excludedForPlacement[h] = 1;
    for (const vm of this.sortByCurrentMips(toMigrate)) {
      const host = this.findHostForVm(vm, excludedForPlacement, detector);
      if (host >= 0) {
        this.vmCreate(host, vm);
        plan.push(vm, host);
      }
    }
    // Underload: evacuate the least-loaded hosts, all VMs or none.
    const excludedForSource = new Uint8Array(H);
    let excludedCount = 0;
    const exclude = (h: number): void => {
      if (!excludedForSource[h]) {
        excludedForSource[h] = 1;
        excludedCount++;
      }
    };
    for (const h of overloaded) exclude(h);
    for (let h = 0; h < H; h++) {
      if (this.hostUtilisation(h, this.utilMips[h]) === 0) {
        exclude(h);
        excludedForPlacement[h] = 1;
      }
    }
    for (;;) {
      if (excludedCount === H) break;
      const source = this.underloadedHost(excludedForSource);
      if (source < 0) break;
      exclude(source);
      excludedForPlacement[source] = 1;
      this.touched[source] = 1; // its VMs may be created elsewhere tentatively: restore their host
      const vms = this.vmList[source].filter((vm) => this.vmInMigration[vm] === 0);
      if (vms.length === 0) continue;
      const placement: number[] = [];
      for (const vm of this.sortByCurrentMips(vms)) {
        const host = this.findHostForVm(vm, excludedForPlacement, detector, true);
        if (host < 0) {
          for (let i = 0; i < placement.length; i += 2) this.vmDestroy(placement[i + 1], placement[i]);
          placement.length = 0;
          break;
        }
        this.vmCreate(host, vm);
        placement.push(vm, host);
      }
      for (let i = 0; i < placement.length; i += 2) exclude(placement[i + 1]);
      for (const x of placement) plan.push(x);
    }
    this.restoreAllocation(saved);
    return plan;
  }

  private underloadedHost(excluded: Uint8Array): number {
    let minUtilisation = 1;
    let best = -1;
    for (let h = 0; h < this.hostCount; h++) {
      if (excluded[h]) continue;
      const u = this.hostUtilisation(h, this.utilMips[h]);
      if (u > 0 && u < minUtilisation && !this.allVmsMigratingOutOrAnyMigratingIn(h)) {
        minUtilisation = u;
        best = h;
      }
    }
    return best;
  }

  private allVmsMigratingOutOrAnyMigratingIn(host: number): boolean {
    const list = this.vmList[host];
    for (let i = 0; i < list.length; i++) {
      const vm = list[i];
      if (!this.vmInMigration[vm]) return false;
      if (this.migratingIn[host].includes(vm)) return true;
    }
    return true;
  }

  /** restoreAllocation: every host emptied, its incoming VMs re-added first, then the saved VMs in order. */
  private restoreAllocation(saved: number[]): void {
    // CloudSim empties and re-creates every host. A host that consolidation did not touch and that has no VM
    // arriving would come back identical (same list order, same demands, the same allocations computed in the
    // same order), so only touched hosts and hosts with arriving VMs (which move to the front) are rebuilt.
    const rebuild = this.touched;
    for (let h = 0; h < this.hostCount; h++) if (this.migratingIn[h].length > 0) rebuild[h] = 1;
    for (let h = 0; h < this.hostCount; h++) {
      if (!rebuild[h]) continue;
      const list = this.vmList[h];
      for (let i = 0; i < list.length; i++) {
        const vm = list[i];
        this.hostStorage[h] += this.vmSize[vm];
        this.vmHost[vm] = -1;
        this.vmRamReserved[vm] = 0;
        this.vmBwReserved[vm] = 0;
      }
      this.hostRamUsed[h] = 0;
      this.hostBwUsed[h] = 0;
      list.length = 0;
      this.hostHistoryEpoch[h] = -1;
      this.allocatedWithIncomingCache[h] = NaN;
      this.storedRequest[h].length = 0;
      this.allocated[h].length = 0;
      this.availableMips[h] = this.hostMips[h];
      for (const vm of this.migratingIn[h]) {
        list.push(vm);
        this.storedRequest[h].push(this.vmRequested[vm]);
        this.allocated[h].push(0);
        this.allocateLast(h);
        this.hostStorage[h] -= this.vmSize[vm];
      }
      this.refreshOccupancy(h);
    }
    for (let i = 0; i < saved.length; i += 2) {
      const host = saved[i];
      if (!rebuild[host]) continue;
      const vm = saved[i + 1];
      if (!this.vmCreate(host, vm)) throw new Error(`internal: could not restore VM ${vm} on host ${host}`);
    }
    rebuild.fill(0);
  }

  /** Hosts whose VM lists consolidation changed this round (see restoreAllocation). */
  private readonly touched: Uint8Array;

  // ---------------------------------------------------------------------------------------------------------
  // Output.

  private sample(time: number, started: number): void {
    const H = this.hostCount;
    let active = 0;
    let activeMips = 0;
    let capacity = 0;
    let overloaded = 0;
    for (let h = 0; h < H; h++) {
      const util = this.hostUtilisation(h, this.utilMips[h]);
      this.hostUtilSeries.push(util);
      this.hostPowerSeries.push(util > 0 ? this.powerOf(h, Math.min(util, 1)) : this.config.energy === 'max-power' ? this.hostPower[h].maxPowerWatts : 0);
      if (this.utilMips[h] > 0) {
        active++;
        activeMips += this.utilMips[h];
        capacity += this.hostMips[h];
        if (this.sla.hostShortfall(h)) overloaded++;
      }
    }
    const dt = time - this.timeAtLastSample;
    const requested = this.sla.totalRequested;
    const allocated = this.sla.totalAllocated;
    const dRequested = requested - this.requestedAtLastSample;
    this.seriesTime.push(time);
    this.seriesEnergy.push(dt > 0 ? (this.energyJoules - this.energyAtLastSample) / dt : 0);
    this.seriesActive.push(active);
    this.seriesUtil.push(capacity > 0 ? activeMips / capacity : 0);
    this.seriesInFlight.push(this.migrationsInFlight);
    this.seriesStarted.push(started);
    this.seriesOverloaded.push(active > 0 ? overloaded / active : 0);
    this.seriesSla.push(dRequested > 0 ? (dRequested - (allocated - this.allocatedAtLastSample)) / dRequested : 0);
    this.energyAtLastSample = this.energyJoules;
    this.timeAtLastSample = time;
    this.requestedAtLastSample = requested;
    this.allocatedAtLastSample = allocated;
  }

  private collect(): CompatResult {
    const metrics = this.sla.finish();
    const slav = metrics.slatah * metrics.pdm;
    const energyKwh = this.energyJoules / 3.6e6;
    const samples = this.seriesTime.length;
    const hostPower = new Float64Array(this.hostCount * samples);
    const hostUtil = new Float64Array(this.hostCount * samples);
    // Series were pushed sample-major; reports want host-major rows.
    for (let s = 0; s < samples; s++) {
      for (let h = 0; h < this.hostCount; h++) {
        hostPower[h * samples + s] = this.hostPowerSeries[s * this.hostCount + h];
        hostUtil[h * samples + s] = this.hostUtilSeries[s * this.hostCount + h];
      }
    }
    return {
      summary: {
        hosts: this.hostCount,
        vms: this.vmCount,
        energy_kwh: energyKwh,
        migrations: this.migrations,
        slatah: metrics.slatah,
        pdm: metrics.pdm,
        slav,
        esv: energyKwh * slav,
        overall_sla_violation: metrics.overall,
        average_sla_violation: metrics.average,
        host_shutdowns: metrics.hostShutdowns,
        mean_time_before_host_shutdown_s: metrics.meanTimeBeforeShutdown,
        stdev_time_before_host_shutdown_s: metrics.stdevTimeBeforeShutdown,
        mean_migration_time_s: metrics.meanMigrationTime,
        stdev_migration_time_s: metrics.stdevMigrationTime,
        sim_seconds: this.config.durationSeconds,
        events: this.sim.events,
      },
      dataCenter: {
        timeSeconds: Float64Array.from(this.seriesTime),
        powerWatts: Float64Array.from(this.seriesEnergy),
        activeHosts: Float64Array.from(this.seriesActive),
        utilisation: Float64Array.from(this.seriesUtil),
        migrationsInFlight: Float64Array.from(this.seriesInFlight),
        migrationsStarted: Float64Array.from(this.seriesStarted),
        overloadedHostFraction: Float64Array.from(this.seriesOverloaded),
        slaViolation: Float64Array.from(this.seriesSla),
      },
      hosts: { hostCount: this.hostCount, sampleCount: samples, powerWatts: hostPower, utilisation: hostUtil },
      warnings:
        this.unplacedVms > 0
          ? [`${this.unplacedVms} of ${this.vmCount} VMs fit no host at creation and were dropped, as CloudSim does; add hosts to run them`]
          : [],
    };
  }
}
