/**
 * The detailed host: cores with P-states and halt, a hypervisor vCPU scheduler at millisecond time slices,
 * guest threads running phased programs, performance counters, a driver VM serving the guests' disk requests,
 * a disk, the ground-truth core power and an RC thermal network.
 *
 * Time advances in slices of the hypervisor's timer (1 ms by default), as in a real hypervisor: the scheduler
 * decides at each timer tick and whenever the running vCPU blocks or exhausts its allocation. Inside a slice
 * each core runs a sequence of exact segments (a vCPU runs until the slice ends, it blocks, or its allocation
 * is used up; then the next one is picked or the core halts), so CPU time, counters and energy are exact. A
 * halted core wakes at the instant one of its threads becomes ready (a timer or completion interrupt); a running
 * vCPU is not preempted by a wake-up before its turn ends. Cores are processed in index order within a slice, so
 * a wake caused by another core in the same slice (a request reaching the driver) is seen at once only when the
 * woken core comes later in that order. The disk's completions are exact (see disk-model.ts).
 *
 * The hypervisor logs counter deltas at every vCPU switch (Stoess et al., USENIX ATC 2007, §4.1): each segment
 * adds its deltas to the vCPU's counters and energy estimate — the per-vCPU log, aggregated — and optional
 * listeners see every record. A guest's virtual counters are exactly its vCPUs' rows: the physical counters
 * minus what ran for the other VMs.
 *
 * Hot loop: everything per core, vCPU, thread and request lives in typed arrays indexed by integers, and a
 * segment allocates nothing — a 12-core host at 1 ms for 60 s runs some 10⁶ segments.
 *
 * Energy managers and guests act through {@link HostControl} (policies/energy), which a real backend can
 * implement with cgroups, cpufreq and RAPL; nothing in a policy assumes this simulator.
 *
 * Extension points for later work: threads belong to VMs and vCPUs through arrays (`threadVcpu`), so a guest
 * scheduler that moves threads between vCPUs, locks and barriers (vCPU ballooning), and guest memory with a
 * buffer cache fed by the disk requests (memory inference) attach to the same slice loop.
 */

import { CorePowerModel, type CorePowerParameters } from '../../model/host/core-power.js';
import { DiskModel, type DiskParameters } from '../../model/host/disk-model.js';
import { EVENT_BRANCH_MISPREDICTIONS, EVENT_COUNT, EVENT_FLOATING_POINT, EVENT_INSTRUCTIONS, EVENT_L2_MISSES, EVENT_MEMORY_ACCESSES, EVENT_UNHALTED_CYCLES } from '../../model/host/performance-events.js';
import type { PState } from '../../model/host/p-states.js';
import { ThermalModel, type ThermalParameters } from '../../model/host/thermal-model.js';
import type { EventRates, GuestProgram } from '../../workload/guest-workload.js';
import { EnergyWeights } from './energy-weights.js';

/** One guest thread (an application in the guest). */
export interface ThreadSpec {
  readonly name: string;
  readonly program: GuestProgram;
  /** Guest scheduler tickets (stride); default 100. */
  readonly tickets?: number;
}

/** One vCPU: the core it starts on and the guest threads it runs. */
export interface VcpuSpec {
  readonly core: number;
  readonly threads: readonly ThreadSpec[];
}

/** The driver VM's cost of serving one disk request. */
export interface DriverCost {
  /** Cycles per request (fixed part). */
  readonly cyclesPerRequest: number;
  /** Cycles per byte transferred (copying, checksums). */
  readonly cyclesPerByte: number;
  /** Event rates per cycle while serving. */
  readonly rates: EventRates;
}

/** A VM on the host. A `driver` VM has vCPUs without threads: they serve the other VMs' disk requests. */
export interface VmSpec {
  readonly name: string;
  readonly kind: 'guest' | 'driver';
  /** Hypervisor stride tickets per vCPU; default 100. */
  readonly tickets?: number;
  readonly vcpus: readonly VcpuSpec[];
  /** For a driver VM: its cost per request. */
  readonly driverCost?: DriverCost;
}

export type SchedulerName = 'stride' | 'fair-share';

/** Everything that defines a detailed host run. */
export interface HostMachineSpec {
  readonly coreCount: number;
  readonly pStates: readonly PState[];
  readonly corePower: CorePowerParameters;
  readonly thermal: ThermalParameters;
  readonly disk: DiskParameters;
  /** Hypervisor time slice, seconds (default 0.001). */
  readonly sliceSeconds: number;
  /** Period over which a vCPU's allocation (share of wall time) is enforced, seconds; a multiple of the slice. */
  readonly allocationPeriodSeconds: number;
  readonly scheduler: SchedulerName;
  readonly vms: readonly VmSpec[];
  /** Estimator weights (events × weights); see energy-weights.ts. */
  readonly weights: EnergyWeights;
}

/** One record of the per-vCPU counter log, passed to listeners (reused: copy what you keep). */
export interface SwitchRecord {
  timeSeconds: number;
  vcpu: number;
  core: number;
  pState: number;
  seconds: number;
  /** Counter deltas of the segment, indexed by event. */
  readonly deltas: Float64Array;
  estimatedJoules: number;
  trueJoules: number;
}

const PHASE_COMPUTE = 0;
const PHASE_SLEEP = 1;
const PHASE_DISK = 2;
const STRIDE_ONE = 1 << 20;
/** Remainders below this many seconds are rounding noise, not time to schedule. */
const TIME_EPSILON = 1e-12;

/**
 * The machine. Construct from a spec, then {@link run} (or {@link runUntil} repeatedly) — controllers
 * registered with {@link every} run at slice boundaries.
 */
