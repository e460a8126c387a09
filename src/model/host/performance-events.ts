/**
 * The hardware events a core's performance counters count, as integer indices into counter arrays.
 *
 * Counters are kept as `Float64Array` rows of {@link EVENT_COUNT} entries (per core, per vCPU, per guest thread),
 * indexed by these constants, so advancing them in the scheduler's inner loop is a handful of multiply-adds and
 * no object is touched. Float64 holds integers exactly up to 2^53: 60 days of 4 GHz cycles.
 *
 * The set follows the events Bellosa's event-driven energy accounting and Stoess et al. (USENIX ATC 2007,
 * section 4.1) read on Pentium 4/D processors: unhalted cycles, retired instructions (µops), L2 misses, memory
 * (bus) accesses, mispredicted branches and floating-point operations. The time-stamp counter, which advances at
 * a constant rate whether the core runs or halts, is not an event here: it is wall time × the TSC frequency.
 */

/** Cycles in which the core was not halted (the clock runs). */
export const EVENT_UNHALTED_CYCLES = 0;
/** Retired instructions. */
export const EVENT_INSTRUCTIONS = 1;
/** Last-level (L2) cache misses. */
export const EVENT_L2_MISSES = 2;
/** Memory (front-side bus) accesses. */
export const EVENT_MEMORY_ACCESSES = 3;
/** Mispredicted branches. */
export const EVENT_BRANCH_MISPREDICTIONS = 4;
/** Floating-point operations. */
export const EVENT_FLOATING_POINT = 5;
/** Number of event kinds (the width of every counter row). */
export const EVENT_COUNT = 6;

/** Names as they appear in scenario files, weight tables and reports, in index order. */
export const EVENT_NAMES = ['unhaltedCycles', 'instructions', 'l2Misses', 'memoryAccesses', 'branchMispredictions', 'floatingPoint'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Index of an event name; throws on an unknown name (callers validate user input before). */
export function eventIndex(name: string): number {
  const index = (EVENT_NAMES as readonly string[]).indexOf(name);
  if (index < 0) throw new RangeError(`unknown performance event "${name}"; valid: ${EVENT_NAMES.join(', ')}`);
  return index;
}
