/**
 * The `default` data-center model: CloudSim's consolidation algorithms (the same detector and selection
 * policies, power-aware best-fit decreasing, underload evacuation) on a model with CloudSim's quirks fixed.
 * docs/models/default.md lists every difference from the `cloudsim-3.0.3` mode and why.
 *
 * Time: the scheduler ticks at exact multiples of the interval (k · Δ, no accumulated drift). A VM's CPU demand
 * is its trace value at the tick, held until the next tick; migrations complete at their own instants. Between
 * two changes everything is constant, and energy and SLA figures are integrated exactly over those pieces.
 *
 * CPU: fluid time sharing. A host serves its VMs' demands (each capped at one core per vCPU) plus the CPU work of
 * migrations (a migrating VM loses `cpuOverhead` of its share on the source; the target spends `cpuOverhead` of
 * the VM's demand receiving it). When the sum exceeds capacity, every share is scaled by capacity / sum.
 *
 * Placement works on each host's *committed* state: the VMs that will be on it once the migrations in flight end
 * (resident VMs not leaving, plus VMs arriving), with their demand, RAM and bandwidth. RAM and bandwidth are
 * enforced for every placement, not only at creation.
 *
 * Power states: `instant` (a host with no VM is off and draws nothing; switching is free and immediate, as in
 * CloudSim) or `realistic` (an empty host stays on at idle power for `idleSeconds`, then shuts down over
 * `shutdownSeconds` at `shutdownWatts`; a host that is off boots over `bootSeconds` at `bootWatts` before a
 * migration to it can start).
 */
import { Simulator } from '../../kernel/simulator.js';
import { groupHosts, identityIds } from '../../model/host-classes.js';
import type { PowerModel } from '../../model/power-model.js';
import { exactTablePower, PowerTables } from '../../model/power-tables.js';
import type { MigrationModel, MigrationRequest } from '../../mechanisms/migration/migration-model.js';
import type { LiveMigrationResult } from '../../mechanisms/migration/live-migration.js';
import { MigrationService } from '../../mechanisms/migration/migration-service.js';
import { starTopology, type StarTopology } from '../../model/network/topology.js';
import type { MigrationEngineConfig } from './migration-engine.js';
import type { DataCenterSeries, HostSeries, RunSummary, VcpuBallooningSeries } from '../../metrics/run-result.js';
import { meanAndStdev } from '../../metrics/sla-accumulator.js';
import { HISTORY_LENGTH, type HostLoadView, type OverloadDetector } from '../../policies/consolidation/overload-detection.js';
import type { HostVmView, VmSelector } from '../../policies/consolidation/vm-selection.js';
import { DOUBLE_ZERO } from '../../util/double-zero.js';
import { createVcpuBalloonPolicy, type VcpuBalloonPolicyConfig, type VcpuBalloonView } from '../../policies/vcpu/vcpu-balloon-policy.js';


export interface FluidHostSpec {
  cores: number;
  mipsPerCore: number;
  ramMiB: number;
  bandwidthMbps: number;
  power: PowerModel;
}

export interface FluidVmSpec {
  mips: number;
  pes: number;
  ramMiB: number;
  bandwidthMbps: number;
}

export type FluidAllocation = { kind: 'migration'; detector: OverloadDetector; selector: VmSelector } | { kind: 'first-fit' };

export type PowerStates =
  | { kind: 'instant' }
  | { kind: 'realistic'; idleSeconds: number; bootSeconds: number; bootWatts: number; shutdownSeconds: number; shutdownWatts: number };

export interface FluidConfig {
  hosts: readonly FluidHostSpec[];
  vms: readonly FluidVmSpec[];
  /** Row-major [vm][sample] utilisation fractions. */
  utilisation: Float64Array;
  samplesPerVm: number;
  sampleIntervalSeconds: number;
  schedulingIntervalSeconds: number;
  durationSeconds: number;
  allocation: FluidAllocation;
  /** `max-power`: every host at full power all the time (the non-power-aware baseline). */
  energy: 'utilisation' | 'max-power';
  migration: MigrationModel;
  /**
   * Realistic migrations (pre-copy, post-copy, …) on a max-min fair network of the hosts' NICs, in place of
   * `migration`'s fixed duration and CPU overhead; absent: the `migration` model.
   */
  migrationEngine?: MigrationEngineConfig;
  powerStates: PowerStates;
  /** A facility power cap enforced at every scheduling tick by throttling VMs (see applyPowerCap). */
  powerCap?: PowerCapConfig;
  /** vCPU ballooning on every running host at every scheduling tick, after consolidation (see balloonVcpus). */
  vcpuBallooning?: VcpuBalloonPolicyConfig;
  onProgress?: (fraction: number) => void;
  /** Check the model's invariants after every tick and migration (tests; slow). */
  checkInvariants?: boolean;
}

/**
 * Data-center power caps: a facility cap, rack caps, or both. At each scheduling tick, after consolidation:
 * 1. racks over their cap first shed load by migration (if `rack.migrate`): their VMs with the highest accounted
 *    power (per-VM energy over the last interval) move to hosts in racks with headroom, until the power they
 *    account for covers the excess — the rack-level counterpart of balancing before throttling;
 * 2. what is still over a cap now (migrations take time) is throttled, VMs' CPU shares capped:
 *    - `energy-intensity`: the VMs whose accounted dynamic power per MIPS is highest first (where a MIPS costs
 *      the most watts: the least efficient hosts), each down to `floorFraction` of its demand, then further only
 *      if that is not enough;
 *    - `uniform`: every VM of the group by the same factor (what a meter without per-VM accounting allows).
 * Throttled demand counts as SLA violation, like any unallocated demand.
 */
export interface PowerCapConfig {
  facilityWatts: number | null;
  rack: { watts: number; hostsPerRack: number; migrate: boolean; maxMigrationsPerTick: number } | null;
  choose: 'energy-intensity' | 'uniform';
  floorFraction: number;
}

export interface FluidResult {
  summary: Omit<RunSummary, 'scenario' | 'mode' | 'seed' | 'wall_seconds'>;
  /** Energy charged to each VM by the fluid per-VM accounting, joules. */
  vmEnergyJoules: Float64Array;
  /** With `vcpuBallooning`: online vCPUs per VM and over time. */
  vcpus?: VcpuBallooningSeries;
  dataCenter: DataCenterSeries;
  hosts: HostSeries;
  warnings: string[];
}

const TICK = 0;
const MIGRATION_DONE = 1;
const BOOT_DONE = 2;
const SHUTDOWN_DONE = 3;
const IDLE_TIMEOUT = 4;

const OFF = 0;
const BOOTING = 1;
const ON = 2;
const SHUTTING_DOWN = 3;
/** Crashed for good: draws nothing, takes nothing, never wakes. */
const FAILED = 4;

/** Values per host in `room`. */
const ROOM_STRIDE = 4;
/**
 * Live hosts are kept in a grid of cells by free RAM and free MIPS (powers of two from 512), so that placement
 * skips hosts that cannot take a VM without looking at them: in a consolidated data center most hosts are full.
 */
const ROOM_BINS = 8;

function roomBin(free: number): number {
  if (!(free >= 512)) return 0;
  const bin = Math.floor(Math.log2(free / 256));
  return bin >= ROOM_BINS ? ROOM_BINS - 1 : bin;
}

/** Relative slack for "demand exceeds capacity" tests, so rounding in sums is not read as overload. */
const EPSILON = 1e-9;

export class FluidDataCenter implements HostLoadView, HostVmView {
  readonly schedulingIntervalSeconds: number;
  private readonly sim = new Simulator();
  private readonly H: number;
  private readonly V: number;
  private readonly overhead: number;
  // Host constants.
  private readonly capacity: Float64Array;
  private readonly coreMips: Float64Array;
  private readonly ram: Float64Array;
  private readonly bandwidth: Float64Array;
  private readonly power: PowerModel[];
  private readonly hostClass: Int32Array;
  private readonly classHosts: number[][];
  // Host state.
  private readonly state: Uint8Array;
  private readonly stateSince: Float64Array;
  private readonly resident: number[][];
  private readonly incoming: number[][];
  /** VMs that will be on the host when migrations in flight end (planning view). */
  private readonly committed: number[][];
  private readonly committedDemand: Float64Array;
  private readonly committedRam: Float64Array;
  private readonly committedBandwidth: Float64Array;
  private readonly ramInUse: Float64Array;
  /** RAM of VMs resident on the host but committed elsewhere (leaving), MiB. */
  private readonly leavingRam: Float64Array;
  private readonly usedMips: Float64Array;
  private readonly requestedMips: Float64Array;
  private readonly hostScale: Float64Array;
  private readonly hostPower: Float64Array;
  private readonly lastChange: Float64Array;
  private readonly energyJoules: Float64Array;
  /** Power of each host on and idle, watts (the part of its power shared equally among its VMs). */
  private readonly idleWatts: Float64Array;
  private readonly idleGeneration: Int32Array;
  /** Hosts that are on or booting, unordered, with positions (−1 when absent). */
  private readonly live: number[] = [];
  private readonly livePosition: Int32Array;
  // VM constants and state.
  private readonly vmMips: Float64Array;
  private readonly vmPes: Int32Array;
  private readonly vmRam: Float64Array;
  private readonly vmBandwidth: Float64Array;
  private readonly vmHost: Int32Array;
  private readonly vmTarget: Int32Array;
  private readonly vmPlanned: Int32Array;
  private readonly vmDemand: Float64Array;
  private readonly vmAllocated: Float64Array;
  private readonly vmLastChange: Float64Array;
  private readonly vmMigrationStart: Float64Array;
  /** Per-VM energy (fluid accounting), joules, and what no VM could be charged with (empty or booting hosts). */
  private readonly vmEnergyJoules: Float64Array;
  // vCPU ballooning (only with config.vcpuBallooning).
  private readonly vmOnlineVcpus: Int32Array;
  private readonly vmMinOnlineVcpus: Int32Array;
  private readonly vmOnlineVcpuSeconds: Float64Array;
  private balloonTime = 0;
  private readonly vcpuSeries = { online: [] as number[], total: [] as number[], overcommit: [] as number[] };
  private unattributedJoules = DOUBLE_ZERO;
  /** Power-cap throttle per VM: the share of its demand it may use (1: not throttled). */
  private readonly vmCap: Float64Array;
  /** MIPS each VM loses to the power cap at the current allocation. */
  private readonly vmCapLoss: Float64Array;
  private capShortfall = DOUBLE_ZERO;
  private capThrottledVmTicks = 0;
  private capTicks = 0;
  private capExceededIntervals = 0;
  private capRackExceededIntervals = 0;
  private capMigrations = 0;
  private readonly vmEnergyAtTick: Float64Array;
  private readonly vmPowerRate: Float64Array;
  private lastCapTick = 0;
  private readonly history: Float64Array;
  private historyCount = 0;
  private historyHead = -1;
  private readonly hostHistoryCache: Float64Array;
  private readonly hostHistoryEpoch: Float64Array;
  private historyEpoch = 0;
  // Accounting.
  private totalRequested = DOUBLE_ZERO;
  private totalAllocated = DOUBLE_ZERO;
  private migrationShortfall = DOUBLE_ZERO;
  private violationSum = DOUBLE_ZERO;
  private violationCount = 0;
  private activeTime = DOUBLE_ZERO;
  private violationTime = DOUBLE_ZERO;
  private readonly shutdownTimes: number[] = [];
  private readonly migrationTimes: number[] = [];
  private migrations = 0;
  private migrationsInFlight = 0;
  // Series.
  private readonly series = {
    time: [] as number[],
    power: [] as number[],
    active: [] as number[],
    util: [] as number[],
    inFlight: [] as number[],
    started: [] as number[],
    overloaded: [] as number[],
    sla: [] as number[],
  };
  private hostPowerSeries!: Float64Array;
  private hostUtilSeries!: Float64Array;
  private sampleIndex = 0;
  private lastSampleTime = DOUBLE_ZERO;
  private lastSampleEnergy = DOUBLE_ZERO;
  private lastSampleRequested = DOUBLE_ZERO;
  private lastSampleAllocated = DOUBLE_ZERO;
  private readonly candidateHosts: Int32Array;
  private readonly candidateDiffs: Float64Array;
  private readonly candidateState: Uint8Array;
  private readonly classFloor: Int32Array;
  private readonly classIndex: Int32Array;
  private readonly sortKey: Float64Array;