export class HostMachine {
  readonly spec: HostMachineSpec;
  readonly coreCount: number;
  readonly vmCount: number;
  readonly vcpuCount: number;
  readonly threadCount: number;
  readonly sliceSeconds: number;
  readonly power: CorePowerModel;
  readonly thermal: ThermalModel;
  readonly disk: DiskModel;
  readonly weights: EnergyWeights;
  /** Time-stamp counter frequency, Hz (constant-rate TSC at the fastest P-state's clock). */
  readonly tscHz: number;
  /** Current time, seconds. */
  timeSeconds = 0;
  /** Scheduling events so far: run segments, halts and disk requests. */
  eventCount = 0;

  // --- cores
  readonly corePState: Int32Array;
  /** Forced-halt share of every slice (thermal or power throttling by halt), 0..1. */
  readonly coreThrottle: Float64Array;
  readonly coreCounters: Float64Array;
  readonly coreBusySeconds: Float64Array;
  readonly coreHaltSeconds: Float64Array;
  readonly coreThrottledSeconds: Float64Array;
  /** Seconds spent below the fastest P-state. */
  readonly coreSlowSeconds: Float64Array;
  readonly coreTrueJoules: Float64Array;
  readonly coreEstimatedJoules: Float64Array;
  /** Halted energy, not yet attributed to anyone (the accountant drains these). */
  readonly coreIdleTrueJoules: Float64Array;
  readonly coreIdleEstimatedJoules: Float64Array;
  /** True energy the core would have drawn halted all the time (the "idle power" a meter-based split uses). */
  readonly coreBaselineTrueJoules: Float64Array;
  private readonly coreSliceJoules: Float64Array;
  private readonly corePower: Float64Array;
  private readonly coreFloorPass: Float64Array;
  private coreVcpus: Int32Array[];

  // --- vCPUs
  readonly vcpuVm: Int32Array;
  readonly vcpuCore: Int32Array;
  readonly vcpuTickets: Float64Array;
  private readonly vcpuPass: Float64Array;
  private readonly vcpuWasIdle: Uint8Array;
  private readonly vcpuLastRun: Float64Array;
  /** Share of wall time the vCPU may run per allocation period, 0..1 (1: no limit). */
  readonly vcpuAllocation: Float64Array;
  private readonly vcpuUsed: Float64Array;
  readonly vcpuCounters: Float64Array;
  readonly vcpuRunSeconds: Float64Array;
  readonly vcpuTrueJoules: Float64Array;
  readonly vcpuEstimatedJoules: Float64Array;
  private readonly vcpuThreadStart: Int32Array;
  private readonly vcpuThreadEnd: Int32Array;
  private readonly vcpuIsDriver: Uint8Array;

  // --- threads
  readonly threadVm: Int32Array;
  readonly threadVcpu: Int32Array;
  readonly threadNames: string[];
  private readonly threadProgram: Int32Array;
  private readonly threadPhase: Int32Array;
  private readonly threadRemaining: Float64Array;
  private readonly threadWake: Float64Array;
  private readonly threadTickets: Float64Array;
  private readonly threadPass: Float64Array;
  private readonly threadWasBlocked: Uint8Array;
  private readonly vcpuThreadFloor: Float64Array;
  /** Guest-level allocation per thread (share of wall time per allocation period), 0..1. */
  readonly threadAllocation: Float64Array;
  private readonly threadUsed: Float64Array;
  readonly threadCounters: Float64Array;
  readonly threadRunSeconds: Float64Array;
  /** Work done, seconds of CPU time at the fastest P-state (the throughput measure). */
  readonly threadWorkSeconds: Float64Array;
  /** Energy of each thread's own run pieces, estimated (events × weights) and true, joules (no idle share). */
  readonly threadEstimatedJoules: Float64Array;
  readonly threadTrueJoules: Float64Array;
  /** Highest core temperature reached so far (after any slice), °C. */
  peakCoreCelsius = -Infinity;

  // --- programs, packed
  private readonly programPhaseStart: Int32Array;
  private readonly programPhaseCount: Int32Array;
  private readonly phaseKind: Int8Array;
  private readonly phaseAmount: Float64Array;
  private readonly phaseStall: Float64Array;
  /** Events per unit of work (per cycle at the fastest P-state), EVENT_COUNT per phase; index 0 unused. */
  private readonly phaseRates: Float64Array;

  // --- VMs and disk requests
  readonly vmNames: string[];
  readonly vmIsDriver: Uint8Array;
  /** Disk bytes each VM transferred, and bytes the driver served per client VM. */
  readonly vmDiskBytes: Float64Array;
  /** Disk active (service) seconds caused by each VM. */
  readonly vmDiskServiceSeconds: Float64Array;
  /** Requests of a held VM wait in the queue (disk throttling). */
  readonly vmDiskHeld: Uint8Array;
  /** Driver cycles spent on each client VM (the ground truth of recursive accounting). */
  readonly vmDriverCycles: Float64Array;
  private readonly driverVm: number;
  private readonly driverCyclesPerRequest: number;
  private readonly driverCyclesPerByte: number;
  private readonly driverRates: Float64Array;
  private requestCapacity = 256;
  private requestThread = new Int32Array(256);
  private requestBytes = new Float64Array(256);
  private requestTime = new Float64Array(256);
  /** Cycles of driver work still to do on a request (0 once handed to the disk). */
  private requestDriverCycles = new Float64Array(256);
  private requestCount = 0;
  // Requests ready for the disk within the current slice; sorted by time at the slice's end.
  private readyThread = new Int32Array(64);
  private readyBytes = new Float64Array(64);
  private readyTime = new Float64Array(64);
  private readyOrder: number[] = [];
  private readyCount = 0;

