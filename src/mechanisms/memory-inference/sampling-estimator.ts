/**
 * VMware ESX's statistical working-set estimator (C. A. Waldspurger, "Memory Resource Management in VMware ESX
 * Server", OSDI 2002, §5.3): each period, n random guest pages are sampled and their mappings invalidated; the
 * fraction f = t/n touched during the period estimates the fraction of memory in active use. The paper's default
 * is n = 100 pages per 30-second period. It smooths f with "a slow exponentially-weighted moving average … a faster
 * average that adapts more quickly, and a version of the faster average that incorporates counts from the current
 * sampling period", using the maximum; the averages' gains were not found, so 0.1 (slow) and 0.5 (fast) are
 * assumptions, stated in docs/models/guest-memory.md.
 *
 * The estimate can never exceed the memory the VM has: when the VM thrashes every page is touched, f → 1, and the
 * estimate saturates at its current size however large the real working set is. That is the failure Geiger's
 * estimator removes.
 */
import type { RandomStream } from '../../kernel/random.js';

export interface SamplingEstimatorOptions {
  /** Pages sampled per period (100). */
  readonly samplePages: number;
  /** Sampling period, seconds of guest time (30). */
  readonly periodSeconds: number;
  /** Gain of the slow moving average (assumption: 0.1). */
  readonly slowGain: number;
  /** Gain of the fast moving average (assumption: 0.5). */
  readonly fastGain: number;
}

/** How the estimator invalidates a page's mapping (watch) and restores it (unwatch). */
export interface PageWatch {
  watch(page: number): void;
  unwatch(page: number): void;
}

export const ESX_SAMPLING_DEFAULTS: SamplingEstimatorOptions = { samplePages: 100, periodSeconds: 30, slowGain: 0.1, fastGain: 0.5 };

export class SamplingEstimator {
  readonly options: SamplingEstimatorOptions;
  private readonly pages: PageWatch;
  private readonly pageCount: number;
  /** Non-zero for a sampled page not yet touched this period. */
  private readonly pending: Uint8Array;
  private readonly random: RandomStream;
  private readonly sampled: Int32Array;
  private touched = 0;
  private periodEnd: number;
  private slow = -1;
  private fast = -1;
  private periods = 0;

  constructor(pageCount: number, random: RandomStream, pages: PageWatch, options: SamplingEstimatorOptions = ESX_SAMPLING_DEFAULTS) {
    if (!(Number.isInteger(options.samplePages) && options.samplePages >= 1 && options.samplePages <= pageCount)) {
      throw new RangeError(`SamplingEstimator: samplePages must be an integer in [1, ${pageCount}], got ${options.samplePages}`);
    }
    this.options = options;
    this.pages = pages;
    this.pageCount = pageCount;
    this.pending = new Uint8Array(pageCount);
    this.random = random;
    this.sampled = new Int32Array(options.samplePages);
    this.periodEnd = options.periodSeconds;
    this.sample();
  }

  /** A sampled page was touched (its invalidated mapping faulted). */
  readonly touch = (page: number): void => {
    if (this.pending[page] !== 0) {
      this.pending[page] = 0;
      this.touched++;
    }
  };

  /** Closes the periods that ended by `timeSeconds`. */
  advanceTo(timeSeconds: number): void {
    while (timeSeconds >= this.periodEnd) {
      const fraction = this.touched / this.options.samplePages;
      if (this.periods === 0) {
        this.slow = fraction;
        this.fast = fraction;
      } else {
        this.slow += this.options.slowGain * (fraction - this.slow);
        this.fast += this.options.fastGain * (fraction - this.fast);
      }
      this.periods++;
      this.periodEnd += this.options.periodSeconds;
      this.sample();
    }
  }

  /** Completed periods. */
  get completedPeriods(): number {
    return this.periods;
  }

  /** The active fraction: the largest of the slow average, the fast average and the fast one with this period's count. */
  activeFraction(): number {
    if (this.periods === 0) return this.touched / this.options.samplePages;
    const current = this.fast + this.options.fastGain * (this.touched / this.options.samplePages - this.fast);
    return Math.max(this.slow, this.fast, current);
  }

  /** The estimated working set, pages, for a VM with `memoryPages` of memory. */
  workingSetPages(memoryPages: number): number {
    return this.activeFraction() * memoryPages;
  }

  private sample(): void {
    for (let i = 0; i < this.sampled.length; i++) {
      const page = this.sampled[i]!;
      if (this.pending[page] !== 0) {
        this.pending[page] = 0;
        this.pages.unwatch(page);
      }
    }
    this.touched = 0;
    for (let i = 0; i < this.sampled.length; i++) {
      // Distinct pages: a repeat would count once when touched and cap the fraction below 1.
      let page = this.random.nextInt(this.pageCount);
      while (this.pending[page] !== 0) page = this.random.nextInt(this.pageCount);
      this.sampled[i] = page;
      this.pending[page] = 1;
      this.pages.watch(page);
    }
  }
}
