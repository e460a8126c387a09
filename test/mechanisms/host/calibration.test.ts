/**
 * Calibration (src/mechanisms/host/calibration.ts): leastSquares is a true non-negative least squares — it
 * recovers known weights from exact data (whatever the column scales), never returns a negative weight, and then
 * matches the best non-negative fit found by brute force over the active sets; and `calibrate`, on a truth that is
 * linear in the counted events (leakage independent of temperature, every event counted), recovers the true
 * energies per event scaled by (V/V₀)², the cycle energy net of the halted residual it replaces, and a TSC weight
 * that carries leakage and halted power per tick.
 */
import { describe, expect, it } from 'vitest';
import { calibrate, leastSquares } from '../../../src/mechanisms/host/calibration.js';
import { EnergyWeights } from '../../../src/mechanisms/host/energy-weights.js';
import { DEFAULT_DISK } from '../../../src/model/host/disk-model.js';
import { PENTIUM_M_1600_PSTATES } from '../../../src/model/host/p-states.js';
import { DEFAULT_THERMAL } from '../../../src/model/host/thermal-model.js';
import type { EventRates, GuestProgram } from '../../../src/workload/guest-workload.js';
import { ALL_COUNTERS, LINEAR_CORE_POWER, computePhase, exactWeights, prng, relativeError } from './fixtures.js';

