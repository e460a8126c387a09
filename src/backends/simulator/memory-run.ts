/**
 * Runs guests on the guest-memory model with the hypervisor's inference attached: one or more VMs, each a
 * `GuestOs` driven by a `FileWorkload`, watched by Geiger (scored against the guest's truth), its working-set
 * estimator and ESX's sampling estimator; their disks local or on a shared storage server with a second-level
 * cache; optionally a memory manager that sets balloon targets every epoch.
 *
 * VMs run interleaved by their clocks (the one furthest behind steps next), so a storage server and a memory
 * manager see them in time order. Same spec and seed ⇒ the same result, to the bit.
 *
 * Also the experiments the scenario format offers on top of a run: the true curve (each VM alone at other memory
 * sizes), the ablation of Geiger's refinements, and remote-cache and memory-manager comparisons.
 */
import { RandomStreams } from '../../kernel/random.js';
import type { FileSystemSpec } from '../../model/guest-os/file-system.js';
import { NO_CACHE_TRUTH, NO_VMM_EVENTS, type BlockDevice } from '../../model/guest-os/guest-events.js';
import { GuestOs, LocalDisk, type GuestCounters, type GuestOsSpec, type JournalMode } from '../../model/guest-os/guest-os.js';
import { FileWorkload, type FileWorkloadSpec } from '../../workload/file-workload.js';
import { GeigerInference, type GeigerCounters, type GeigerOptions } from '../../mechanisms/memory-inference/geiger-inference.js';
import { InferenceScore, type InferenceScoreSummary } from '../../mechanisms/memory-inference/inference-score.js';
import { SamplingEstimator, type SamplingEstimatorOptions } from '../../mechanisms/memory-inference/sampling-estimator.js';
import { StorageServer, type RemotePlacement, type StorageServerCounters } from '../../mechanisms/memory-inference/storage-server.js';
import { WorkingSetEstimator, workingSetFromCurve } from '../../mechanisms/memory-inference/working-set-estimator.js';
import { createMemoryPolicy, type MemoryPolicyOptions, type MemoryVmView } from '../../policies/memory/memory-balloon-policy.js';

/** One VM of a memory run. */
export interface MemoryVmSpec {
  readonly name: string;
  readonly memoryPages: number;
  readonly kernelReservedPages: number;
  readonly fileSystem: FileSystemSpec;
  readonly journalMode: JournalMode;
  readonly workload: FileWorkloadSpec;
}

/** Guest kernel settings shared by the VMs (see `GUEST_OS_DEFAULTS`). */
export type GuestKernelSettings = Omit<GuestOsSpec, 'memoryPages' | 'kernelReservedPages' | 'fileSystem' | 'journalMode'>;

export interface StorageSpec {
  /** Server cache, pages (0: none). */
  readonly cachePages: number;
  readonly placement: RemotePlacement;
  readonly networkRoundTripSeconds: number;
  readonly networkBytesPerSecond: number;
}

export interface MemoryManagerSpec {
  readonly policy: string;
  readonly hostMemoryPages: number;
  readonly epochSeconds: number;
  /** The floor a VM keeps besides the anonymous memory seen, as a fraction of its configured memory. */
  readonly reserveFraction: number;
  readonly options: Partial<MemoryPolicyOptions>;
}

export interface MemoryRunSpec {
  readonly seed: number;
  readonly vms: readonly MemoryVmSpec[];
  readonly kernel: GuestKernelSettings;
  readonly disk: { readonly positioningSeconds: number; readonly transferBytesPerSecond: number };
  readonly inference: GeigerOptions;
  /** Ghost-list capacity, as a multiple of each VM's memory. */
  readonly ghostCapacityFactor: number;
  readonly sampling: SamplingEstimatorOptions;
  /** A shared storage server instead of local disks (null: local disks). */
  readonly storage: StorageSpec | null;
  readonly memoryManager: MemoryManagerSpec | null;
  /** Tolerance of the working-set definition (fraction of avoidable reads left). */
  readonly workingSetTolerance: number;
  /**
   * Score the inference against the guest's truth (default true). Scoring is instrumentation, not inference: a
   * run that only needs the estimates (a benchmark of the mechanism, a memory manager in production) leaves it off.
   */
  readonly score?: boolean;
}