  // Service intervals of submitted requests not yet fully accounted, in submission (= service) order; the
  // accountant drains them with diskActiveSeconds(). Typed arrays: one request must not allocate.
  private intervalVm = new Int32Array(64);
  private intervalStart = new Float64Array(64);
  private intervalEnd = new Float64Array(64);
  private intervalCount = 0;
  private readonly segmentDeltas = new Float64Array(EVENT_COUNT);
  private readonly pieceDeltas = new Float64Array(EVENT_COUNT);
  private readonly listeners: ((record: SwitchRecord) => void)[] = [];
  private readonly record: SwitchRecord = { timeSeconds: 0, vcpu: 0, core: 0, pState: 0, seconds: 0, deltas: new Float64Array(EVENT_COUNT), estimatedJoules: 0, trueJoules: 0 };
  private readonly controllers: { periodSeconds: number; nextSeconds: number; run: (now: number) => void }[] = [];
  private nextAllocationReset: number;
  private sliceIndex = 0;
  private readonly allocationPeriodSeconds: number;
  private readonly fairShare: boolean;

  constructor(spec: HostMachineSpec) {
    this.spec = spec;
    this.coreCount = spec.coreCount;
    this.sliceSeconds = spec.sliceSeconds;
    this.allocationPeriodSeconds = spec.allocationPeriodSeconds;
    this.fairShare = spec.scheduler === 'fair-share';
    const p0 = spec.pStates[0];
    this.power = new CorePowerModel(spec.corePower, p0.voltageVolts, p0.frequencyHz);
    this.tscHz = p0.frequencyHz;
    this.weights = spec.weights;
    if (spec.weights.pStateCount !== spec.pStates.length) throw new RangeError(`HostMachine: the weights have ${spec.weights.pStateCount} P-states, the host ${spec.pStates.length}`);
    const idleWatts = this.power.haltedWatts(spec.thermal.ambientCelsius, p0.voltageVolts, p0.frequencyHz);
    this.thermal = new ThermalModel(spec.coreCount, spec.thermal, idleWatts);
    this.disk = new DiskModel(spec.disk);

    const C = spec.coreCount;
    this.corePState = new Int32Array(C);
    this.coreThrottle = new Float64Array(C);
    this.coreCounters = new Float64Array(C * EVENT_COUNT);
    this.coreBusySeconds = new Float64Array(C);
    this.coreHaltSeconds = new Float64Array(C);
    this.coreThrottledSeconds = new Float64Array(C);
    this.coreSlowSeconds = new Float64Array(C);
    this.coreTrueJoules = new Float64Array(C);
    this.coreEstimatedJoules = new Float64Array(C);
    this.coreIdleTrueJoules = new Float64Array(C);
    this.coreIdleEstimatedJoules = new Float64Array(C);
    this.coreBaselineTrueJoules = new Float64Array(C);
    this.coreSliceJoules = new Float64Array(C);
    this.corePower = new Float64Array(C);
    this.coreFloorPass = new Float64Array(C);

    // Programs: pack every thread's program (threads share nothing; programs are small).
    const programs: GuestProgram[] = [];
    let vcpuCount = 0;
    let threadCount = 0;
    let driverVm = -1;
    for (let vm = 0; vm < spec.vms.length; vm++) {
      const v = spec.vms[vm];
      if (v.kind === 'driver') {
        if (driverVm >= 0) throw new RangeError('HostMachine: at most one driver VM');
        driverVm = vm;
      }
      vcpuCount += v.vcpus.length;
      for (const vcpu of v.vcpus) {
        if (!(Number.isInteger(vcpu.core) && vcpu.core >= 0 && vcpu.core < C)) throw new RangeError(`HostMachine: VM ${v.name}: core ${vcpu.core} does not exist`);
        for (const thread of vcpu.threads) {
          programs.push(thread.program);
          threadCount++;
        }
      }
    }
    this.vmCount = spec.vms.length;
    this.vcpuCount = vcpuCount;
    this.threadCount = threadCount;
    this.driverVm = driverVm;
    const driverCost = driverVm >= 0 ? spec.vms[driverVm].driverCost : undefined;
    if (driverVm >= 0 && !driverCost) throw new RangeError('HostMachine: the driver VM needs a driverCost');
    this.driverCyclesPerRequest = driverCost?.cyclesPerRequest ?? 0;
    this.driverCyclesPerByte = driverCost?.cyclesPerByte ?? 0;
    this.driverRates = ratesRow(driverCost?.rates);

    let phaseTotal = 0;
    for (const program of programs) phaseTotal += program.phases.length;
    this.programPhaseStart = new Int32Array(programs.length);
    this.programPhaseCount = new Int32Array(programs.length);
    this.phaseKind = new Int8Array(phaseTotal);
    this.phaseAmount = new Float64Array(phaseTotal);
    this.phaseStall = new Float64Array(phaseTotal);
    this.phaseRates = new Float64Array(phaseTotal * EVENT_COUNT);
    let phase = 0;
    for (let i = 0; i < programs.length; i++) {
      const program = programs[i];
      if (program.phases.length === 0) throw new RangeError(`HostMachine: program ${program.name} has no phases`);
      this.programPhaseStart[i] = phase;
      this.programPhaseCount[i] = program.phases.length;
      let hasCompute = false;
      for (const ph of program.phases) {
        if (ph.kind === 'compute') {
          hasCompute = true;
          this.phaseKind[phase] = PHASE_COMPUTE;
          this.phaseAmount[phase] = ph.seconds * this.tscHz; // work in cycles at the fastest P-state
          this.phaseStall[phase] = ph.memoryStallFraction;
          this.phaseRates.set(ratesRow(ph.rates), phase * EVENT_COUNT);
        } else if (ph.kind === 'sleep') {
          this.phaseKind[phase] = PHASE_SLEEP;
          this.phaseAmount[phase] = ph.seconds;
        } else {
          this.phaseKind[phase] = PHASE_DISK;
          this.phaseAmount[phase] = ph.bytes;
        }
        phase++;
      }
      // A program of sleeps and disk requests only would loop forever inside one instant.
      if (!hasCompute) throw new RangeError(`HostMachine: program ${program.name} needs at least one compute phase`);
    }

    this.vmNames = spec.vms.map((v) => v.name);
    this.vmIsDriver = new Uint8Array(this.vmCount);
    this.vmDiskBytes = new Float64Array(this.vmCount);
    this.vmDiskServiceSeconds = new Float64Array(this.vmCount);
    this.vmDiskHeld = new Uint8Array(this.vmCount);
    this.vmDriverCycles = new Float64Array(this.vmCount);
    this.vcpuVm = new Int32Array(vcpuCount);
    this.vcpuCore = new Int32Array(vcpuCount);
    this.vcpuTickets = new Float64Array(vcpuCount);
    this.vcpuPass = new Float64Array(vcpuCount);
    this.vcpuWasIdle = new Uint8Array(vcpuCount);
    this.vcpuLastRun = new Float64Array(vcpuCount).fill(-1);
    this.vcpuAllocation = new Float64Array(vcpuCount).fill(1);
    this.vcpuUsed = new Float64Array(vcpuCount);
    this.vcpuCounters = new Float64Array(vcpuCount * EVENT_COUNT);
    this.vcpuRunSeconds = new Float64Array(vcpuCount);
    this.vcpuTrueJoules = new Float64Array(vcpuCount);
    this.vcpuEstimatedJoules = new Float64Array(vcpuCount);
    this.vcpuThreadStart = new Int32Array(vcpuCount);
    this.vcpuThreadEnd = new Int32Array(vcpuCount);
    this.vcpuIsDriver = new Uint8Array(vcpuCount);
    this.threadVm = new Int32Array(threadCount);
    this.threadVcpu = new Int32Array(threadCount);
    this.threadNames = [];
    this.threadProgram = new Int32Array(threadCount);
    this.threadPhase = new Int32Array(threadCount);
    this.threadRemaining = new Float64Array(threadCount);
    this.threadWake = new Float64Array(threadCount);
    this.threadTickets = new Float64Array(threadCount);
    this.threadPass = new Float64Array(threadCount);
    this.threadWasBlocked = new Uint8Array(threadCount);
    this.vcpuThreadFloor = new Float64Array(vcpuCount);
    this.threadAllocation = new Float64Array(threadCount).fill(1);
    this.threadUsed = new Float64Array(threadCount);
    this.threadCounters = new Float64Array(threadCount * EVENT_COUNT);
    this.threadRunSeconds = new Float64Array(threadCount);
    this.threadWorkSeconds = new Float64Array(threadCount);
    this.threadEstimatedJoules = new Float64Array(threadCount);
    this.threadTrueJoules = new Float64Array(threadCount);

    let vcpu = 0;
    let thread = 0;
    for (let vm = 0; vm < spec.vms.length; vm++) {
      const v = spec.vms[vm];
      this.vmIsDriver[vm] = v.kind === 'driver' ? 1 : 0;
      for (const vs of v.vcpus) {
        this.vcpuVm[vcpu] = vm;
        this.vcpuCore[vcpu] = vs.core;
        this.vcpuTickets[vcpu] = v.tickets ?? 100;
        this.vcpuIsDriver[vcpu] = v.kind === 'driver' ? 1 : 0;
        this.vcpuThreadStart[vcpu] = thread;
        if (v.kind === 'driver' && vs.threads.length > 0) throw new RangeError(`HostMachine: driver VM ${v.name} runs no guest threads`);
        for (const ts of vs.threads) {
          this.threadVm[thread] = vm;
          this.threadVcpu[thread] = vcpu;
          this.threadNames.push(`${v.name}/${ts.name}`);
          this.threadProgram[thread] = thread;
          this.threadTickets[thread] = ts.tickets ?? 100;
          this.startPhase(thread, this.programPhaseStart[thread], 0);
          thread++;
        }
        this.vcpuThreadEnd[vcpu] = thread;
        vcpu++;
      }
    }
    this.coreVcpus = [];
    this.rebuildCoreLists();
    this.nextAllocationReset = this.allocationPeriodSeconds;
  }

