/**
 * Pins the statistics kernels the consolidation policies use (src/util/statistics.ts) with small cases whose
 * expected values are worked out by hand in the comments, following the Apache Commons Math 3 / CloudSim 3.0.3
 * definitions the module claims to reproduce. Random inputs come from fixed seeds, so nothing can flake.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/kernel/random.js';
import {
  allRSquared,
  interquartileRange,
  lengthWithoutZeroTail,
  median,
  medianAbsoluteDeviation,
  rSquaredWithIntercept,
  simpleRegression,
} from '../../src/util/statistics.js';

const scratch = (n = 32): Float64Array => new Float64Array(n);

describe('median (Apache legacy percentile at p = 50)', () => {
  it('odd n: the middle value', () => {
    // Sorted: 1 1 3 4 5; position (n + 1) / 2 = 3 → third value = 3.
    expect(median([3, 1, 4, 1, 5], 5, scratch())).toBe(3);
  });

  it('even n: halfway between the two middle values (the standard median)', () => {
    // Sorted: 1 2 3 4; position (4 + 1) / 2 = 2.5 → 2 + 0.5 · (3 − 2) = 2.5.
    expect(median([3, 1, 4, 2], 4, scratch())).toBe(2.5);
    // Sorted: 10 20 30 50 60 70; position 3.5 → 30 + 0.5 · (50 − 30) = 40.
    expect(median([70, 10, 60, 20, 50, 30], 6, scratch())).toBe(40);
  });

  it('n = 1 is the value, n = 0 is NaN', () => {
    // Position (1 + 1) / 2 = 1 ≥ n → the last (only) value.
    expect(median([0.42], 1, scratch())).toBe(0.42);
    expect(median([], 0, scratch())).toBeNaN();
  });

  it('uses only the first n values and leaves the input untouched', () => {
    const values = Float64Array.of(9, 1, 5, 100, -100);
    // First three: 9 1 5 → sorted 1 5 9 → 5; the 100 and −100 beyond n must be ignored.
    expect(median(values, 3, scratch())).toBe(5);
    expect(Array.from(values)).toEqual([9, 1, 5, 100, -100]);
  });
});

describe('medianAbsoluteDeviation (CloudSim MathUtil.mad)', () => {
  it('is the median of |x − median(x)|', () => {
    // x = 1 1 2 2 4 6 9: median 2; |x − 2| = 1 1 0 0 2 4 7 → sorted 0 0 1 1 2 4 7 → median 1.
    expect(medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9], 7, scratch(), scratch())).toBe(1);
  });

  it('even n uses the interpolated median at both steps', () => {
    // x = 1 2 3 4: median 2.5; deviations 1.5 0.5 0.5 1.5 → sorted 0.5 0.5 1.5 1.5 → median (0.5 + 1.5) / 2 = 1.
    expect(medianAbsoluteDeviation([4, 1, 3, 2], 4, scratch(), scratch())).toBe(1);
  });

  it('is 0 for n = 0 (CloudSim returns 0 for an empty array)', () => {
    expect(medianAbsoluteDeviation([], 0, scratch(), scratch())).toBe(0);
  });
});

describe('interquartileRange (CloudSim MathUtil.iqr)', () => {
  it('n = 12: Q1 at index round(3.25) − 1 = 2, Q3 at index round(9.75) − 1 = 9', () => {
    // 1..12 shuffled; sorted[2] = 3, sorted[9] = 10 → IQR = 7.
    const values = [7, 12, 1, 9, 3, 11, 5, 2, 10, 4, 8, 6];
    expect(interquartileRange(values, 12, scratch())).toBe(7);
  });

  it('n = 30: Q1 at index round(7.75) − 1 = 7, Q3 at index round(23.25) − 1 = 22', () => {
    // 1..30 in reverse order; sorted[7] = 8, sorted[22] = 23 → IQR = 15.
    const values = Array.from({ length: 30 }, (_, i) => 30 - i);
    expect(interquartileRange(values, 30, scratch())).toBe(15);
  });

  it('n = 13: halves round up, as Java Math.round does', () => {
    // 0.25 · 14 = 3.5 → 4 → index 3; 0.75 · 14 = 10.5 → 11 → index 10. Values 1..13: 11 − 4 = 7.
    const values = Array.from({ length: 13 }, (_, i) => i + 1);
    expect(interquartileRange(values, 13, scratch())).toBe(7);
  });

  it('uses the index rule on unevenly spaced values', () => {
    // Squares 1, 4, …, 144 (n = 12): sorted[2] = 3² = 9, sorted[9] = 10² = 100 → 91.
    const values = Array.from({ length: 12 }, (_, i) => (12 - i) ** 2);
    expect(interquartileRange(values, 12, scratch())).toBe(91);
  });
});

describe('lengthWithoutZeroTail (CloudSim MathUtil.countNonZeroBeginning)', () => {
  it('drops trailing zeros only', () => {
    // 0.3 0 0.2 | 0 0 → the zero inside is kept: length 3.
    expect(lengthWithoutZeroTail([0.3, 0, 0.2, 0, 0], 5)).toBe(3);
    expect(lengthWithoutZeroTail([1, 2, 3], 3)).toBe(3);
    expect(lengthWithoutZeroTail([0.5], 1)).toBe(1);
  });

  it('looks only at the first n values', () => {
    // First three: 1 2 0 → 2 (the 5 at index 3 is outside n).
    expect(lengthWithoutZeroTail([1, 2, 0, 5], 3)).toBe(2);
  });

  it('quirk: an all-zero array counts as 1, and so does n = 0', () => {
    // CloudSim: i = n − 1; while (i ≥ 0) { if (data[i--] != 0) break; } return i + 2.
    // All zeros: the loop runs out at i = −1 → −1 + 2 = 1. Empty: i starts at −1 → 1 as well.
    expect(lengthWithoutZeroTail([0, 0, 0], 3)).toBe(1);
    expect(lengthWithoutZeroTail([], 0)).toBe(1);
  });
});

describe('simpleRegression (Apache SimpleRegression)', () => {
  it('recovers an exact line y = 2x + 1 as [intercept 1, slope 2]', () => {
    const out = new Float64Array(2);
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = x.map((v) => 2 * v + 1);
    simpleRegression(x, y, 10, out);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(2, 12);
  });

  it('three points on y = 2x + 1 give exactly [1, 2]', () => {
    // Apache's updating sums: i = 1: dx = 1, dy = 2, fact2 = 1/2 → sumXX = 0.5, sumXY = 1; xbar 1.5, ybar 4.
    // i = 2: dx = 1.5, dy = 3, f = fl(2/3): sumXX = 0.5 + fl(2.25 f), sumXY = 1 + fl(4.5 f) = 1 + 2 fl(2.25 f)
    // (doubling is exact), so sumXY = 2 · sumXX bit for bit and slope = 2; intercept = (15 − 2 · 6) / 3 = 1.
    const out = new Float64Array(2);
    simpleRegression([1, 2, 3], [3, 5, 7], 3, out);
    expect(Array.from(out)).toEqual([1, 2]);
  });

  it('matches the closed-form OLS estimates on noisy points', () => {
    // x = 1..5, y = 2 4 5 4 5: x̄ = 3, ȳ = 4; Sxx = 4+1+0+1+4 = 10; Sxy = (−2)(−2) + (−1)(0) + 0 + (1)(0) + (2)(1) = 6.
    // slope = 6 / 10 = 0.6; intercept = 4 − 0.6 · 3 = 2.2.
    const out = new Float64Array(2);
    simpleRegression([1, 2, 3, 4, 5], [2, 4, 5, 4, 5], 5, out);
    expect(out[0]).toBeCloseTo(2.2, 12);
    expect(out[1]).toBeCloseTo(0.6, 12);
  });

  it('matches closed-form OLS on unevenly spaced, unsorted x', () => {
    // x = 4 1 3 0, y = 3 1 4 0: x̄ = 2, ȳ = 2; dx = 2 −1 1 −2, dy = 1 −1 2 −2.
    // Sxx = 4 + 1 + 1 + 4 = 10; Sxy = 2 + 1 + 2 + 4 = 9 → slope 0.9; intercept = 2 − 0.9 · 2 = 0.2.
    const out = new Float64Array(2);
    simpleRegression([4, 1, 3, 0], [3, 1, 4, 0], 4, out);
    expect(out[0]).toBeCloseTo(0.2, 12);
    expect(out[1]).toBeCloseTo(0.9, 12);
  });

  it('gives NaN for fewer than 3 points and for x without spread', () => {
    const out = new Float64Array(2);
    simpleRegression([1, 2], [3, 5], 2, out);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
    simpleRegression([2, 2, 2, 2], [1, 2, 3, 4], 4, out);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
  });
});

/** Eight-point ±1 contrasts (columns of a Sylvester–Hadamard matrix without its all-ones column): each sums to 0,
 * has squared norm 8, and any two are orthogonal. They make R² values computable by hand. */