export interface MemoryVmResult {
  readonly name: string;
  readonly memoryPages: number;
  /** Memory at the end (configured minus balloon), pages. */
  readonly finalPages: number;
  readonly completionSeconds: number;
  readonly counters: GuestCounters;
  readonly score: InferenceScoreSummary;
  readonly geiger: GeigerCounters;
  /** Geiger's working-set estimate over the whole run, pages. */
  readonly geigerWorkingSetPages: number;
  /** The sampling estimator's, pages. */
  readonly samplingWorkingSetPages: number;
  /** Geiger's curve over the whole run: memory sizes (pages) and predicted disk reads. */
  readonly estimatedCurve: { readonly sizesPages: number[]; readonly diskReads: number[] };
  /** Remote-cache hits of this VM's reads (0 without a storage server). */
  readonly remoteHits: number;
  readonly remoteReads: number;
}

export interface MemoryManagerStep {
  readonly timeSeconds: number;
  readonly targetsPages: number[];
}

export interface MemoryRunResult {
  readonly vms: MemoryVmResult[];
  readonly storage: StorageServerCounters | null;
  readonly managerSteps: MemoryManagerStep[];
  readonly totalReadHits: number;
  readonly totalReads: number;
  /** Time the balloons took, summed over VMs, seconds. */
  readonly balloonSeconds: number;
}

interface VmState {
  readonly spec: MemoryVmSpec;
  readonly guest: GuestOs;
  readonly workload: FileWorkload;
  readonly geiger: GeigerInference;
  readonly score: InferenceScore;
  /** Whole-run estimator (the curve and working set reported). */
  readonly estimator: WorkingSetEstimator;
  /** Per-epoch estimator (the memory manager's input). */
  readonly windowEstimator: WorkingSetEstimator | null;
  readonly sampler: SamplingEstimator;
  finished: boolean;
  vmIndex: number;
}

function guestSpec(vm: MemoryVmSpec, kernel: GuestKernelSettings): GuestOsSpec {
  return { ...kernel, memoryPages: vm.memoryPages, kernelReservedPages: vm.kernelReservedPages, fileSystem: vm.fileSystem, journalMode: vm.journalMode };
}