  // ------------------------------------------------------------------ control surface

  /** Registers `run(now)` to be called every `periodSeconds` of simulated time, at slice boundaries. */
  every(periodSeconds: number, run: (now: number) => void): void {
    if (!(periodSeconds >= this.sliceSeconds)) throw new RangeError(`HostMachine.every: period ${periodSeconds} s is shorter than a slice`);
    this.controllers.push({ periodSeconds, nextSeconds: this.timeSeconds + periodSeconds, run });
  }

  /** Subscribes to every counter-log record (slows the loop; for tests and traces). */
  onSwitch(listener: (record: SwitchRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Moves a vCPU to another core (takes effect at its next pick). */
  moveVcpu(vcpu: number, core: number): void {
    if (this.vcpuCore[vcpu] === core) return;
    this.vcpuCore[vcpu] = core;
    // Entering a new run queue: start at that queue's pass, as a waking client does.
    this.vcpuPass[vcpu] = Math.max(this.vcpuPass[vcpu], this.coreFloorPass[core]);
    this.rebuildCoreLists();
  }

  /** vCPUs currently on a core (do not keep the array: it is replaced on moves). */
  vcpusOnCore(core: number): Int32Array {
    return this.coreVcpus[core];
  }

  /** Core temperature, °C. */
  coreTemperature(core: number): number {
    return this.thermal.coreCelsius[core];
  }

  /** Instantaneous true power of a core over the last slice, watts. */
  coreLastSliceWatts(core: number): number {
    return this.corePower[core];
  }

  /** Requests waiting in the driver queue (or held). */
  get queuedRequests(): number {
    return this.requestCount;
  }

  /** Host disk energy so far (ground truth, which the hypervisor also knows from the disk's states), joules. */
  diskEnergyJoules(): number {
    return this.disk.energyJoules(this.timeSeconds);
  }

  private rebuildCoreLists(): void {
    const lists: number[][] = Array.from({ length: this.coreCount }, () => []);
    for (let v = 0; v < this.vcpuCount; v++) lists[this.vcpuCore[v]].push(v);
    this.coreVcpus = lists.map((l) => Int32Array.from(l));
  }

  // ------------------------------------------------------------------ run loop

  /** Runs until `endSeconds` (rounded down to whole slices). */
  runUntil(endSeconds: number): void {
    const slice = this.sliceSeconds;
    const lastSlice = Math.floor(endSeconds / slice + 1e-9);
    while (this.sliceIndex < lastSlice) {
      const t0 = this.sliceIndex * slice;
      this.timeSeconds = t0;
      for (let i = 0; i < this.controllers.length; i++) {
        const c = this.controllers[i];
        if (t0 + 1e-9 >= c.nextSeconds) {
          c.nextSeconds += c.periodSeconds;
          c.run(t0);
        }
      }
      if (t0 + 1e-9 >= this.nextAllocationReset) {
        this.vcpuUsed.fill(0);
        this.threadUsed.fill(0);
        this.nextAllocationReset += this.allocationPeriodSeconds;
      }
      const t1 = (this.sliceIndex + 1) * slice;
      for (let c = 0; c < this.coreCount; c++) this.runCore(c, t0, t1);
      if (this.driverVm < 0) this.dispatchWithoutDriver(t1);
      this.flushReadyRequests();
      for (let c = 0; c < this.coreCount; c++) {
        this.corePower[c] = this.coreSliceJoules[c] / slice;
        this.coreSliceJoules[c] = 0;
      }
      this.thermal.step(slice, this.corePower);
      for (let c = 0; c < this.coreCount; c++) if (this.thermal.coreCelsius[c] > this.peakCoreCelsius) this.peakCoreCelsius = this.thermal.coreCelsius[c];
      this.sliceIndex++;
      this.timeSeconds = t1;
    }
  }

  /** Holds (true) or releases (false) a VM's disk requests: held requests wait in the queue (disk throttling). */
  setDiskHold(vm: number, held: boolean): void {
    if (held) {
      this.vmDiskHeld[vm] = 1;
      return;
    }
    if (this.vmDiskHeld[vm] === 0) return;
    this.vmDiskHeld[vm] = 0;
    // A released request is issued now: it physically waited in the queue until the release.
    for (let r = 0; r < this.requestCount; r++) {
      if (this.threadVm[this.requestThread[r]] === vm && this.requestTime[r] < this.timeSeconds) this.requestTime[r] = this.timeSeconds;
    }
  }

  private runCore(core: number, t0: number, t1: number): void {
    const ps = this.corePState[core];
    const pstate = this.spec.pStates[ps];
    const frequency = pstate.frequencyHz;
    const voltage = pstate.voltageVolts;
    const temperature = this.thermal.coreCelsius[core];
    const leakage = this.power.leakageWatts(temperature, voltage);
    const haltWatts = this.power.haltedWatts(temperature, voltage, frequency);
    const runEnd = t1 - this.coreThrottle[core] * this.sliceSeconds;
    this.coreBaselineTrueJoules[core] += haltWatts * (t1 - t0);
    const weights = this.weights.table;
    const wOffset = ps * this.weights.stride;
    const tscWeight = weights[wOffset];
    let t = t0;
    let zeroTurns = 0;
    while (runEnd - t > TIME_EPSILON) {
      const vcpu = this.pick(core, t);
      if (vcpu < 0) {
        // Nothing can run now. A thread that becomes ready before the slice ends (its sleep is over, its disk
        // request completed) wakes the core at that instant, as a timer or completion interrupt wakes a halted
        // core; until then the core halts.
        const wake = this.nextWakeOnCore(core, t);
        if (wake >= runEnd - TIME_EPSILON) break;
        this.haltCore(core, t, wake, t1, runEnd, haltWatts, tscWeight);
        t = wake;
        continue;
      }
      const limited = this.vcpuAllocation[vcpu] < 1;
      const budget = limited ? this.vcpuAllocation[vcpu] * this.allocationPeriodSeconds - this.vcpuUsed[vcpu] : Infinity;
      if (budget <= TIME_EPSILON) {
        // The vCPU's allocation is used up: its turn goes to the halt client (Stoess et al. §4.2), so the
        // other vCPUs get exactly the share they had without the limit. It still pays the turn in pass.
        this.chargeTurn(vcpu, core, runEnd - t, t);
        break;
      }
      const deltas = this.segmentDeltas;
      deltas.fill(0);
      const allowed = Math.min(runEnd - t, budget);
      const ran = this.vcpuIsDriver[vcpu] === 1 ? this.runDriver(t, allowed, frequency, deltas) : this.runGuest(vcpu, t, allowed, frequency, deltas, wOffset, voltage, leakage);
      // A zero-length turn still made progress (a zero-cost driver request handed to the disk): pick again.
      // The counter keeps a modelling slip from spinning forever.
      if (ran <= 0) {
        if (++zeroTurns > 10_000) throw new Error(`HostMachine: core ${core} made no progress at ${t} s`);
        continue;
      }
      // The counter log: one record per switch, added to the vCPU's row.
      const trueJoules = this.power.dynamicJoules(deltas, 0, voltage) + leakage * ran;
      let estimate = tscWeight * ran * this.tscHz;
      for (let e = 0; e < EVENT_COUNT; e++) estimate += weights[wOffset + 1 + e] * deltas[e];
      const vrow = vcpu * EVENT_COUNT;
      const crow = core * EVENT_COUNT;
      for (let e = 0; e < EVENT_COUNT; e++) {
        this.vcpuCounters[vrow + e] += deltas[e];
        this.coreCounters[crow + e] += deltas[e];
      }
      this.vcpuRunSeconds[vcpu] += ran;
      this.vcpuUsed[vcpu] += ran;
      this.vcpuTrueJoules[vcpu] += trueJoules;
      this.vcpuEstimatedJoules[vcpu] += estimate;
      this.coreTrueJoules[core] += trueJoules;
      this.coreEstimatedJoules[core] += estimate;
      this.coreSliceJoules[core] += trueJoules;
      this.coreBusySeconds[core] += ran;
      this.chargeTurn(vcpu, core, ran, t);
      this.eventCount++;
      if (this.listeners.length > 0) this.emit(t, vcpu, core, ps, ran, deltas, estimate, trueJoules);
      t += ran;
      if (limited && ran >= budget - TIME_EPSILON && runEnd - t > TIME_EPSILON) {
        // Used up during its turn: the rest of the turn is halt as well.
        this.chargeTurn(vcpu, core, runEnd - t, t);
        break;
      }
    }
    if (t1 - t > TIME_EPSILON) this.haltCore(core, t, t1, t1, runEnd, haltWatts, tscWeight);
    if (ps > 0) this.coreSlowSeconds[core] += t1 - t0;
  }

  /** The core halts from `from` to `to`; the part after `runEnd` (forced halt of the slice) counts as throttled. */
  private haltCore(core: number, from: number, to: number, t1: number, runEnd: number, haltWatts: number, tscWeight: number): void {
    const halted = to - from;
    const trueJoules = haltWatts * halted;
    const estimate = tscWeight * halted * this.tscHz;
    this.coreHaltSeconds[core] += halted;
    this.coreThrottledSeconds[core] += Math.max(0, Math.min(to, t1) - Math.max(from, runEnd));
    this.coreIdleTrueJoules[core] += trueJoules;
    this.coreIdleEstimatedJoules[core] += estimate;
    this.coreTrueJoules[core] += trueJoules;
    this.coreEstimatedJoules[core] += estimate;
    this.coreSliceJoules[core] += trueJoules;
    this.eventCount++;
  }

  /** The earliest time after `t` at which something on the core becomes ready (Infinity: nothing known). */
  private nextWakeOnCore(core: number, t: number): number {
    let wake = Infinity;
    const list = this.coreVcpus[core];
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (this.vcpuIsDriver[v] === 1) {
        for (let r = 0; r < this.requestCount; r++) {
          const at = this.requestTime[r];
          if (at > t && at < wake && this.vmDiskHeld[this.threadVm[this.requestThread[r]]] === 0) wake = at;
        }
        continue;
      }
      const end = this.vcpuThreadEnd[v];
      for (let th = this.vcpuThreadStart[v]; th < end; th++) {
        const at = this.threadWake[th];
        if (at > t && at < wake) wake = at;
      }
    }
    return wake;
  }

  /** Advances a vCPU's scheduling position for a turn of `seconds` (run or, for a used-up allocation, halt). */
  private chargeTurn(vcpu: number, core: number, seconds: number, t: number): void {
    this.vcpuPass[vcpu] += (seconds / this.sliceSeconds) * (STRIDE_ONE / this.vcpuTickets[vcpu]);
    this.vcpuLastRun[vcpu] = t;
    this.coreFloorPass[core] = this.vcpuPass[vcpu];
  }

  /**
   * The hypervisor scheduler: among the core's runnable vCPUs (including those whose allocation is used up:
   * their turn becomes halt, see runCore), stride picks the lowest pass (Waldspurger and Weihl, "Stride scheduling", MIT/LCS/TM-528, 1995), fair share the one
   * that ran least recently (round robin). Returns -1 when none can run (the core halts).
   */
  private pick(core: number, t: number): number {
    const list = this.coreVcpus[core];
    let best = -1;
    let bestKey = Infinity;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (!this.vcpuRunnable(v, t)) {
        this.vcpuWasIdle[v] = 1;
        continue;
      }
      if (this.vcpuWasIdle[v] === 1) {
        // A client that slept must not come back with credit for the time it did not compete.
        this.vcpuWasIdle[v] = 0;
        if (this.vcpuPass[v] < this.coreFloorPass[core]) this.vcpuPass[v] = this.coreFloorPass[core];
      }
      const key = this.fairShare ? this.vcpuLastRun[v] : this.vcpuPass[v];
      if (key < bestKey) {
        bestKey = key;
        best = v;
      }
    }
    return best;
  }

