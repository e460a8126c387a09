/**
 * Double scheduling on one host: a hypervisor scheduling vCPUs on cores, and inside each SMP VM a guest
 * scheduling its threads on its online vCPUs, with the synchronisation that makes the two interfere —
 * spinlocks, adaptive mutexes, barriers, bounded pipeline queues and TLB-shootdown IPIs.
 *
 * What it models (sources and defaults in docs/models/vcpu-ballooning.md):
 * - Hypervisor: KVM on Linux CFS. A per-core run queue of vCPU threads ordered by virtual runtime; a slice of
 *   `latency / runnable` but at least the minimum granularity, and earlier (checked every minimum granularity, as
 *   the tick does) when the leftmost waiter is behind by more than a slice; a waking vCPU is placed at
 *   `max(vruntime, min_vruntime − latency/2)` and preempts the running one when that one is ahead of it by more than
 *   the wake-up granularity; a waking vCPU goes to its previous core if idle, else to an idle core, else back to its
 *   previous core; an idle core pulls a waiting vCPU from the busiest queue, and every few milliseconds waiting
 *   vCPUs move from the busiest queue to the least busy one (periodic load balancing).
 * - Pause-loop exits: a vCPU that spins (PAUSE in a loop, the loop shorter than `ple_gap` cycles) for
 *   `ple_window` cycles exits to the hypervisor; the window doubles at each exit and resets when the vCPU is next
 *   scheduled in (KVM's grow 2, shrink 0). At an exit KVM yields to a preempted vCPU of the same VM, round robin
 *   after the last one boosted (`kvm_vcpu_on_spin` → `yield_to`): the target runs next on its core, preempting
 *   what ran there, and the spinner gives up its core.
 * - Relaxed co-scheduling (VMware ESX): each vCPU's progress (time running or halted) is tracked; a vCPU ahead of
 *   its slowest sibling by more than the skew threshold is co-stopped until the laggard has caught up.
 * - Guest: Linux CFS per vCPU over the threads assigned to it (slices from the same rule, guest time running only
 *   while the vCPU runs); a waking thread goes to its previous vCPU if the guest thinks it idle, else to an idle
 *   vCPU, else to its previous one; a vCPU with nothing to run pulls a waiting thread from the busiest sibling,
 *   else halts (HLT exits: the hypervisor blocks the vCPU). Waking a thread on a halted vCPU is an IPI that
 *   makes the hypervisor wake that vCPU. The guest cannot see that a vCPU is preempted: to it, that vCPU is busy.
 * - Locks: ticket spinlocks (kernel-style: FIFO hand-off, so the next waiter owns the lock even while its vCPU is
 *   preempted; not preemptible by the guest), test-and-set spinlocks with PAUSE (glibc `pthread_spin_lock`),
 *   adaptive mutexes (spin for a bounded time, then block; a release hands the lock to a spinning waiter whose
 *   vCPU runs, else wakes the first blocked one, which retries when it runs). Barriers: waiters spin for a bounded
 *   time, then block; the last arrival wakes everyone; PARSEC's barrier also takes its own mutex to arrive and to
 *   leave through a busy trylock loop without PAUSE (invisible to PLE). A TLB shootdown sends an IPI to every
 *   sibling vCPU that runs a thread and busy-waits, not preemptible, until each has run its handler — a preempted
 *   target answers only when the hypervisor runs it again. Pipelines: bounded queues between stages.
 * - vCPU hot-plug: going offline migrates the vCPU's threads to the other online vCPUs and then costs
 *   `offlineCostSeconds` of CPU on that vCPU; coming online costs `onlineCostSeconds` before it takes threads.
 *
 * Counters per VM: useful work, spin time, pause-loop exits, directed yields, lock-holder preemptions (a vCPU
 * descheduled while its thread holds a lock), lock-waiter preemptions (holding the next ticket), stacking (a
 * core runs a spinning vCPU while the vCPU it waits for sits in the same core's queue), barrier waits, IPI waits,
 * and co-stops.
 *
 * Hot path: every core, vCPU, thread, lock and queue is an integer index into typed arrays, events live in the
 * kernel's typed-array heap with a generation number for cancellation, and an event allocates nothing — a
 * 12-core host with 48 vCPUs runs tens of millions of events a minute of simulated time.
 */

import { EventQueue } from '../../kernel/event-queue.js';
import { RandomStream } from '../../kernel/random.js';
import type { ParallelProfile } from '../../workload/parallel-profile.js';

/** Hypervisor scheduling of vCPUs. `flexcore` is fair share with vCPU ballooning (see the balloon policies). */
export type HypervisorSchedulerName = 'fair-share' | 'co-scheduling' | 'flexcore';

/** Linux CFS tunables (the same rule serves the host and the guests). */
export interface CfsParameters {
  /** Targeted scheduling latency, seconds (Linux: 6 ms × (1 + log2 min(cpus, 8)) = 24 ms on 8+ CPUs). */
  readonly latencySeconds: number;
  /** Minimum slice, seconds (Linux: 0.75 ms × the same factor = 3 ms). */
  readonly minGranularitySeconds: number;
  /** Wake-up preemption granularity, seconds (Linux: 1 ms × the factor = 4 ms). */
  readonly wakeupGranularitySeconds: number;
}

/** Pause-loop exiting (Intel VT-x PAUSE-loop exiting as KVM sets it). */
export interface PleParameters {
  readonly enabled: boolean;
  /** Cycles of spinning before an exit (KVM `ple_window`, default 4096). */
  readonly windowCycles: number;
  /** Largest PAUSE-to-PAUSE distance still counted as one loop, cycles (KVM `ple_gap`, default 128). */
  readonly gapCycles: number;
  /** Window growth factor at each exit (KVM `ple_window_grow`, default 2). */
  readonly windowGrow: number;
  /** Largest window, cycles. */
  readonly windowMaxCycles: number;
  /** Cycles between two PAUSEs of a guest spin loop (must be ≤ gap for exits to happen). */
  readonly spinLoopCycles: number;
  /** Yield to a preempted sibling at an exit (KVM `kvm_vcpu_on_spin`). */
  readonly directedYield: boolean;
}

export interface CoSchedulingParameters {
  /** Skew beyond which a leading vCPU is co-stopped, seconds. */
  readonly skewThresholdSeconds: number;
  /** A co-stopped vCPU restarts once its lead is below this share of the threshold. */
  readonly restartFraction: number;
  /** Period of the skew check, seconds. */
  readonly checkPeriodSeconds: number;
}

/** One SMP VM. */
export interface SmpVmSpec {
  readonly name: string;
  /** vCPUs the VM has (hot-pluggable slots). */
  readonly maxVcpus: number;
  /** vCPUs online at start. */
  readonly initialVcpus: number;
  /** CFS weight of each vCPU thread (1024 = nice 0). */
  readonly weight: number;
  readonly program: ParallelProfile;
  /** Threads of the program (resolved: the profile's, or maxVcpus). */
  readonly threads: number;
  /** Restart the program when it completes (background load) instead of stopping. */
  readonly repeat: boolean;
}

export interface SmpMachineSpec {
  readonly coreCount: number;
  /** Core clock, Hz (turns PLE cycles into seconds). */
  readonly clockHz: number;
  readonly scheduler: HypervisorSchedulerName;
  readonly cfs: CfsParameters;
  readonly guestCfs: CfsParameters;
  readonly ple: PleParameters;
  readonly coScheduling: CoSchedulingParameters;
  /** Period of the hypervisor's load balancing between cores, seconds. */
  readonly balancePeriodSeconds: number;
  /** Delay from an IPI's send to its handler's end on a running target, seconds. */
  readonly ipiSeconds: number;
  readonly offlineCostSeconds: number;
  readonly onlineCostSeconds: number;
  readonly vms: readonly SmpVmSpec[];
  readonly seed: number;
}

/** Per-VM counters, all cumulative. */
export interface SmpVmCounters {
  readonly usefulSeconds: Float64Array;
  readonly spinSeconds: Float64Array;
  readonly hotplugSeconds: Float64Array;
  readonly runSeconds: Float64Array;
  readonly pleExits: Float64Array;
  readonly directedYields: Float64Array;
  readonly lockHolderPreemptions: Float64Array;
  readonly lockWaiterPreemptions: Float64Array;
  readonly stackingEvents: Float64Array;
  readonly barrierWaitSeconds: Float64Array;
  readonly ipiWaitSeconds: Float64Array;
  readonly ipisSent: Float64Array;
  readonly coStops: Float64Array;
  readonly vcpuOfflines: Float64Array;
  readonly vcpuOnlines: Float64Array;
  /** ∫ online vCPUs dt, vCPU·seconds. */
  readonly onlineVcpuSeconds: Float64Array;
  /** ∫ runnable threads dt (running, waiting for a vCPU, or spinning), thread·seconds. */
  readonly runnableThreadSeconds: Float64Array;
}

// vCPU states.
const V_OFFLINE = 0;
const V_IDLE = 1; // halted: blocked in the hypervisor
const V_READY = 2; // runnable, waiting for its core
const V_RUNNING = 3;
const V_COSTOPPED = 4;

// Thread states.
const T_READY = 0; // waiting on its vCPU's guest run queue
const T_CURRENT = 1; // the current thread of its vCPU (runs while the vCPU runs)
const T_BLOCKED = 2;
const T_DONE = 3;

// What a thread is doing or trying to do.
const OP_COMPUTE = 0; // work, threadWork seconds left
const OP_CRITICAL = 1; // work holding threadLock
const OP_LOCK = 2; // acquiring threadLock (spins / blocks)
const OP_SHOOTDOWN = 3; // waiting for IPI acknowledgements
const OP_BARRIER = 4; // waiting at the barrier of generation threadBarrierGeneration
const OP_GET = 5; // pipeline: taking an item from the input queue
const OP_PUT = 6; // pipeline: putting an item into the output queue
const OP_NEXT = 7; // decide what comes next

// Event kinds.
const EV_THREAD = 0; // a thread's timed stretch ends (work done or spin budget used)
const EV_SLICE = 1; // a core's hypervisor slice ends
const EV_PLE = 2; // a spinning vCPU's pause-loop window is exhausted
const EV_GUEST_SLICE = 3; // a vCPU's guest slice ends
const EV_HOTPLUG = 4; // a vCPU's hot-plug work ends
const EV_SKEW = 5; // co-scheduling skew check
const EV_CONTROL = 6; // a registered controller (b = 1: a one-off request)
const EV_RESTART = 7; // a repeating VM starts its program again
const EV_RESCHED = 8; // a core checks wake-up preemption (deferred: never inside another vCPU's step)
const EV_BALANCE = 9; // periodic load balancing between the cores' run queues