/** Runs the VMs with inference, scoring and (if set) the storage server and memory manager. */
export function runMemory(spec: MemoryRunSpec): MemoryRunResult {
  const streams = new RandomStreams(spec.seed);
  const server = spec.storage
    ? new StorageServer({
        cachePages: spec.storage.cachePages,
        placement: spec.storage.placement,
        diskPositioningSeconds: spec.disk.positioningSeconds,
        diskTransferBytesPerSecond: spec.disk.transferBytesPerSecond,
        networkRoundTripSeconds: spec.storage.networkRoundTripSeconds,
        networkBytesPerSecond: spec.storage.networkBytesPerSecond,
      })
    : null;
  const states: VmState[] = spec.vms.map((vm, vmIndex) => {
    const device: BlockDevice = server ? server.device(vmIndex) : new LocalDisk(spec.disk.positioningSeconds, spec.disk.transferBytesPerSecond);
    const guest = new GuestOs(guestSpec(vm, spec.kernel), device, NO_VMM_EVENTS, NO_CACHE_TRUTH);
    const workload = new FileWorkload(vm.workload, guest, streams.get(`workload/${vm.name}`));
    // Attached after the data set exists: the VMM reads the disk's bitmap when it starts watching.
    const geiger = new GeigerInference(guest.fs, vm.memoryPages, spec.inference);
    const scored = spec.score ?? true;
    // Unscored runs keep an empty scorer (its summary is all zeros) rather than per-page and per-block arrays.
    const score = scored ? new InferenceScore(vm.memoryPages, guest.fs.blockCount) : new InferenceScore(1, 1);
    const ghostCapacity = Math.max(1, Math.round(vm.memoryPages * spec.ghostCapacityFactor));
    const estimator = new WorkingSetEstimator(ghostCapacity, guest.fs.blockCount);
    const windowEstimator = spec.memoryManager ? new WorkingSetEstimator(ghostCapacity, guest.fs.blockCount, 256) : null;
    if (scored) geiger.addListener(score);
    geiger.addListener(estimator);
    if (windowEstimator) geiger.addListener(windowEstimator);
    if (server) geiger.addListener(server.evictionListener(vmIndex));
    guest.attach(geiger, scored ? score : NO_CACHE_TRUTH);
    const sampler = new SamplingEstimator(vm.memoryPages, streams.get(`sampling/${vm.name}`), { watch: (page) => guest.watchFrame(page, true), unwatch: (page) => guest.watchFrame(page, false) }, spec.sampling);
    guest.onWatchedAccess(sampler.touch);
    return { spec: vm, guest, workload, geiger, score, estimator, windowEstimator, sampler, finished: false, vmIndex };
  });

  const managerSteps: MemoryManagerStep[] = [];
  let balloonSeconds = 0;
  const manager = spec.memoryManager;
  const policy = manager ? createMemoryPolicy(manager.policy, manager.options) : null;
  if (manager && policy) {
    // Start every VM at its static share: the manager moves memory from there.
    const share = Math.floor(manager.hostMemoryPages / states.length);
    for (const state of states) balloonSeconds += state.guest.setBalloon(state.spec.memoryPages - Math.min(state.spec.memoryPages, share));
  }
  let nextEpoch = manager ? manager.epochSeconds : Infinity;

  if (states.length === 1) {
    // One VM: a tight loop (the common case, and the benchmark's).
    const state = states[0]!;
    const { guest, workload, sampler } = state;
    let nextSample = spec.sampling.periodSeconds;
    while (workload.step()) {
      if (guest.now >= nextSample) {
        sampler.advanceTo(guest.now);
        nextSample = (Math.floor(guest.now / spec.sampling.periodSeconds) + 1) * spec.sampling.periodSeconds;
      }
    }
    state.finished = true;
  } else {
    for (;;) {
      let next: VmState | null = null;
      for (const state of states) if (!state.finished && (next === null || state.guest.now < next.guest.now)) next = state;
      if (next === null) break;
      if (manager && policy && next.guest.now >= nextEpoch) {
        balloonSeconds += rebalance(states, manager, policy, next.guest.now, managerSteps);
        nextEpoch += manager.epochSeconds;
        continue;
      }
      if (!next.workload.step()) next.finished = true;
      next.sampler.advanceTo(next.guest.now);
    }
  }

  // End with a sync, as a guest shut down cleanly does: writes that reused pages reach the disk and the VMM.
  for (const state of states) {
    state.guest.sync();
    state.geiger.flush(state.guest.now);
  }
  const vms = states.map((state) => vmResult(state, spec, server));
  return {
    vms,
    storage: server ? { ...server.counters } : null,
    managerSteps,
    totalReadHits: vms.reduce((sum, vm) => sum + vm.counters.readHits, 0),
    totalReads: vms.reduce((sum, vm) => sum + vm.counters.reads, 0),
    balloonSeconds,
  };
}

