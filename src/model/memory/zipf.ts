/**
 * Zipf-distributed ranks 1..n (P(k) ∝ k^−s) by rejection-inversion: W. Hörmann and G. Derflinger, "Rejection-
 * inversion to generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996. Constant time per
 * draw and no table, so a 4 Mi-page region costs nothing to set up; the expected number of rejections is small
 * for every exponent (the hat function hugs the distribution).
 *
 * Only Math.exp, log, log1p and expm1 are used (V8's fdlibm ports: the same on every platform), so draws are
 * reproducible across machines.
 */
import type { RandomStream } from '../../kernel/random.js';

export class ZipfSampler {
  private readonly n: number;
  private readonly exponent: number;
  private readonly hIntegralX1: number;
  private readonly hIntegralN: number;
  private readonly cut: number;

  /**
   * @param n number of ranks, ≥ 1.
   * @param exponent the exponent s > 0 (s = 1 is classic Zipf).
   */
  constructor(n: number, exponent: number) {
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`ZipfSampler: n must be a positive integer, got ${n}`);
    if (!(exponent > 0 && Number.isFinite(exponent))) throw new RangeError(`ZipfSampler: exponent must be positive, got ${exponent}`);
    this.n = n;
    this.exponent = exponent;
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.cut = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** One rank in [1, n]. */
  sample(random: RandomStream): number {
    for (;;) {
      // u uniform over (H(n + ½), H(3/2) − 1]: invert the integral of the hat function h(x) = x^−s.
      const u = this.hIntegralN + random.nextFloat() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      let k = Math.round(x);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      // Accept at once when x is close enough to k (the squeeze), else test against the hat's area at k.
      if (k - x <= this.cut || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  /** h(x) = x^−s. */
  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  /** H(x) = ∫₁ˣ t^−s dt = (x^(1−s) − 1)/(1 − s), and log x at s = 1, computed stably for s near 1. */
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.exponent) * logX) * logX;
  }

  /** H⁻¹. */
  private hIntegralInverse(y: number): number {
    let t = y * (1 - this.exponent);
    if (t < -1) t = -1; // rounding can push t just past −1, where log1p(t) diverges
    return Math.exp(log1pOverX(t) * y);
  }
}

/** log(1 + x)/x, continuous at 0 (Taylor terms near it). */
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - x * 0.25));
}

/** (eˣ − 1)/x, continuous at 0. */
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + x * 0.25));
}