  constructor(private readonly config: FluidConfig) {
    this.schedulingIntervalSeconds = config.schedulingIntervalSeconds;
    // With a migration engine, a migrating VM's lost work comes from the engine (throttling, downtime, faults).
    this.overhead = config.migrationEngine ? 0 : config.migration.cpuOverhead;
    const H = (this.H = config.hosts.length);
    const V = (this.V = config.vms.length);
    this.capacity = new Float64Array(H);
    this.coreMips = new Float64Array(H);
    this.ram = new Float64Array(H);
    this.bandwidth = new Float64Array(H);
    this.power = [];
    for (let h = 0; h < H; h++) {
      const spec = config.hosts[h];
      this.capacity[h] = spec.cores * spec.mipsPerCore;
      this.coreMips[h] = spec.mipsPerCore;
      this.ram[h] = spec.ramMiB;
      this.bandwidth[h] = spec.bandwidthMbps;
      this.power.push(spec.power);
    }
    const modelId = identityIds<PowerModel>();
    const classes = groupHosts(H, (h) => {
      const spec = config.hosts[h];
      return `${modelId(spec.power)}/${spec.cores}/${spec.mipsPerCore}/${spec.ramMiB}/${spec.bandwidthMbps}`;
    });
    this.hostClass = classes.classOf;
    this.classHosts = classes.hostsOf;
    this.classIndex = classes.indexInClass;
    this.classFloor = new Int32Array(this.classHosts.length);
    this.state = new Uint8Array(H);
    this.stateSince = new Float64Array(H);
    this.resident = Array.from({ length: H }, () => []);
    this.incoming = Array.from({ length: H }, () => []);
    this.committed = Array.from({ length: H }, () => []);
    this.committedDemand = new Float64Array(H);
    this.committedRam = new Float64Array(H);
    this.committedBandwidth = new Float64Array(H);
    this.ramInUse = new Float64Array(H);
    this.leavingRam = new Float64Array(H);
    this.usedMips = new Float64Array(H);
    this.requestedMips = new Float64Array(H);
    this.hostScale = new Float64Array(H).fill(1);
    this.hostPower = new Float64Array(H);
    this.lastChange = new Float64Array(H);
    this.energyJoules = new Float64Array(H);
    this.idleGeneration = new Int32Array(H);
    this.livePosition = new Int32Array(H).fill(-1);
    this.vmMips = new Float64Array(V);
    this.vmPes = new Int32Array(V);
    this.vmRam = new Float64Array(V);
    this.vmBandwidth = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      const spec = config.vms[v];
      this.vmMips[v] = spec.mips;
      this.vmPes[v] = spec.pes;
      this.vmRam[v] = spec.ramMiB;
      this.vmBandwidth[v] = spec.bandwidthMbps;
    }
    this.vmHost = new Int32Array(V).fill(-1);
    this.vmTarget = new Int32Array(V).fill(-1);
    this.vmPlanned = new Int32Array(V).fill(-1);
    this.vmDemand = new Float64Array(V);
    this.vmAllocated = new Float64Array(V);
    this.vmLastChange = new Float64Array(V);
    this.vmMigrationStart = new Float64Array(V);
    this.vmEnergyJoules = new Float64Array(V);
    this.vmOnlineVcpus = Int32Array.from(config.vms, (vm) => vm.pes);
    this.vmMinOnlineVcpus = Int32Array.from(config.vms, (vm) => vm.pes);
    this.vmOnlineVcpuSeconds = new Float64Array(V);
    this.vmCap = new Float64Array(V).fill(1);
    this.vmCapLoss = new Float64Array(V);
    this.vmEnergyAtTick = new Float64Array(V);
    this.vmPowerRate = new Float64Array(V);
    this.history = new Float64Array(V * HISTORY_LENGTH);
    this.hostHistoryCache = new Float64Array(H * HISTORY_LENGTH);
    this.hostHistoryEpoch = new Float64Array(H).fill(-1);
    this.candidateHosts = new Int32Array(H);
    this.hostTrimmedLength = new Int32Array(H).fill(-1);
    this.vmTrimmed = new Int32Array(V);
    this.vmTrimmedEpoch = new Float64Array(V).fill(-1);
    this.room = new Float64Array(H * ROOM_STRIDE);
    this.cellOf = new Int32Array(H).fill(-1);
    this.cellPosition = new Int32Array(H).fill(-1);
    for (let h = 0; h < H; h++) {
      this.room[h * ROOM_STRIDE + 3] = this.coreMips[h];
      this.refreshRoom(h);
    }
    this.powerTables = new PowerTables(this.power, 'exact');
    this.idleWatts = new Float64Array(H);
    for (let h = 0; h < H; h++) this.idleWatts[h] = config.energy === 'max-power' ? this.power[h].maxPowerWatts : this.powerAt(h, 0);
    this.largestVm = new Int32Array(H).fill(-2);
    this.candidateDiffs = new Float64Array(H);
    this.candidateState = new Uint8Array(H);
    this.sortKey = new Float64Array(V);
    if (config.energy === 'max-power') for (let h = 0; h < H; h++) this.setState(h, ON, 0);
    this.sim.on(TICK, () => this.onTick());
    this.sim.on(MIGRATION_DONE, (vm) => this.onMigrationDone(vm));
    this.sim.on(BOOT_DONE, (host) => this.onBootDone(host));
    this.sim.on(SHUTDOWN_DONE, (host) => this.onShutdownDone(host));
    this.sim.on(IDLE_TIMEOUT, (host, generation) => this.onIdleTimeout(host, generation));
    this.vmTail = new Uint8Array(V);
    this.vmLost = new Uint8Array(V);
    this.prediction = new Float64Array(V);
    this.predictionLink = new Float64Array(V);
    this.predictionEpoch = new Float64Array(V).fill(-1);
    const engine = config.migrationEngine;
    if (engine) {
      let fastest = 0;
      for (let h = 0; h < H; h++) fastest = Math.max(fastest, this.bandwidth[h]);
      const topology = starTopology({
        hosts: H,
        nicBandwidthBytesPerSecond: (fastest * 1e6) / 8,
        nicLatencySeconds: engine.nicLatencySeconds,
        racks: engine.racks ? { hostsPerRack: engine.racks.hostsPerRack, uplinkBandwidthBytesPerSecond: engine.racks.uplinkBytesPerSecond, uplinkLatencySeconds: engine.nicLatencySeconds } : undefined,
      });
      for (let h = 0; h < H; h++) {
        if (this.bandwidth[h] === fastest) continue;
        topology.network.setLinkCapacity(0, topology.hostUplink(h), (this.bandwidth[h] * 1e6) / 8);
        topology.network.setLinkCapacity(0, topology.hostDownlink(h), (this.bandwidth[h] * 1e6) / 8);
      }
      this.topology = topology;
      this.migrationService = new MigrationService(
        this.sim,
        topology,
        {
          onSwitchover: (vm) => this.onMigrationDone(vm),
          onComplete: (vm, now, result) => this.onMigrationComplete(vm, now, result),
        },
        (vm, source, target, latency) => engine.create(vm, latency, this.vmUtilisation(vm), this.linkBytesPerSecond(source, target)),
      );
      const linkFailure = this.sim.defineKind('link-failure', (index) => this.onLinkFailure(index));
      const linkRestored = this.sim.defineKind('link-restored', (index) => this.onLinkRestored(index));
      engine.linkFailures.forEach((failure, index) => {
        if (!(Number.isInteger(failure.host) && failure.host >= 0 && failure.host < H)) throw new RangeError(`link failure ${index}: no host ${failure.host} (hosts 0–${H - 1})`);
        if (failure.atSeconds < config.durationSeconds) this.sim.scheduleAt(failure.atSeconds, linkFailure, index);
        const back = failure.atSeconds + (failure.restoredAfterSeconds ?? Infinity);
        if (back < config.durationSeconds) this.sim.scheduleAt(back, linkRestored, index);
      });
      this.linkDown = new Int32Array(H);
      const hostFailure = this.sim.defineKind('host-failure', (index) => this.onHostFailure(index));
      engine.hostFailures.forEach((failure, index) => {
        if (!(Number.isInteger(failure.host) && failure.host >= 0 && failure.host < H)) throw new RangeError(`host failure ${index}: no host ${failure.host} (hosts 0–${H - 1})`);
        if (failure.atSeconds < config.durationSeconds) this.sim.scheduleAt(failure.atSeconds, hostFailure, index);
      });
    }
  }

  private readonly migrationService: MigrationService | undefined;
  private readonly topology: StarTopology | undefined;
  /** With `vmTraffic`: each VM's outbound and inbound flow on its host's NIC (−1: none). */
  private vmFlows: Int32Array | undefined;

  /**
   * The VM's own traffic, when the engine asks for it: a flow out of and one into its host, each capped at the VM's
   * bandwidth, so that migrations share the NICs with it (max-min fairly).
   */
  private startVmTraffic(vm: number, host: number): void {
    const topology = this.topology;
    if (!topology || !this.config.migrationEngine?.vmTraffic) return;
    const flows = (this.vmFlows ??= new Int32Array(2 * this.V).fill(-1));
    const cap = (this.vmBandwidth[vm] * 1e6) / 8;
    const now = this.sim.now;
    this.vmTrafficPath[0] = topology.hostUplink(host);
    flows[2 * vm] = topology.network.startFlow(now, this.vmTrafficPath, Infinity, cap, 1);
    this.vmTrafficPath[0] = topology.hostDownlink(host);
    flows[2 * vm + 1] = topology.network.startFlow(now, this.vmTrafficPath, Infinity, cap, 1);
  }

  private stopVmTraffic(vm: number): void {
    const flows = this.vmFlows;
    if (!flows || !this.topology || flows[2 * vm] < 0) return;
    const now = this.sim.now;
    this.topology.network.endFlow(now, flows[2 * vm]);
    this.topology.network.endFlow(now, flows[2 * vm + 1]);
    flows[2 * vm] = -1;
    flows[2 * vm + 1] = -1;
  }

  private readonly vmTrafficPath = new Int32Array(1);
  /** 1 while a VM that already runs on its target still pulls pages from its source (post-copy). */
  private readonly vmTail: Uint8Array;
  private readonly migrationFigures = {
    downtimeSum: 0,
    downtimeMax: 0,
    switchoverSum: 0,
    bytes: 0,
    faults: 0,
    notConverged: 0,
    postcopy: 0,
    completed: 0,
    lostVcpuSeconds: 0,
    aborted: 0,
    lost: 0,
    hostFailures: 0,
    linkFailures: 0,
  };
  /** 1 for a VM that died with a failure (it is in no list any more). */
  private readonly vmLost: Uint8Array;
  /** The planner's estimate per VM, the link rate and the demand epoch (historyEpoch) it was made for. */
  private readonly prediction: Float64Array;
  private readonly predictionLink: Float64Array;
  private readonly predictionEpoch: Float64Array;

  /** A migration that failed before the switch-over: the VM stays where it runs, its target's reservation goes. */
  private abortMigration(vm: number, now: number): void {
    const source = this.vmHost[vm];
    const target = this.vmTarget[vm];
    this.integrate(source, now);
    this.integrate(target, now);
    this.integrateVm(vm, now);
    const arriving = this.incoming[target];
    arriving.splice(arriving.indexOf(vm), 1);
    this.ramInUse[target] -= this.vmRam[vm];
    this.vmTarget[vm] = -1;
    this.migrationsInFlight--;
    this.migrationFigures.aborted++;
    // Planned back onto the host it never left.
    this.uncommit(vm, target);
    this.commit(vm, source);
    this.reallocate(source);
    if (this.state[target] !== FAILED) {
      this.reallocate(target);
      this.maybeIdle(target, now);
    }
  }

  /** A VM that died (its host crashed, or a failure during post-copy): it leaves the data center for good. */
  private loseVm(vm: number, now: number): void {
    const host = this.vmHost[vm];
    const target = this.vmTarget[vm];
    this.integrate(host, now);
    this.integrateVm(vm, now);
    const list = this.resident[host];
    list.splice(list.indexOf(vm), 1);
    this.ramInUse[host] -= this.vmRam[vm];
    if (target >= 0) {
      // Lost before its switch-over (the source crashed): the target's reservation goes too.
      this.integrate(target, now);
      const arriving = this.incoming[target];
      arriving.splice(arriving.indexOf(vm), 1);
      this.ramInUse[target] -= this.vmRam[vm];
      this.vmTarget[vm] = -1;
      this.migrationsInFlight--;
    }
    const planned = this.vmPlanned[vm];
    if (planned >= 0) this.uncommit(vm, planned);
    this.stopVmTraffic(vm);
    this.vmHost[vm] = -1;
    this.vmLost[vm] = 1;
    this.vmDemand[vm] = 0;
    this.vmAllocated[vm] = 0;
    this.migrationFigures.lost++;
    for (const h of target >= 0 ? [host, target] : [host]) {
      if (this.state[h] === FAILED) continue;
      this.reallocate(h);
      this.maybeIdle(h, now);
    }
  }

  /** A host crashes for good: its migrations fail, the VMs on it are lost, VMs planned onto it stay where they are. */
  private onHostFailure(index: number): void {
    const now = this.sim.now;
    const host = this.config.migrationEngine!.hostFailures[index].host;
    if (this.state[host] === FAILED) return;
    this.integrate(host, now);
    this.migrationService!.failHost(host);
    for (const vm of [...this.resident[host]]) this.loseVm(vm, now);
    for (const vm of [...this.committed[host]]) {
      // Planned for a host that was booting and never took it: back to where it runs.
      this.uncommit(vm, host);
      this.commit(vm, this.vmHost[vm]);
    }
    this.migrationFigures.hostFailures++;
    this.setState(host, FAILED, now);
    if (this.config.checkInvariants) this.assertInvariants();
  }

  /** Hosts whose NIC is down (a count: overlapping failures of one host); such a host takes part in no migration. */
  private linkDown: Int32Array | undefined;

  private onLinkFailure(index: number): void {
    const host = this.config.migrationEngine!.linkFailures[index].host;
    const topology = this.topology!;
    const now = this.sim.now;
    this.linkDown![host]++;
    this.migrationService!.failLink(host);
    // No capacity until it is back: what still crosses the NIC (paused post-copies, VM traffic) gets nothing.
    topology.network.setLinkCapacity(now, topology.hostUplink(host), 0);
    topology.network.setLinkCapacity(now, topology.hostDownlink(host), 0);
    this.migrationService!.networkChanged();
    this.migrationFigures.linkFailures++;
    if (this.config.checkInvariants) this.assertInvariants();
  }

  private onLinkRestored(index: number): void {
    const host = this.config.migrationEngine!.linkFailures[index].host;
    const topology = this.topology!;
    const now = this.sim.now;
    if (--this.linkDown![host] > 0) return; // another failure of this link is still on
    const capacity = (this.bandwidth[host] * 1e6) / 8;
    topology.network.setLinkCapacity(now, topology.hostUplink(host), capacity);
    topology.network.setLinkCapacity(now, topology.hostDownlink(host), capacity);
    this.migrationService!.restoreLink(host);
  }

  /** A migration's rate before sharing: the slower NIC of the two hosts, bytes/s. */
  private linkBytesPerSecond(source: number, target: number): number {
    return (Math.min(this.bandwidth[source], this.bandwidth[target]) * 1e6) / 8;
  }

  /** The engine's end of a migration: its lost guest work joins the migration shortfall (PDM). */
  private onMigrationComplete(vm: number, now: number, result: LiveMigrationResult): void {
    this.vmTail[vm] = 0;
    if (result.outcome === 'aborted') {
      this.abortMigration(vm, now);
      return;
    }
    if (result.outcome === 'lost') {
      this.loseVm(vm, now);
      return;
    }
    const f = this.migrationFigures;
    f.completed++;
    f.downtimeSum += result.downtimeSeconds;
    f.downtimeMax = Math.max(f.downtimeMax, result.downtimeSeconds);
    f.switchoverSum += result.switchoverSeconds;
    f.bytes += result.transferredBytes;
    f.faults += result.remoteFaults;
    if (!result.converged) f.notConverged++;
    if (result.strategy === 'postcopy' || result.missingPagesAtSwitch > 0) f.postcopy++;
    const lost = result.lostVcpuSecondsDuring + result.lostVcpuSecondsAfter;
    f.lostVcpuSeconds += lost;
    // Lost vCPU-seconds × the VM's demand per vCPU: MIPS·s it wanted and did not get because of the migration.
    const shortfall = (lost * this.vmDemand[vm]) / this.vmPes[vm];
    this.migrationShortfall += shortfall;
    this.totalAllocated -= shortfall;
    this.migrationTimes.push(result.totalSeconds);
    void now;
  }

  run(): FluidResult {
    const ticks = Math.ceil(this.config.durationSeconds / this.schedulingIntervalSeconds);
    this.hostPowerSeries = new Float64Array(this.H * ticks);
    this.hostUtilSeries = new Float64Array(this.H * ticks);
    this.placeInitialVms();
    this.sim.scheduleAt(0, TICK);
    this.sim.run(this.config.durationSeconds);
    return this.finish();
  }

  // -------------------------------------------------------------------------------------------------------
  // Policy views (committed state).

  requestedUtilisation(host: number, withVm: number): number {
    const demand = this.committedDemand[host] + (withVm >= 0 ? this.vmDemand[withVm] : 0);
    return demand / this.capacity[host];
  }

  utilisationHistory(host: number, withVm: number, out: Float64Array, count = HISTORY_LENGTH): number {
    const base = host * HISTORY_LENGTH;
    const cache = this.hostHistoryCache;
    if (this.hostHistoryEpoch[host] !== this.historyEpoch) {
      cache.fill(0, base, base + HISTORY_LENGTH);
      const list = this.committed[host];
      for (let i = 0; i < list.length; i++) this.addHistory(cache, base, list[i], host);
      this.hostHistoryEpoch[host] = this.historyEpoch;
      this.hostTrimmedLength[host] = -1;
    }
    const values = Math.min(count, this.historyCount, HISTORY_LENGTH);
    for (let k = 0; k < values; k++) out[k] = cache[base + k];
    if (withVm >= 0) this.addHistory(out, 0, withVm, host, 1, values);
    // Utilisations are never negative, so the sum is zero exactly where every term is: its trimmed length is the
    // larger of the host's and the candidate's (each cached), without scanning the sum.
    let n = this.hostTrimmedLength[host];
    if (n < 0) {
      n = Math.min(this.historyCount, HISTORY_LENGTH);
      while (n > 0 && cache[base + n - 1] === 0) n--;
      this.hostTrimmedLength[host] = n;
    }
    if (withVm >= 0) n = Math.max(n, this.vmTrimmedLength(withVm));
    return n;
  }

  /** Length of a VM's history without trailing zeros (cached until the next tick adds a value). */
  private vmTrimmedLength(vm: number): number {
    if (this.vmTrimmedEpoch[vm] !== this.historyEpoch) {
      let n = Math.min(this.historyCount, HISTORY_LENGTH);
      let slot = (this.historyHead - (n - 1) + HISTORY_LENGTH * 2) % HISTORY_LENGTH;
      // Oldest first: walk from the oldest value towards the newest while values are zero.
      while (n > 0 && this.history[vm * HISTORY_LENGTH + slot] === 0) {
        n--;
        slot = (slot + 1) % HISTORY_LENGTH;
      }
      this.vmTrimmed[vm] = n;
      this.vmTrimmedEpoch[vm] = this.historyEpoch;
    }
    return this.vmTrimmed[vm];
  }

  private readonly hostTrimmedLength: Int32Array;
  private readonly vmTrimmed: Int32Array;
  private readonly vmTrimmedEpoch: Float64Array;

  private addHistory(out: Float64Array, offset: number, vm: number, host: number, sign = 1, limit = HISTORY_LENGTH): void {
    const count = Math.min(this.historyCount, HISTORY_LENGTH, limit);
    const weight = (sign * this.vmMips[vm] * this.vmPes[vm]) / this.capacity[host];
    const base = vm * HISTORY_LENGTH;
    let slot = this.historyHead;
    for (let k = 0; k < count; k++) {
      out[offset + k] += this.history[base + slot] * weight;
      slot = slot === 0 ? HISTORY_LENGTH - 1 : slot - 1;
    }
  }

  /**
   * The migration time of the host's VM with the most RAM (with the CloudSim migration model that is the
   * longest one; a model where time also depends on other VM properties would need the full maximum).
   */
  maxVmMigrationSeconds(host: number, withVm: number): number {
    let vm = this.largestCommittedVm(host);
    if (withVm >= 0 && (vm < 0 || this.vmRam[withVm] > this.vmRam[vm])) vm = withVm;
    return vm < 0 ? 0 : this.migrationSeconds(vm, host, host);
  }

  /** The committed VM with the most RAM (lowest index on ties), cached until the committed list changes. */
  private largestCommittedVm(host: number): number {
    let vm = this.largestVm[host];
    if (vm === -2) {
      vm = -1;
      const list = this.committed[host];
      for (let i = 0; i < list.length; i++) if (vm < 0 || this.vmRam[list[i]] > this.vmRam[vm]) vm = list[i];
      this.largestVm[host] = vm;
    }
    return vm;
  }

  /** Per host: the committed VM with the most RAM, −1 for none, −2 when unknown. */
  private readonly largestVm: Int32Array;

  vmCountOn(host: number): number {
    return this.committed[host].length;
  }
  vmOn(host: number, i: number): number {
    return this.committed[host][i];
  }
  /** Predicted time to migrate the VM off its host now (the `mpc` selection), seconds. */
  vmMigrationCostSeconds(vm: number): number {
    const host = this.vmHost[vm];
    return this.migrationSeconds(vm, host, host);
  }

  isMigrating(vm: number): boolean {
    return this.vmTarget[vm] >= 0 || this.vmTail[vm] === 1;
  }
  vmRamMiB(vm: number): number {
    return this.vmRam[vm];
  }
  vmUtilisation(vm: number): number {
    return this.vmDemand[vm] / (this.vmMips[vm] * this.vmPes[vm]);
  }
  vmHistory(vm: number, out: Float64Array, offset: number): number {
    const count = Math.min(this.historyCount, HISTORY_LENGTH);
    let slot = this.historyHead;
    for (let k = 0; k < count; k++) {
      out[offset + k] = this.history[vm * HISTORY_LENGTH + slot];
      slot = slot === 0 ? HISTORY_LENGTH - 1 : slot - 1;
    }
    return count;
  }

  // -------------------------------------------------------------------------------------------------------
  // Power, allocation and integration.

  private powerAt(host: number, utilisation: number): number {
    // Sums of demands drift by a few ulps as VMs come and go: clamp into the model's domain.
    const u = utilisation > 1 ? 1 : utilisation < 0 ? 0 : utilisation;
    const offset = this.powerTables.offsetOf[host];
    if (offset < 0) return this.power[host].powerWatts(u);
    return exactTablePower(this.powerTables.values, offset, u);
  }

  private readonly powerTables: PowerTables;

  private migrationSeconds(vm: number, source: number, target: number): number {
    // One request object, reused: this is asked for every overload test.
    const request = this.migrationRequest;
    request.vm = vm;
    request.source = source;
    request.target = target;
    request.ramMiB = this.vmRam[vm];
    request.demandMips = this.vmDemand[vm];
    request.sourceBandwidthMbps = this.bandwidth[source];
    request.targetBandwidthMbps = this.bandwidth[target];
    const engine = this.config.migrationEngine;
    if (engine) {
      // Planning asks for the same VM many times between two ticks; its demand only changes at ticks.
      const link = this.linkBytesPerSecond(source, target);
      if (this.predictionEpoch[vm] === this.historyEpoch && this.predictionLink[vm] === link) return this.prediction[vm];
      const seconds = engine.predictSeconds(vm, this.vmUtilisation(vm), link);
      this.prediction[vm] = seconds;
      this.predictionLink[vm] = link;
      this.predictionEpoch[vm] = this.historyEpoch;
      return seconds;
    }
    return this.config.migration.durationSeconds(request);
  }

  private readonly migrationRequest: MigrationRequest = {
    vm: 0,
    source: 0,
    target: 0,
    ramMiB: 0,
    demandMips: 0,
    sourceBandwidthMbps: 0,
    targetBandwidthMbps: 0,
  };

  /** Adds the host's energy and SLA time since its last change, and its VMs' requested and allocated CPU. */
  private integrate(host: number, now: number): void {
    const dt = now - this.lastChange[host];
    if (dt > 0) {
      const joules = this.hostPower[host] * dt;
      this.energyJoules[host] += joules;
      this.attributeEnergy(host, joules, dt);
      if (this.state[host] === ON && (this.resident[host].length > 0 || this.incoming[host].length > 0)) {
        this.activeTime += dt;
        if (this.requestedMips[host] > this.capacity[host] * (1 + EPSILON)) this.violationTime += dt;
      }
    }
    this.lastChange[host] = now;
    const list = this.resident[host];
    for (let i = 0; i < list.length; i++) this.integrateVm(list[i], now);
  }

  /**
   * Fluid per-VM accounting, the data-center counterpart of the detailed host's rules: a host's idle power is
   * shared equally among its VMs, the rest (dynamic) in proportion to the CPU each uses, a VM arriving by
   * migration paying for the CPU its reception costs. An empty, booting or shutting-down host's energy is
   * unattributed. Σ per VM + unattributed = the data center's energy (summary: vm_energy_sum_error).
   */
  private attributeEnergy(host: number, joules: number, dt: number): void {
    const list = this.resident[host];
    const arriving = this.incoming[host];
    const n = list.length;
    if (this.state[host] !== ON || (n === 0 && arriving.length === 0)) {
      this.unattributedJoules += joules;
      return;
    }
    let idle = this.idleWatts[host] * dt;
    if (idle > joules) idle = joules;
    const used = this.usedMips[host];
    let perMips = 0;
    if (used > 0) perMips = (joules - idle) / used;
    else idle = joules;
    const idleShare = idle / (n > 0 ? n : arriving.length);
    const core = this.coreMips[host];
    const scale = this.hostScale[host];
    for (let i = 0; i < n; i++) {
      const vm = list[i];
      const share = Math.min(this.vmDemand[vm], core * this.vmPes[vm]) * this.vmCap[vm] * scale;
      this.vmEnergyJoules[vm] += idleShare + share * perMips;
    }
    for (let i = 0; i < arriving.length; i++) {
      const vm = arriving[i];
      const share = this.overhead * Math.min(this.vmDemand[vm], core * this.vmPes[vm]) * this.vmCap[vm] * scale;
      this.vmEnergyJoules[vm] += (n > 0 ? 0 : idleShare) + share * perMips;
    }
  }

  private integrateVm(vm: number, now: number): void {
    const dt = now - this.vmLastChange[vm];
    if (dt <= 0) return;
    this.capShortfall += this.vmCapLoss[vm] * dt;
    const requested = this.vmDemand[vm];
    const allocated = this.vmAllocated[vm];
    this.totalRequested += requested * dt;
    this.totalAllocated += allocated * dt;
    if (allocated < requested * (1 - EPSILON)) {
      this.violationSum += (requested - allocated) / requested;
      this.violationCount++;
      if (this.vmTarget[vm] >= 0) this.migrationShortfall += (requested - allocated) * dt;
    }
    this.vmLastChange[vm] = now;
  }

  /** Recomputes the host's CPU shares, utilisation and power (after `integrate` at the same instant). */
  private reallocate(host: number): void {
    const list = this.resident[host];
    const core = this.coreMips[host];
    let requested = 0;
    for (let i = 0; i < list.length; i++) {
      const vm = list[i];
      requested += Math.min(this.vmDemand[vm], core * this.vmPes[vm]) * this.vmCap[vm];
    }
    const arriving = this.incoming[host];
    for (let i = 0; i < arriving.length; i++) {
      const vm = arriving[i];
      requested += this.overhead * Math.min(this.vmDemand[vm], core * this.vmPes[vm]) * this.vmCap[vm];
    }
    const capacity = this.capacity[host];
    const scale = requested > capacity ? capacity / requested : 1;
    for (let i = 0; i < list.length; i++) {
      const vm = list[i];
      const uncapped = Math.min(this.vmDemand[vm], core * this.vmPes[vm]);
      const share = uncapped * this.vmCap[vm] * scale;
      this.vmCapLoss[vm] = uncapped * (1 - this.vmCap[vm]) * scale;
      this.vmAllocated[vm] = this.vmTarget[vm] >= 0 ? share * (1 - this.overhead) : share;
    }
    this.requestedMips[host] = requested;
    this.hostScale[host] = scale;
    this.usedMips[host] = requested * scale;
    this.updatePower(host);
  }

  private updatePower(host: number): void {
    if (this.state[host] === FAILED) {
      this.hostPower[host] = 0;
      return;
    }
    if (this.config.energy === 'max-power') {
      this.hostPower[host] = this.power[host].maxPowerWatts;
      return;
    }
    const states = this.config.powerStates;
    switch (this.state[host]) {
      case OFF:
        this.hostPower[host] = 0;
        break;
      case ON:
        this.hostPower[host] = this.powerAt(host, this.usedMips[host] / this.capacity[host]);
        break;
      case BOOTING:
        this.hostPower[host] = states.kind === 'realistic' ? states.bootWatts : 0;
        break;
      case SHUTTING_DOWN:
        this.hostPower[host] = states.kind === 'realistic' ? states.shutdownWatts : 0;
        break;
      case FAILED:
        this.hostPower[host] = 0;
        break;
    }
  }

  private setState(host: number, state: number, now: number): void {
    const previous = this.state[host];
    if (previous === state) return;
    this.integrate(host, now);
    if (previous === ON && state !== ON) this.shutdownTimes.push(now - this.stateSince[host]);
    this.state[host] = state;
    if (state === ON) this.stateSince[host] = now;
    const isLive = state === ON || state === BOOTING;
    const position = this.livePosition[host];
    if (isLive && position < 0) {
      this.livePosition[host] = this.live.length;
      this.live.push(host);
    } else if (!isLive && position >= 0) {
      const last = this.live.pop()!;
      if (last !== host) {
        this.live[position] = last;
        this.livePosition[last] = position;
      }
      this.livePosition[host] = -1;
      const c = this.hostClass[host];
      if (this.classIndex[host] < this.classFloor[c]) this.classFloor[c] = this.classIndex[host];
    }
    this.placeInGrid(host);
    this.updatePower(host);
  }

  /** After a host lost its last VM: off at once (instant), or after the idle timeout (realistic). */
  private maybeIdle(host: number, now: number): void {
    if (this.config.energy === 'max-power' || this.state[host] !== ON) return;
    if (this.resident[host].length > 0 || this.incoming[host].length > 0 || this.committed[host].length > 0) return;
    const states = this.config.powerStates;
    if (states.kind === 'instant') {
      this.setState(host, OFF, now);
    } else {
      const generation = ++this.idleGeneration[host];
      if (now + states.idleSeconds < this.config.durationSeconds) this.sim.scheduleAt(now + states.idleSeconds, IDLE_TIMEOUT, host, generation);
    }
  }

  private onIdleTimeout(host: number, generation: number): void {
    if (generation !== this.idleGeneration[host] || this.state[host] !== ON) return;
    if (this.resident[host].length > 0 || this.incoming[host].length > 0 || this.committed[host].length > 0) return;
    const states = this.config.powerStates as Extract<PowerStates, { kind: 'realistic' }>;
    const now = this.sim.now;
    this.setState(host, SHUTTING_DOWN, now);
    if (now + states.shutdownSeconds < this.config.durationSeconds) this.sim.scheduleAt(now + states.shutdownSeconds, SHUTDOWN_DONE, host);
  }

  private onShutdownDone(host: number): void {
    if (this.state[host] === FAILED) return; // crashed while shutting down
    this.setState(host, OFF, this.sim.now);
    // A placement may have chosen this host while it was shutting down: boot it again.
    if (this.committed[host].length > 0) this.wake(host);
  }

  private wake(host: number): void {
    const now = this.sim.now;
    const states = this.config.powerStates;
    if (this.state[host] !== OFF) return;
    if (states.kind === 'instant' || this.config.energy === 'max-power') {
      this.setState(host, ON, now);
      return;
    }
    this.setState(host, BOOTING, now);
    if (now + states.bootSeconds < this.config.durationSeconds) this.sim.scheduleAt(now + states.bootSeconds, BOOT_DONE, host);
  }

  private onBootDone(host: number): void {
    if (this.state[host] === FAILED) return; // crashed while booting
    const now = this.sim.now;
    this.setState(host, ON, now);
    // Migrations planned to this host start now.
    for (const vm of [...this.committed[host]]) if (this.vmPlanned[vm] === host && this.vmTarget[vm] < 0 && this.vmHost[vm] !== host) this.startMigration(vm, host);
    this.integrate(host, now);
    this.reallocate(host);
    this.maybeIdle(host, now);
  }

  // -------------------------------------------------------------------------------------------------------
  // Committed-state bookkeeping.

  private commit(vm: number, host: number): void {
    this.committed[host].push(vm);
    this.committedDemand[host] += this.vmDemand[vm];
    this.committedRam[host] += this.vmRam[vm];
    this.committedBandwidth[host] += this.vmBandwidth[vm];
    // Keep the host's history sum current instead of rebuilding it (a host may hold many VMs).
    if (this.hostHistoryEpoch[host] === this.historyEpoch) this.addHistory(this.hostHistoryCache, host * HISTORY_LENGTH, vm, host, 1);
    this.hostTrimmedLength[host] = -1;
    const largest = this.largestVm[host];
    if (largest !== -2 && (largest < 0 || this.vmRam[vm] > this.vmRam[largest] || (this.vmRam[vm] === this.vmRam[largest] && vm < largest))) this.largestVm[host] = vm;
    this.vmPlanned[vm] = host;
    if (host === this.vmHost[vm]) this.leavingRam[host] -= this.vmRam[vm];
    this.refreshRoom(host);
  }

  private uncommit(vm: number, host: number): void {
    const list = this.committed[host];
    const at = list.indexOf(vm);
    if (at < 0) throw new Error(`internal: VM ${vm} is not committed to host ${host}`);
    list.splice(at, 1);
    this.committedDemand[host] -= this.vmDemand[vm];
    this.committedRam[host] -= this.vmRam[vm];
    this.committedBandwidth[host] -= this.vmBandwidth[vm];
    if (list.length === 0) {
      // Exact zeros for an empty host (subtraction could leave a few ulps).
      this.committedDemand[host] = 0;
      this.committedRam[host] = 0;
      this.committedBandwidth[host] = 0;
      this.hostHistoryEpoch[host] = -1;
    } else if (this.hostHistoryEpoch[host] === this.historyEpoch) {
      this.addHistory(this.hostHistoryCache, host * HISTORY_LENGTH, vm, host, -1);
    }
    this.hostTrimmedLength[host] = -1;
    if (this.largestVm[host] === vm) this.largestVm[host] = -2;
    this.vmPlanned[vm] = -1;
    if (host === this.vmHost[vm]) this.leavingRam[host] += this.vmRam[vm];
    this.refreshRoom(host);
  }

  private isSuitable(host: number, vm: number): boolean {
    // One cache line per host: placement scans thousands of hosts in no particular order.
    const room = this.room;
    const at = host * ROOM_STRIDE;
    const demand = this.vmDemand[vm];
    return (
      demand <= room[at] && this.vmRam[vm] <= room[at + 1] && this.vmBandwidth[vm] <= room[at + 2] && demand <= room[at + 3] * this.vmPes[vm]
    );
  }

  /** Refreshes the host's free room (committed view) and its grid cell after its committed sums changed. */
  private refreshRoom(host: number): void {
    const at = host * ROOM_STRIDE;
    this.room[at] = this.capacity[host] * (1 + EPSILON) - this.committedDemand[host];
    // A VM still on the host while it migrates away holds its memory until it has left: a long migration must not
    // let the host take in more than it can hold meanwhile.
    this.room[at + 1] = this.ram[host] - this.committedRam[host] - this.leavingRam[host];
    this.room[at + 2] = this.bandwidth[host] - this.committedBandwidth[host];
    this.placeInGrid(host);
  }

  /** Moves a host to the grid cell of its free RAM and MIPS (or out of the grid when it is not live). */
  private placeInGrid(host: number): void {
    const live = this.state[host] === ON || this.state[host] === BOOTING;
    const at = host * ROOM_STRIDE;
    const cell = live ? roomBin(this.room[at + 1]) * ROOM_BINS + roomBin(this.room[at]) : -1;
    const current = this.cellOf[host];
    if (cell === current) return;
    if (current >= 0) {
      const list = this.grid[current];
      const position = this.cellPosition[host];
      const last = list.pop()!;
      if (last !== host) {
        list[position] = last;
        this.cellPosition[last] = position;
      }
    }
    this.cellOf[host] = cell;
    if (cell >= 0) {
      this.cellPosition[host] = this.grid[cell].length;
      this.grid[cell].push(host);
    } else {
      this.cellPosition[host] = -1;
    }
  }

  private readonly grid: number[][] = Array.from({ length: ROOM_BINS * ROOM_BINS }, () => []);
  private readonly cellOf: Int32Array;
  private readonly cellPosition: Int32Array;

  /** Per host: free MIPS (with the overload slack), free RAM, free bandwidth, MIPS of one core. */
  private readonly room: Float64Array;

  // -------------------------------------------------------------------------------------------------------
  // Placement.

  private placeInitialVms(): void {
    const none = new Uint8Array(this.H);
    for (let vm = 0; vm < this.V; vm++) {
      // Admission reserves the VM's full size (as CloudSim creates VMs at their nominal MIPS), by power-aware best
      // fit on capacity, RAM and bandwidth; there is no history yet, so no overload test.
      this.vmDemand[vm] = this.vmMips[vm] * this.vmPes[vm];
      const allocation = this.config.allocation;
      const host = allocation.kind === 'migration' ? this.findHost(vm, none, null, true) : this.firstFit(vm);
      if (host < 0) throw new Error(`no host can take VM ${vm} (${this.vmMips[vm]} MIPS, ${this.vmRam[vm]} MiB): the data center is too small`);
      this.commit(vm, host);
      this.resident[host].push(vm);
      this.ramInUse[host] += this.vmRam[vm];
      this.vmHost[vm] = host;
      if (this.state[host] === OFF) this.setState(host, ON, 0);
      this.startVmTraffic(vm, host);
    }
  }

  private firstFit(vm: number): number {
    for (let h = 0; h < this.H; h++) if (this.isSuitable(h, vm)) return h;
    return -1;
  }

  /**
   * Power-aware best fit: the suitable, non-excluded host with the smallest power increase
   * P(committed + demand) − P(committed), where waking a host that is off costs its whole power P(demand);
   * lowest id on ties; the detector must not find the host overloaded with the VM. Hosts that are on are
   * examined one by one; of the hosts that are off, only the lowest id of each class can win. The detector runs
   * lazily, on the best remaining candidate only.
   */
  private findHost(vm: number, excluded: Uint8Array, detector: OverloadDetector | null, allowOff: boolean): number {
    const candidates = this.candidateHosts;
    const diffs = this.candidateDiffs;
    const needsCheck = this.candidateState;
    let count = 0;
    const demand = this.vmDemand[vm];
    // Only cells whose hosts may have room for the VM: the lowest eligible bins are checked host by host.
    const ramBin = roomBin(this.vmRam[vm]);
    const mipsBin = roomBin(demand);
    for (let rb = ramBin; rb < ROOM_BINS; rb++) {
      for (let mb = mipsBin; mb < ROOM_BINS; mb++) {
        const cell = this.grid[rb * ROOM_BINS + mb];
        for (let i = 0; i < cell.length; i++) {
      const h = cell[i];
      if (excluded[h] || !this.isSuitable(h, vm)) continue;
      const capacity = this.capacity[h];
      const before = this.committedDemand[h] / capacity;
      const after = (this.committedDemand[h] + demand) / capacity;
      candidates[count] = h;
      diffs[count] = this.powerAt(h, after) - this.powerAt(h, before);
      needsCheck[count] = this.committed[h].length > 0 ? 1 : 0;
      count++;
        }
      }
    }
    if (allowOff) {
      for (let c = 0; c < this.classHosts.length; c++) {
        const h = this.lowestOffHost(c, excluded);
        if (h < 0 || !this.isSuitable(h, vm)) continue;
        candidates[count] = h;
        diffs[count] = this.config.energy === 'max-power' ? 0 : this.powerAt(h, demand / this.capacity[h]);
        needsCheck[count] = 0;
        count++;
      }
    }
    for (;;) {
      let best = -1;
      let bestDiff = Infinity;
      let bestHost = 0;
      for (let i = 0; i < count; i++) {
        if (needsCheck[i] === 2) continue;
        const d = diffs[i];
        if (d < bestDiff || (d === bestDiff && candidates[i] < bestHost)) {
          bestDiff = d;
          best = i;
          bestHost = candidates[i];
        }
      }
      if (best < 0) return -1;
      if (needsCheck[best] === 0 || detector === null || !detector.isOverloaded(this, bestHost, vm)) return bestHost;
      needsCheck[best] = 2;
    }
  }

  /** Lowest-id host of class `c` that is off (nothing committed) and not excluded. */
  private lowestOffHost(c: number, excluded: Uint8Array): number {
    const hosts = this.classHosts[c];
    let i = this.classFloor[c];
    while (i < hosts.length && (this.state[hosts[i]] !== OFF || this.committed[hosts[i]].length > 0)) i++;
    this.classFloor[c] = i;
    for (; i < hosts.length; i++) {
      const h = hosts[i];
      if (this.state[h] === OFF && this.committed[h].length === 0 && !excluded[h]) return h;
    }
    return -1;
  }

  private sortByDemand(vms: number[]): number[] {
    const key = this.sortKey;
    for (const vm of vms) key[vm] = this.vmDemand[vm];
    return vms.sort((a, b) => key[b] - key[a] || a - b);
  }

  /** One consolidation round: returns [vm, target, …] and leaves the plan committed. */
  private consolidate(detector: OverloadDetector, selector: VmSelector): number[] {
    const H = this.H;
    const overloaded: number[] = [];
    const live = [...this.live].sort((a, b) => a - b);
    const linkDown = this.linkDown;
    for (const h of live) if (this.state[h] === ON && this.committed[h].length > 0 && !(linkDown && linkDown[h] > 0) && detector.isOverloaded(this, h)) overloaded.push(h);
    const plan: number[] = [];
    const excludedTarget = new Uint8Array(H);
    const excludedSource = new Uint8Array(H);
    // A host without network can neither send nor receive a VM.
    if (linkDown) {
      for (let h = 0; h < H; h++) {
        if (linkDown[h] > 0) {
          excludedTarget[h] = 1;
          excludedSource[h] = 1;
        }
      }
    }
    for (const h of overloaded) {
      excludedTarget[h] = 1;
      excludedSource[h] = 1;
    }
    // VMs off overloaded hosts (uncommitted from their host while a target is sought).
    const selected: number[] = [];
    const origin = new Map<number, number>();
    for (const h of overloaded) {
      for (;;) {
        const vm = selector.select(this, h);
        if (vm < 0) break;
        selected.push(vm);
        origin.set(vm, h);
        this.uncommit(vm, h);
        if (!detector.isOverloaded(this, h)) break;
      }
    }
    for (const vm of this.sortByDemand(selected)) {
      const target = this.findHost(vm, excludedTarget, detector, true);
      const source = origin.get(vm)!;
      if (target < 0) {
        this.commit(vm, source); // stays where it is
        continue;
      }
      this.commit(vm, target);
      plan.push(vm, target);
      excludedSource[target] = 1; // a host that receives VMs is not evacuated in the same round
    }
    // Underload: evacuate the least-loaded active hosts, all VMs or none, onto active hosts.
    const sources = live.filter((h) => this.state[h] === ON && !excludedSource[h] && this.committed[h].length > 0);
    const load = new Float64Array(H);
    for (const h of sources) load[h] = this.committedDemand[h] / this.capacity[h];
    sources.sort((a, b) => load[a] - load[b] || a - b);
    // Targets are hosts that are on and hold VMs: moving VMs onto an empty host consolidates nothing (an idle host
    // left on by the realistic power states would otherwise swap places with the host being evacuated).
    for (let h = 0; h < H; h++) if (this.state[h] !== ON || this.committed[h].length === 0) excludedTarget[h] = 1;
    for (const source of sources) {
      if (excludedSource[source]) continue;
      excludedSource[source] = 1;
      excludedTarget[source] = 1;
      const vms = this.committed[source];
      if (vms.some((vm) => this.isMigrating(vm))) continue; // VMs arriving (or still pulling pages): not a candidate
      const moving = this.sortByDemand([...vms]);
      const placed: number[] = [];
      let ok = true;
      for (const vm of moving) {
        this.uncommit(vm, source);
        const target = this.findHost(vm, excludedTarget, detector, false);
        if (target < 0) {
          this.commit(vm, source);
          ok = false;
          break;
        }
        this.commit(vm, target);
        placed.push(vm, target);
      }
      if (!ok) {
        for (let i = 0; i < placed.length; i += 2) {
          this.uncommit(placed[i], placed[i + 1]);
          this.commit(placed[i], source);
        }
        continue;
      }
      for (let i = 0; i < placed.length; i += 2) {
        excludedSource[placed[i + 1]] = 1;
        plan.push(placed[i], placed[i + 1]);
      }
    }
    return plan;
  }

  // -------------------------------------------------------------------------------------------------------
  // Migrations.

  private startMigration(vm: number, target: number): void {
    const now = this.sim.now;
    const source = this.vmHost[vm];
    this.integrate(source, now);
    this.integrate(target, now);
    this.vmTarget[vm] = target;
    this.vmMigrationStart[vm] = now;
    this.incoming[target].push(vm);
    this.ramInUse[target] += this.vmRam[vm];
    this.migrations++;
    this.migrationsInFlight++;
    this.startedThisTick++;
    this.reallocate(source);
    this.reallocate(target);
    if (this.migrationService) {
      this.vmTail[vm] = 1;
      this.migrationService.start(vm, source, target);
      return;
    }
    const done = now + this.migrationSeconds(vm, source, target);
    if (done < this.config.durationSeconds) this.sim.scheduleAt(done, MIGRATION_DONE, vm);
  }

  private startedThisTick = 0;

  private onMigrationDone(vm: number): void {
    const now = this.sim.now;
    const source = this.vmHost[vm];
    const target = this.vmTarget[vm];
    this.integrate(source, now);
    this.integrate(target, now);
    this.integrateVm(vm, now);
    const list = this.resident[source];
    list.splice(list.indexOf(vm), 1);
    this.ramInUse[source] -= this.vmRam[vm];
    this.leavingRam[source] -= this.vmRam[vm];
    this.refreshRoom(source);
    const arriving = this.incoming[target];
    arriving.splice(arriving.indexOf(vm), 1);
    this.resident[target].push(vm);
    this.vmHost[vm] = target;
    this.vmTarget[vm] = -1;
    if (this.vmFlows) {
      // Its traffic moves with it; the migrations on those NICs get their new shares.
      this.stopVmTraffic(vm);
      this.startVmTraffic(vm, target);
      this.migrationService?.networkChanged();
    }
    this.migrationsInFlight--;
    if (!this.migrationService) this.migrationTimes.push(now - this.vmMigrationStart[vm]);
    this.reallocate(source);
    this.reallocate(target);
    this.maybeIdle(source, now);
    if (this.config.checkInvariants) this.assertInvariants();
  }

  /**
   * The model's invariants: every VM resident on exactly one host and committed to exactly one; a migrating VM is
   * in its target's arriving list; memory in use and committed within each host's RAM; committed sums equal to
   * their lists; shares never above demand; hosts with VMs are on. Throws on the first violation.
   */
  assertInvariants(): void {
    const residentCount = new Int32Array(this.V);
    const committedCount = new Int32Array(this.V);
    for (let h = 0; h < this.H; h++) {
      let ram = 0;
      for (const vm of this.resident[h]) {
        residentCount[vm]++;
        ram += this.vmRam[vm];
        if (this.vmHost[vm] !== h) throw new Error(`invariant: VM ${vm} resident on ${h} but vmHost ${this.vmHost[vm]}`);
        if (this.vmAllocated[vm] > this.vmDemand[vm] * (1 + 1e-9) + 1e-9) throw new Error(`invariant: VM ${vm} allocated more than it asks`);
      }
      for (const vm of this.incoming[h]) {
        ram += this.vmRam[vm];
        if (this.vmTarget[vm] !== h) throw new Error(`invariant: VM ${vm} arriving on ${h} but its target is ${this.vmTarget[vm]}`);
      }
      if (ram > this.ram[h] + 1e-6) throw new Error(`invariant: host ${h} holds ${ram} MiB of ${this.ram[h]}`);
      let committedRam = 0;
      let committedDemand = 0;
      for (const vm of this.committed[h]) {
        committedCount[vm]++;
        committedRam += this.vmRam[vm];
        committedDemand += this.vmDemand[vm];
      }
      if (committedRam > this.ram[h] + 1e-6) throw new Error(`invariant: host ${h} has ${committedRam} MiB committed of ${this.ram[h]}`);
      if (Math.abs(committedRam - this.committedRam[h]) > 1e-6) throw new Error(`invariant: host ${h} committed RAM sum drifted`);
      if (Math.abs(committedDemand - this.committedDemand[h]) > 1e-6 * Math.max(1, committedDemand)) throw new Error(`invariant: host ${h} committed demand sum drifted`);
      if ((this.resident[h].length > 0 || this.incoming[h].length > 0) && (this.state[h] === OFF || this.state[h] === FAILED)) throw new Error(`invariant: host ${h} is off with VMs`);
      if (this.state[h] === FAILED && this.committed[h].length > 0) throw new Error(`invariant: VMs planned onto failed host ${h}`);
    }
    for (let vm = 0; vm < this.V; vm++) {
      // A lost VM is nowhere; every other VM is in exactly one place (never two, never silently dropped).
      const places = this.vmLost[vm] === 1 ? 0 : 1;
      if (residentCount[vm] !== places) throw new Error(`invariant: VM ${vm} resident on ${residentCount[vm]} hosts`);
      if (committedCount[vm] !== places) throw new Error(`invariant: VM ${vm} committed to ${committedCount[vm]} hosts`);
      const target = this.vmTarget[vm];
      if (target >= 0 && !this.incoming[target].includes(vm)) throw new Error(`invariant: VM ${vm} migrating to ${target} but not arriving there`);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Ticks.

  private onTick(): void {
    const now = this.sim.now;
    const tick = Math.round(now / this.schedulingIntervalSeconds);
    // 1. Account everything up to now with the old demand.
    for (let h = 0; h < this.H; h++) this.integrate(h, now);
    // 2. New demand from the traces, committed sums, histories.
    this.readDemand(now);
    // 3. Allocation and power with the new demand (power-cap throttles start afresh every tick).
    if (this.config.powerCap) this.vmCap.fill(1);
    for (let h = 0; h < this.H; h++) if (this.resident[h].length > 0 || this.incoming[h].length > 0 || this.state[h] !== OFF) this.reallocate(h);
    // 4. Consolidation.
    this.startedThisTick = 0;
    const allocation = this.config.allocation;
    if (allocation.kind === 'migration' && now > 0) {
      const plan = this.consolidate(allocation.detector, allocation.selector);
      // The round's migrations share the network: one re-solve for all of their flows (see FlowNetwork.beginBatch).
      this.migrationService?.beginBatch();
      for (let i = 0; i < plan.length; i += 2) {
        const vm = plan[i];
        const target = plan[i + 1];
        if (this.state[target] === OFF) this.wake(target);
        if (this.state[target] === ON) this.startMigration(vm, target);
        // A booting target: the migration starts when the boot completes (onBootDone).
      }
      this.migrationService?.endBatch();
    }
    // 5. The facility power cap, on the state the consolidation left.
    if (this.config.powerCap) this.applyPowerCap(this.config.powerCap);
    // 6. vCPU counts follow each host's new load.
    if (this.config.vcpuBallooning) this.balloonVcpus(now, this.config.vcpuBallooning);
    if (now > 0) this.sample(now);
    this.config.onProgress?.(now / this.config.durationSeconds);
    if (this.config.checkInvariants) this.assertInvariants();
    const next = (tick + 1) * this.schedulingIntervalSeconds;
    if (next < this.config.durationSeconds) this.sim.scheduleAt(next, TICK);
  }

  private groupWatts(hosts: readonly number[]): number {
    let total = 0;
    for (const h of hosts) total += this.hostPower[h];
    return total;
  }

  /** The racks of the rack cap, built at its first use. */
  private racks: number[][] | undefined;
  /** The whole facility as one group, for the facility cap. */
  private allHosts: number[] | undefined;

  /** Host indices of each rack (racks of `hostsPerRack` consecutive hosts). */
  private rackHosts(hostsPerRack: number): number[][] {
    const racks: number[][] = [];
    for (let h = 0; h < this.H; h++) {
      const r = Math.floor(h / hostsPerRack);
      (racks[r] ??= []).push(h);
    }
    return racks;
  }

  /** Applies the power caps (see {@link PowerCapConfig}). */
  private applyPowerCap(cap: PowerCapConfig): void {
    this.capTicks++;
    const now = this.sim.now;
    // Per-VM power over the last interval, from the per-VM accounting (every host was integrated at this tick).
    const interval = now - this.lastCapTick;
    for (let vm = 0; vm < this.V; vm++) {
      this.vmPowerRate[vm] = interval > 0 ? (this.vmEnergyJoules[vm] - this.vmEnergyAtTick[vm]) / interval : 0;
      this.vmEnergyAtTick[vm] = this.vmEnergyJoules[vm];
    }
    this.lastCapTick = now;
    const throttled = new Set<number>();
    if (cap.rack) {
      const racks = (this.racks ??= this.rackHosts(cap.rack.hostsPerRack));
      if (cap.rack.migrate) this.shedRacksByMigration(racks, cap.rack.watts, cap.rack.maxMigrationsPerTick);
      for (const hosts of racks) for (const vm of this.throttleGroup(hosts, cap.rack.watts, cap)) throttled.add(vm);
    }
    if (cap.facilityWatts !== null) {
      this.allHosts ??= Array.from({ length: this.H }, (_, h) => h);
      for (const vm of this.throttleGroup(this.allHosts, cap.facilityWatts, cap)) throttled.add(vm);
    }
    this.capThrottledVmTicks += throttled.size;
  }

  /**
   * Moves the highest-power VMs of racks over their cap to hosts in racks with headroom (power-aware best fit
   * among those hosts), until the moved VMs' accounted power covers each rack's excess.
   */
  private shedRacksByMigration(racks: readonly number[][], rackWatts: number, maxPerTick: number): void {
    const rackOf = (h: number): number => Math.floor(h / racks[0].length);
    // Headroom counts the power already planned to arrive (committed demand) as well as what is drawn now.
    const headroom = racks.map((hosts) => {
      let planned = 0;
      for (const h of hosts) {
        if (this.state[h] === OFF) continue;
        planned += Math.max(this.hostPower[h], this.powerAt(h, this.committedDemand[h] / this.capacity[h]));
      }
      return rackWatts - planned;
    });
    const excluded = new Uint8Array(this.H);
    const refreshExcluded = (): void => {
      for (let h = 0; h < this.H; h++) excluded[h] = headroom[rackOf(h)] <= 0 || (this.linkDown !== null && this.linkDown !== undefined && this.linkDown[h] > 0) ? 1 : 0;
    };
    for (let r = 0; r < racks.length; r++) {
      let excess = this.groupWatts(racks[r]) - rackWatts;
      if (excess <= 0) continue;
      const candidates: number[] = [];
      for (const h of racks[r]) {
        if (this.state[h] !== ON) continue;
        for (const vm of this.committed[h]) if (this.vmHost[vm] === h && !this.isMigrating(vm) && this.vmPowerRate[vm] > 0) candidates.push(vm);
      }
      candidates.sort((a, b) => this.vmPowerRate[b] - this.vmPowerRate[a] || a - b);
      let moved = 0;
      for (const vm of candidates) {
        if (excess <= 0 || moved >= maxPerTick) break;
        refreshExcluded();
        for (const h of racks[r]) excluded[h] = 1;
        const source = this.vmHost[vm];
        this.uncommit(vm, source);
        const target = this.findHost(vm, excluded, null, true);
        if (target < 0) {
          this.commit(vm, source);
          continue;
        }
        const before = this.state[target] === OFF ? 0 : this.powerAt(target, this.committedDemand[target] / this.capacity[target]);
        this.commit(vm, target);
        const after = this.powerAt(target, this.committedDemand[target] / this.capacity[target]);
        headroom[rackOf(target)] -= after - before;
        if (this.state[target] === OFF) this.wake(target);
        if (this.state[target] === ON) this.startMigration(vm, target);
        excess -= this.vmPowerRate[vm];
        moved++;
        this.capMigrations++;
      }
    }
  }

  /** Throttles VMs on `hosts` until their power is within `budgetWatts`; returns the VMs throttled. */
  private throttleGroup(hosts: readonly number[], budgetWatts: number, cap: PowerCapConfig): number[] {
    if (this.groupWatts(hosts) <= budgetWatts) return [];
    const candidates: number[] = [];
    for (const host of hosts) {
      if (this.state[host] !== ON) continue;
      for (const vm of this.resident[host]) if (this.vmAllocated[vm] > 0) candidates.push(vm);
    }
    // A throttled VM that is migrating also costs CPU on its target (outside the group, perhaps): keep both
    // hosts' allocations in step with the cap.
    const targets = new Set<number>();
    for (const vm of candidates) if (this.vmTarget[vm] >= 0) targets.add(this.vmTarget[vm]);
    const refresh = (): number => {
      for (const h of hosts) {
        if (this.state[h] !== ON) continue;
        this.integrate(h, this.sim.now);
        this.reallocate(h);
      }
      for (const h of targets) {
        this.integrate(h, this.sim.now);
        this.reallocate(h);
      }
      return this.groupWatts(hosts);
    };
    if (cap.choose === 'uniform') {
      // The largest common factor that fits (bisection on the real power curves).
      const start = candidates.map((vm) => this.vmCap[vm]);
      let low = 0;
      let high = 1;
      for (let i = 0; i < 30; i++) {
        const mid = (low + high) / 2;
        candidates.forEach((vm, k) => (this.vmCap[vm] = start[k] * mid));
        if (refresh() <= budgetWatts) low = mid;
        else high = mid;
      }
      candidates.forEach((vm, k) => (this.vmCap[vm] = start[k] * low));
      refresh();
    } else {
      // Watts per MIPS each VM's CPU costs on its host, from the per-VM accounting's dynamic rate.
      const intensity = new Map<number, number>();
      for (const vm of candidates) {
        const host = this.vmHost[vm];
        const used = this.usedMips[host];
        intensity.set(vm, used > 0 ? (this.hostPower[host] - this.idleWatts[host]) / used : 0);
      }
      candidates.sort((a, b) => intensity.get(b)! - intensity.get(a)! || a - b);
      // Two passes: down to the floor, then (only if needed) below it. Each VM is cut as far as the remaining
      // excess needs, estimated with its host's dynamic slope, then the real power is re-read.
      for (const floor of [cap.floorFraction, 0]) {
        for (const vm of candidates) {
          const excess = this.groupWatts(hosts) - budgetWatts;
          if (excess <= 0) break;
          const host = this.vmHost[vm];
          const slope = intensity.get(vm)!;
          const mips = Math.min(this.vmDemand[vm], this.coreMips[host] * this.vmPes[vm]) * this.hostScale[host];
          if (slope <= 0 || mips <= 0 || this.vmCap[vm] <= floor) continue;
          const wanted = this.vmCap[vm] - excess / (slope * mips);
          this.vmCap[vm] = Math.max(floor, wanted);
          this.integrate(host, this.sim.now);
          this.reallocate(host);
          const target = this.vmTarget[vm];
          if (target >= 0) {
            this.integrate(target, this.sim.now);
            this.reallocate(target);
          }
        }
        if (this.groupWatts(hosts) <= budgetWatts) break;
      }
    }
    return candidates.filter((vm) => this.vmCap[vm] < 1);
  }

  private readDemand(now: number): void {
    const interval = this.config.sampleIntervalSeconds;
    const samples = this.config.samplesPerVm;
    const position = now / interval;
    const i1 = Math.min(Math.floor(position), samples - 1);
    const i2 = Math.min(i1 + 1, samples - 1);
    const fraction = position - Math.floor(position);
    const data = this.config.utilisation;
    this.historyHead = (this.historyHead + 1) % HISTORY_LENGTH;
    this.historyCount++;
    this.historyEpoch++;
    const head = this.historyHead;
    for (let vm = 0; vm < this.V; vm++) {
      const base = vm * samples;
      const u1 = data[base + i1];
      // A lost VM asks for nothing any more (its trace goes on without it).
      const utilisation = this.vmLost[vm] === 1 ? 0 : fraction === 0 ? u1 : u1 + (data[base + i2] - u1) * fraction;
      this.vmDemand[vm] = utilisation * this.vmMips[vm] * this.vmPes[vm];
      this.history[vm * HISTORY_LENGTH + head] = utilisation;
    }
    for (let h = 0; h < this.H; h++) {
      const list = this.committed[h];
      let demand = 0;
      for (let i = 0; i < list.length; i++) demand += this.vmDemand[list[i]];
      this.committedDemand[h] = demand;
      this.refreshRoom(h);
    }
  }

  /**
   * vCPU ballooning on every running host: the same policy objects the single-host model uses
   * (policies/vcpu), fed a view of the host's resident VMs over the last interval — demand is the VM's requested
   * MIPS in cores of this host (how many of its vCPUs must run at once at full speed), CPU used the same capped
   * at its vCPUs, no pause-loop exits (the fluid model has no spinning). The counts do not change the fluid allocation: the fluid model has no double-scheduling cost
   * (the SMP model does); they are what a FlexCore-managed host would keep online.
   */
  private balloonVcpus(now: number, config: VcpuBalloonPolicyConfig): void {
    const dt = now - this.balloonTime;
    for (let vm = 0; vm < this.V; vm++) this.vmOnlineVcpuSeconds[vm] += dt * this.vmOnlineVcpus[vm];
    this.balloonTime = now;
    const interval = this.schedulingIntervalSeconds;
    for (let h = 0; h < this.H; h++) {
      const vms = this.resident[h];
      if (this.state[h] !== ON || vms.length === 0) continue;
      // A fresh policy per host and tick: its "last period" is exactly this interval, whatever VMs moved.
      const policy = createVcpuBalloonPolicy(config);
      const cores = this.config.hosts[h].cores;
      const coreMips = this.coreMips[h];
      const view: VcpuBalloonView = {
        vmCount: vms.length,
        coreCount: cores,
        nowSeconds: () => interval,
        maxVcpus: (i) => this.vmPes[vms[i]],
        onlineVcpus: (i) => this.vmOnlineVcpus[vms[i]],
        weight: () => 1024,
        cpuSeconds: (i) => Math.min(this.vmDemand[vms[i]] / coreMips, this.vmPes[vms[i]]) * interval,
        runnableThreadSeconds: (i) => (this.vmDemand[vms[i]] / coreMips) * interval,
        pleExits: () => 0,
      };
      const targets = new Int32Array(vms.length);
      policy.targets(view, new Uint8Array(vms.length), targets);
      for (let i = 0; i < vms.length; i++) {
        const vm = vms[i];
        this.vmOnlineVcpus[vm] = targets[i];
        if (targets[i] < this.vmMinOnlineVcpus[vm]) this.vmMinOnlineVcpus[vm] = targets[i];
      }
    }
  }

  private sample(now: number): void {
    const H = this.H;
    if (this.config.vcpuBallooning) this.sampleVcpus();
    let energy = 0;
    let active = 0;
    let used = 0;
    let capacity = 0;
    let overloaded = 0;
    const s = this.sampleIndex;
    const samples = this.hostPowerSeries.length / H;
    for (let h = 0; h < H; h++) {
      energy += this.energyJoules[h];
      if (s < samples) {
        this.hostPowerSeries[h * samples + s] = this.hostPower[h];
        this.hostUtilSeries[h * samples + s] = this.state[h] === ON ? this.usedMips[h] / this.capacity[h] : 0;
      }
      if (this.state[h] === ON) {
        active++;
        used += this.usedMips[h];
        capacity += this.capacity[h];
        if (this.requestedMips[h] > this.capacity[h] * (1 + EPSILON)) overloaded++;
      }
    }
    const dt = now - this.lastSampleTime;
    const requested = this.totalRequested - this.lastSampleRequested;
    const allocated = this.totalAllocated - this.lastSampleAllocated;
    const series = this.series;
    series.time.push(now);
    const meanPower = dt > 0 ? (energy - this.lastSampleEnergy) / dt : 0;
    series.power.push(meanPower);
    const cap = this.config.powerCap;
    if (cap && cap.facilityWatts !== null && meanPower > cap.facilityWatts * (1 + 1e-9)) this.capExceededIntervals++;
    if (cap?.rack) this.countRackExceedance(cap.rack.watts, cap.rack.hostsPerRack, dt);
    series.active.push(active);
    series.util.push(capacity > 0 ? used / capacity : 0);
    series.inFlight.push(this.migrationsInFlight);
    series.started.push(this.startedThisTick);
    series.overloaded.push(active > 0 ? overloaded / active : 0);
    series.sla.push(requested > 0 ? (requested - allocated) / requested : 0);
    this.lastSampleTime = now;
    this.lastSampleEnergy = energy;
    this.lastSampleRequested = this.totalRequested;
    this.lastSampleAllocated = this.totalAllocated;
    this.sampleIndex++;
  }

  /** Figures of the realistic migrations completed within the run (none with the fixed-duration model). */
  private migrationSummary(): Partial<RunSummary> {
    const engine = this.config.migrationEngine;
    if (!engine) return {};
    const f = this.migrationFigures;
    const n = f.completed;
    return {
      migration_model: engine.modelName,
      migrations_completed: n,
      mean_downtime_s: n > 0 ? f.downtimeSum / n : 0,
      max_downtime_s: f.downtimeMax,
      mean_switchover_s: n > 0 ? f.switchoverSum / n : 0,
      migration_traffic_gib: f.bytes / 2 ** 30,
      remote_faults: f.faults,
      migrations_not_converged: f.notConverged,
      migrations_postcopy: f.postcopy,
      migration_lost_vcpu_seconds: f.lostVcpuSeconds,
      host_failures: f.hostFailures,
      link_failures: f.linkFailures,
      vms_lost: f.lost,
      migrations_aborted: f.aborted,
    };
  }

  private readonly rackEnergyAtSample: number[] = [];

  /** Counts the racks whose mean power over the sampling interval exceeded the rack cap. */
  private countRackExceedance(rackWatts: number, hostsPerRack: number, dt: number): void {
    if (!(dt > 0)) return;
    const racks = Math.ceil(this.H / hostsPerRack);
    for (let r = 0; r < racks; r++) {
      let energy = 0;
      for (let h = r * hostsPerRack; h < Math.min(this.H, (r + 1) * hostsPerRack); h++) energy += this.energyJoules[h];
      const mean = (energy - (this.rackEnergyAtSample[r] ?? 0)) / dt;
      this.rackEnergyAtSample[r] = energy;
      if (mean > rackWatts * (1 + 1e-9)) this.capRackExceededIntervals++;
    }
  }

  private energyAccountingSummary(energy: number): Partial<RunSummary> {
    let attributed = 0;
    let max = 0;
    for (let vm = 0; vm < this.V; vm++) {
      attributed += this.vmEnergyJoules[vm];
      if (this.vmEnergyJoules[vm] > max) max = this.vmEnergyJoules[vm];
    }
    const figures: Partial<RunSummary> = {
      vm_energy_attributed_kwh: attributed / 3.6e6,
      vm_energy_unattributed_kwh: this.unattributedJoules / 3.6e6,
      vm_energy_mean_kwh: this.V > 0 ? attributed / this.V / 3.6e6 : 0,
      vm_energy_max_kwh: max / 3.6e6,
      vm_energy_sum_error: energy > 0 ? Math.abs(attributed + this.unattributedJoules - energy) / energy : 0,
    };
    const cap = this.config.powerCap;
    if (cap) {
      if (cap.facilityWatts !== null) {
        figures.power_cap_w = cap.facilityWatts;
        figures.power_cap_exceeded_intervals = this.capExceededIntervals;
      }
      if (cap.rack) {
        figures.power_cap_rack_w = cap.rack.watts;
        figures.power_cap_rack_exceeded_intervals = this.capRackExceededIntervals;
        figures.power_cap_migrations = this.capMigrations;
      }
      figures.power_cap_policy = cap.choose;
      figures.power_cap_throttled_vms_mean = this.capTicks > 0 ? this.capThrottledVmTicks / this.capTicks : 0;
      figures.power_cap_shortfall = this.totalRequested > 0 ? this.capShortfall / this.totalRequested : 0;
    }
    return figures;
  }

  /** Online vCPUs, vCPUs and the worst host over-commitment among running hosts, for the tick's sample. */
  private sampleVcpus(): void {
    let online = 0;
    let total = 0;
    let worst = 0;
    for (let h = 0; h < this.H; h++) {
      if (this.state[h] !== ON) continue;
      let hostOnline = 0;
      for (const vm of this.resident[h]) {
        hostOnline += this.vmOnlineVcpus[vm];
        total += this.vmPes[vm];
      }
      online += hostOnline;
      worst = Math.max(worst, hostOnline / this.config.hosts[h].cores);
    }
    this.vcpuSeries.online.push(online);
    this.vcpuSeries.total.push(total);
    this.vcpuSeries.overcommit.push(worst);
  }

  private finish(): FluidResult {
    const end = this.config.durationSeconds;
    if (this.config.vcpuBallooning) {
      for (let vm = 0; vm < this.V; vm++) this.vmOnlineVcpuSeconds[vm] += (end - this.balloonTime) * this.vmOnlineVcpus[vm];
      this.balloonTime = end;
    }
    for (let h = 0; h < this.H; h++) this.integrate(h, end);
    for (let vm = 0; vm < this.V; vm++) this.integrateVm(vm, end);
    if (end > this.lastSampleTime) this.sample(end);
    let energy = 0;
    for (let h = 0; h < this.H; h++) energy += this.energyJoules[h];
    const energyKwh = energy / 3.6e6;
    const slatah = this.activeTime > 0 ? this.violationTime / this.activeTime : 0;
    const pdm = this.totalRequested > 0 ? this.migrationShortfall / this.totalRequested : 0;
    const slav = slatah * pdm;
    const [meanShutdown, stdevShutdown] = meanAndStdev(this.shutdownTimes);
    const [meanMigration, stdevMigration] = meanAndStdev(this.migrationTimes);
    const samples = this.sampleIndex;
    const total = this.hostPowerSeries.length / this.H;
    const trim = (a: Float64Array): Float64Array => {
      if (samples === total) return a;
      const out = new Float64Array(this.H * samples);
      for (let h = 0; h < this.H; h++) out.set(a.subarray(h * total, h * total + samples), h * samples);
      return out;
    };
    const series = this.series;
    return {
      summary: {
        hosts: this.H,
        vms: this.V,
        energy_kwh: energyKwh,
        migrations: this.migrations,
        slatah,
        pdm,
        slav,
        esv: energyKwh * slav,
        overall_sla_violation: this.totalRequested > 0 ? (this.totalRequested - this.totalAllocated) / this.totalRequested : 0,
        average_sla_violation: this.violationCount > 0 ? this.violationSum / this.violationCount : 0,
        host_shutdowns: this.shutdownTimes.length,
        mean_time_before_host_shutdown_s: meanShutdown,
        stdev_time_before_host_shutdown_s: stdevShutdown,
        mean_migration_time_s: meanMigration,
        stdev_migration_time_s: stdevMigration,
        sim_seconds: end,
        events: this.sim.events,
        ...this.migrationSummary(),
        ...this.energyAccountingSummary(energy),
      },
      vmEnergyJoules: this.vmEnergyJoules,
      ...(this.config.vcpuBallooning
        ? {
            vcpus: {
              policy: this.config.vcpuBallooning.name,
              vmVcpus: Int32Array.from(this.vmPes),
              vmMeanOnlineVcpus: this.vmOnlineVcpuSeconds.map((seconds) => seconds / end),
              vmMinOnlineVcpus: Int32Array.from(this.vmMinOnlineVcpus),
              onlineVcpus: Float64Array.from(this.vcpuSeries.online),
              totalVcpus: Float64Array.from(this.vcpuSeries.total),
              maxHostOvercommit: Float64Array.from(this.vcpuSeries.overcommit),
            },
          }
        : {}),
      dataCenter: {
        timeSeconds: Float64Array.from(series.time),
        powerWatts: Float64Array.from(series.power),
        activeHosts: Float64Array.from(series.active),
        utilisation: Float64Array.from(series.util),
        migrationsInFlight: Float64Array.from(series.inFlight),
        migrationsStarted: Float64Array.from(series.started),
        overloadedHostFraction: Float64Array.from(series.overloaded),
        slaViolation: Float64Array.from(series.sla),
      },
      hosts: { hostCount: this.H, sampleCount: samples, powerWatts: trim(this.hostPowerSeries), utilisation: trim(this.hostUtilSeries) },
      warnings: [],
    };
  }
}