// Lock kinds.
const LOCK_MUTEX = 0; // adaptive mutex: bounded spin, then block (futex)
const LOCK_TICKET = 1; // kernel ticket spinlock: FIFO hand-off, PAUSE loop, not preemptible by the guest
const LOCK_TAS = 2; // user test-and-set spinlock with PAUSE (glibc pthread_spin_lock)
const LOCK_TAS_NO_PAUSE = 3; // busy trylock loop without PAUSE (PARSEC's barrier mutex): invisible to PLE

/**
 * Cost of a FUTEX_WAKE per woken thread inside the waker's critical section, seconds: an assumption of the order
 * of a system call plus a remote wake-up (about a microsecond on current x86 Linux).
 */
const FUTEX_WAKE_SECONDS = 1e-6;

const NONE = -1;
const EPSILON = 1e-12;

/**
 * The machine. Build from a spec, register controllers with {@link every}, then {@link runUntil} or
 * {@link runToCompletion}. Controllers act through {@link setOnlineTarget}.
 */
export class SmpMachine {
  readonly spec: SmpMachineSpec;
  readonly coreCount: number;
  readonly vmCount: number;
  readonly vcpuCount: number;
  readonly threadCount: number;
  now = 0;
  eventCount = 0;
  readonly counters: SmpVmCounters;
  /** Completion times of each VM's program runs, seconds since the run started. */
  readonly completions: number[][];
  /** Start time of each VM's current run. */
  private readonly runStart: Float64Array;

  private readonly queue = new EventQueue(4096);
  private readonly cfs: CfsParameters;
  private readonly guestCfs: CfsParameters;
  private readonly ple: PleParameters;
  private readonly pleDetects: boolean;

  // --- cores
  private readonly coreRunning: Int32Array;
  private readonly coreGen: Int32Array;
  private readonly coreMinVruntime: Float64Array;
  private readonly coreReady: Int32Array;
  private readonly coreNext: Int32Array;
  private readonly coreSkip: Int32Array;
  readonly coreBusySeconds: Float64Array;

  // --- vCPUs
  readonly vcpuVm: Int32Array;
  private readonly vcpuLocal: Int32Array;
  private readonly vcpuState: Uint8Array;
  private readonly vcpuCore: Int32Array;
  private readonly vcpuVruntime: Float64Array;
  private readonly vcpuWeightFactor: Float64Array;
  private readonly vcpuRunStart: Float64Array;
  private readonly vcpuSliceEnd: Float64Array;
  private readonly vcpuThread: Int32Array;
  private readonly vcpuReadyThreads: Int32Array;
  private readonly vcpuAssigned: Int32Array;
  private readonly vcpuGen: Int32Array;
  private readonly vcpuPleWindow: Float64Array;
  private readonly vcpuPleArmed: Uint8Array;
  /** Generations of the PLE and guest-slice timers (bumped to cancel one), and whether a guest slice is armed. */
  private readonly vcpuPleGen: Int32Array;
  private readonly vcpuGuestGen: Int32Array;
  private readonly vcpuGuestArmed: Uint8Array;
  private readonly vcpuIpiPending: Int32Array;
  /** 0: none; 1: going offline; 2: coming online. */
  private readonly vcpuHotplug: Uint8Array;
  private readonly vcpuHotplugLeft: Float64Array;
  private readonly vcpuProgress: Float64Array;
  private readonly vcpuProgressSince: Float64Array;
  private readonly vcpuGuestSliceStart: Float64Array;

  // --- VMs
  private readonly vmFirstVcpu: Int32Array;
  private readonly vmVcpus: Int32Array;
  private readonly vmFirstThread: Int32Array;
  private readonly vmThreads: Int32Array;
  readonly vmOnline: Int32Array;
  private readonly vmTargetOnline: Int32Array;
  private readonly vmLastBoosted: Int32Array;
  private readonly vmRunnable: Int32Array;
  private readonly vmChangeTime: Float64Array;
  private readonly vmActive: Int32Array;
  private readonly vmBarrierArrived: Int32Array;
  private readonly vmBarrierGeneration: Int32Array;
  private readonly vmFirstLock: Int32Array;
  /** The lock inside each VM's barrier (PARSEC's barrier mutex), or NONE. */
  private readonly vmBarrierLock: Int32Array;
  private readonly vmFirstQueue: Int32Array;
  private readonly vmItemsLeft: Float64Array;
  /** Threads blocked on a pipeline queue, per VM. */
  private readonly vmQueueBlocked: Int32Array;
  private readonly profiles: ParallelProfile[];
  private readonly vmGrains: Int32Array;
  private readonly vmStages: Int32Array;

  // --- locks and queues
  private readonly lockHolder: Int32Array;
  private readonly lockSpin: Uint8Array;
  /** Threads trying to take each lock (from deciding to take it until they hold it). */
  private readonly lockWaiting: Int32Array;
  private readonly queueCount: Int32Array;
  private readonly queueCapacity: Int32Array;
  /** Threads of the stage feeding a queue still running (0: the queue gets no more items). */
  private readonly stageActive: Int32Array;

  // --- threads
  readonly threadVm: Int32Array;
  readonly threadVcpu: Int32Array;
  private readonly threadState: Uint8Array;
  private readonly threadOp: Uint8Array;
  private readonly threadWork: Float64Array;
  private readonly threadSpinLeft: Float64Array;
  private readonly threadSince: Float64Array;
  private readonly threadGen: Int32Array;
  private readonly threadVruntime: Float64Array;
  private readonly threadLock: Int32Array;
  private readonly threadWaitSince: Float64Array;
  private readonly threadGrainsDone: Int32Array;
  private readonly threadLocksLeft: Int32Array;
  private readonly threadShootdownsLeft: Int32Array;
  private readonly threadBarrierGeneration: Int32Array;
  /** 0: not in a barrier's lock; 1: taking it to arrive; 2: taking it to leave. */
  private readonly threadBarrierPhase: Uint8Array;
  private readonly threadBarrierSince: Float64Array;
  private readonly threadStage: Int32Array;
  private readonly threadIpiWaiting: Int32Array;
  private readonly threadIpiDoneAt: Float64Array;
  /** IPI targets each sender still waits for: threadCount × (largest VM's vCPUs) flags. */
  private readonly ipiPending: Uint8Array;
  private readonly ipiStride: number;
  private readonly random: RandomStream;
  private readonly controllers: { period: number; run: (now: number) => void }[] = [];

