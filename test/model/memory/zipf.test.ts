/**
 * ZipfSampler (src/model/memory/zipf.ts): the frequencies of the ranks follow k^−s / H(n, s).
 */
import { describe, expect, it } from 'vitest';
import { ZipfSampler } from '../../../src/model/memory/zipf.js';
import { RandomStream } from '../../../src/kernel/random.js';

function frequencies(n: number, s: number, draws: number): number[] {
  const sampler = new ZipfSampler(n, s);
  const random = new RandomStream(1, `zipf-${n}-${s}`);
  const counts = new Array<number>(n + 1).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.sample(random)]++;
  return counts.map((c) => c / draws);
}

describe('ZipfSampler', () => {
  for (const s of [0.5, 1, 1.5, 2.5]) {
    it(`draws ranks with P(k) = k^−${s}/H (n = 20)`, () => {
      const n = 20;
      const draws = 200_000;
      const f = frequencies(n, s, draws);
      let h = 0;
      for (let k = 1; k <= n; k++) h += k ** -s;
      for (let k = 1; k <= n; k++) {
        const p = k ** -s / h;
        // Four binomial standard deviations: a failure here is a wrong distribution, not bad luck.
        expect(Math.abs(f[k] - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws) + 1e-12);
      }
      expect(f[0]).toBe(0);
    });
  }

  it('stays within [1, n] for a large n and is deterministic', () => {
    const a = new ZipfSampler(4_194_304, 0.99);
    const r1 = new RandomStream(3, 'z');
    const r2 = new RandomStream(3, 'z');
    for (let i = 0; i < 10_000; i++) {
      const k = a.sample(r1);
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k).toBeLessThanOrEqual(4_194_304);
      expect(a.sample(r2)).toBe(k);
    }
  });
});