const H1 = [1, -1, 1, -1, 1, -1, 1, -1];
const H2 = [1, 1, -1, -1, 1, 1, -1, -1];
const H3 = [1, -1, -1, 1, 1, -1, -1, 1];
const H4 = [1, 1, 1, 1, -1, -1, -1, -1];

/** Four variables over 8 observations (see the R² derivations below). */
function hadamardVariables(): number[][] {
  const x0 = H1.map((h) => 0.5 + 0.1 * h);
  const x1 = H2.map((h) => 0.5 + 0.1 * h);
  // x2 = x0 + x1 − 0.5 + 0.01 · H3: "x0 + x1" plus a small disturbance orthogonal to everything else.
  const x2 = H1.map((_, r) => 0.5 + 0.1 * H1[r] + 0.1 * H2[r] + 0.01 * H3[r]);
  const x3 = H4.map((h) => 0.5 + 0.1 * h);
  return [x0, x1, x2, x3];
}

/** Row-major regressors (all variables but `target`) and the target column. */
function designWithout(variables: number[][], target: number): { x: Float64Array; y: Float64Array; m: number; k: number } {
  const m = variables[0].length;
  const others = variables.filter((_, j) => j !== target);
  const k = others.length;
  const x = new Float64Array(m * k);
  for (let r = 0; r < m; r++) for (let c = 0; c < k; c++) x[r * k + c] = others[c][r];
  return { x, y: Float64Array.from(variables[target]), m, k };
}

