/**
 * Pins the `simgrid` pre-copy model (src/mechanisms/migration/simgrid-precopy.ts) against SimGrid 3.32: the
 * published points of /work/shared/reference (qemu/RESULTS.md §7), every run of data/simgrid/reference-points.json,
 * a small case worked by hand, and SimGrid's behaviour when a migration cannot converge.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIMGRID_DEFAULTS, simulateSimGridPrecopy, type SimGridPrecopyResult } from '../../../src/mechanisms/migration/simgrid-precopy.js';
import { readSimGridReferencePoints } from '../../../validation/simgrid.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const run = (ramMiB: number, dirtyIntensityPercent: number, busy: boolean, timeLimitSeconds = SIMGRID_DEFAULTS.timeLimitSeconds): SimGridPrecopyResult =>
  simulateSimGridPrecopy({ ...SIMGRID_DEFAULTS, ramMiB, dirtyIntensityPercent, busy, timeLimitSeconds });
const relative = (measured: number, reference: number): number => Math.abs(measured - reference) / reference;


describe('simulateSimGridPrecopy against the published SimGrid 3.32 points (1 GiB, 1 Gbps)', () => {
  it.each([
    [0, 9.3023],
    [10, 10.4942],
    [50, 21.51],
  ])('busy VM at %i %% dirty intensity: %f s within 0.1 %%', (intensity, seconds) => {
    const result = run(1024, intensity, true);
    expect(result.converged).toBe(true);
    expect(relative(result.totalSeconds, seconds)).toBeLessThan(0.001);
    // Far better in fact: SimGrid prints 4 decimals, and we match to that rounding.
    expect(Math.abs(result.totalSeconds - seconds)).toBeLessThanOrEqual(0.00005);
  });

  it('an idle VM takes 9.3023 s whatever its intensity (it computes nothing, so it dirties nothing)', () => {
    for (const intensity of [0, 10, 50, 90, 99, 100]) {
      const result = run(1024, intensity, false);
      expect(result.converged).toBe(true);
      expect(Math.abs(result.totalSeconds - 9.3023)).toBeLessThanOrEqual(0.00005);
      // Stage 1 and an empty stage 3, no stage-2 round.
      expect(result.passes).toBe(2);
      expect(result.rounds[1].bytes).toBe(0);
    }
  });

  it('90 % and 99 % busy do not converge: the capped working set is resent until the time limit', () => {
    for (const intensity of [90, 99]) {
      const result = run(1024, intensity, true);
      expect(result.converged).toBe(false);
      expect(result.stage2TimedOut).toBe(false);
      expect(result.totalSeconds).toBe(SIMGRID_DEFAULTS.timeLimitSeconds);
      expect(result.switchoverSeconds).toBe(Infinity);
      expect(result.downtimeSeconds).toBe(0);
      // Every stage-2 round resends the working set, ⌊0.9 × 2^30⌋ = 966367641 bytes (as SimGrid's debug log shows).
      expect(result.rounds.slice(1).every((r) => r.bytes === 966367641)).toBe(true);
      expect(result.passes).toBe(result.rounds.length);
    }
  });

  it('with no time limit, stops where SimGrid aborts: its 1e7 s stage-2 timeout', () => {
    // SimGrid 3.32, 4096 MiB at 90 % busy: 298725 stage-2 rounds, then the send times out at 9999999.999994 s after
    // the start and the receiver dies of an uncaught TimeoutException (data/simgrid/reference-points.json, notes).
    const result = run(4096, 90, true, Infinity);
    expect(result.converged).toBe(false);
    expect(result.stage2TimedOut).toBe(true);
    expect(result.passes).toBe(1 + 298725);
    expect(Math.abs(result.totalSeconds - 9999999.999994)).toBeLessThan(1e-5);
  });
});

describe('simulateSimGridPrecopy against every run of data/simgrid/reference-points.json', () => {
  const reference = { points: readSimGridReferencePoints(root)! };

  it('has the grid (5 RAM sizes × 6 intensities busy, idle runs, non-finishing runs)', () => {
    expect(reference.points.length).toBeGreaterThanOrEqual(30);
    expect(reference.points.some((p) => !p.finished)).toBe(true);
    expect(reference.points.some((p) => !p.busy)).toBe(true);
  });

  it('finished runs within 0.5 %, unfinished ones do not converge', () => {
    let worst = 0;
    for (const p of reference.points) {
      const result = run(p.ram_mib, p.dirty_intensity_pct, p.busy);
      const label = `${p.ram_mib} MiB ${p.dirty_intensity_pct} % ${p.busy ? 'busy' : 'idle'}`;
      if (p.finished) {
        expect(result.converged, label).toBe(true);
        const error = relative(result.totalSeconds, p.migration_time_s as number);
        expect(error, label).toBeLessThan(0.005);
        worst = Math.max(worst, error);
      } else {
        expect(result.converged, label).toBe(false);
      }
    }
    // The references have 4 decimals; the worst rounding is 0.00005 / 0.0765 s ≈ 6.5e-4 (8 MiB at 0 %),
    // and the model agrees to that rounding on every point.
    expect(worst).toBeLessThan(7e-4);
  });
});

describe('a small case worked by hand: 8 MiB, 50 % intensity, busy (SimGrid prints 0.1444 s)', () => {
  /*
   * RAM 8 MiB = 8388608 B; working set ⌊0.9 × 8388608⌋ = 7549747 B.
   * Dirty bytes per flop: 131072000 B/s × 0.5 / 1e9 flop/s = 0.065536; a busy VM computes 1e9 flop/s.
   * Network (LV08): latency L = 13.01 × 100 µs = 0.001301 s per message; rate R = 0.97 × 125e6 / 1.05
   *   = 115476190.476 B/s (the flow weighs 1 + 0.05 crosstraffic on its own link; migration speed 131072000 B/s
   *   / 0.97 is above the link, so the link binds).
   * Stage 1: 8388608 B in L + 8388608 / R = 0.001301 + 0.072643616 = 0.073944616 s.
   *   threshold = ⌊8388608 / 0.073944616 × 0.03⌋ = ⌊3403334.2⌋ = 3403334 B;
   *   dirtied = ⌊0.073944616 s × 1e9 × 0.065536⌋ = ⌊4846034.3⌋ = 4846034 B > threshold → one stage-2 round.
   * Stage 2, round 1: 4846034 B in 0.001301 + 0.041965655 = 0.043266655 s.
   *   threshold = ⌊4846034 / 0.043266655 × 0.03⌋ = ⌊3360116.9⌋ = 3360116 B;
   *   dirtied = ⌊0.043266655 × 1e9 × 0.065536⌋ = ⌊2835523.5⌋ = 2835523 B ≤ threshold → stage 3.
   * Stage 3 (VM suspended): 2835523 B in 0.001301 + 0.024555045 = 0.025856045 s = the downtime.
   * Control message back: 0.001301 s.
   * Total: 0.073944616 + 0.043266655 + 0.025856045 + 0.001301 = 0.144368315 s (SimGrid: 0.1444).
   * SimGrid's debug log shows exactly these sizes and thresholds (4846034, 3403334, 3360116, 2835523).
   */
  const result = run(8, 50, true);

  it('sends the same messages as SimGrid, byte for byte', () => {
    expect(result.rounds.map((r) => r.bytes)).toEqual([8388608, 4846034, 2835523]);
    expect(result.passes).toBe(3);
    expect(result.transferredBytes).toBe(8388608 + 4846034 + 2835523);
  });

  it('takes the hand-computed times', () => {
    expect(result.rounds[0].seconds).toBeCloseTo(0.073944616, 8);
    expect(result.rounds[1].seconds).toBeCloseTo(0.043266655, 8);
    expect(result.downtimeSeconds).toBeCloseTo(0.025856045, 8);
    expect(result.switchoverSeconds).toBeCloseTo(0.143067315, 8);
    expect(result.totalSeconds).toBeCloseTo(0.144368315, 8);
    expect(result.converged).toBe(true);
  });
});