  private vcpuRunnable(vcpu: number, t: number): boolean {
    if (this.vcpuIsDriver[vcpu] === 1) return this.nextDriverRequest(t) >= 0;
    return this.pickThread(vcpu, t) >= 0;
  }

  /** The guest scheduler: the ready thread with the lowest guest pass whose guest allocation is not used up. */
  private pickThread(vcpu: number, t: number): number {
    let best = -1;
    let bestPass = Infinity;
    const end = this.vcpuThreadEnd[vcpu];
    for (let th = this.vcpuThreadStart[vcpu]; th < end; th++) {
      if (this.threadWake[th] > t + TIME_EPSILON) continue;
      if (this.threadAllocation[th] < 1 && this.threadUsed[th] >= this.threadAllocation[th] * this.allocationPeriodSeconds - TIME_EPSILON) continue;
      if (this.threadWasBlocked[th] === 1) {
        this.threadWasBlocked[th] = 0;
        if (this.threadPass[th] < this.vcpuThreadFloor[vcpu]) this.threadPass[th] = this.vcpuThreadFloor[vcpu];
      }
      if (this.threadPass[th] < bestPass) {
        bestPass = this.threadPass[th];
        best = th;
      }
    }
    return best;
  }

  /** Runs a guest vCPU from `t` for at most `allowed` seconds; returns the time it ran. */
  private runGuest(vcpu: number, t: number, allowed: number, frequency: number, deltas: Float64Array, wOffset: number, voltage: number, leakage: number): number {
    const weights = this.weights.table;
    const fmax = this.tscHz;
    let ran = 0;
    const piece = this.pieceDeltas;
    while (allowed - ran > TIME_EPSILON) {
      const now = t + ran;
      const th = this.pickThread(vcpu, now);
      if (th < 0) break;
      const phase = this.threadPhase[th];
      // Only compute phases are ever current when a thread is ready (sleep and disk phases block at once).
      const stall = this.phaseStall[phase];
      // Work (cycles at fmax) per second at this frequency.
      const speed = fmax / ((1 - stall) * (fmax / frequency) + stall);
      let budget = allowed - ran;
      if (this.threadAllocation[th] < 1) budget = Math.min(budget, this.threadAllocation[th] * this.allocationPeriodSeconds - this.threadUsed[th]);
      const needed = this.threadRemaining[th] / speed;
      const dt = needed <= budget ? needed : budget;
      const work = needed <= budget ? this.threadRemaining[th] : dt * speed;
      const rateRow = phase * EVENT_COUNT;
      piece[EVENT_UNHALTED_CYCLES] = dt * frequency;
      piece[EVENT_INSTRUCTIONS] = work * this.phaseRates[rateRow + EVENT_INSTRUCTIONS];
      piece[EVENT_L2_MISSES] = work * this.phaseRates[rateRow + EVENT_L2_MISSES];
      piece[EVENT_MEMORY_ACCESSES] = work * this.phaseRates[rateRow + EVENT_MEMORY_ACCESSES];
      piece[EVENT_BRANCH_MISPREDICTIONS] = work * this.phaseRates[rateRow + EVENT_BRANCH_MISPREDICTIONS];
      piece[EVENT_FLOATING_POINT] = work * this.phaseRates[rateRow + EVENT_FLOATING_POINT];
      const trow = th * EVENT_COUNT;
      let estimate = weights[wOffset] * dt * fmax;
      for (let e = 0; e < EVENT_COUNT; e++) {
        deltas[e] += piece[e];
        this.threadCounters[trow + e] += piece[e];
        estimate += weights[wOffset + 1 + e] * piece[e];
      }
      this.threadEstimatedJoules[th] += estimate;
      this.threadTrueJoules[th] += this.power.dynamicJoules(piece, 0, voltage) + leakage * dt;
      this.threadRunSeconds[th] += dt;
      this.threadUsed[th] += dt;
      this.threadWorkSeconds[th] += work / fmax;
      this.threadPass[th] += (dt / this.sliceSeconds) * (STRIDE_ONE / this.threadTickets[th]);
      this.vcpuThreadFloor[vcpu] = this.threadPass[th];
      ran += dt;
      if (needed <= budget) {
        this.threadRemaining[th] = 0;
        this.advancePhase(th, t + ran);
      } else {
        this.threadRemaining[th] -= work;
        if (this.threadRemaining[th] < 0) this.threadRemaining[th] = 0;
      }
      if (dt <= 0 && needed > budget) break;
    }
    return ran;
  }