  constructor(spec: SmpMachineSpec) {
    this.spec = spec;
    this.coreCount = spec.coreCount;
    this.vmCount = spec.vms.length;
    this.cfs = spec.cfs;
    this.guestCfs = spec.guestCfs;
    this.ple = spec.ple;
    this.pleDetects = spec.ple.enabled && spec.ple.spinLoopCycles <= spec.ple.gapCycles;
    this.random = new RandomStream(spec.seed, 'smp-machine');
    const C = spec.coreCount;
    this.coreRunning = new Int32Array(C).fill(NONE);
    this.coreGen = new Int32Array(C);
    this.coreMinVruntime = new Float64Array(C);
    this.coreReady = new Int32Array(C);
    this.coreNext = new Int32Array(C).fill(NONE);
    this.coreSkip = new Int32Array(C).fill(NONE);
    this.coreBusySeconds = new Float64Array(C);

    let vcpuCount = 0;
    let threadCount = 0;
    let lockCount = 0;
    let queueCount = 0;
    let widest = 1;
    for (const vm of spec.vms) {
      vcpuCount += vm.maxVcpus;
      threadCount += vm.threads;
      lockCount += Math.max(1, vm.program.lockCount) + 1;
      queueCount += vm.program.structure === 'pipeline' ? (vm.program.pipelineStages ?? 1) : 0;
      widest = Math.max(widest, vm.maxVcpus);
    }
    this.vcpuCount = vcpuCount;
    this.threadCount = threadCount;
    const V = vcpuCount;
    const T = threadCount;
    const M = this.vmCount;
    this.vcpuVm = new Int32Array(V);
    this.vcpuLocal = new Int32Array(V);
    this.vcpuState = new Uint8Array(V);
    this.vcpuCore = new Int32Array(V);
    this.vcpuVruntime = new Float64Array(V);
    this.vcpuWeightFactor = new Float64Array(V);
    this.vcpuRunStart = new Float64Array(V);
    this.vcpuSliceEnd = new Float64Array(V);
    this.vcpuThread = new Int32Array(V).fill(NONE);
    this.vcpuReadyThreads = new Int32Array(V);
    this.vcpuAssigned = new Int32Array(V);
    this.vcpuGen = new Int32Array(V);
    this.vcpuPleWindow = new Float64Array(V);
    this.vcpuPleArmed = new Uint8Array(V);
    this.vcpuPleGen = new Int32Array(V);
    this.vcpuGuestGen = new Int32Array(V);
    this.vcpuGuestArmed = new Uint8Array(V);
    this.vcpuIpiPending = new Int32Array(V);
    this.vcpuHotplug = new Uint8Array(V);
    this.vcpuHotplugLeft = new Float64Array(V);
    this.vcpuProgress = new Float64Array(V);
    this.vcpuProgressSince = new Float64Array(V);
    this.vcpuGuestSliceStart = new Float64Array(V);

    this.vmFirstVcpu = new Int32Array(M);
    this.vmVcpus = new Int32Array(M);
    this.vmFirstThread = new Int32Array(M);
    this.vmThreads = new Int32Array(M);
    this.vmOnline = new Int32Array(M);
    this.vmTargetOnline = new Int32Array(M);
    this.vmLastBoosted = new Int32Array(M);
    this.vmRunnable = new Int32Array(M);
    this.vmChangeTime = new Float64Array(M);
    this.vmActive = new Int32Array(M);
    this.vmBarrierArrived = new Int32Array(M);
    this.vmBarrierGeneration = new Int32Array(M);
    this.vmFirstLock = new Int32Array(M);
    this.vmBarrierLock = new Int32Array(M).fill(NONE);
    this.vmFirstQueue = new Int32Array(M);
    this.vmItemsLeft = new Float64Array(M);
    this.vmQueueBlocked = new Int32Array(M);
    this.vmGrains = new Int32Array(M);
    this.vmStages = new Int32Array(M);
    this.profiles = spec.vms.map((vm) => vm.program);
    this.runStart = new Float64Array(M);
    this.completions = spec.vms.map(() => []);
    this.lockHolder = new Int32Array(lockCount).fill(NONE);
    this.lockSpin = new Uint8Array(lockCount);
    this.lockWaiting = new Int32Array(lockCount);
    this.queueCount = new Int32Array(queueCount);
    this.queueCapacity = new Int32Array(queueCount);
    this.stageActive = new Int32Array(queueCount);

    this.threadVm = new Int32Array(T);
    this.threadVcpu = new Int32Array(T);
    this.threadState = new Uint8Array(T);
    this.threadOp = new Uint8Array(T);
    this.threadWork = new Float64Array(T);
    this.threadSpinLeft = new Float64Array(T);
    this.threadSince = new Float64Array(T);
    this.threadGen = new Int32Array(T);
    this.threadVruntime = new Float64Array(T);
    this.threadLock = new Int32Array(T).fill(NONE);
    this.threadWaitSince = new Float64Array(T);
    this.threadGrainsDone = new Int32Array(T);
    this.threadLocksLeft = new Int32Array(T);
    this.threadShootdownsLeft = new Int32Array(T);
    this.threadBarrierGeneration = new Int32Array(T);
    this.threadBarrierPhase = new Uint8Array(T);
    this.threadBarrierSince = new Float64Array(T);
    this.threadStage = new Int32Array(T);
    this.threadIpiWaiting = new Int32Array(T);
    this.threadIpiDoneAt = new Float64Array(T);
    this.ipiStride = widest;
    this.ipiPending = new Uint8Array(T * widest);
    const z = () => new Float64Array(M);
    this.counters = {
      usefulSeconds: z(), spinSeconds: z(), hotplugSeconds: z(), runSeconds: z(), pleExits: z(), directedYields: z(),
      lockHolderPreemptions: z(), lockWaiterPreemptions: z(), stackingEvents: z(), barrierWaitSeconds: z(),
      ipiWaitSeconds: z(), ipisSent: z(), coStops: z(), vcpuOfflines: z(), vcpuOnlines: z(), onlineVcpuSeconds: z(),
      runnableThreadSeconds: z(),
    };

    let vcpu = 0;
    let thread = 0;
    let lock = 0;
    let queue = 0;
    for (let vm = 0; vm < M; vm++) {
      const v = spec.vms[vm];
      const p = v.program;
      if (!(v.maxVcpus >= 1 && v.initialVcpus >= 1 && v.initialVcpus <= v.maxVcpus)) throw new RangeError(`SmpMachine: VM ${v.name}: initialVcpus must be within 1..maxVcpus`);
      if (!(v.threads >= 1)) throw new RangeError(`SmpMachine: VM ${v.name}: needs at least one thread`);
      this.vmFirstVcpu[vm] = vcpu;
      this.vmVcpus[vm] = v.maxVcpus;
      this.vmFirstThread[vm] = thread;
      this.vmThreads[vm] = v.threads;
      this.vmFirstLock[vm] = lock;
      const kind = p.lockKind === 'mutex' ? LOCK_MUTEX : p.lockKind === 'ticket' ? LOCK_TICKET : LOCK_TAS;
      for (let k = 0; k < Math.max(1, p.lockCount); k++) this.lockSpin[lock + k] = kind;
      lock += Math.max(1, p.lockCount);
      this.lockSpin[lock] = LOCK_TAS_NO_PAUSE;
      if ((p.barrierLockSeconds ?? 0) > 0) this.vmBarrierLock[vm] = lock;
      lock++;
      this.vmFirstQueue[vm] = queue;
      const stages = p.structure === 'pipeline' ? Math.max(1, Math.min(p.pipelineStages ?? 1, v.threads)) : 0;
      this.vmStages[vm] = stages;
      for (let s = 0; s < stages; s++) this.queueCapacity[queue + s] = Math.max(1, p.queueCapacity ?? 1);
      queue += p.structure === 'pipeline' ? (p.pipelineStages ?? 1) : 0;
      // Every thread of a data-parallel program does the same number of grains, so barrier counts match.
      this.vmGrains[vm] = Math.max(1, Math.round(p.totalWorkSeconds / (v.threads * p.grainSeconds)));
      for (let i = 0; i < v.maxVcpus; i++) {
        this.vcpuVm[vcpu] = vm;
        this.vcpuLocal[vcpu] = i;
        this.vcpuWeightFactor[vcpu] = 1024 / v.weight;
        this.vcpuPleWindow[vcpu] = spec.ple.windowCycles;
        // Spread: vCPU i of every VM starts on core (i + vm) mod cores, so each core gets an equal share.
        this.vcpuCore[vcpu] = (i + vm) % C;
        this.vcpuState[vcpu] = i < v.initialVcpus ? V_IDLE : V_OFFLINE;
        vcpu++;
      }
      this.vmOnline[vm] = v.initialVcpus;
      this.vmTargetOnline[vm] = v.initialVcpus;
      for (let i = 0; i < v.threads; i++) {
        this.threadVm[thread] = vm;
        this.threadVcpu[thread] = this.vmFirstVcpu[vm] + (i % v.initialVcpus);
        this.threadState[thread] = T_BLOCKED;
        thread++;
      }
    }
  }

  // ------------------------------------------------------------------ public surface

  /**
   * Registers `run(now)` every `periodSeconds`; the first call comes after `firstAfterSeconds` (default 0: at
   * once). Returns the controller's index for {@link requestControl}.
   */
  every(periodSeconds: number, run: (now: number) => void, firstAfterSeconds = 0): number {
    if (!(periodSeconds > 0)) throw new RangeError(`SmpMachine.every: period must be positive, got ${periodSeconds}`);
    this.controllers.push({ period: periodSeconds, run });
    this.queue.push(this.now + firstAfterSeconds, 0, EV_CONTROL, this.controllers.length - 1, 0);
    return this.controllers.length - 1;
  }

  /** Runs controller `index` (from {@link every}) once more at the current instant, after the event in progress. */
  requestControl(index: number): void {
    this.queue.push(this.now, 0, EV_CONTROL, index, 1);
  }

  /** Starts every VM's program. Called once, before running. */
  start(): void {
    for (let vm = 0; vm < this.vmCount; vm++) this.startProgram(vm);
    if (this.spec.scheduler === 'co-scheduling') this.queue.push(this.spec.coScheduling.checkPeriodSeconds, 0, EV_SKEW, 0, 0);
    this.queue.push(this.spec.balancePeriodSeconds, 4, EV_BALANCE, 0, 0);
  }

  /** Online vCPUs a VM is asked to have; the guest offlines or onlines vCPUs (with their costs) to reach it. */
  setOnlineTarget(vm: number, target: number): void {
    const t = Math.max(1, Math.min(this.vmVcpus[vm], Math.round(target)));
    this.vmTargetOnline[vm] = t;
    this.reconcile(vm);
  }

  /** Brings a VM's integrals (online vCPU·seconds, runnable thread·seconds) up to now, for reading. */
  touchCounters(vm: number): void {
    this.touchVm(vm);
  }

  /** vCPUs of a VM that are online and not going offline. */
  onlineVcpus(vm: number): number {
    return this.vmOnline[vm];
  }

  maxVcpus(vm: number): number {
    return this.vmVcpus[vm];
  }

  /** VMs 0..watched−1 are the ones {@link runToCompletion} waits for (default: all). */
  watched = Number.MAX_SAFE_INTEGER;

  /** Watched VMs that completed their program at least once (kept as a count: it is read after every event). */
  private watchedDone = 0;

  /** Whether every watched VM completed its program at least once. */
  get finished(): boolean {
    return this.watchedDone >= Math.min(this.vmCount, this.watched);
  }

  /** Runs until `endSeconds` or until the event set empties. */
  runUntil(endSeconds: number): void {
    const q = this.queue;
    while (q.size > 0 && q.peekTime() <= endSeconds) {
      q.pop();
      this.now = q.topTime;
      this.eventCount++;
      this.dispatch(q.topKind, q.topA, q.topB);
    }
    this.settle(endSeconds);
  }

  /** Runs until every VM completed its program once (or `limitSeconds`). Returns the time reached. */
  runToCompletion(limitSeconds: number): number {
    const q = this.queue;
    while (q.size > 0 && !this.finished) {
      if (q.peekTime() > limitSeconds) break;
      q.pop();
      this.now = q.topTime;
      this.eventCount++;
      this.dispatch(q.topKind, q.topA, q.topB);
    }
    const end = this.finished ? this.now : limitSeconds;
    this.settle(end);
    return end;
  }

  /**
   * Brings every running stretch's accounting up to `t` (without changing any decision), so counters can be
   * read. Running vCPUs and threads are accounted up to t and continue from there.
   */
  private settle(t: number): void {
    this.now = t;
    for (let c = 0; c < this.coreCount; c++) {
      const v = this.coreRunning[c];
      if (v === NONE) continue;
      this.accountVcpu(v, t);
    }
    for (let vm = 0; vm < this.vmCount; vm++) this.touchVm(vm);
  }

  /** A thread is on a vCPU it may not run on (an offline one): the invariant the tests check. */
  offlineViolations(): number {
    let bad = 0;
    for (let th = 0; th < this.threadCount; th++) {
      if (this.threadState[th] === T_DONE || this.threadState[th] === T_BLOCKED) continue;
      if (this.vcpuState[this.threadVcpu[th]] === V_OFFLINE) bad++;
    }
    for (let v = 0; v < this.vcpuCount; v++) if (this.vcpuState[v] === V_OFFLINE && this.vcpuThread[v] !== NONE) bad++;
    return bad;
  }

  /** Total simulated CPU time the cores spent running vCPUs, seconds. */
  busySeconds(): number {
    let s = 0;
    for (let c = 0; c < this.coreCount; c++) s += this.coreBusySeconds[c];
    return s;
  }

  // ------------------------------------------------------------------ event dispatch

