/**
 * Pins the synthetic trace generator (src/workload/synthetic.ts): determinism per seed, the value range and
 * whole-percent grid, the clamps, one trace derived by hand from the stream's first draw, and a loose bound on the
 * overall mean. Every seed is fixed, so the statistical bound cannot flake.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/kernel/random.js';
import { generateSyntheticTraces, type SyntheticWorkload } from '../../src/workload/synthetic.js';

const SPEC: SyntheticWorkload = {
  vms: 20,
  samples: 288,
  sampleIntervalSeconds: 300,
  meanUtilisation: 0.3,
  diurnalAmplitude: 0.3,
  burstProbability: 0.02,
  burstUtilisation: 0.4,
  burstSamples: 6,
  noise: 0.05,
};

const generate = (spec: SyntheticWorkload, seed: number): Float64Array =>
  generateSyntheticTraces(spec, new RandomStream(seed, 'synthetic-workload'));

describe('generateSyntheticTraces', () => {
  it('gives identical traces for the same seed and different ones for another seed', () => {
    const a = generate(SPEC, 42);
    expect(a).toHaveLength(SPEC.vms * SPEC.samples);
    expect(Array.from(generate(SPEC, 42))).toEqual(Array.from(a));
    const b = generate(SPEC, 43);
    let differing = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
    expect(differing).toBeGreaterThan(a.length / 2);
  });

  it('keeps values within [0.01, 1] on whole percents', () => {
    // Large amplitude, bursts and noise push many raw values outside [0.01, 1], so the clamps are exercised.
    const spec = { ...SPEC, diurnalAmplitude: 1.5, burstUtilisation: 0.8, noise: 0.2 };
    const values = generate(spec, 7);
    let atFloor = 0;
    let atCeiling = 0;
    const offGrid: number[] = [];
    for (const v of values) {
      // In range, and a whole percent: v = p / 100 for an integer p, i.e. Math.round(v · 100) / 100 gives v back.
      if (!(v >= 0.01 && v <= 1) || Math.round(v * 100) / 100 !== v) offGrid.push(v);
      if (v === 0.01) atFloor++;
      if (v === 1) atCeiling++;
    }
    expect(offGrid).toEqual([]);
    expect(atFloor).toBeGreaterThan(0);
    expect(atCeiling).toBeGreaterThan(0);
  });

  it('without cycle, bursts or noise, each VM is flat at round(100 · meanUtilisation · (0.5 + U)) / 100', () => {
    // With amplitude 0, burst probability 0 and noise 0, u = mean_vm · 1 + 0 + 0 · g for every sample, where
    // mean_vm = clamp(meanUtilisation · (0.5 + U), 0.02, 0.95) and U is the VM's first draw from the stream.
    // VM 0's U is therefore the stream's very first nextFloat().
    const spec = { ...SPEC, vms: 3, samples: 12, diurnalAmplitude: 0, burstProbability: 0, noise: 0 };
    const values = generate(spec, 5);
    const u = new RandomStream(5, 'synthetic-workload').nextFloat();
    const expected = Math.round(0.3 * (0.5 + u) * 100) / 100;
    for (let s = 0; s < 12; s++) expect(values[s]).toBe(expected);
    // Every VM is flat (its own mean), whatever its draws were.
    for (let vm = 0; vm < 3; vm++) for (let s = 1; s < 12; s++) expect(values[vm * 12 + s]).toBe(values[vm * 12]);
  });

  it('clamps the per-VM mean to [0.02, 0.95]', () => {
    const flat = { ...SPEC, vms: 5, samples: 4, diurnalAmplitude: 0, burstProbability: 0, noise: 0 };
    // meanUtilisation 3: 3 · (0.5 + U) ≥ 1.5 > 0.95 → every sample 0.95.
    for (const v of generate({ ...flat, meanUtilisation: 3 }, 1)) expect(v).toBe(0.95);
    // meanUtilisation 0.001: 0.001 · (0.5 + U) < 0.0015 < 0.02 → every sample 0.02 (above the 0.01 floor).
    for (const v of generate({ ...flat, meanUtilisation: 0.001 }, 1)) expect(v).toBe(0.02);
  });

  it('adds the burst utilisation while a burst lasts', () => {
    // Burst probability 1: a burst starts at sample 0, lasts burstSamples, and a new one starts as soon as it
    // ends, so every sample carries it. mean 0.02 (clamped, as above) + 0.5 = 0.52.
    const spec = { ...SPEC, vms: 2, samples: 10, meanUtilisation: 0.001, diurnalAmplitude: 0, noise: 0, burstProbability: 1, burstUtilisation: 0.5 };
    for (const v of generate(spec, 9)) expect(v).toBe(0.52);
  });

  it('has an overall mean near meanUtilisation', () => {
    // Without bursts, the mean of VM i over one whole day is 0.3 · (0.5 + U_i): the sine sums to 0 over its full
    // period (288 samples), the noise has mean 0, rounding to percents is unbiased, and clamping at 0.01 would
    // need 0.3 · 0.5 · (1 − 0.2) = 0.12 minus six noise standard deviations. Averaged over 200 VMs, U has mean
    // 0.5 ± sqrt(1/12/200) ≈ 0.0204, so the overall mean is 0.3 ± 0.3 · 0.0204 ≈ 0.3 ± 0.006; 0.03 is five
    // standard deviations.
    const spec = { ...SPEC, vms: 200, diurnalAmplitude: 0.2, burstProbability: 0, noise: 0.02 };
    const values = generate(spec, 2024);
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    expect(Math.abs(mean - 0.3)).toBeLessThan(0.03);
  });
});