/*
 * Hand-computed R² for hadamardVariables() (centred: x0 = .1 H1, x1 = .1 H2, x2 = .1 H1 + .1 H2 + .01 H3, x3 = .1 H4):
 * - x2 on (x0, x1, x3): projection onto span{H1, H2, H4} is .1 H1 + .1 H2; residual .01 H3, RSS = 1e-4 · 8;
 *   TSS = (.01 + .01 + 1e-4) · 8 = .0201 · 8 → R² = 1 − 1e-4 / .0201 = 1 − 1/201 = 200/201.
 * - x0 on (x1, x2, x3): the span is {H2, v = H1 + .1 H3, H4}; .1 H1 · v = .8, |v|² = 8.08, so the residual is
 *   .1 H1 − (.8 / 8.08) v = (.001/1.01) H1 − (.01/1.01) H3, RSS = 8 (1e-6 + 1e-4) / 1.0201 = 8e-4 / 1.01;
 *   TSS = .01 · 8 → R² = 1 − (1e-4 / 1.01) / .01 = 1 − 1/101 = 100/101. x1 is symmetric: 100/101.
 * - x3 on (x0, x1, x2): H4 is orthogonal to H1, H2, H3, the projection is 0 → R² = 0.
 */
const HADAMARD_R2 = [100 / 101, 100 / 101, 200 / 201, 0];