  private dispatch(kind: number, a: number, b: number): void {
    switch (kind) {
      case EV_THREAD:
        if (this.threadGen[a] === b) this.threadTimer(a);
        return;
      case EV_SLICE:
        if (this.coreGen[a] === b) this.sliceEnd(a);
        return;
      case EV_PLE:
        if (this.vcpuPleGen[a] === b) this.pleExit(a);
        return;
      case EV_GUEST_SLICE:
        if (this.vcpuGuestGen[a] === b) this.guestSliceEnd(a);
        return;
      case EV_HOTPLUG:
        if (this.vcpuGen[a] === b) this.hotplugDone(a);
        return;
      case EV_SKEW:
        this.skewCheck();
        this.queue.push(this.now + this.spec.coScheduling.checkPeriodSeconds, 0, EV_SKEW, 0, 0);
        return;
      case EV_CONTROL: {
        const c = this.controllers[a];
        c.run(this.now);
        if (b === 0) this.queue.push(this.now + c.period, 0, EV_CONTROL, a, 0);
        return;
      }
      case EV_RESTART:
        this.startProgram(a);
        return;
      case EV_RESCHED:
        if (this.coreGen[a] === b) this.checkPreempt(a);
        return;
      case EV_BALANCE:
        this.balance();
        this.queue.push(this.now + this.spec.balancePeriodSeconds, 4, EV_BALANCE, 0, 0);
        return;
    }
  }

  // ------------------------------------------------------------------ accounting

  /** Per-VM integrals (online vCPUs, runnable threads) up to now. */
  private touchVm(vm: number): void {
    const dt = this.now - this.vmChangeTime[vm];
    if (dt > 0) {
      this.counters.onlineVcpuSeconds[vm] += dt * this.vmOnline[vm];
      this.counters.runnableThreadSeconds[vm] += dt * this.vmRunnable[vm];
    }
    this.vmChangeTime[vm] = this.now;
  }

  private setRunnable(vm: number, delta: number): void {
    this.touchVm(vm);
    this.vmRunnable[vm] += delta;
  }

  /** Charges a running vCPU (and its current thread) for [runStart, t) and restarts the stretch at t. */
  private accountVcpu(v: number, t: number): void {
    const dt = t - this.vcpuRunStart[v];
    if (dt <= 0) return;
    const vm = this.vcpuVm[v];
    this.vcpuRunStart[v] = t;
    this.counters.runSeconds[vm] += dt;
    this.coreBusySeconds[this.vcpuCore[v]] += dt;
    this.vcpuVruntime[v] += dt * this.vcpuWeightFactor[v];
    if (this.vcpuHotplug[v] !== 0) {
      this.vcpuHotplugLeft[v] -= dt;
      this.counters.hotplugSeconds[vm] += dt;
      return;
    }
    const th = this.vcpuThread[v];
    if (th !== NONE) this.accountThread(th, t);
  }

  private accountThread(th: number, t: number): void {
    const dt = t - this.threadSince[th];
    if (dt <= 0) return;
    this.threadSince[th] = t;
    this.threadVruntime[th] += dt;
    const op = this.threadOp[th];
    const vm = this.threadVm[th];
    if (op === OP_COMPUTE || op === OP_CRITICAL) {
      this.threadWork[th] -= dt;
      this.counters.usefulSeconds[vm] += dt;
    } else {
      this.threadSpinLeft[th] -= dt;
      this.counters.spinSeconds[vm] += dt;
    }
  }

  // ------------------------------------------------------------------ vCPU state changes

  private setVcpuState(v: number, state: number): void {
    const old = this.vcpuState[v];
    if (old === state) return;
    // Co-scheduling progress: a vCPU progresses while running or halted.
    const progressing = old === V_RUNNING || old === V_IDLE;
    if (progressing) this.vcpuProgress[v] += this.now - this.vcpuProgressSince[v];
    if (state === V_RUNNING || state === V_IDLE) this.vcpuProgressSince[v] = this.now;
    if (old === V_READY) this.coreReady[this.vcpuCore[v]]--;
    if (state === V_READY) this.coreReady[this.vcpuCore[v]]++;
    this.vcpuState[v] = state;
  }

  /** Takes a running vCPU off its core; `state` is where it goes (ready, idle, offline, co-stopped). */
  private deschedule(v: number, state: number): void {
    const core = this.vcpuCore[v];
    this.accountVcpu(v, this.now);
    const th = this.vcpuThread[v];
    if ((state === V_READY || state === V_COSTOPPED) && th !== NONE) {
      // Preempted in the middle of something the guest believes is running.
      const op = this.threadOp[th];
      const vm = this.vcpuVm[v];
      if (op === OP_CRITICAL) this.counters.lockHolderPreemptions[vm]++;
      else if (op === OP_LOCK && this.threadLock[th] !== NONE && this.lockHolder[this.threadLock[th]] === th) this.counters.lockWaiterPreemptions[vm]++;
    }
    this.vcpuGen[v]++; // cancels the vCPU's hot-plug timer
    this.cancelPle(v);
    this.cancelGuestSlice(v);
    if (th !== NONE) this.threadGen[th]++;
    this.coreRunning[core] = NONE;
    this.coreGen[core]++;
    this.setVcpuState(v, state);
    if (state === V_READY || state === V_COSTOPPED) this.vcpuPleWindow[v] = this.ple.windowCycles;
  }

  /** Makes a halted or offline-coming vCPU runnable: chooses its core and may preempt. */
  private wakeVcpu(v: number): void {
    if (this.vcpuState[v] !== V_IDLE && this.vcpuState[v] !== V_OFFLINE) return;
    // CFS select_task_rq: the previous core if idle, else an idle core, else the previous core.
    let core = this.vcpuCore[v];
    if (this.coreRunning[core] !== NONE || this.coreReady[core] > 0) {
      for (let i = 1; i < this.coreCount; i++) {
        const c = (core + i) % this.coreCount;
        if (this.coreRunning[c] === NONE && this.coreReady[c] === 0) {
          core = c;
          break;
        }
      }
    }
    this.placeOnCore(v, core);
    // CFS place_entity: a sleeper gets at most half a latency of credit.
    const floor = this.coreMinVruntime[core] - this.cfs.latencySeconds / 2;
    if (this.vcpuVruntime[v] < floor) this.vcpuVruntime[v] = floor;
    this.setVcpuState(v, V_READY);
    const cur = this.coreRunning[core];
    if (cur === NONE) {
      this.schedule(core);
    } else if (this.vcpuVruntime[cur] - this.vcpuVruntime[v] > this.cfs.wakeupGranularitySeconds) {
      // Preempting here could take the core from a vCPU whose thread is in the middle of a step further up
      // the call stack: the check runs as its own event at this same instant.
      this.queue.push(this.now, 0, EV_RESCHED, core, this.coreGen[core]);
    }
  }

  /** CFS check_preempt_wakeup: the running vCPU yields if a waiting one is behind it by more than the granularity. */
  private checkPreempt(core: number): void {
    const cur = this.coreRunning[core];
    if (cur === NONE) return;
    this.accountVcpu(cur, this.now);
    if (this.vcpuVruntime[cur] - this.lowestWaitingVruntime(core) <= this.cfs.wakeupGranularitySeconds) return;
    this.deschedule(cur, V_READY);
    this.schedule(core);
  }

  /** CFS min_vruntime: the smallest vruntime of the running and waiting vCPUs, never going back. */
  private updateMinVruntime(core: number): void {
    const cur = this.coreRunning[core];
    const lowest = Math.min(cur === NONE ? Infinity : this.vcpuVruntime[cur], this.lowestWaitingVruntime(core));
    if (lowest < Infinity && lowest > this.coreMinVruntime[core]) this.coreMinVruntime[core] = lowest;
  }

  /** The smallest vruntime among the vCPUs waiting in a core's queue (Infinity: none waits). */
  private lowestWaitingVruntime(core: number): number {
    let lowest = Infinity;
    for (let v = 0; v < this.vcpuCount; v++) {
      if (this.vcpuCore[v] === core && this.vcpuState[v] === V_READY && this.vcpuVruntime[v] < lowest) lowest = this.vcpuVruntime[v];
    }
    return lowest;
  }

  /** The waiting vCPU of a core's queue with the largest vruntime — the one that would run last there — or NONE. */
  private lastWaitingVcpu(core: number): number {
    let chosen = NONE;
    let key = -Infinity;
    for (let v = 0; v < this.vcpuCount; v++) {
      if (this.vcpuCore[v] === core && this.vcpuState[v] === V_READY && this.vcpuVruntime[v] > key) {
        key = this.vcpuVruntime[v];
        chosen = v;
      }
    }
    return chosen;
  }

  /** Moves a not-running vCPU to a core's queue, keeping its lag relative to the queues' minimum vruntime. */
  private placeOnCore(v: number, core: number): void {
    const from = this.vcpuCore[v];
    if (from === core) return;
    const ready = this.vcpuState[v] === V_READY;
    if (ready) this.coreReady[from]--;
    this.vcpuVruntime[v] += this.coreMinVruntime[core] - this.coreMinVruntime[from];
    this.vcpuCore[v] = core;
    if (ready) this.coreReady[core]++;
  }

  /** The core's scheduler picks the next vCPU (it must not be running anything). */
  private schedule(core: number): void {
    let v = this.pick(core);
    if (v === NONE) v = this.pullVcpu(core);
    if (v === NONE) return; // the core halts
    this.runVcpu(core, v);
  }

  private pick(core: number): number {
    const next = this.coreNext[core];
    this.coreNext[core] = NONE;
    if (next !== NONE && this.vcpuCore[next] === core && this.vcpuState[next] === V_READY) {
      this.coreSkip[core] = NONE;
      return next;
    }
    const skip = this.coreSkip[core];
    this.coreSkip[core] = NONE;
    let best = NONE;
    let bestKey = Infinity;
    let skipped = false;
    for (let v = 0; v < this.vcpuCount; v++) {
      if (this.vcpuCore[v] !== core || this.vcpuState[v] !== V_READY) continue;
      if (v === skip) {
        skipped = true;
        continue;
      }
      if (this.vcpuVruntime[v] < bestKey) {
        bestKey = this.vcpuVruntime[v];
        best = v;
      }
    }
    if (best === NONE && skipped) best = skip;
    return best;
  }

  /**
   * CFS periodic load balancing (rebalance_domains): while the busiest core has at least two more runnable vCPUs
   * (running or waiting) than the least busy one, a waiting vCPU moves over; if the target is idle it starts at
   * once. Without it, vCPUs that happen to pile up on some cores stay there as long as those cores never go idle.
   */
  private balance(): void {
    for (let moves = 0; moves < this.vcpuCount; moves++) {
      let busiest = NONE;
      let idlest = NONE;
      let most = -1;
      let least = Infinity;
      for (let c = 0; c < this.coreCount; c++) {
        const load = this.coreReady[c] + (this.coreRunning[c] === NONE ? 0 : 1);
        if (load > most && this.coreReady[c] > 0) {
          most = load;
          busiest = c;
        }
        if (load < least) {
          least = load;
          idlest = c;
        }
      }
      if (busiest === NONE || most - least < 2) return;
      this.placeOnCore(this.lastWaitingVcpu(busiest), idlest);
      if (this.coreRunning[idlest] === NONE) this.schedule(idlest);
    }
  }