  /** Moves a thread past a finished phase, through any sleep or disk phases, to its next compute phase. */
  private advancePhase(thread: number, now: number): void {
    const program = this.threadProgram[thread];
    const start = this.programPhaseStart[program];
    const count = this.programPhaseCount[program];
    const next = start + ((this.threadPhase[thread] - start + 1) % count);
    this.startPhase(thread, next, now);
  }

  private startPhase(thread: number, phase: number, now: number): void {
    this.threadPhase[thread] = phase;
    const kind = this.phaseKind[phase];
    if (kind === PHASE_COMPUTE) {
      this.threadRemaining[thread] = this.phaseAmount[phase];
      if (this.threadRemaining[thread] <= 0) this.advancePhase(thread, now);
      else if (this.threadWake[thread] < now) this.threadWake[thread] = now;
      return;
    }
    if (kind === PHASE_SLEEP) {
      this.threadWasBlocked[thread] = 1;
      // Sleep, then continue with the next phase at the wake-up time.
      const wake = now + this.phaseAmount[phase];
      this.advancePhase(thread, wake);
      this.threadWake[thread] = Math.max(this.threadWake[thread], wake);
      return;
    }
    // Disk: block until the request completes; the completion sets the wake time.
    this.threadWasBlocked[thread] = 1;
    this.threadWake[thread] = Infinity;
    this.enqueueRequest(thread, this.phaseAmount[phase], now);
  }