describe('rSquaredWithIntercept (Apache OLSMultipleLinearRegression.calculateRSquared)', () => {
  it('is 1 for an exact fit', () => {
    // y = 1 + 2 x1 − 3 x2 on non-collinear regressors: residuals vanish, R² = 1 − 0 / TSS = 1.
    const rows = [
      [0, 1],
      [1, 0],
      [2, 3],
      [3, 1],
      [4, 4],
      [5, 2],
    ];
    const x = Float64Array.from(rows.flat());
    const y = Float64Array.from(rows.map(([a, b]) => 1 + 2 * a - 3 * b));
    expect(rSquaredWithIntercept(x, y, 6, 2)).toBeCloseTo(1, 12);
  });

  it('with one regressor equals the squared Pearson correlation', () => {
    // x = 1 2 3 4, y = 2 1 4 3: x̄ = ȳ = 2.5; dx = −1.5 −.5 .5 1.5, dy = −.5 −1.5 1.5 .5.
    // Sxy = .75 + .75 + .75 + .75 = 3; Sxx = Syy = 2.25 + .25 + .25 + 2.25 = 5 → r = 3/5, R² = r² = 0.36.
    const r2 = rSquaredWithIntercept(Float64Array.of(1, 2, 3, 4), Float64Array.of(2, 1, 4, 3), 4, 1);
    expect(r2).not.toBeNull();
    expect(r2!).toBeCloseTo(0.36, 12);
  });

  it('is 0 when y is uncorrelated with x', () => {
    // x = 1 2 3 4, y = 1 −1 −1 1: Σ dx·dy = −1.5·1 + (−.5)(−1) + .5·(−1) + 1.5·1 = 0 → r = 0 → R² = 0.
    const r2 = rSquaredWithIntercept(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, -1, -1, 1), 4, 1);
    expect(r2!).toBeCloseTo(0, 12);
  });

  it('gives the hand-computed R² of each variable regressed on the others', () => {
    const variables = hadamardVariables();
    for (let i = 0; i < 4; i++) {
      const { x, y, m, k } = designWithout(variables, i);
      expect(rSquaredWithIntercept(x, y, m, k)!).toBeCloseTo(HADAMARD_R2[i], 12);
    }
  });

  it('is null with fewer observations than k + 1 or without regressors', () => {
    // k = 2 needs m ≥ 3 (intercept + 2 slopes).
    expect(rSquaredWithIntercept(Float64Array.of(1, 2, 3, 5), Float64Array.of(1, 2), 2, 2)).toBeNull();
    expect(rSquaredWithIntercept(new Float64Array(0), Float64Array.of(1, 2, 3), 3, 0)).toBeNull();
  });

  it('is null for a design with an all-zero column (a zero pivot)', () => {
    // Reflections of earlier columns subtract (−0/d)·v from the zero column, which stays exactly 0, so its
    // pivot is √0 = 0 and Apache's threshold (|pivot| ≤ 0) declares the matrix singular.
    const x = Float64Array.of(1, 0, 2, 0, 3, 0, 5, 0);
    expect(rSquaredWithIntercept(x, Float64Array.of(1, 2, 4, 3), 4, 2)).toBeNull();
    const xFirst = Float64Array.of(0, 1, 0, 2, 0, 3, 0, 5);
    expect(rSquaredWithIntercept(xFirst, Float64Array.of(1, 2, 4, 3), 4, 2)).toBeNull();
  });

  it('is null for two identical columns when the Householder arithmetic is exact', () => {
    // Design [1, x, x] with x = 0 1 1 4 (m = 4), every step exact:
    // minor 0: column of ones, |·|² = 4, α = −2; v0 = (3, 1, 1, 1), denominator α·v0[0] = −6.
    //   x: alphaDot = −(0·3 + 1 + 1 + 4) / −6 = 1 → x − v0 = (−3, 0, 0, 3); the copy of x becomes the same.
    // minor 1: rows 1..3 of (−3, 0, 0, 3) are (0, 0, 3): |·|² = 9, entry 0 is not > 0 → α = +3;
    //   v1 = (·, −3, 0, 3), denominator 3 · (−3) = −9; the copy: alphaDot = −(0·(−3) + 0 + 3·3) / −9 = 1,
    //   rows 1..3 become (0, 0, 3) − (−3, 0, 3) = (3, 0, 0).
    // minor 2: rows 2..3 are (0, 0) → pivot 0 → singular → null.
    const x = Float64Array.of(0, 0, 1, 1, 1, 1, 4, 4);
    expect(rSquaredWithIntercept(x, Float64Array.of(1, 3, 2, 5), 4, 2)).toBeNull();
  });

  it('with a constant y is not a finite number (Apache: SSTO is exactly 0, so 1 − SSR/0 is NaN or −∞)', () => {
    // y = 0.5 0.5 0.5: the mean is exact, every (y − ȳ) is 0, TSS = 0. Residuals of the fit y = 0.5 + 0·x are
    // (within rounding) 0, so R² = 1 − SSR/0 is NaN (SSR = 0) or −∞ (SSR > 0), never a usable value.
    const r2 = rSquaredWithIntercept(Float64Array.of(1, 2, 4), Float64Array.of(0.5, 0.5, 0.5), 3, 1);
    expect(r2).not.toBeNull();
    expect(Number.isFinite(r2!)).toBe(false);
  });

  // Apache's calculateTotalSumOfSquares is `new SecondMoment().evaluate(y)` (Welford updating: dev = y − m1,
  // m1 += dev/n, m2 += (n − 1)·dev·dev/n). For a constant y the first step sets m1 = y exactly and every later dev
  // is 0, so TSS is exactly 0 even when the plain mean is inexact: fl(0.1 + 0.1 + 0.1) / 3 = 0.10000000000000002,
  // which a two-pass Σ (y − ȳ)² would turn into a TSS of ~6e-34 and a finite R² of rounding noise.
  it('with a constant y whose mean is inexact is still not finite (Apache SecondMoment gives TSS = 0)', () => {
    const r2 = rSquaredWithIntercept(Float64Array.of(1, 2, 4), Float64Array.of(0.1, 0.1, 0.1), 3, 1);
    expect(r2).not.toBeNull();
    expect(Number.isFinite(r2!)).toBe(false);
  });
});

