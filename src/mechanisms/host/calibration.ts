/**
 * Fits the estimator's energy weights by least squares from calibration runs against the ground-truth power,
 * as Bellosa and Stoess et al. fit theirs against a measured power trace.
 *
 * For every P-state and every calibration workload, the host runs the workload on every core with the core
 * held at that P-state, at the thermal steady state of that workload (as a calibration rig lets temperatures
 * settle before it measures). Each core's counters and true energy are sampled every window (100 ms); one sample is
 * one row: features = [TSC ticks, Δcounter_1, …, Δcounter_k], target = true core energy in the window. The
 * weights of the P-state minimise Σ (target − features · w)² over all samples, solved from the normal
 * equations with columns scaled to unit RMS (the raw columns differ by ten orders of magnitude), with every
 * weight kept non-negative (see leastSquares). A tiny ridge (1e-12 of the diagonal) keeps a column that a workload set
 * never excites from making the system singular; such a column then gets weight ≈ 0.
 *
 * The workloads must make the columns distinguishable: halted time separates the TSC weight from the
 * unhalted-cycle weight (hence the duty-cycled variants), and workloads with different instruction, miss and
 * floating-point mixes separate the event weights.
 */

import { EVENT_COUNT } from '../../model/host/performance-events.js';
import type { GuestProgram } from '../../workload/guest-workload.js';
import { EnergyWeights } from './energy-weights.js';
import type { CalibrationFit } from '../../metrics/host-run-result.js';

export type { CalibrationFit } from '../../metrics/host-run-result.js';
import { HostMachine, type HostMachineSpec } from './host-machine.js';

/** What to calibrate on. */
export interface CalibrationPlan {
  /** The host to calibrate (its VMs are ignored; the calibration builds its own). */
  readonly host: Omit<HostMachineSpec, 'vms' | 'weights'>;
  /** Workloads, each run on every core. */
  readonly workloads: readonly GuestProgram[];
  /** Indices of the events the PMU counts. */
  readonly counters: readonly number[];
  /** Simulated seconds per (P-state, workload) run, after the warm-up. */
  readonly runSeconds: number;
  /** Seconds discarded at the start of each run. */
  readonly warmUpSeconds: number;
  /** Sample window, seconds. */
  readonly windowSeconds: number;
}

export interface CalibrationResult {
  readonly weights: EnergyWeights;
  readonly fits: readonly CalibrationFit[];
}

/** Runs the calibration and fits the weights. */
export function calibrate(plan: CalibrationPlan): CalibrationResult {
  const pStates = plan.host.pStates;
  const tscHz = pStates[0].frequencyHz;
  const weights = new EnergyWeights(pStates, plan.counters, tscHz);
  const columns = 1 + plan.counters.length;
  const fits: CalibrationFit[] = [];
  for (let ps = 0; ps < pStates.length; ps++) {
    const rows: number[][] = [];
    const targets: number[] = [];
    for (const program of plan.workloads) {
      const spec: HostMachineSpec = {
        ...plan.host,
        weights: new EnergyWeights(pStates, plan.counters, tscHz),
        vms: Array.from({ length: plan.host.coreCount }, (_, core) => ({
          name: `calibration-${core}`,
          kind: 'guest' as const,
          vcpus: [{ core, threads: [{ name: program.name, program }] }],
        })),
      };
      const machine = new HostMachine(spec);
      machine.corePState.fill(ps);
      const lastCounters = new Float64Array(machine.coreCounters.length);
      const lastJoules = new Float64Array(machine.coreCount);
      let lastTime = 0;
      const take = (now: number): void => {
        const window = now - lastTime;
        for (let c = 0; c < machine.coreCount; c++) {
          if (now > plan.warmUpSeconds + 1e-9) {
            const row = [window * tscHz];
            for (const e of plan.counters) row.push(machine.coreCounters[c * EVENT_COUNT + e] - lastCounters[c * EVENT_COUNT + e]);
            rows.push(row);
            targets.push(machine.coreTrueJoules[c] - lastJoules[c]);
          }
          lastJoules[c] = machine.coreTrueJoules[c];
        }
        lastCounters.set(machine.coreCounters);
        lastTime = now;
      };
      machine.every(plan.windowSeconds, take);
      // A calibration rig runs each microbenchmark until temperatures settle: after the warm-up, jump the
      // thermal network to the steady state of the power just measured, then sample.
      machine.runUntil(plan.warmUpSeconds);
      const warmPower = new Float64Array(machine.coreCount);
      for (let c = 0; c < machine.coreCount; c++) warmPower[c] = machine.coreTrueJoules[c] / plan.warmUpSeconds;
      machine.thermal.setSteadyState(warmPower);
      machine.runUntil(plan.warmUpSeconds + plan.runSeconds + plan.windowSeconds / 2);
    }
    const w = leastSquares(rows, targets, columns);
    const row = ps * weights.stride;
    weights.table[row] = w[0];
    plan.counters.forEach((e, k) => (weights.table[row + 1 + e] = w[1 + k]));
    fits.push({ pState: ps, samples: rows.length, ...fitQuality(rows, targets, w) });
  }
  return { weights, fits };
}

