/**
 * Multithreaded guest programs for the double-scheduling model (vCPU ballooning): what a parallel application
 * does between and at its synchronisation points.
 *
 * A program is `threads` guest threads that together do `totalWorkSeconds` of work (CPU seconds at the host's
 * nominal clock). Each thread works in grains: compute for a grain (mean `grainSeconds`, varied between threads
 * and grains by `grainVariation`, a coefficient of variation), then do the grain's synchronisation:
 * - `locksPerGrain` lock acquisitions (a fractional value is a probability per grain), each holding one of
 *   `lockCount` locks for `criticalSectionSeconds`: a `spin` lock busy-waits; a `mutex` spins for at most
 *   `mutexSpinSeconds` and then blocks until the holder hands it over (a futex);
 * - `shootdownsPerGrain` TLB shootdowns (memory unmapped by the guest kernel): an IPI to every other vCPU
 *   running this program, and the sender busy-waits until each has acknowledged;
 * - a barrier across all the program's threads after every `barrierEvery` grains (0: no barriers); waiters
 *   spin for `barrierSpinSeconds`, then block.
 *
 * A `pipeline` program splits its threads into `pipelineStages` stages joined by bounded queues of
 * `queueCapacity` items; an item is one grain of each stage; a thread blocks on an empty input or a full
 * output queue. The first stage's input is the program's `totalWorkSeconds` divided into items.
 *
 * The sources of each named profile's numbers are in parsec-profiles.ts and docs/models/parsec-profiles.md.
 */

/** How a program's threads are organised. */
export type ProgramStructure = 'data-parallel' | 'pipeline';

/** How the literature classes a program's sensitivity to double scheduling (used by the validation claims). */
export type SyncClass = 'embarrassingly-parallel' | 'sync-light' | 'sync-heavy';

/** A parallel program's parameters. Times are seconds of CPU time at the host's nominal clock. */
export interface ParallelProfile {
  readonly name: string;
  /** One line: what the program is and why it synchronises as it does. */
  readonly description: string;
  readonly syncClass: SyncClass;
  readonly structure: ProgramStructure;
  /** Threads; when absent, one per vCPU of the VM at its maximum. */
  readonly threads?: number;
  /** Work of one run of the program, summed over threads, seconds. */
  readonly totalWorkSeconds: number;
  /** Mean compute between a thread's synchronisation points, seconds. */
  readonly grainSeconds: number;
  /** Coefficient of variation of a grain (load imbalance), ≥ 0. */
  readonly grainVariation: number;
  /** A barrier over all threads after every this many grains (0: none). */
  readonly barrierEvery: number;
  /** Spinning before a barrier waiter blocks, seconds (0: blocks at once, as a pthread barrier). */
  readonly barrierSpinSeconds: number;
  /** Lock acquisitions per grain (fractional: a probability). */
  readonly locksPerGrain: number;
  /**
   * `mutex`: adaptive mutex (spin `mutexSpinSeconds`, then block); `spin`: user test-and-set spinlock with PAUSE
   * (glibc `pthread_spin_lock`); `ticket`: kernel-style ticket spinlock (FIFO hand-off, not preemptible by the guest).
   */
  readonly lockKind: 'spin' | 'mutex' | 'ticket';
  /** Distinct locks; each acquisition picks one uniformly. */
  readonly lockCount: number;
  readonly criticalSectionSeconds: number;
  /** Spinning before a mutex waiter blocks, seconds (adaptive mutex). */
  readonly mutexSpinSeconds: number;
  /** TLB shootdowns per grain (fractional: a probability). */
  readonly shootdownsPerGrain: number;
  /**
   * Critical section of the lock inside the barrier, seconds (absent or 0: a pthread barrier without one). When
   * set, arriving and leaving take the barrier's mutex by a busy trylock loop without PAUSE, as PARSEC's
   * `parsec_barrier_wait` does with `ENABLE_SPIN_BARRIER`; the last arrival's section also wakes the blocked waiters.
   */
  readonly barrierLockSeconds?: number;
  /** Pipeline stages (pipeline programs only; threads are split evenly, the remainder going to the first stages). */
  readonly pipelineStages?: number;
  /** Items each queue between stages holds (pipeline programs only). */
  readonly queueCapacity?: number;
  /** Where the numbers come from. */
  readonly source: string;
}