describe('simulateSimGridPrecopy: shape and contract', () => {
  it('downtime is the stage-3 message; switchover is the total minus the control message', () => {
    const result = run(1024, 50, true);
    const last = result.rounds[result.rounds.length - 1];
    expect(result.downtimeSeconds).toBe(last.seconds);
    // SimGrid's own stop rule aims at 30 ms of downtime; with the latency included it lands just above or below.
    expect(result.downtimeSeconds).toBeLessThan(0.035);
    expect(result.totalSeconds - result.switchoverSeconds).toBeCloseTo(0.001301, 12);
  });

  it('is slower and needs more rounds as intensity grows', () => {
    let previous = run(1024, 0, true);
    for (const intensity of [5, 10, 25, 50, 75]) {
      const current = run(1024, intensity, true);
      expect(current.totalSeconds).toBeGreaterThan(previous.totalSeconds);
      expect(current.passes).toBeGreaterThanOrEqual(previous.passes);
      previous = current;
    }
  });

  it('reports a time limit hit in the middle of stage 1 with the bytes sent so far', () => {
    const result = run(1024, 10, true, 5);
    expect(result.converged).toBe(false);
    expect(result.totalSeconds).toBe(5);
    expect(result.passes).toBe(0);
    // (5 − 0.001301) s at 115476190.476 B/s.
    expect(result.transferredBytes).toBeCloseTo((5 - 0.001301) * ((0.97 * 125e6) / 1.05), 0);
  });

  it('rejects nonsense parameters', () => {
    expect(() => run(-1, 10, true)).toThrow(RangeError);
    expect(() => simulateSimGridPrecopy({ ...SIMGRID_DEFAULTS, ramMiB: 1, dirtyIntensityPercent: 1, busy: true, linkBandwidthBitsPerSecond: 0 })).toThrow(
      /linkBandwidthBitsPerSecond/,
    );
  });
});