/** Unconstrained least squares on a subset of columns (normal equations, Gaussian elimination): the reference. */
function unconstrained(rows: number[][], targets: number[], subset: number[]): number[] {
  const n = subset.length;
  const a = subset.map((j) => [...subset.map((k) => rows.reduce((s, r) => s + r[j] * r[k], 0)), rows.reduce((s, r, i) => s + r[j] * targets[i], 0)]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let k = col; k <= n; k++) a[r][k] -= f * a[col][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

function residual(rows: number[][], targets: number[], w: ArrayLike<number>): number {
  return rows.reduce((s, r, i) => s + (targets[i] - r.reduce((x, v, j) => x + v * w[j], 0)) ** 2, 0);
}

/** The best non-negative fit by brute force: every subset's unconstrained solution that is feasible. */
function bruteForceNonNegative(rows: number[][], targets: number[], columns: number): number[] {
  let best: number[] = new Array<number>(columns).fill(0);
  let bestResidual = residual(rows, targets, best);
  for (let mask = 1; mask < 1 << columns; mask++) {
    const subset = Array.from({ length: columns }, (_, j) => j).filter((j) => mask & (1 << j));
    const z = unconstrained(rows, targets, subset);
    if (z.some((x) => !(x >= 0))) continue;
    const w = new Array<number>(columns).fill(0);
    subset.forEach((j, i) => (w[j] = z[i]));
    const r = residual(rows, targets, w);
    if (r < bestResidual) {
      bestResidual = r;
      best = w;
    }
  }
  return best;
}

describe('leastSquares (non-negative)', () => {
  it('recovers known non-negative weights from exact data, including a zero weight, across ten orders of magnitude of column scale', () => {
    const random = prng(3);
    const truth = [2.5e-10, 0.5, 0, 3e3];
    const scales = [1e9, 1, 7, 1e-3];
    const rows = Array.from({ length: 40 }, () => scales.map((s) => s * (0.1 + random())));
    const targets = rows.map((r) => r.reduce((x, v, j) => x + v * truth[j], 0));
    const w = leastSquares(rows, targets, 4);
    expect(relativeError(w[0], truth[0])).toBeLessThan(1e-9);
    expect(relativeError(w[1], truth[1])).toBeLessThan(1e-9);
    expect(Math.abs(w[2])).toBeLessThan(1e-9);
    expect(relativeError(w[3], truth[3])).toBeLessThan(1e-9);
  });

  it('never returns a negative weight when the unconstrained fit has one, and then equals the single-column fit', () => {
    // y = 2·x1 − 1·x2 exactly, with x2 ≈ x1: the unconstrained fit is (2, −1); non-negative, x2 must drop out.
    const random = prng(5);
    const rows = Array.from({ length: 30 }, () => {
      const x = 1 + random();
      return [x, x * (0.9 + 0.2 * random())];
    });
    const targets = rows.map((r) => 2 * r[0] - r[1]);
    const free = unconstrained(rows, targets, [0, 1]);
    expect(free[0]).toBeCloseTo(2, 9);
    expect(free[1]).toBeCloseTo(-1, 9);
    const w = leastSquares(rows, targets, 2);
    expect(w[1]).toBe(0);
    const alone = rows.reduce((s, r, i) => s + r[0] * targets[i], 0) / rows.reduce((s, r) => s + r[0] * r[0], 0);
    expect(relativeError(w[0], alone)).toBeLessThan(1e-9);
  });

  it('property: on noisy data with negative unconstrained weights it matches the brute-force best non-negative fit (8 seeds)', () => {
    let negativeCases = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const random = prng(100 + seed);
      const columns = 4;
      const truth = Array.from({ length: columns }, () => random() * 4 - 1.5); // some negative
      const rows = Array.from({ length: 25 }, () => Array.from({ length: columns }, () => random() * 2));
      const targets = rows.map((r) => r.reduce((x, v, j) => x + v * truth[j], 0) + (random() - 0.5) * 0.3);
      if (unconstrained(rows, targets, [0, 1, 2, 3]).some((x) => x < 0)) negativeCases++;
      const w = leastSquares(rows, targets, columns);
      for (const x of w) expect(x).toBeGreaterThanOrEqual(0);
      const best = bruteForceNonNegative(rows, targets, columns);
      for (let j = 0; j < columns; j++) expect(Math.abs(w[j] - best[j])).toBeLessThan(1e-6);
      expect(residual(rows, targets, w)).toBeLessThanOrEqual(residual(rows, targets, best) * (1 + 1e-9) + 1e-12);
    }
    expect(negativeCases).toBeGreaterThanOrEqual(3);
  });

  it('a column that is never excited gets weight 0 and does not disturb the others', () => {
    const random = prng(9);
    const rows = Array.from({ length: 20 }, () => [1 + random(), 0, 2 + random()]);
    const targets = rows.map((r) => 0.7 * r[0] + 1.3 * r[2]);
    const w = leastSquares(rows, targets, 3);
    expect(w[1]).toBe(0);
    expect(w[0]).toBeCloseTo(0.7, 9);
    expect(w[2]).toBeCloseTo(1.3, 9);
  });
});

describe('calibrate', () => {
  /**
   * Workloads whose sample rows span all seven columns: six always-busy kernels whose rate vectors are a base
   * plus one distinct event each (affinely independent, so cycles and every event separate), and a duty-cycled
   * kernel whose halted time separates the TSC ticks from the unhalted cycles.
   */
  function workloads(): GuestProgram[] {
    const base: EventRates = { instructions: 1, l2Misses: 0.002, memoryAccesses: 0.3, branchMispredictions: 0.002, floatingPoint: 0.1 };
    const kernel = (name: string, rates: EventRates, stall: number): GuestProgram => ({ name, phases: [computePhase(1, rates, stall)] });
    return [
      kernel('base', base, 0),
      kernel('alu', { ...base, instructions: 2 }, 0.1),
      kernel('chase', { ...base, l2Misses: 0.022 }, 0.6),
      kernel('stream', { ...base, memoryAccesses: 0.8 }, 0.2),
      kernel('branchy', { ...base, branchMispredictions: 0.022 }, 0.05),
      kernel('fp', { ...base, floatingPoint: 0.9 }, 0.1),
      { name: 'base-duty', phases: [computePhase(0.004, base, 0), { kind: 'sleep', seconds: 0.006 }] },
    ];
  }

  const host = {
    coreCount: 1,
    pStates: PENTIUM_M_1600_PSTATES,
    corePower: LINEAR_CORE_POWER,
    thermal: DEFAULT_THERMAL,
    disk: DEFAULT_DISK,
    sliceSeconds: 0.001,
    allocationPeriodSeconds: 0.01,
    scheduler: 'stride' as const,
  };

  it('on a linear truth with every event counted, recovers the per-event energies × (V/V₀)² and the TSC weight to 1e-6', () => {
    const result = calibrate({ host, workloads: workloads(), counters: ALL_COUNTERS, runSeconds: 0.2, warmUpSeconds: 0.05, windowSeconds: 0.02 });
    // The exact weights (fixtures.exactWeights): w_tsc = (L·v + H·v²·f/f₀)/f₀, w_cycles = v²·(E_cycle − H/f₀),
    // w_e = v²·E_e — the cycle weight is net of the halted residual a running core does not draw.
    const expected = exactWeights(PENTIUM_M_1600_PSTATES, LINEAR_CORE_POWER);
    const v5 = 0.956 / 1.484;
    expect(expected.table[5 * 7 + 1 + 1]).toBeCloseTo(3.2e-9 * v5 * v5, 20); // instructions at P5
    expect(expected.table[0]).toBeCloseTo((3 + 1.2) / 1.6e9, 20); // TSC at P0: 4.2 W per 1.6e9 ticks/s
    expect(expected.table[1]).toBeCloseTo(3e-9 - 1.2 / 1.6e9, 20); // cycles at P0: 3 nJ − 0.75 nJ
    for (let ps = 0; ps < PENTIUM_M_1600_PSTATES.length; ps++) {
      for (let k = 0; k < expected.stride; k++) {
        const i = ps * expected.stride + k;
        expect(relativeError(result.weights.table[i], expected.table[i])).toBeLessThan(1e-6);
      }
    }
    expect(result.weights.counters).toEqual(ALL_COUNTERS);
    expect(result.weights.tscHz).toBe(1.6e9);
    expect(result.fits).toHaveLength(6);
    for (const fit of result.fits) {
      expect(fit.samples).toBe(70); // 7 workloads × 10 windows of 20 ms after the warm-up, 1 core
      expect(fit.rmsRelativeError).toBeLessThan(1e-9);
      expect(fit.rSquared).toBeGreaterThan(1 - 1e-12);
    }
  });

  it('with memory accesses and mispredictions not counted, the fit is inexact but every weight is non-negative', () => {
    const result = calibrate({ host, workloads: workloads(), counters: [0, 1, 2, 5], runSeconds: 0.1, warmUpSeconds: 0.02, windowSeconds: 0.02 });
    for (const w of result.weights.table) expect(w).toBeGreaterThanOrEqual(0);
    // Uncounted events keep weight 0 in the table.
    expect(result.weights.table[1 + 3]).toBe(0);
    expect(result.weights.table[1 + 4]).toBe(0);
    for (const fit of result.fits) {
      expect(fit.rmsRelativeError).toBeGreaterThan(1e-6);
      expect(fit.rSquared).toBeGreaterThan(0.9);
    }
  });

  it('weights survive a JSON round trip; fromJson reports every problem at once', () => {
    const weights = exactWeights(PENTIUM_M_1600_PSTATES, LINEAR_CORE_POWER, [0, 1, 2, 5]);
    const back = EnergyWeights.fromJson(JSON.parse(JSON.stringify(weights.toJson())), PENTIUM_M_1600_PSTATES);
    expect(back).toBeInstanceOf(EnergyWeights);
    expect(Array.from((back as EnergyWeights).table)).toEqual(Array.from(weights.table));
    expect((back as EnergyWeights).counters).toEqual([0, 1, 2, 5]);
    const deltas = new Float64Array([1e6, 2e6, 1e3, 5e5, 1e3, 1e5]);
    expect((back as EnergyWeights).estimate(2, 1e6, deltas)).toBeCloseTo(weights.estimate(2, 1e6, deltas), 20);
    const json = weights.toJson();
    const problems = EnergyWeights.fromJson({ ...json, counters: [...json.counters, 'cacheHits'], pStates: json.pStates.slice(0, 5).map((p, i) => (i === 1 ? { ...p, frequencyHz: 1.5e9 } : p)) }, PENTIUM_M_1600_PSTATES);
    expect(problems).toEqual([
      'counters: unknown event "cacheHits" (valid: unhaltedCycles, instructions, l2Misses, memoryAccesses, branchMispredictions, floatingPoint)',
      'pStates: 5 weight rows for a host with 6 P-states',
      'pStates[1].frequencyHz: weights for 1500000000 Hz, host P-state 1 is 1400000000 Hz',
    ]);
  });
});
