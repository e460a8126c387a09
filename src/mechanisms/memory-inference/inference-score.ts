/**
 * Scores reported evictions against the guest's real ones: precision, recall and detection delay.
 *
 * The truth is kept per block: whether the block's last real eviction is still unmatched, when it happened and from
 * which page. A reported eviction of a block is a true positive when that block has an unmatched real eviction,
 * else a false positive (a journal copy, a deleted file's page, an eviction counted twice). A real eviction is a
 * false negative when its block is read back into the cache or evicted again, or the run ends, with it still
 * unmatched although its page was put to a new use meanwhile; an eviction whose page is never reused cannot be seen by any reuse-based
 * method and is reported apart (`undetectable`).
 *
 * Drops (pages freed by a delete) are not evictions. A real eviction whose block is freed before the eviction was
 * reported leaves the scores (`evictedThenFreed`): an eviction of a dead block is no consumer's concern, and
 * reporting one is what block liveness exists to prevent. A withdrawn report is taken back from whichever count it
 * went to. Runs end with a `sync` so that reuses by writes reach the disk.
 *
 * Delay = report time − real eviction time. Its distribution is kept in a log-spaced histogram (10 bins per decade
 * from 1 µs to 10⁵ s) so that memory stays constant over millions of evictions.
 */
import { CacheExit, type CacheTruthSink } from '../../model/guest-os/guest-events.js';
import type { InferenceListener } from './geiger-inference.js';

const PENDING = 1;
const STATE = 0;
const AT = 1;
const FROM = 2;
const DELAY = 3;
const MATCHED = 2;
const DELAY_BINS_PER_DECADE = 10;
const DELAY_MIN_SECONDS = 1e-6;
const DELAY_BINS = 11 * DELAY_BINS_PER_DECADE + 1;

/** Scores of one run. */
export interface InferenceScoreSummary {
  trueEvictions: number;
  reportedEvictions: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** Real evictions whose page was never reused by the end (no reuse-based method can see them yet). */
  undetectable: number;
  drops: number;
  /** Real evictions whose block was freed before the eviction was reported (left out of the scores). */
  evictedThenFreed: number;
  /** TP / (TP + FP); 1 when nothing was reported. */
  precision: number;
  /** TP / (TP + FN); 1 when nothing was detectable. */
  recall: number;
  meanDelaySeconds: number;
  medianDelaySeconds: number;
  p95DelaySeconds: number;
}

export class InferenceScore implements CacheTruthSink, InferenceListener {
  /**
   * Per block, four numbers: the state of its last real eviction (0 none or settled, PENDING, MATCHED), its time,
   * the page and that page's generation then (page × 2³² + generation), and the delay its last report was matched
   * with (−1: the report was a false positive). One array, so that an event on a block touches one cache line.
   */
  private readonly blocks: Float64Array;
  /** Per page: how many times it was put to a new use. */
  private readonly generation: Uint32Array;
  private readonly delayHistogram = new Float64Array(DELAY_BINS);
  private delaySum = 0;
  private trueEvictions = 0;
  private truePositives = 0;
  private falsePositives = 0;
  private falseNegatives = 0;
  private drops = 0;
  private evictedThenFreed = 0;

  constructor(pageCount: number, blockCount: number) {
    this.blocks = new Float64Array(blockCount * 4);
    for (let block = 0; block < blockCount; block++) this.blocks[block * 4 + DELAY] = -1;
    this.generation = new Uint32Array(pageCount);
  }

  // --- truth ---

  insert(_timeSeconds: number, _page: number, block: number, byRead: boolean): void {
    // Read back into the cache: the VMM saw the read, so an eviction still unmatched was missed. A block rewritten
    // in full comes back unseen (until writeback), and its eviction can still be found meanwhile.
    if (!byRead) return;
    if (this.blocks[block * 4 + STATE] === PENDING) this.falseNegatives++;
    this.blocks[block * 4 + STATE] = 0;
  }

  reuse(_timeSeconds: number, page: number): void {
    this.generation[page]!++;
  }