  private enqueueRequest(thread: number, bytes: number, now: number): void {
    if (this.requestCount === this.requestCapacity) this.growRequests();
    const r = this.requestCount++;
    this.requestThread[r] = thread;
    this.requestBytes[r] = bytes;
    this.requestTime[r] = now;
    this.requestDriverCycles[r] = this.driverCyclesPerRequest + this.driverCyclesPerByte * bytes;
  }

  /** The first request the driver may serve at `t` (FIFO, skipping held VMs), or -1. */
  private nextDriverRequest(t: number): number {
    for (let r = 0; r < this.requestCount; r++) {
      if (this.requestTime[r] > t + TIME_EPSILON) continue;
      if (this.vmDiskHeld[this.threadVm[this.requestThread[r]]] === 1) continue;
      return r;
    }
    return -1;
  }

  /** Runs the driver vCPU: serves queued requests in order, then hands each to the disk. */
  private runDriver(t: number, allowed: number, frequency: number, deltas: Float64Array): number {
    let ran = 0;
    const rates = this.driverRates;
    while (allowed - ran > TIME_EPSILON) {
      const r = this.nextDriverRequest(t + ran);
      if (r < 0) break;
      const needed = this.requestDriverCycles[r] / frequency;
      const dt = Math.min(needed, allowed - ran);
      const cycles = dt * frequency;
      deltas[EVENT_UNHALTED_CYCLES] += cycles;
      for (let e = 1; e < EVENT_COUNT; e++) deltas[e] += cycles * rates[e];
      const client = this.requestThread[r];
      this.vmDriverCycles[this.threadVm[client]] += cycles;
      ran += dt;
      if (needed <= allowed - (ran - dt)) {
        this.pushReady(client, this.requestBytes[r], t + ran);
        this.removeRequest(r);
      } else {
        this.requestDriverCycles[r] -= cycles;
      }
    }
    return ran;
  }

