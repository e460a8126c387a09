/**
 * Pins the overload detectors (src/policies/consolidation/overload-detection.ts) against a fake HostLoadView,
 * with thresholds and regression predictions worked out by hand. Histories use multiples of 1/64 where an exact
 * boundary is tested, so the hand arithmetic is also the machine's.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/kernel/random.js';
import {
  createOverloadDetector,
  HISTORY_LENGTH,
  OVERLOAD_DETECTOR_NAMES,
  type HostLoadView,
  type OverloadDetector,
} from '../../src/policies/consolidation/overload-detection.js';

/** A host seen through a plain object; records every query's (host, withVm). */
class FakeHostLoadView implements HostLoadView {
  readonly calls: { query: string; host: number; withVm: number }[] = [];
  constructor(
    public requested: number,
    /** Newest first, no trailing zeros (the view's contract). */
    public history: number[] = [],
    public migrationSeconds = 0,
    readonly schedulingIntervalSeconds = 300,
  ) {}
  requestedUtilisation(host: number, withVm: number): number {
    this.calls.push({ query: 'requested', host, withVm });
    return this.requested;
  }
  utilisationHistory(host: number, withVm: number, out: Float64Array): number {
    this.calls.push({ query: 'history', host, withVm });
    expect(out.length).toBeGreaterThanOrEqual(HISTORY_LENGTH);
    out.set(this.history);
    return this.history.length;
  }
  maxVmMigrationSeconds(host: number, withVm: number): number {
    this.calls.push({ query: 'migration', host, withVm });
    return this.migrationSeconds;
  }
}

const thr = (threshold: number): OverloadDetector => createOverloadDetector({ name: 'thr', threshold });
const mad = (safety = 2.5): OverloadDetector => createOverloadDetector({ name: 'mad', safety, fallbackThreshold: 0.7, minHistory: 12 });
const iqr = (safety = 1.5): OverloadDetector => createOverloadDetector({ name: 'iqr', safety, fallbackThreshold: 0.7, minHistory: 12 });
const lr = (safety = 1.2): OverloadDetector => createOverloadDetector({ name: 'lr', safety, fallbackThreshold: 0.7, historyWindow: 10 });
const lrr = (safety = 1.2): OverloadDetector => createOverloadDetector({ name: 'lrr', safety, fallbackThreshold: 0.7, historyWindow: 10 });

const decide = (detector: OverloadDetector, view: HostLoadView): boolean => detector.isOverloaded(view, 0);

