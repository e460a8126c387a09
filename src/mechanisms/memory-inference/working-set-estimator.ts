/**
 * Geiger's working-set-size estimator: inferred evictions feed a ghost list; a disk read of a block found in it at
 * position k means a cache k pages larger would have hit. Counting those positions gives the disk reads the guest
 * would make at every larger memory size — the miss curve above the current size — and from it the working-set
 * size. It needs only evictions and misses, both of which grow when a VM thrashes, which is when a sampling
 * estimator (that counts touched pages) saturates at the memory the VM already has.
 *
 * Curves are kept per window (`startWindow` … `curve`) so a memory manager can read recent behaviour. Positions are
 * binned (`binPages` pages a bin) so a curve costs a fixed array.
 */
import { GhostList } from './ghost-list.js';
import type { InferenceListener } from './geiger-inference.js';

/** Disk reads at memory sizes from the current one upward, as the estimator predicts them. */
export interface EstimatedMissCurve {
  /** The guest's memory while measured, pages. */
  readonly currentPages: number;
  /** Extra pages at point i: i × binPages. */
  readonly binPages: number;
  /** Disk reads predicted with i × binPages more pages (index 0: the reads observed). */
  readonly diskReads: Float64Array;
}

/**
 * The working-set size read from a curve of disk reads against memory: the smallest size that removes at least
 * `1 − tolerance` of the reads a largest size removes. Both the estimated and the true curve go through it.
 * @param sizes memory sizes, pages, increasing.
 * @param diskReads disk reads at each size.
 * @param tolerance fraction of the avoidable reads allowed to remain (0.1).
 */
export function workingSetFromCurve(sizes: ArrayLike<number>, diskReads: ArrayLike<number>, tolerance = 0.1): number {
  const n = sizes.length;
  if (n === 0) throw new RangeError('workingSetFromCurve: empty curve');
  const first = diskReads[0]!;
  const floor = diskReads[n - 1]!;
  const avoidable = first - floor;
  if (avoidable <= 0) return sizes[0]!;
  const threshold = floor + tolerance * avoidable;
  for (let i = 0; i < n; i++) if (diskReads[i]! <= threshold) return sizes[i]!;
  return sizes[n - 1]!;
}

export class WorkingSetEstimator implements InferenceListener {
  readonly ghost: GhostList;
  readonly binPages: number;
  private readonly hits: Float64Array;
  private diskReads = 0;

  /**
   * @param ghostCapacityPages how much larger a memory the estimator can speak for.
   * @param blockCount size of the guest's block space.
   * @param bins points on the curve (the ghost capacity is split into this many bins).
   */
  constructor(ghostCapacityPages: number, blockCount: number, bins = 512) {
    this.ghost = new GhostList(ghostCapacityPages, blockCount);
    this.binPages = Math.max(1, Math.ceil(ghostCapacityPages / bins));
    this.hits = new Float64Array(Math.ceil(ghostCapacityPages / this.binPages) + 1);
  }

  /**
   * Ghost entries go in at inference, in the order evictions were seen: reporting waits for liveness, and a held
   * eviction reported at its block's re-read would land at position 1. One found to be a deleted file's page is
   * taken out again (`cancelled`).
   */
  inferred(_timeSeconds: number, _page: number, block: number): void {
    this.ghost.push(block);
  }

  eviction(): void {}

  cancelled(_timeSeconds: number, block: number): void {
    this.ghost.remove(block);
  }

  insertion(_timeSeconds: number, _page: number, block: number, byRead: boolean): void {
    if (!byRead) {
      // A block rewritten in full is back in the cache without a read: no hit to count, no ghost left.
      this.ghost.remove(block);
      return;
    }
    this.diskReads++;
    const position = this.ghost.position(block);
    if (position > 0) {
      this.hits[Math.ceil(position / this.binPages)]!++;
      this.ghost.remove(block);
    }
  }

  /** Starts a new measurement window (the ghost list itself is kept). */
  startWindow(): void {
    this.hits.fill(0);
    this.diskReads = 0;
  }

  /** The predicted curve for the current window; `currentPages` is the guest's memory meanwhile. */
  curve(currentPages: number): EstimatedMissCurve {
    const points = this.hits.length;
    const diskReads = new Float64Array(points);
    let reads = this.diskReads;
    diskReads[0] = reads;
    for (let i = 1; i < points; i++) {
      reads -= this.hits[i]!;
      diskReads[i] = reads;
    }
    return { currentPages, binPages: this.binPages, diskReads };
  }

  /** The working-set size the window's curve gives, pages (see `workingSetFromCurve`). */
  workingSetPages(currentPages: number, tolerance = 0.1): number {
    const curve = this.curve(currentPages);
    const sizes = new Float64Array(curve.diskReads.length);
    for (let i = 0; i < sizes.length; i++) sizes[i] = currentPages + i * curve.binPages;
    return workingSetFromCurve(sizes, curve.diskReads, tolerance);
  }
}