  /** CFS idle balance: an idle core pulls a waiting vCPU from the core with the most waiting. */
  private pullVcpu(core: number): number {
    let busiest = NONE;
    let most = 0;
    for (let c = 0; c < this.coreCount; c++) {
      if (c !== core && this.coreReady[c] > most) {
        most = this.coreReady[c];
        busiest = c;
      }
    }
    if (busiest === NONE) return NONE;
    const chosen = this.lastWaitingVcpu(busiest);
    if (chosen === NONE) return NONE;
    this.placeOnCore(chosen, core);
    return chosen;
  }

  private runVcpu(core: number, v: number): void {
    const now = this.now;
    this.coreRunning[core] = v;
    this.coreGen[core]++;
    this.setVcpuState(v, V_RUNNING);
    this.vcpuRunStart[v] = now;
    this.vcpuPleWindow[v] = this.ple.windowCycles;
    this.updateMinVruntime(core);
    const runnable = this.coreReady[core] + 1;
    const slice = Math.max(this.cfs.latencySeconds / runnable, this.cfs.minGranularitySeconds);
    this.vcpuSliceEnd[v] = now + slice;
    // The first check comes at the minimum granularity: CFS's tick preempts early a vCPU far ahead of a waiter.
    this.queue.push(now + Math.min(slice, this.cfs.minGranularitySeconds), 0, EV_SLICE, core, this.coreGen[core]);
    if (this.vcpuHotplug[v] !== 0) {
      this.queue.push(now + Math.max(0, this.vcpuHotplugLeft[v]), 0, EV_HOTPLUG, v, this.vcpuGen[v]);
      return;
    }
    // Interrupts that waited for this vCPU (TLB shootdown IPIs) are handled first.
    if (this.vcpuIpiPending[v] > 0) this.ackIpis(v);
    this.vcpuGuestSliceStart[v] = now;
    let th = this.vcpuThread[v];
    if (th === NONE) th = this.guestPick(v);
    if (th === NONE) {
      // Woken for nothing (its thread moved away): halt again.
      this.deschedule(v, V_IDLE);
      this.schedule(core);
      return;
    }
    this.stacking(v, th);
    this.resumeThread(th);
    this.armGuestSlice(v);
  }

  /** Counts vCPU stacking: this core runs a spinner whose awaited vCPU waits in the same core's queue. */
  private stacking(v: number, th: number): void {
    const op = this.threadOp[th];
    if (op !== OP_LOCK && op !== OP_SHOOTDOWN) return;
    const core = this.vcpuCore[v];
    if (op === OP_LOCK) {
      const holder = this.lockHolder[this.threadLock[th]];
      if (holder === NONE || holder === th) return;
      const hv = this.threadVcpu[holder];
      if (this.threadState[holder] === T_CURRENT && this.vcpuCore[hv] === core && this.vcpuState[hv] === V_READY) this.counters.stackingEvents[this.vcpuVm[v]]++;
      return;
    }
    const base = th * this.ipiStride;
    const first = this.vmFirstVcpu[this.vcpuVm[v]];
    for (let i = 0; i < this.ipiStride; i++) {
      if (this.ipiPending[base + i] === 1 && this.vcpuCore[first + i] === core && this.vcpuState[first + i] === V_READY) {
        this.counters.stackingEvents[this.vcpuVm[v]]++;
        return;
      }
    }
  }

  /**
   * CFS check_preempt_tick: the running vCPU gives way once its slice is used, or earlier (after the minimum
   * granularity) when the leftmost waiter's vruntime is behind by more than a slice.
   */
  private sliceEnd(core: number): void {
    const v = this.coreRunning[core];
    if (v === NONE) return;
    const gran = this.cfs.minGranularitySeconds;
    if (this.coreReady[core] === 0) {
      // Nobody waits: keep running, look again after another minimum slice.
      this.queue.push(this.now + gran, 0, EV_SLICE, core, this.coreGen[core]);
      return;
    }
    if (this.now < this.vcpuSliceEnd[v] - EPSILON) {
      this.accountVcpu(v, this.now);
      const ideal = Math.max(this.cfs.latencySeconds / (this.coreReady[core] + 1), gran);
      if (this.vcpuVruntime[v] - this.lowestWaitingVruntime(core) <= ideal) {
        this.queue.push(Math.min(this.vcpuSliceEnd[v], this.now + gran), 0, EV_SLICE, core, this.coreGen[core]);
        return;
      }
    }
    this.deschedule(v, V_READY);
    this.schedule(core);
  }

  // ------------------------------------------------------------------ pause-loop exits

  /** Arms the PLE timer of a running vCPU whose current thread spins. */
  private armPle(v: number): void {
    if (!this.pleDetects) return;
    this.vcpuPleArmed[v] = 1;
    this.queue.push(this.now + this.vcpuPleWindow[v] / this.spec.clockHz, 1, EV_PLE, v, this.vcpuPleGen[v]);
  }

  private cancelPle(v: number): void {
    if (this.vcpuPleArmed[v] === 0) return;
    this.vcpuPleArmed[v] = 0;
    this.vcpuPleGen[v]++;
  }

  private cancelGuestSlice(v: number): void {
    if (this.vcpuGuestArmed[v] === 0) return;
    this.vcpuGuestArmed[v] = 0;
    this.vcpuGuestGen[v]++;
  }

  private pleExit(v: number): void {
    const th = this.vcpuThread[v];
    if (this.vcpuState[v] !== V_RUNNING || th === NONE || !this.isSpinning(th)) return;
    const vm = this.vcpuVm[v];
    this.counters.pleExits[vm]++;
    this.onPleExit?.(vm, this.now);
    this.vcpuPleWindow[v] = Math.min(this.ple.windowMaxCycles, this.vcpuPleWindow[v] * this.ple.windowGrow);
    if (this.ple.directedYield) {
      const target = this.yieldCandidate(v);
      if (target !== NONE) {
        this.counters.directedYields[vm]++;
        this.directedYield(v, target);
        return;
      }
    }
    // Still spinning: re-arm with the grown window.
    this.queue.push(this.now + this.vcpuPleWindow[v] / this.spec.clockHz, 1, EV_PLE, v, this.vcpuPleGen[v]);
  }

  /** Called at every pause-loop exit (the ballooning policy's spike trigger); it must not change the machine: use {@link requestControl}. */
  onPleExit: ((vm: number, now: number) => void) | undefined;

  /** KVM's candidate: the next preempted vCPU of the same VM after the last one boosted. */
  private yieldCandidate(v: number): number {
    const vm = this.vcpuVm[v];
    const first = this.vmFirstVcpu[vm];
    const n = this.vmVcpus[vm];
    const last = this.vmLastBoosted[vm];
    for (let i = 1; i <= n; i++) {
      const local = (last + i) % n;
      const cand = first + local;
      if (cand === v || this.vcpuState[cand] !== V_READY) continue;
      this.vmLastBoosted[vm] = local;
      return cand;
    }
    return NONE;
  }

  private directedYield(v: number, target: number): void {
    const core = this.vcpuCore[v];
    const targetCore = this.vcpuCore[target];
    this.coreNext[targetCore] = target;
    this.deschedule(v, V_READY);
    this.coreSkip[core] = v;
    if (targetCore !== core) {
      const cur = this.coreRunning[targetCore];
      if (cur !== NONE) this.deschedule(cur, V_READY);
      this.schedule(targetCore);
    }
    this.schedule(core);
  }

  // ------------------------------------------------------------------ co-scheduling

  private progressOf(v: number): number {
    const s = this.vcpuState[v];
    return this.vcpuProgress[v] + (s === V_RUNNING || s === V_IDLE ? this.now - this.vcpuProgressSince[v] : 0);
  }

  private skewCheck(): void {
    const threshold = this.spec.coScheduling.skewThresholdSeconds;
    const restart = threshold * this.spec.coScheduling.restartFraction;
    for (let vm = 0; vm < this.vmCount; vm++) {
      const first = this.vmFirstVcpu[vm];
      const end = first + this.vmVcpus[vm];
      let slowest = Infinity;
      for (let v = first; v < end; v++) {
        if (this.vcpuState[v] === V_OFFLINE) continue;
        const p = this.progressOf(v);
        if (p < slowest) slowest = p;
      }
      for (let v = first; v < end; v++) {
        const s = this.vcpuState[v];
        if (s === V_RUNNING && this.progressOf(v) - slowest > threshold) {
          this.counters.coStops[vm]++;
          const core = this.vcpuCore[v];
          this.deschedule(v, V_COSTOPPED);
          this.schedule(core);
        } else if (s === V_COSTOPPED && this.progressOf(v) - slowest < restart) {
          this.setVcpuState(v, V_IDLE);
          this.wakeVcpu(v);
        }
      }
    }
  }

  // ------------------------------------------------------------------ guest scheduler

  /** The guest picks the waiting thread with the least guest vruntime on vCPU v, pulling one if it has none. */
  private guestPick(v: number): number {
    if (this.vcpuReadyThreads[v] === 0) this.guestPull(v);
    if (this.vcpuReadyThreads[v] === 0) return NONE;
    const vm = this.vcpuVm[v];
    const first = this.vmFirstThread[vm];
    const end = first + this.vmThreads[vm];
    let best = NONE;
    let key = Infinity;
    for (let th = first; th < end; th++) {
      if (this.threadVcpu[th] === v && this.threadState[th] === T_READY && this.threadVruntime[th] < key) {
        key = this.threadVruntime[th];
        best = th;
      }
    }
    this.threadState[best] = T_CURRENT;
    this.vcpuReadyThreads[v]--;
    this.vcpuThread[v] = best;
    return best;
  }

  /** Guest idle balance: take the waiting thread of the sibling with the most waiting threads. */
  private guestPull(v: number): void {
    const vm = this.vcpuVm[v];
    const first = this.vmFirstVcpu[vm];
    let from = NONE;
    let most = 0;
    for (let u = first; u < first + this.vmVcpus[vm]; u++) {
      if (u !== v && this.vcpuReadyThreads[u] > most) {
        most = this.vcpuReadyThreads[u];
        from = u;
      }
    }
    if (from === NONE) return;
    const t0 = this.vmFirstThread[vm];
    let chosen = NONE;
    let key = -Infinity;
    for (let th = t0; th < t0 + this.vmThreads[vm]; th++) {
      if (this.threadVcpu[th] === from && this.threadState[th] === T_READY && this.threadVruntime[th] > key) {
        key = this.threadVruntime[th];
        chosen = th;
      }
    }
    this.moveThread(chosen, v);
  }