/** One memory-manager epoch: views from the window estimators, targets from the policy, balloons moved. */
function rebalance(states: VmState[], manager: MemoryManagerSpec, policy: ReturnType<typeof createMemoryPolicy>, now: number, steps: MemoryManagerStep[]): number {
  const views: MemoryVmView[] = states.map((state) => {
    const current = state.guest.availablePages;
    const curve = state.windowEstimator!.curve(current);
    return {
      name: state.spec.name,
      memoryPages: state.spec.memoryPages,
      currentPages: current,
      floorPages: Math.min(state.spec.memoryPages, Math.ceil(state.geiger.counters.anonymousPages + manager.reserveFraction * state.spec.memoryPages)),
      diskReadsAbove: curve.diskReads,
      binPages: curve.binPages,
      samplingWorkingSetPages: state.sampler.workingSetPages(current),
    };
  });
  const targets = policy.targets(views, manager.hostMemoryPages);
  steps.push({ timeSeconds: now, targetsPages: targets.slice() });
  let seconds = 0;
  // Shrink first, then grow: the host never holds more than its memory.
  const order = states.map((_, i) => i).sort((a, b) => targets[a]! - views[a]!.currentPages - (targets[b]! - views[b]!.currentPages));
  for (const i of order) {
    const state = states[i]!;
    seconds += state.guest.setBalloon(state.spec.memoryPages - targets[i]!);
    state.windowEstimator!.startWindow();
  }
  return seconds;
}

function vmResult(state: VmState, spec: MemoryRunSpec, server: StorageServer | null): MemoryVmResult {
  const { guest, estimator, sampler } = state;
  const current = guest.availablePages;
  const curve = estimator.curve(current);
  const sizesPages: number[] = [];
  const diskReads: number[] = [];
  for (let i = 0; i < curve.diskReads.length; i++) {
    sizesPages.push(current + i * curve.binPages);
    diskReads.push(curve.diskReads[i]!);
  }
  return {
    name: state.spec.name,
    memoryPages: state.spec.memoryPages,
    finalPages: current,
    completionSeconds: guest.now,
    counters: { ...guest.counters },
    score: state.score.summary(),
    geiger: { ...state.geiger.counters },
    geigerWorkingSetPages: workingSetFromCurve(sizesPages, diskReads, spec.workingSetTolerance),
    samplingWorkingSetPages: sampler.workingSetPages(current),
    estimatedCurve: { sizesPages, diskReads },
    remoteHits: server ? (server.vmCacheHits[state.vmIndex] ?? 0) : 0,
    remoteReads: server ? (server.vmBlockReads[state.vmIndex] ?? 0) : 0,
  };
}

/** One point of a true curve: the guest run alone at one memory size. */
export interface TrueCurvePoint {
  readonly memoryPages: number;
  readonly diskReadBlocks: number;
  readonly readMisses: number;
  readonly readHits: number;
}

/**
 * The true curve of one VM: the same workload and seed run alone, with nothing watching, at each memory size.
 * Returns the points and the working set read from them.
 */
export function trueCurve(spec: MemoryRunSpec, vmIndex: number, sizesPages: readonly number[]): { points: TrueCurvePoint[]; workingSetPages: number } {
  const vm = spec.vms[vmIndex]!;
  const points: TrueCurvePoint[] = [];
  for (const memoryPages of [...sizesPages].sort((a, b) => a - b)) {
    const streams = new RandomStreams(spec.seed);
    const sized: MemoryVmSpec = { ...vm, memoryPages };
    const guest = new GuestOs(guestSpec(sized, spec.kernel), new LocalDisk(spec.disk.positioningSeconds, spec.disk.transferBytesPerSecond), NO_VMM_EVENTS, NO_CACHE_TRUTH);
    const workload = new FileWorkload(vm.workload, guest, streams.get(`workload/${vm.name}`));
    while (workload.step()) {
      /* run to the end */
    }
    points.push({ memoryPages, diskReadBlocks: guest.counters.diskReadBlocks, readMisses: guest.counters.readMisses, readHits: guest.counters.readHits });
  }
  const workingSetPages = workingSetFromCurve(
    points.map((p) => p.memoryPages),
    points.map((p) => p.diskReadBlocks),
    spec.workingSetTolerance,
  );
  return { points, workingSetPages };
}