describe('thr (static threshold)', () => {
  it('is overloaded strictly above the threshold', () => {
    const detector = thr(0.8);
    expect(decide(detector, new FakeHostLoadView(0.81))).toBe(true);
    expect(decide(detector, new FakeHostLoadView(0.8 + 1e-12))).toBe(true);
    expect(decide(detector, new FakeHostLoadView(0.8))).toBe(false); // equal is not overloaded
    expect(decide(detector, new FakeHostLoadView(0.79))).toBe(false);
    expect(decide(detector, new FakeHostLoadView(1.5))).toBe(true);
  });

  it('does not look at the history', () => {
    const view = new FakeHostLoadView(0.5, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(decide(thr(0.8), view)).toBe(false);
    expect(view.calls.map((c) => c.query)).toEqual(['requested']);
  });
});

// Twelve history values (newest first) in 64ths: k = 32 34 30 36 28 40 24 32 33 31 32 32.
// Sorted: 24 28 30 31 32 32 32 32 33 34 36 40.
const K12 = [32, 34, 30, 36, 28, 40, 24, 32, 33, 31, 32, 32];
const HISTORY12 = K12.map((k) => k / 64);

describe('mad (adaptive threshold 1 − s · MAD)', () => {
  // median: position 6.5 → (32 + 32) / 2 = 32; |k − 32| = 0 2 2 4 4 8 8 0 1 1 0 0 → sorted 0 0 0 0 1 1 2 2 4 4 8 8
  // → median (1 + 2) / 2 = 1.5. MAD = 1.5/64 = 3/128. s = 2.5: threshold = 1 − 2.5 · 3/128 = 1 − 15/256 = 241/256
  // = 0.94140625 (every step is exact in binary).
  const threshold = 241 / 256;

  it('compares the requested utilisation with the hand-computed threshold, strictly', () => {
    expect(decide(mad(), new FakeHostLoadView(threshold, HISTORY12))).toBe(false);
    expect(decide(mad(), new FakeHostLoadView(threshold + 2 ** -30, HISTORY12))).toBe(true);
    expect(decide(mad(), new FakeHostLoadView(threshold - 2 ** -30, HISTORY12))).toBe(false);
    // 0.8 is above the 0.7 fallback but below 0.94: not overloaded once the history is long enough.
    expect(decide(mad(), new FakeHostLoadView(0.8, HISTORY12))).toBe(false);
  });

  it('scales with the safety parameter', () => {
    // s = 10: 1 − 10 · 3/128 = 1 − 30/128 = 98/128 = 0.765625.
    expect(decide(mad(10), new FakeHostLoadView(0.765625, HISTORY12))).toBe(false);
    expect(decide(mad(10), new FakeHostLoadView(0.765625 + 2 ** -30, HISTORY12))).toBe(true);
  });

  it('falls back to the 0.7 threshold with fewer than 12 values', () => {
    const history11 = HISTORY12.slice(0, 11);
    expect(decide(mad(), new FakeHostLoadView(0.8, history11))).toBe(true); // 0.8 > 0.7
    expect(decide(mad(), new FakeHostLoadView(0.7, history11))).toBe(false); // 0.7 is not > 0.7
    expect(decide(mad(), new FakeHostLoadView(0.7000001, history11))).toBe(true);
    // An all-zero history is one value long (CloudSim's trim): fallback as well.
    expect(decide(mad(), new FakeHostLoadView(0.75, [0]))).toBe(true);
    expect(decide(mad(), new FakeHostLoadView(0.65, []))).toBe(false);
  });
});

describe('iqr (adaptive threshold 1 − s · IQR)', () => {
  // n = 12: Q1 at index round(3.25) − 1 = 2 → 30, Q3 at index round(9.75) − 1 = 9 → 34 (sorted list above).
  // IQR = 4/64 = 1/16; s = 1.5: threshold = 1 − 1.5/16 = 1 − 0.09375 = 0.90625.
  const threshold = 0.90625;

  it('compares the requested utilisation with the hand-computed threshold, strictly', () => {
    expect(decide(iqr(), new FakeHostLoadView(threshold, HISTORY12))).toBe(false);
    expect(decide(iqr(), new FakeHostLoadView(threshold + 2 ** -30, HISTORY12))).toBe(true);
    expect(decide(iqr(), new FakeHostLoadView(threshold - 2 ** -30, HISTORY12))).toBe(false);
  });

  it('uses the whole history (n = 13 shifts both quartile indices)', () => {
    // Append 64/64 (oldest): sorted 24 28 30 31 32 32 32 32 33 34 36 40 64; n = 13:
    // Q1 index round(3.5) − 1 = 3 → 31, Q3 index round(10.5) − 1 = 10 → 36; IQR = 5/64;
    // threshold = 1 − 1.5 · 5/64 = 1 − 7.5/64 = 56.5/64 = 0.8828125.
    const history13 = [...HISTORY12, 1];
    expect(decide(iqr(), new FakeHostLoadView(0.8828125, history13))).toBe(false);
    expect(decide(iqr(), new FakeHostLoadView(0.8828125 + 2 ** -30, history13))).toBe(true);
  });

  it('falls back to the 0.7 threshold with fewer than 12 values', () => {
    const history11 = HISTORY12.slice(1);
    expect(decide(iqr(), new FakeHostLoadView(0.8, history11))).toBe(true);
    expect(decide(iqr(), new FakeHostLoadView(0.7, history11))).toBe(false);
  });
});

// A perfectly linear history. Oldest first at x = 1..10 the regression sees y = 0.25 + 0.05 x (0.30 … 0.75), so
// newest first it is 0.75, 0.70, …, 0.30. Two older values follow that the 10-value window must ignore.
const LINEAR_HISTORY = [0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.99, 0.01];
// Prediction at x = 10 + c, c = ⌈Tmig / interval⌉: 0.25 + 0.05 (10 + c) = 0.75 + 0.05 c; times safety 1.2:
//   c = 0: 0.75 · 1.2 = 0.90 → not overloaded
//   c = 1: 0.80 · 1.2 = 0.96 → not overloaded
//   c = 2: 0.85 · 1.2 = 1.02 → overloaded (≥ 1)
// (the regression's rounding is ~1e-16, far from these margins).

describe.each([
  ['lr', lr],
  ['lrr', lrr],
] as const)('%s (local regression)', (_name, make) => {
  it('extrapolates the newest 10 values by ⌈Tmig / interval⌉ intervals', () => {
    expect(decide(make(), new FakeHostLoadView(0, LINEAR_HISTORY, 0))).toBe(false); // c = 0 → 0.90
    expect(decide(make(), new FakeHostLoadView(0, LINEAR_HISTORY, 27.84))).toBe(false); // ⌈0.0928⌉ = 1 → 0.96
    expect(decide(make(), new FakeHostLoadView(0, LINEAR_HISTORY, 300))).toBe(false); // ⌈1⌉ = 1 → 0.96
    expect(decide(make(), new FakeHostLoadView(0, LINEAR_HISTORY, 301))).toBe(true); // ⌈1.0033⌉ = 2 → 1.02
    // A 60 s interval: ⌈27.84 / 60⌉ = 1 → 0.96; ⌈61 / 60⌉ = 2 → 1.02.
    expect(decide(make(), new FakeHostLoadView(0, LINEAR_HISTORY, 27.84, 60))).toBe(false);
    expect(decide(make(), new FakeHostLoadView(0, LINEAR_HISTORY, 61, 60))).toBe(true);
  });

  it('does not use the requested utilisation once it has enough history', () => {
    expect(decide(make(), new FakeHostLoadView(5, LINEAR_HISTORY, 0))).toBe(false);
  });

  it('scales the prediction by the safety parameter', () => {
    // c = 1: prediction 0.80; s = 1.3 → 1.04 ≥ 1, overloaded (with s = 1.2 it is 0.96, not overloaded: above).
    expect(decide(make(1.3), new FakeHostLoadView(0, LINEAR_HISTORY, 27.84))).toBe(true);
  });

  it('is overloaded when the prediction is exactly 1 (≥, not >)', () => {
    // Ten values of 0.5: every dy is 0, so sumXY = 0 and the slope is exactly 0; the intercept is
    // (Σy − 0 · Σx) / 10 = 5 / 10 = 0.5 exactly. Prediction 0.5 · s: s = 2 → exactly 1 → overloaded;
    // s = 1.999 → 0.9995 → not.
    const flat = new Array<number>(10).fill(0.5);
    expect(decide(make(2), new FakeHostLoadView(0, flat, 1000))).toBe(true);
    expect(decide(make(1.999), new FakeHostLoadView(0, flat, 1000))).toBe(false);
  });

  it('falls back to the 0.7 threshold with fewer than 10 values', () => {
    const history9 = LINEAR_HISTORY.slice(0, 9);
    // Even a steep rising history is ignored: only requested > 0.7 counts.
    expect(decide(make(), new FakeHostLoadView(0.71, history9, 10_000))).toBe(true);
    expect(decide(make(), new FakeHostLoadView(0.7, history9, 10_000))).toBe(false);
    expect(decide(make(), new FakeHostLoadView(0.5, [1, 1, 1, 1, 1, 1, 1, 1, 1], 10_000))).toBe(false);
  });
});

describe('lrr gives the same answers as lr', () => {
  // CloudSim's "loess" regression only applies its tricube weights when at least 40 % of them are ≤ 0, and
  // getTricubeWeigts never produces a weight ≤ 0 (it stores 1/k or Double.MAX_VALUE), so LR is plain OLS; LRR's
  // robust pass re-weights with the same rule and therefore returns the same line. Same line ⇒ same decision.
  it('on 500 random histories and migration times', () => {
    const random = new RandomStream(99, 'overload-detection-test');
    const a = lr();
    const b = lrr();
    let overloaded = 0;
    for (let trial = 0; trial < 500; trial++) {
      const length = 5 + random.nextInt(26); // 5..30 values: some fall back, most regress
      const history = Array.from({ length }, () => 0.05 + 0.9 * random.nextFloat());
      const view = new FakeHostLoadView(random.nextFloat(), history, 600 * random.nextFloat());
      const decision = a.isOverloaded(view, 0);
      expect(b.isOverloaded(view, 0)).toBe(decision);
      if (decision) overloaded++;
    }
    // Both outcomes occur, so the comparison is not vacuous.
    expect(overloaded).toBeGreaterThan(0);
    expect(overloaded).toBeLessThan(500);
  });
});

describe('withVm is passed through to the view', () => {
  const detectors: [string, OverloadDetector, number[]][] = [
    ['thr', thr(0.8), []],
    ['mad', mad(), HISTORY12],
    ['mad (fallback)', mad(), [0.5]],
    ['iqr', iqr(), HISTORY12],
    ['lr', lr(), LINEAR_HISTORY],
    ['lr (fallback)', lr(), [0.5]],
    ['lrr', lrr(), LINEAR_HISTORY],
  ];

  it.each(detectors)('%s', (_name, detector, history) => {
    const view = new FakeHostLoadView(0.75, history, 100);
    detector.isOverloaded(view, 3, 17);
    expect(view.calls.length).toBeGreaterThan(0);
    for (const call of view.calls) expect(call).toMatchObject({ host: 3, withVm: 17 });
    const plain = new FakeHostLoadView(0.75, history, 100);
    detector.isOverloaded(plain, 4); // withVm defaults to −1: the host as it is
    for (const call of plain.calls) expect(call).toMatchObject({ host: 4, withVm: -1 });
  });
});

describe('createOverloadDetector', () => {
  it('builds every named preset under its name', () => {
    expect([...OVERLOAD_DETECTOR_NAMES].sort()).toEqual(['iqr', 'lr', 'lrr', 'mad', 'thr']);
    expect([thr(0.8), iqr(), mad(), lr(), lrr()].map((d) => d.name)).toEqual(['thr', 'iqr', 'mad', 'lr', 'lrr']);
  });
});