  private moveThread(th: number, to: number): void {
    const from = this.threadVcpu[th];
    if (from === to) return;
    if (this.threadState[th] === T_READY) {
      this.vcpuReadyThreads[from]--;
      this.vcpuReadyThreads[to]++;
    }
    if (this.threadState[th] !== T_DONE) {
      this.vcpuAssigned[from]--;
      this.vcpuAssigned[to]++;
    }
    this.threadVcpu[th] = to;
  }

  /** Whether the guest believes a vCPU idle: online, no current thread, nothing waiting. */
  private guestIdle(v: number): boolean {
    const s = this.vcpuState[v];
    return s !== V_OFFLINE && this.vcpuHotplug[v] === 0 && this.vcpuThread[v] === NONE && this.vcpuReadyThreads[v] === 0;
  }

  /** Makes a blocked thread ready: guest wake placement, then an IPI to a halted vCPU. */
  private wakeThread(th: number): void {
    if (this.threadState[th] !== T_BLOCKED) return;
    const vm = this.threadVm[th];
    if (this.threadOp[th] === OP_GET || this.threadOp[th] === OP_PUT) this.vmQueueBlocked[vm]--;
    let v = this.threadVcpu[th];
    const usable = this.vcpuState[v] !== V_OFFLINE && this.vcpuHotplug[v] === 0;
    if (!usable || !this.guestIdle(v)) {
      const first = this.vmFirstVcpu[vm];
      const n = this.vmVcpus[vm];
      let found = NONE;
      const local = this.vcpuLocal[v];
      for (let i = 1; i <= n; i++) {
        const u = first + ((local + i) % n);
        if (this.guestIdle(u)) {
          found = u;
          break;
        }
      }
      if (found !== NONE) v = found;
      else if (!usable) v = this.leastLoadedVcpu(vm, NONE);
    }
    this.threadState[th] = T_READY;
    this.moveThreadAssigned(th, v);
    this.vcpuReadyThreads[v]++;
    this.setRunnable(vm, 1);
    this.dispatchReady(v);
  }

  /** A thread became ready on vCPU v: start it if the vCPU is running nothing, or wake the halted vCPU. */
  private dispatchReady(v: number): void {
    const s = this.vcpuState[v];
    if (s === V_RUNNING && this.vcpuThread[v] === NONE && this.vcpuHotplug[v] === 0) {
      const th = this.guestPick(v);
      if (th !== NONE) {
        this.vcpuGuestSliceStart[v] = this.now;
        this.resumeThread(th);
        this.armGuestSlice(v);
      }
    } else if (s === V_IDLE) {
      this.wakeVcpu(v);
    } else if (s === V_RUNNING) {
      this.armGuestSlice(v);
    }
  }

  /** Assigns a thread to a vCPU (ready counts are the caller's). */
  private moveThreadAssigned(th: number, to: number): void {
    const from = this.threadVcpu[th];
    if (from === to) return;
    this.vcpuAssigned[from]--;
    this.vcpuAssigned[to]++;
    this.threadVcpu[th] = to;
  }

  private leastLoadedVcpu(vm: number, except: number): number {
    const first = this.vmFirstVcpu[vm];
    let best = NONE;
    let load = Infinity;
    for (let u = first; u < first + this.vmVcpus[vm]; u++) {
      if (u === except || this.vcpuState[u] === V_OFFLINE || this.vcpuHotplug[u] === 1) continue;
      if (this.vcpuAssigned[u] < load) {
        load = this.vcpuAssigned[u];
        best = u;
      }
    }
    return best;
  }

  /** Arms the guest slice timer when other threads wait on a running vCPU. */
  private armGuestSlice(v: number): void {
    if (this.vcpuReadyThreads[v] === 0 || this.vcpuState[v] !== V_RUNNING) return;
    const th = this.vcpuThread[v];
    if (th === NONE) return;
    const runnable = this.vcpuReadyThreads[v] + 1;
    const slice = Math.max(this.guestCfs.latencySeconds / runnable, this.guestCfs.minGranularitySeconds);
    const at = Math.max(this.now, this.vcpuGuestSliceStart[v] + slice);
    if (this.vcpuGuestArmed[v] === 1) return;
    this.vcpuGuestArmed[v] = 1;
    this.queue.push(at, 2, EV_GUEST_SLICE, v, this.vcpuGuestGen[v]);
  }

  private guestSliceEnd(v: number): void {
    this.vcpuGuestArmed[v] = 0;
    const th = this.vcpuThread[v];
    if (th === NONE || this.vcpuReadyThreads[v] === 0) return;
    const op = this.threadOp[th];
    // Kernel spinlock sections (held or awaited) and IPI waits run with preemption disabled; user code does not.
    const kernelLock = (op === OP_CRITICAL || op === OP_LOCK) && this.lockSpin[this.threadLock[th]] === LOCK_TICKET;
    if (kernelLock || op === OP_SHOOTDOWN) {
      this.vcpuGuestArmed[v] = 1;
      this.queue.push(this.now + this.guestCfs.minGranularitySeconds, 2, EV_GUEST_SLICE, v, this.vcpuGuestGen[v]);
      return;
    }
    this.stopThread(v, th);
    this.threadState[th] = T_READY;
    this.vcpuReadyThreads[v]++;
    const next = this.guestPick(v);
    this.vcpuGuestSliceStart[v] = this.now;
    this.resumeThread(next);
    this.armGuestSlice(v);
  }

  /** Takes the current thread off a running vCPU (accounting it), leaving the vCPU without a thread. */
  private stopThread(v: number, th: number): void {
    this.accountThread(th, this.now);
    this.threadGen[th]++;
    this.cancelPle(v);
    this.cancelGuestSlice(v);
    this.vcpuThread[v] = NONE;
  }

  /** The current thread of vCPU v left (blocked or finished): run another or halt the vCPU. */
  private vcpuThreadLeft(v: number): void {
    // Something woken meanwhile may already run there.
    if (this.vcpuState[v] !== V_RUNNING || this.vcpuThread[v] !== NONE || this.vcpuHotplug[v] !== 0) return;
    const next = this.guestPick(v);
    if (next !== NONE) {
      this.vcpuGuestSliceStart[v] = this.now;
      this.resumeThread(next);
      this.armGuestSlice(v);
      return;
    }
    const core = this.vcpuCore[v];
    this.deschedule(v, V_IDLE);
    this.schedule(core);
  }

  // ------------------------------------------------------------------ threads and synchronisation

  private isSpinning(th: number): boolean {
    const op = this.threadOp[th];
    return op === OP_LOCK || op === OP_SHOOTDOWN || op === OP_BARRIER;
  }

  /** The current thread of a running vCPU continues whatever it is doing, from now. */
  private resumeThread(th: number): void {
    this.threadSince[th] = this.now;
    this.step(th);
  }

  /** A timed stretch of a thread ended: its work is done or its spin budget is used. */
  private threadTimer(th: number): void {
    const v = this.threadVcpu[th];
    this.accountThread(th, this.now);
    this.threadGen[th]++;
    const op = this.threadOp[th];
    if (op === OP_COMPUTE) {
      this.threadOp[th] = OP_NEXT;
    } else if (op === OP_CRITICAL) {
      const phase = this.threadBarrierPhase[th];
      this.threadBarrierPhase[th] = 0;
      this.release(th);
      if (phase === 1) {
        this.waitAtBarrier(th, this.threadVm[th], this.profiles[this.threadVm[th]]);
      } else if (phase === 2) {
        this.leaveBarrier(th, this.threadVm[th], this.profiles[this.threadVm[th]]);
      } else {
        this.threadLocksLeft[th]--;
        this.threadOp[th] = OP_NEXT;
      }
    }
    // A waiter's timer (spin budget used, or its condition changed): step decides whether to go on or block.
    if (this.vcpuState[v] === V_RUNNING && this.vcpuThread[v] === th) this.step(th);
  }

  /**
   * Drives a running thread from `now` until it has a timed stretch pending, spins, blocks or ends. Called only
   * for the current thread of a running vCPU.
   */
  private step(th: number): void {
    const v = this.threadVcpu[th];
    const vm = this.threadVm[th];
    const p = this.profiles[vm];
    for (;;) {
      const op = this.threadOp[th];
      if (op === OP_COMPUTE || op === OP_CRITICAL) {
        this.cancelPle(v); // a spinning stretch's PLE timer no longer applies
        this.armGuestSlice(v);
        this.queue.push(this.now + Math.max(0, this.threadWork[th]), 0, EV_THREAD, th, ++this.threadGen[th]);
        return;
      }
      if (op === OP_NEXT) {
        this.nextOp(th, vm, p);
        if (this.threadState[th] === T_DONE) {
          this.vcpuThreadLeft(v);
          return;
        }
        continue;
      }
      if (op === OP_LOCK) {
        const lock = this.threadLock[th];
        const holder = this.lockHolder[lock];
        const kind = this.lockSpin[lock];
        if (holder === th || holder === NONE) {
          if (holder === NONE) this.lockHolder[lock] = th;
          this.lockWaiting[lock]--;
          this.threadOp[th] = OP_CRITICAL;
          this.threadWork[th] = this.threadBarrierPhase[th] === 0 ? p.criticalSectionSeconds : this.barrierSectionSeconds(th, vm, p);
          continue;
        }
        if (kind === LOCK_MUTEX && this.threadSpinLeft[th] <= EPSILON) {
          this.block(th, v);
          return;
        }
        this.spin(th, v, kind === LOCK_MUTEX ? this.threadSpinLeft[th] : Infinity, kind !== LOCK_TAS_NO_PAUSE);
        return;
      }
      if (op === OP_BARRIER) {
        if (this.threadBarrierGeneration[th] !== this.vmBarrierGeneration[vm]) {
          if (this.vmBarrierLock[vm] !== NONE) {
            // PARSEC's barrier: leaving takes the barrier mutex once more.
            this.threadBarrierPhase[th] = 2;
            this.threadOp[th] = OP_LOCK;
            this.threadLock[th] = this.vmBarrierLock[vm];
            this.lockWaiting[this.threadLock[th]]++;
            this.threadWaitSince[th] = this.now;
            continue;
          }
          this.leaveBarrier(th, vm, p);
          continue;
        }
        if (this.threadSpinLeft[th] <= EPSILON) {
          this.block(th, v);
          return;
        }
        // PARSEC's flag spin is a plain counting loop: no PAUSE, so no pause-loop exit.
        this.spin(th, v, this.threadSpinLeft[th], false);
        return;
      }
      if (op === OP_SHOOTDOWN) {
        if (this.threadIpiWaiting[th] === 0) {
          const left = this.threadIpiDoneAt[th] - this.now;
          if (left > EPSILON) {
            this.spin(th, v, left, true);
            return;
          }
          this.counters.ipiWaitSeconds[vm] += this.now - this.threadWaitSince[th];
          this.threadShootdownsLeft[th]--;
          this.threadOp[th] = OP_NEXT;
          continue;
        }
        this.spin(th, v, Infinity, true);
        return;
      }
      if (op === OP_GET) {
        if (this.takeItem(th, vm)) {
          this.startGrain(th, p);
          continue;
        }
        if (this.threadState[th] === T_DONE) {
          this.vcpuThreadLeft(v);
          return;
        }
        this.block(th, v);
        return;
      }
      if (op === OP_PUT) {
        if (this.putItem(th, vm)) {
          this.threadOp[th] = OP_GET;
          continue;
        }
        this.block(th, v);
        return;
      }
      throw new Error(`SmpMachine: thread ${th} has an unknown operation ${op}`);
    }
  }