/**
 * Solves min ‖y − Xw‖² subject to w ≥ 0 (non-negative least squares, Lawson and Hanson, "Solving Least Squares
 * Problems", 1974, ch. 23) on unit-RMS-scaled columns. Energies per event cannot be negative: an unconstrained
 * fit gives a negative weight to an event that merely correlates with something the counters do not see (for
 * example L2 misses with the lower leakage of cooler memory-bound code), and a negative weight can make a
 * segment's estimate negative. Works on the normal equations (k ≤ 7 columns, so this is tiny).
 */
export function leastSquares(rows: readonly number[][], targets: readonly number[], columns: number): Float64Array {
  const scale = new Float64Array(columns);
  for (const row of rows) for (let j = 0; j < columns; j++) scale[j] += row[j] * row[j];
  for (let j = 0; j < columns; j++) scale[j] = scale[j] > 0 ? Math.sqrt(scale[j] / rows.length) : 1;
  const gram = Array.from({ length: columns }, () => new Float64Array(columns));
  const xty = new Float64Array(columns);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let j = 0; j < columns; j++) {
      const xj = row[j] / scale[j];
      for (let k = 0; k < columns; k++) gram[j][k] += xj * (row[k] / scale[k]);
      xty[j] += xj * targets[i];
    }
  }
  let trace = 0;
  for (let j = 0; j < columns; j++) trace += gram[j][j];
  for (let j = 0; j < columns; j++) gram[j][j] += 1e-12 * (trace / columns);

  const passive = new Uint8Array(columns);
  const w = new Float64Array(columns);
  const gradient = (): Float64Array => {
    const g = new Float64Array(columns);
    for (let j = 0; j < columns; j++) {
      let s = xty[j];
      for (let k = 0; k < columns; k++) s -= gram[j][k] * w[k];
      g[j] = s;
    }
    return g;
  };
  for (let outer = 0; outer < 3 * columns; outer++) {
    const g = gradient();
    let enter = -1;
    for (let j = 0; j < columns; j++) if (passive[j] === 0 && g[j] > 1e-12 * (Math.abs(xty[j]) + 1e-300) && (enter < 0 || g[j] > g[enter])) enter = j;
    if (enter < 0) break;
    passive[enter] = 1;
    for (let inner = 0; inner < 3 * columns; inner++) {
      const z = solvePassive(gram, xty, passive);
      let alpha = 1;
      let blocked = false;
      for (let j = 0; j < columns; j++) {
        if (passive[j] === 1 && z[j] <= 0) {
          blocked = true;
          const a = w[j] / (w[j] - z[j]);
          if (a < alpha) alpha = a;
        }
      }
      if (!blocked) {
        w.set(z);
        break;
      }
      for (let j = 0; j < columns; j++) {
        w[j] += alpha * (z[j] - w[j]);
        if (passive[j] === 1 && w[j] <= 1e-15) {
          passive[j] = 0;
          w[j] = 0;
        }
      }
    }
  }
  for (let j = 0; j < columns; j++) w[j] /= scale[j];
  return w;
}

/** Unconstrained solution on the passive set (other weights zero), by Gaussian elimination. */
function solvePassive(gram: Float64Array[], xty: Float64Array, passive: Uint8Array): Float64Array {
  const index: number[] = [];
  for (let j = 0; j < passive.length; j++) if (passive[j] === 1) index.push(j);
  const n = index.length;
  const a = index.map((j) => {
    const row = new Float64Array(n + 1);
    index.forEach((k, c) => (row[c] = gram[j][k]));
    row[n] = xty[j];
    return row;
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const p = a[col][col];
    if (p === 0) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col] / p;
      if (f !== 0) for (let k = col; k <= n; k++) a[r][k] -= f * a[col][k];
    }
  }
  const z = new Float64Array(passive.length);
  index.forEach((j, c) => (z[j] = a[c][c] === 0 ? 0 : a[c][n] / a[c][c]));
  return z;
}

function fitQuality(rows: readonly number[][], targets: readonly number[], w: Float64Array): { rmsRelativeError: number; rSquared: number } {
  let sumSquaredRelative = 0;
  let mean = 0;
  for (const y of targets) mean += y / targets.length;
  let residual = 0;
  let variance = 0;
  for (let i = 0; i < rows.length; i++) {
    let fitted = 0;
    for (let j = 0; j < w.length; j++) fitted += w[j] * rows[i][j];
    const y = targets[i];
    sumSquaredRelative += ((fitted - y) / y) ** 2;
    residual += (fitted - y) ** 2;
    variance += (y - mean) ** 2;
  }
  return { rmsRelativeError: Math.sqrt(sumSquaredRelative / rows.length), rSquared: variance > 0 ? 1 - residual / variance : 1 };
}