  /** Without a driver VM, requests due by `t1` (and not held) go straight to the disk. */
  private dispatchWithoutDriver(t1: number): void {
    if (this.requestCount === 0) return;
    for (let r = 0; r < this.requestCount; r++) {
      if (this.requestTime[r] <= t1 + TIME_EPSILON && this.vmDiskHeld[this.threadVm[this.requestThread[r]]] === 0) this.pushReady(this.requestThread[r], this.requestBytes[r], this.requestTime[r]);
    }
    this.compactRequests((r) => this.requestTime[r] <= t1 + TIME_EPSILON && this.vmDiskHeld[this.threadVm[this.requestThread[r]]] === 0);
  }

  private removeRequest(r: number): void {
    for (let i = r + 1; i < this.requestCount; i++) {
      this.requestThread[i - 1] = this.requestThread[i];
      this.requestBytes[i - 1] = this.requestBytes[i];
      this.requestTime[i - 1] = this.requestTime[i];
      this.requestDriverCycles[i - 1] = this.requestDriverCycles[i];
    }
    this.requestCount--;
  }

  private compactRequests(drop: (r: number) => boolean): void {
    let w = 0;
    for (let r = 0; r < this.requestCount; r++) {
      if (drop(r)) continue;
      this.requestThread[w] = this.requestThread[r];
      this.requestBytes[w] = this.requestBytes[r];
      this.requestTime[w] = this.requestTime[r];
      this.requestDriverCycles[w] = this.requestDriverCycles[r];
      w++;
    }
    this.requestCount = w;
  }

  private growRequests(): void {
    this.requestThread = doubled(this.requestThread);
    this.requestBytes = doubled(this.requestBytes);
    this.requestTime = doubled(this.requestTime);
    this.requestDriverCycles = doubled(this.requestDriverCycles);
    this.requestCapacity *= 2;
  }

  private pushReady(thread: number, bytes: number, time: number): void {
    if (this.readyCount === this.readyThread.length) {
      this.readyThread = doubled(this.readyThread);
      this.readyBytes = doubled(this.readyBytes);
      this.readyTime = doubled(this.readyTime);
    }
    this.readyThread[this.readyCount] = thread;
    this.readyBytes[this.readyCount] = bytes;
    this.readyTime[this.readyCount] = time;
    this.readyCount++;
  }

  /** Hands the slice's ready requests to the disk in time order (ties: submission order). */
  private flushReadyRequests(): void {
    const n = this.readyCount;
    if (n === 0) return;
    const order = this.readyOrder;
    order.length = n;
    for (let i = 0; i < n; i++) order[i] = i;
    if (n > 1) order.sort((a, b) => this.readyTime[a] - this.readyTime[b] || a - b);
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const thread = this.readyThread[i];
      const bytes = this.readyBytes[i];
      const done = this.disk.submit(this.readyTime[i], bytes);
      this.pushInterval(this.threadVm[thread], done - this.disk.serviceSeconds(bytes), done);
      const vm = this.threadVm[thread];
      this.vmDiskBytes[vm] += bytes;
      this.vmDiskServiceSeconds[vm] += this.disk.serviceSeconds(bytes);
      this.threadWake[thread] = done;
      this.advancePhase(thread, done);
      this.eventCount++;
    }
    this.readyCount = 0;
  }

  private pushInterval(vm: number, start: number, end: number): void {
    if (this.intervalCount === this.intervalVm.length) {
      this.intervalVm = doubled(this.intervalVm);
      this.intervalStart = doubled(this.intervalStart);
      this.intervalEnd = doubled(this.intervalEnd);
    }
    this.intervalVm[this.intervalCount] = vm;
    this.intervalStart[this.intervalCount] = start;
    this.intervalEnd[this.intervalCount] = end;
    this.intervalCount++;
  }

  /**
   * Adds to `perVm` each VM's disk service time inside [from, to) (requests are charged as they are served, not
   * when submitted), and forgets the intervals that end by `to`. Returns the total.
   */
  diskActiveSeconds(from: number, to: number, perVm: Float64Array): number {
    let total = 0;
    let kept = 0;
    for (let i = 0; i < this.intervalCount; i++) {
      const start = this.intervalStart[i];
      const end = this.intervalEnd[i];
      const overlap = Math.min(end, to) - Math.max(start, from);
      if (overlap > 0) {
        perVm[this.intervalVm[i]] += overlap;
        total += overlap;
      }
      if (end > to) {
        this.intervalVm[kept] = this.intervalVm[i];
        this.intervalStart[kept] = start;
        this.intervalEnd[kept] = end;
        kept++;
      }
    }
    this.intervalCount = kept;
    return total;
  }

  private emit(t: number, vcpu: number, core: number, ps: number, seconds: number, deltas: Float64Array, estimate: number, trueJoules: number): void {
    const r = this.record;
    r.timeSeconds = t;
    r.vcpu = vcpu;
    r.core = core;
    r.pState = ps;
    r.seconds = seconds;
    r.deltas.set(deltas);
    r.estimatedJoules = estimate;
    r.trueJoules = trueJoules;
    for (const listener of this.listeners) listener(r);
  }
}

/** A copy of a typed array with twice the room (queues grow by doubling; a request allocates nothing otherwise). */
function doubled<T extends Int32Array | Float64Array>(array: T): T {
  const copy = (array instanceof Int32Array ? new Int32Array(array.length * 2) : new Float64Array(array.length * 2)) as T;
  copy.set(array);
  return copy;
}

/** Event rates as a counter row (index 0, cycles, unused). */
function ratesRow(rates: EventRates | undefined): Float64Array {
  const row = new Float64Array(EVENT_COUNT);
  if (!rates) return row;
  row[EVENT_INSTRUCTIONS] = rates.instructions;
  row[EVENT_L2_MISSES] = rates.l2Misses;
  row[EVENT_MEMORY_ACCESSES] = rates.memoryAccesses;
  row[EVENT_BRANCH_MISPREDICTIONS] = rates.branchMispredictions;
  row[EVENT_FLOATING_POINT] = rates.floatingPoint;
  return row;
}