  /** The thread busy-waits (for at most `budget` seconds of running); `pausing` loops execute PAUSE, which PLE sees. */
  private spin(th: number, v: number, budget: number, pausing: boolean): void {
    this.cancelPle(v);
    this.armGuestSlice(v);
    if (pausing) this.armPle(v);
    if (budget < Infinity) this.queue.push(this.now + Math.max(0, budget), 0, EV_THREAD, th, ++this.threadGen[th]);
    else this.threadGen[th]++;
  }

  /** The thread blocks (futex wait): its vCPU runs another thread or halts. */
  private block(th: number, v: number): void {
    this.accountThread(th, this.now);
    this.threadGen[th]++;
    this.threadState[th] = T_BLOCKED;
    const op = this.threadOp[th];
    if (op === OP_GET || op === OP_PUT) {
      this.vmQueueBlocked[this.threadVm[th]]++;
      this.threadWaitSince[th] = this.now;
    }
    this.setRunnable(this.threadVm[th], -1);
    this.vcpuThread[v] = NONE;
    this.cancelPle(v);
    this.cancelGuestSlice(v);
    this.vcpuThreadLeft(v);
  }

  /** Decides a thread's next operation after finishing one. */
  private nextOp(th: number, vm: number, p: ParallelProfile): void {
    if (this.threadLocksLeft[th] > 0) {
      this.threadOp[th] = OP_LOCK;
      this.threadLock[th] = this.vmFirstLock[vm] + (p.lockCount > 1 ? this.random.nextInt(p.lockCount) : 0);
      this.lockWaiting[this.threadLock[th]]++;
      this.threadSpinLeft[th] = p.mutexSpinSeconds;
      this.threadWaitSince[th] = this.now;
      if (this.lockSpin[this.threadLock[th]] === LOCK_TICKET) this.enqueueTicket(th);
      return;
    }
    if (this.threadShootdownsLeft[th] > 0) {
      this.sendShootdown(th, vm);
      return;
    }
    // The grain is complete.
    if (this.vmStages[vm] > 0) {
      this.threadOp[th] = OP_PUT;
      return;
    }
    const done = ++this.threadGrainsDone[th];
    if (p.barrierEvery > 0 && done % p.barrierEvery === 0 && done < this.vmGrains[vm]) {
      this.threadBarrierSince[th] = this.now;
      if (this.vmBarrierLock[vm] !== NONE) {
        // PARSEC's barrier: arriving takes the barrier mutex (a busy trylock loop).
        this.threadBarrierPhase[th] = 1;
        this.threadOp[th] = OP_LOCK;
        this.threadLock[th] = this.vmBarrierLock[vm];
        this.lockWaiting[this.threadLock[th]]++;
        this.threadWaitSince[th] = this.now;
        return;
      }
      this.waitAtBarrier(th, vm, p);
      return;
    }
    if (done >= this.vmGrains[vm]) {
      this.finishThread(th, vm);
      return;
    }
    this.startGrain(th, p);
  }

  /** Arrives at the barrier and waits (spin, then block) for its generation to change. */
  private waitAtBarrier(th: number, vm: number, p: ParallelProfile): void {
    this.threadOp[th] = OP_BARRIER;
    this.threadSpinLeft[th] = p.barrierSpinSeconds;
    this.threadBarrierGeneration[th] = this.vmBarrierGeneration[vm];
    this.arriveBarrier(vm);
  }

  private leaveBarrier(th: number, vm: number, p: ParallelProfile): void {
    this.counters.barrierWaitSeconds[vm] += this.now - this.threadBarrierSince[th];
    this.startGrain(th, p);
  }

  /** The barrier mutex's critical section: the arrival's bookkeeping, and the last arrival's broadcast wake-ups. */
  private barrierSectionSeconds(th: number, vm: number, p: ParallelProfile): number {
    const base = p.barrierLockSeconds ?? 0;
    if (this.threadBarrierPhase[th] !== 1 || this.vmBarrierArrived[vm] + 1 < this.vmActive[vm]) return base;
    let blocked = 0;
    const first = this.vmFirstThread[vm];
    for (let w = first; w < first + this.vmThreads[vm]; w++) if (this.threadOp[w] === OP_BARRIER && this.threadState[w] === T_BLOCKED) blocked++;
    return base + blocked * FUTEX_WAKE_SECONDS;
  }

  private startGrain(th: number, p: ParallelProfile): void {
    let grain = p.grainSeconds;
    if (p.grainVariation > 0) grain = Math.max(0.05 * p.grainSeconds, this.random.nextGaussian(p.grainSeconds, p.grainVariation * p.grainSeconds));
    this.threadOp[th] = OP_COMPUTE;
    this.threadWork[th] = grain;
    this.threadLocksLeft[th] = countOf(p.locksPerGrain, this.random);
    this.threadShootdownsLeft[th] = countOf(p.shootdownsPerGrain, this.random);
  }

  private enqueueTicket(th: number): void {
    const lock = this.threadLock[th];
    if (this.lockHolder[lock] === NONE) this.lockHolder[lock] = th;
  }

  /** Releases the thread's lock: a ticket lock passes to the longest waiter; a mutex to a running spinner or a woken sleeper. */
  private release(th: number): void {
    const lock = this.threadLock[th];
    const vm = this.threadVm[th];
    this.lockHolder[lock] = NONE;
    this.threadLock[th] = NONE;
    // Most releases find nobody waiting: skip the scan.
    if (this.lockWaiting[lock] === 0) return;
    const first = this.vmFirstThread[vm];
    const end = first + this.vmThreads[vm];
    let next = NONE;
    let since = Infinity;
    let sleeper = NONE;
    let sleeperSince = Infinity;
    const ticket = this.lockSpin[lock] === LOCK_TICKET;
    for (let w = first; w < end; w++) {
      if (this.threadLock[w] !== lock || this.threadOp[w] !== OP_LOCK) continue;
      if (this.threadState[w] === T_BLOCKED) {
        if (this.threadWaitSince[w] < sleeperSince) {
          sleeperSince = this.threadWaitSince[w];
          sleeper = w;
        }
        continue;
      }
      // A ticket lock passes to the next ticket wherever its holder is; other locks go to a spinner that runs
      // right now (the others retry when they run again).
      if (!ticket && !(this.threadState[w] === T_CURRENT && this.vcpuState[this.threadVcpu[w]] === V_RUNNING)) continue;
      if (this.threadWaitSince[w] < since) {
        since = this.threadWaitSince[w];
        next = w;
      }
    }
    if (next !== NONE) {
      this.lockHolder[lock] = next;
      if (this.threadState[next] === T_CURRENT && this.vcpuState[this.threadVcpu[next]] === V_RUNNING) this.kickLater(next);
      return;
    }
    if (sleeper !== NONE) {
      this.threadSpinLeft[sleeper] = this.profiles[vm].mutexSpinSeconds;
      this.wakeThread(sleeper);
    }
  }

  private arriveBarrier(vm: number): void {
    this.vmBarrierArrived[vm]++;
    if (this.vmBarrierArrived[vm] < this.vmActive[vm]) return;
    this.releaseBarrier(vm);
  }

  private releaseBarrier(vm: number): void {
    this.vmBarrierArrived[vm] = 0;
    const generation = this.vmBarrierGeneration[vm]++;
    const first = this.vmFirstThread[vm];
    for (let w = first; w < first + this.vmThreads[vm]; w++) {
      if (this.threadOp[w] !== OP_BARRIER || this.threadBarrierGeneration[w] !== generation) continue;
      if (this.threadState[w] === T_BLOCKED) this.wakeThread(w);
      else if (this.threadState[w] === T_CURRENT && this.vcpuState[this.threadVcpu[w]] === V_RUNNING) this.kickLater(w);
    }
  }

  /** Resumes a spinning thread at the current instant, after the event in progress (no re-entry). */
  private kickLater(th: number): void {
    this.accountThread(th, this.now);
    this.queue.push(this.now, 0, EV_THREAD, th, ++this.threadGen[th]);
  }

  /** TLB shootdown: IPIs to every other vCPU running a thread of this VM; the sender waits for all. */
  private sendShootdown(th: number, vm: number): void {
    const v = this.threadVcpu[th];
    const first = this.vmFirstVcpu[vm];
    const base = th * this.ipiStride;
    let waiting = 0;
    for (let i = 0; i < this.vmVcpus[vm]; i++) {
      const u = first + i;
      // Lazy TLB: halted vCPUs (no current thread) are not in the mm's CPU mask.
      if (u === v || this.vcpuState[u] === V_OFFLINE || this.vcpuThread[u] === NONE) continue;
      this.counters.ipisSent[vm]++;
      if (this.vcpuState[u] === V_RUNNING) continue; // answers within the IPI delay
      this.ipiPending[base + i] = 1;
      this.vcpuIpiPending[u]++;
      waiting++;
    }
    this.threadIpiWaiting[th] = waiting;
    this.threadWaitSince[th] = this.now;
    // Running targets answer within the IPI delay; the others when the hypervisor runs them.
    this.threadIpiDoneAt[th] = this.now + this.spec.ipiSeconds;
    this.threadOp[th] = OP_SHOOTDOWN;
  }