  remove(timeSeconds: number, page: number, block: number, exit: number): void {
    if (exit !== CacheExit.eviction) {
      this.drops++;
      return;
    }
    this.trueEvictions++;
    if (this.blocks[block * 4 + STATE] === PENDING) this.falseNegatives++;
    this.blocks[block * 4 + STATE] = PENDING;
    this.blocks[block * 4 + AT] = timeSeconds;
    this.blocks[block * 4 + FROM] = page * 2 ** 32 + this.generation[page]!;
  }

  blockFreed(_timeSeconds: number, block: number): void {
    if (this.blocks[block * 4 + STATE] === PENDING) {
      this.blocks[block * 4 + STATE] = 0;
      this.evictedThenFreed++;
    }
  }

  // --- reports ---

  inferred(): void {}

  eviction(timeSeconds: number, _page: number, block: number): void {
    if (this.blocks[block * 4 + STATE] === PENDING) {
      this.blocks[block * 4 + STATE] = MATCHED;
      this.truePositives++;
      const delay = Math.max(0, timeSeconds - this.blocks[block * 4 + AT]!);
      this.delaySum += delay;
      this.delayHistogram[delayBin(delay)]!++;
      this.blocks[block * 4 + DELAY] = delay;
    } else {
      this.falsePositives++;
      this.blocks[block * 4 + DELAY] = -1;
    }
  }

  cancelled(_timeSeconds: number, block: number, reported: boolean): void {
    if (!reported) return;
    const delay = this.blocks[block * 4 + DELAY]!;
    if (delay >= 0 && this.blocks[block * 4 + STATE] === MATCHED) {
      this.truePositives--;
      this.delaySum -= delay;
      this.delayHistogram[delayBin(delay)]!--;
      this.blocks[block * 4 + STATE] = PENDING;
    } else {
      this.falsePositives--;
    }
    this.blocks[block * 4 + DELAY] = -1;
  }

  insertion(): void {}

  /** The scores so far (unmatched real evictions on reused pages count as missed). */
  summary(): InferenceScoreSummary {
    let pendingReused = 0;
    let undetectable = 0;
    const blockCount = this.blocks.length / 4;
    for (let block = 0; block < blockCount; block++) {
      if (this.blocks[block * 4 + STATE] !== PENDING) continue;
      const from = this.blocks[block * 4 + FROM]!;
      const page = Math.floor(from / 2 ** 32);
      if (this.generation[page] !== from - page * 2 ** 32) pendingReused++;
      else undetectable++;
    }
    const falseNegatives = this.falseNegatives + pendingReused;
    const tp = this.truePositives;
    const fp = this.falsePositives;
    return {
      trueEvictions: this.trueEvictions,
      reportedEvictions: tp + fp,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives,
      undetectable,
      drops: this.drops,
      evictedThenFreed: this.evictedThenFreed,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + falseNegatives === 0 ? 1 : tp / (tp + falseNegatives),
      meanDelaySeconds: tp === 0 ? 0 : this.delaySum / tp,
      medianDelaySeconds: this.delayQuantile(0.5),
      p95DelaySeconds: this.delayQuantile(0.95),
    };
  }

  /** A quantile of the delay histogram (the upper edge of the bin it falls in). */
  private delayQuantile(quantile: number): number {
    let total = 0;
    for (let i = 0; i < DELAY_BINS; i++) total += this.delayHistogram[i]!;
    if (total === 0) return 0;
    const target = quantile * total;
    let cumulative = 0;
    for (let i = 0; i < DELAY_BINS; i++) {
      cumulative += this.delayHistogram[i]!;
      if (cumulative >= target && this.delayHistogram[i]! > 0) return DELAY_MIN_SECONDS * 10 ** (i / DELAY_BINS_PER_DECADE);
    }
    return DELAY_MIN_SECONDS * 10 ** ((DELAY_BINS - 1) / DELAY_BINS_PER_DECADE);
  }
}

function delayBin(delaySeconds: number): number {
  if (delaySeconds <= DELAY_MIN_SECONDS) return 0;
  const bin = Math.ceil(Math.log10(delaySeconds / DELAY_MIN_SECONDS) * DELAY_BINS_PER_DECADE);
  return bin >= DELAY_BINS ? DELAY_BINS - 1 : bin;
}
