/**
 * Guest workloads for the detailed host: programs made of phases, and named profiles.
 *
 * A guest thread runs a program: a list of phases repeated forever.
 * - `compute`: `seconds` of work, measured as CPU time at the host's fastest P-state, with event rates per
 *   cycle at that frequency (instructions, L2 misses, memory accesses, mispredicted branches, floating-point
 *   operations) and a memory-stall fraction `memoryStallFraction`: the share of those cycles spent waiting on
 *   memory, whose duration in nanoseconds does not shrink with the clock. At frequency f the same work takes
 *   seconds × ((1 − m) · f_max / f + m), so a memory-bound phase loses little speed at a low P-state and a
 *   compute-bound one loses all of it (the classic DVFS performance model, e.g. Weissel and Bellosa,
 *   "Process cruise control", CASES 2002);
 * - `sleep`: the thread blocks for `seconds` (the guest idles, its vCPU halts unless another thread is ready);
 * - `disk`: one request of `bytes` to the virtual disk; the thread blocks until it completes.
 *
 * Profiles: the per-cycle rates are assumptions shaped after the published characterisations of SPEC CPU
 * integer and floating-point codes on Pentium-class cores (IPC between 0.3 for memory-bound and about 2 for
 * compute-bound codes; tens of L2 misses per thousand instructions for memory-bound codes). They exist to
 * exercise the estimator on clearly different activity mixes, not to stand for a particular benchmark.
 */

/** Per-cycle event rates of a compute phase (per cycle at the fastest P-state). */
export interface EventRates {
  readonly instructions: number;
  readonly l2Misses: number;
  readonly memoryAccesses: number;
  readonly branchMispredictions: number;
  readonly floatingPoint: number;
}

export interface ComputePhase {
  readonly kind: 'compute';
  /** Work, seconds of CPU time at the fastest P-state. */
  readonly seconds: number;
  readonly rates: EventRates;
  /** Share of cycles (at the fastest P-state) stalled on memory, 0..1. */
  readonly memoryStallFraction: number;
}

export interface SleepPhase {
  readonly kind: 'sleep';
  readonly seconds: number;
}

export interface DiskPhase {
  readonly kind: 'disk';
  readonly bytes: number;
}

export type GuestPhase = ComputePhase | SleepPhase | DiskPhase;

/** A program: phases repeated forever. */
export interface GuestProgram {
  readonly name: string;
  readonly phases: readonly GuestPhase[];
}

const COMPUTE_RATES: EventRates = { instructions: 1.8, l2Misses: 0.0004, memoryAccesses: 0.7, branchMispredictions: 0.004, floatingPoint: 0.05 };
/** The `compute` profile's rates (integer code, IPC 1.8), exported for models that need a typical busy core. */
export const COMPUTE_PROFILE_RATES: EventRates = COMPUTE_RATES;
/**
 * A PAUSE spin loop: cycles with almost no instructions (a PAUSE, a load, a compare and a branch every few tens of
 * cycles). Chosen, not measured: the calibration's pause-loop microbenchmark and the double-scheduling model's
 * spinning cores use it.
 */
export const PAUSE_LOOP_RATES: EventRates = { instructions: 0.25, l2Misses: 0, memoryAccesses: 0.02, branchMispredictions: 0, floatingPoint: 0 };
const MEMORY_RATES: EventRates = { instructions: 0.35, l2Misses: 0.02, memoryAccesses: 0.15, branchMispredictions: 0.002, floatingPoint: 0.01 };
const FLOATING_POINT_RATES: EventRates = { instructions: 1.1, l2Misses: 0.002, memoryAccesses: 0.45, branchMispredictions: 0.001, floatingPoint: 0.9 };
const BRANCHY_RATES: EventRates = { instructions: 0.9, l2Misses: 0.001, memoryAccesses: 0.35, branchMispredictions: 0.03, floatingPoint: 0 };
const STREAMING_RATES: EventRates = { instructions: 0.8, l2Misses: 0.012, memoryAccesses: 0.5, branchMispredictions: 0.0005, floatingPoint: 0.3 };
const DRIVER_RATES: EventRates = { instructions: 0.9, l2Misses: 0.004, memoryAccesses: 0.4, branchMispredictions: 0.006, floatingPoint: 0 };

function compute(seconds: number, rates: EventRates, memoryStallFraction: number): ComputePhase {
  return { kind: 'compute', seconds, rates, memoryStallFraction };
}

/**
 * Named profiles. Each is a function of nothing so that every caller gets its own frozen copy.
 * - `compute`: integer compute-bound, high IPC, few misses;
 * - `memory`: memory-bound, low IPC, many L2 misses, 70 % of cycles stalled;
 * - `floating-point`: FP-heavy;
 * - `branchy`: control-heavy, many mispredictions;
 * - `streaming`: streaming FP over large arrays (misses and FP together);
 * - `mixed`: 50 ms compute, 50 ms memory, alternating;
 * - `idle`: 1 ms of compute every 20 ms (5 % busy);
 * - `disk`: 0.5 ms of compute, then a 128 KiB request, repeated (disk-bound).
 */
export const GUEST_PROFILES: Readonly<Record<string, () => GuestProgram>> = {
  compute: () => ({ name: 'compute', phases: [compute(1, COMPUTE_RATES, 0.02)] }),
  memory: () => ({ name: 'memory', phases: [compute(1, MEMORY_RATES, 0.7)] }),
  'floating-point': () => ({ name: 'floating-point', phases: [compute(1, FLOATING_POINT_RATES, 0.1)] }),
  branchy: () => ({ name: 'branchy', phases: [compute(1, BRANCHY_RATES, 0.05)] }),
  streaming: () => ({ name: 'streaming', phases: [compute(1, STREAMING_RATES, 0.5)] }),
  mixed: () => ({ name: 'mixed', phases: [compute(0.05, COMPUTE_RATES, 0.02), compute(0.05, MEMORY_RATES, 0.7)] }),
  idle: () => ({ name: 'idle', phases: [compute(0.001, COMPUTE_RATES, 0.02), { kind: 'sleep', seconds: 0.019 }] }),
  disk: () => ({ name: 'disk', phases: [compute(0.0005, COMPUTE_RATES, 0.02), { kind: 'disk', bytes: 128 * 1024 }] }),
};

/** Names of the profiles, for error messages and schemas. */
export const GUEST_PROFILE_NAMES = Object.keys(GUEST_PROFILES);

/**
 * Event rates of the driver VM's request handling (an assumption: kernel block-layer and back-end code,
 * moderate IPC, some misses on request buffers).
 */
export const DRIVER_EVENT_RATES: EventRates = DRIVER_RATES;