describe('allRSquared (all R² at once from the inverse cross-product matrix)', () => {
  it('gives the hand-computed R² values', () => {
    const variables = hadamardVariables();
    const data = Float64Array.from(variables.flat()); // stride 8
    const out = new Float64Array(4);
    expect(allRSquared(data, 4, 8, 8, out)).toBe(true);
    for (let i = 0; i < 4; i++) expect(out[i]).toBeCloseTo(HADAMARD_R2[i], 12);
  });

  it('agrees with rSquaredWithIntercept on random well-conditioned data', () => {
    const random = new RandomStream(20240601, 'statistics-test');
    for (const [n, m, stride] of [
      [2, 10, 30],
      [3, 12, 30],
      [5, 30, 30],
      [6, 20, 30],
      [8, 25, 25],
    ]) {
      const data = new Float64Array(n * stride);
      for (let i = 0; i < data.length; i++) data[i] = random.nextFloat();
      const out = new Float64Array(n);
      expect(allRSquared(data, n, m, stride, out)).toBe(true);
      const variables = Array.from({ length: n }, (_, j) => Array.from(data.subarray(j * stride, j * stride + m)));
      for (let i = 0; i < n; i++) {
        const { x, y, k } = designWithout(variables, i);
        const reference = rSquaredWithIntercept(x, y, m, k);
        expect(reference).not.toBeNull();
        expect(Math.abs(out[i] - reference!)).toBeLessThan(1e-9);
      }
    }
  });

  it('returns false for a constant column (exact or inexact mean) and for all-constant data', () => {
    const random = new RandomStream(7, 'statistics-test');
    for (const constant of [0.5, 0.07, 0.1]) {
      const data = new Float64Array(3 * 10);
      for (let i = 0; i < 30; i++) data[i] = random.nextFloat();
      for (let r = 0; r < 10; r++) data[10 + r] = constant; // variable 1 is constant
      expect(allRSquared(data, 3, 10, 10, new Float64Array(3))).toBe(false);
    }
    expect(allRSquared(new Float64Array(20).fill(0.25), 2, 10, 10, new Float64Array(2))).toBe(false);
  });

  it('returns false for exactly collinear variables', () => {
    // x2 = x0 + x1 exactly (dyadic values, so the sum has no rounding): C is singular.
    const x0 = [0.25, 0.5, 0.75, 0.5, 0.25, 1, 0];
    const x1 = [0.5, 0.25, 0.25, 0.75, 0, 0.5, 0.25];
    const x2 = x0.map((v, r) => v + x1[r]);
    expect(allRSquared(Float64Array.from([...x0, ...x1, ...x2]), 3, 7, 7, new Float64Array(3))).toBe(false);
  });
});