  /** vCPU v runs its pending shootdown handlers; senders whose last target this was continue. */
  private ackIpis(v: number): void {
    const vm = this.vcpuVm[v];
    const local = this.vcpuLocal[v];
    const first = this.vmFirstThread[vm];
    for (let th = first; th < first + this.vmThreads[vm]; th++) {
      const slot = th * this.ipiStride + local;
      if (this.ipiPending[slot] === 0) continue;
      this.ipiPending[slot] = 0;
      this.vcpuIpiPending[v]--;
      const done = this.now + this.spec.ipiSeconds;
      if (done > this.threadIpiDoneAt[th]) this.threadIpiDoneAt[th] = done;
      if (--this.threadIpiWaiting[th] === 0 && this.threadState[th] === T_CURRENT && this.vcpuState[this.threadVcpu[th]] === V_RUNNING) this.kickLater(th);
    }
  }

  private finishThread(th: number, vm: number): void {
    const v = this.threadVcpu[th];
    if (this.vcpuThread[v] === th) {
      this.accountThread(th, this.now);
      this.vcpuThread[v] = NONE;
      this.cancelPle(v);
      this.cancelGuestSlice(v);
    }
    this.threadGen[th]++;
    this.threadState[th] = T_DONE;
    this.threadOp[th] = OP_NEXT;
    this.vcpuAssigned[this.threadVcpu[th]]--;
    this.setRunnable(vm, -1);
    this.vmActive[vm]--;
    if (this.vmStages[vm] > 0) {
      const stage = this.threadStage[th];
      if (--this.stageActive[this.vmFirstQueue[vm] + stage] === 0) this.wakeGetters(vm, stage);
    } else if (this.vmBarrierArrived[vm] > 0 && this.vmBarrierArrived[vm] >= this.vmActive[vm]) {
      this.releaseBarrier(vm);
    }
    if (this.vmActive[vm] === 0) this.programDone(vm);
  }

  private programDone(vm: number): void {
    this.completions[vm].push(this.now - this.runStart[vm]);
    if (this.completions[vm].length === 1 && vm < this.watched) this.watchedDone++;
    // A VM that does not repeat stays idle: its threads are done.
    if (this.spec.vms[vm].repeat) this.queue.push(this.now, 3, EV_RESTART, vm, 0);
  }

  private startProgram(vm: number): void {
    const p = this.profiles[vm];
    this.runStart[vm] = this.now;
    this.vmActive[vm] = this.vmThreads[vm];
    this.vmBarrierArrived[vm] = 0;
    const stages = this.vmStages[vm];
    const n = this.vmThreads[vm];
    if (stages > 0) {
      const q0 = this.vmFirstQueue[vm];
      for (let s = 0; s < stages; s++) {
        this.queueCount[q0 + s] = 0;
        this.stageActive[q0 + s] = 0;
      }
      this.vmItemsLeft[vm] = Math.max(1, Math.round(p.totalWorkSeconds / (stages * p.grainSeconds)));
    }
    const first = this.vmFirstThread[vm];
    for (let i = 0; i < n; i++) {
      const th = first + i;
      this.threadGrainsDone[th] = 0;
      this.threadLock[th] = NONE;
      this.threadIpiWaiting[th] = 0;
      if (stages > 0) {
        const stage = Math.min(stages - 1, Math.floor((i * stages) / n));
        this.threadStage[th] = stage;
        this.stageActive[this.vmFirstQueue[vm] + stage]++;
        this.threadOp[th] = OP_GET;
      } else {
        this.startGrain(th, p);
      }
      this.vcpuAssigned[this.threadVcpu[th]]++;
      this.threadState[th] = T_BLOCKED;
      if (stages > 0) this.vmQueueBlocked[vm]++; // as if blocked on its input: wakeThread counts it out
      this.wakeThread(th);
    }
  }

  /** Pipeline: take an item from the thread's input; false when it must wait (or it finished). */
  private takeItem(th: number, vm: number): boolean {
    const stage = this.threadStage[th];
    if (stage === 0) {
      if (this.vmItemsLeft[vm] > 0) {
        this.vmItemsLeft[vm]--;
        return true;
      }
      this.finishThread(th, vm);
      return false;
    }
    const q = this.vmFirstQueue[vm] + stage - 1;
    if (this.queueCount[q] > 0) {
      this.queueCount[q]--;
      this.wakeWaiters(vm, OP_PUT, stage - 1);
      return true;
    }
    if (this.stageActive[q] === 0) {
      this.finishThread(th, vm);
      return false;
    }
    return false;
  }

  private putItem(th: number, vm: number): boolean {
    const stage = this.threadStage[th];
    if (stage === this.vmStages[vm] - 1) return true; // the program's output
    const q = this.vmFirstQueue[vm] + stage;
    if (this.queueCount[q] >= this.queueCapacity[q]) return false;
    this.queueCount[q]++;
    this.wakeWaiters(vm, OP_GET, stage + 1);
    return true;
  }

  /** Wakes one thread of `stage` blocked on `op`. */
  private wakeWaiters(vm: number, op: number, stage: number): void {
    // Most puts and takes find nobody blocked on a queue: skip the scan.
    if (this.vmQueueBlocked[vm] === 0) return;
    const first = this.vmFirstThread[vm];
    let chosen = NONE;
    let since = Infinity;
    for (let w = first; w < first + this.vmThreads[vm]; w++) {
      if (this.threadState[w] === T_BLOCKED && this.threadOp[w] === op && this.threadStage[w] === stage && this.threadWaitSince[w] < since) {
        since = this.threadWaitSince[w];
        chosen = w;
      }
    }
    if (chosen !== NONE) this.wakeThread(chosen);
  }

  private wakeGetters(vm: number, upstream: number): void {
    if (this.vmQueueBlocked[vm] === 0) return;
    const first = this.vmFirstThread[vm];
    for (let w = first; w < first + this.vmThreads[vm]; w++) {
      if (this.threadState[w] === T_BLOCKED && this.threadOp[w] === OP_GET && this.threadStage[w] === upstream + 1) this.wakeThread(w);
    }
  }

  // ------------------------------------------------------------------ hot-plug

  private reconcile(vm: number): void {
    const target = this.vmTargetOnline[vm];
    const first = this.vmFirstVcpu[vm];
    while (this.vmOnline[vm] > target) {
      // Offline the highest-numbered online vCPU not already leaving.
      let v = NONE;
      for (let u = first + this.vmVcpus[vm] - 1; u >= first; u--) {
        if (this.vcpuState[u] !== V_OFFLINE && this.vcpuHotplug[u] !== 1) {
          v = u;
          break;
        }
      }
      if (v === NONE || v === first) break;
      this.beginOffline(v);
    }
    while (this.vmOnline[vm] < target) {
      let v = NONE;
      for (let u = first; u < first + this.vmVcpus[vm]; u++) {
        if (this.vcpuState[u] === V_OFFLINE || this.vcpuHotplug[u] === 1) {
          v = u;
          break;
        }
      }
      if (v === NONE) break;
      this.beginOnline(v);
    }
  }

  private beginOffline(v: number): void {
    const vm = this.vcpuVm[v];
    this.touchVm(vm);
    this.vmOnline[vm]--;
    this.counters.vcpuOfflines[vm]++;
    const running = this.vcpuState[v] === V_RUNNING;
    if (running) this.accountVcpu(v, this.now);
    const cur = this.vcpuThread[v];
    if (cur !== NONE) {
      this.threadGen[cur]++;
      this.vcpuThread[v] = NONE;
      this.threadState[cur] = T_READY;
      this.vcpuReadyThreads[v]++;
    }
    this.vcpuGen[v]++;
    this.cancelPle(v);
    this.cancelGuestSlice(v);
    // Migrate every thread assigned to v to the least-loaded remaining vCPU.
    this.vcpuHotplug[v] = 1;
    this.vcpuHotplugLeft[v] = this.spec.offlineCostSeconds;
    const first = this.vmFirstThread[vm];
    for (let th = first; th < first + this.vmThreads[vm]; th++) {
      if (this.threadVcpu[th] !== v || this.threadState[th] === T_DONE) continue;
      const to = this.leastLoadedVcpu(vm, v);
      const wasReady = this.threadState[th] === T_READY;
      if (wasReady) this.vcpuReadyThreads[v]--;
      this.moveThreadAssigned(th, to);
      if (wasReady) {
        this.vcpuReadyThreads[to]++;
        this.dispatchReady(to);
      }
    }
    // IPIs waiting for v are answered by the offlining path.
    if (this.vcpuIpiPending[v] > 0) this.ackIpis(v);
    const state = this.vcpuState[v];
    if (state === V_RUNNING) this.queue.push(this.now + this.vcpuHotplugLeft[v], 0, EV_HOTPLUG, v, this.vcpuGen[v]);
    else if (state === V_COSTOPPED) this.setVcpuState(v, V_IDLE);
    if (this.vcpuState[v] === V_IDLE) this.wakeVcpu(v);
  }

  private beginOnline(v: number): void {
    const vm = this.vcpuVm[v];
    if (this.vcpuHotplug[v] === 1) {
      // Cancel a pending offline: the vCPU stays.
      this.vcpuHotplug[v] = 0;
      this.touchVm(vm);
      this.vmOnline[vm]++;
      if (this.vcpuState[v] === V_RUNNING) {
        this.vcpuGen[v]++;
        this.vcpuThreadLeft(v);
      }
      return;
    }
    this.touchVm(vm);
    this.vmOnline[vm]++;
    this.counters.vcpuOnlines[vm]++;
    this.vcpuHotplug[v] = 2;
    this.vcpuHotplugLeft[v] = this.spec.onlineCostSeconds;
    this.wakeVcpu(v);
  }

  private hotplugDone(v: number): void {
    this.accountVcpu(v, this.now);
    const kind = this.vcpuHotplug[v];
    this.vcpuHotplug[v] = 0;
    this.vcpuGen[v]++;
    const core = this.vcpuCore[v];
    if (kind === 1) {
      this.deschedule(v, V_OFFLINE);
      this.schedule(core);
      return;
    }
    // Online: take work if there is any.
    this.vcpuThreadLeft(v);
  }
}


/** A count drawn for a mean per grain: its integer part, plus one with the fractional part's probability. */
function countOf(mean: number, random: RandomStream): number {
  if (!(mean > 0)) return 0;
  const whole = Math.floor(mean);
  return whole + (random.nextFloat() < mean - whole ? 1 : 0);
}
