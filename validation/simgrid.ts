/**
 * Validation of the `simgrid` pre-copy model (src/mechanisms/migration/simgrid-precopy.ts) against SimGrid 3.32.
 *
 * - The three published points of the reference (1 GiB busy VM at 0, 10 and 50 % dirty intensity: 9.3023,
 *   10.4942, 21.5100 s; /work/shared/reference/qemu/RESULTS.md §7 and the SimGrid reference README).
 * - Every run of data/simgrid/reference-points.json (SimGrid 3.32 runs of our probe, 4 decimals; how they were
 *   produced is in its `source` field): finished runs by relative error, non-finishing runs (90 %, 99 % busy)
 *   must not converge here. Skipped with a note when that file is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { SIMGRID_DEFAULTS, simulateSimGridPrecopy } from '../src/mechanisms/migration/simgrid-precopy.js';
import type { Claim } from './cloudsim.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOLERANCE = 0.05;
/** SimGrid 3.32's printed migration times for a 1024 MiB busy VM, by dirty intensity (percent). */
const PUBLISHED: readonly (readonly [number, number])[] = [
  [0, 9.3023],
  [10, 10.4942],
  [50, 21.51],
];

export interface ReferencePoint {
  ram_mib: number;
  dirty_intensity_pct: number;
  busy: boolean;
  migration_time_s: number | null;
  finished: boolean;
}

/** The SimGrid reference file, or undefined when it is absent; `dir` is the repository root (tests pass theirs). */
export function readSimGridReferencePoints(dir = root): ReferencePoint[] | undefined {
  const file = join(dir, 'data', 'simgrid', 'reference-points.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { points: ReferencePoint[] }).points : undefined;
}

const seconds = (ramMiB: number, intensity: number, busy: boolean): { converged: boolean; totalSeconds: number } =>
  simulateSimGridPrecopy({ ...SIMGRID_DEFAULTS, ramMiB, dirtyIntensityPercent: intensity, busy });
const relative = (measured: number, reference: number): number => Math.abs(measured - reference) / reference;
/** Relative error in parts per million, signed, for the compact per-point listing. */
const ppm = (measured: number, reference: number): string => `${(((measured - reference) / reference) * 1e6).toFixed(1)}ppm`;

export function validateSimGrid(log: (line: string) => void): Claim[] {
  let pass = true;
  let publishedWorst = 0;
  const published: string[] = [];
  for (const [intensity, reference] of PUBLISHED) {
    const result = seconds(1024, intensity, true);
    const error = result.converged ? relative(result.totalSeconds, reference) : Infinity;
    publishedWorst = Math.max(publishedWorst, error);
    pass &&= error <= TOLERANCE;
    published.push(`${intensity}%: ${result.totalSeconds.toFixed(6)} vs ${reference}`);
  }

  const measured: Claim['measured'] = {
    published_worst_relative_error: publishedWorst,
    published: published.join('; '),
  };
  const points = readSimGridReferencePoints();
  if (points) {
    let worst = 0;
    let worstLabel = '';
    let unfinishedMatched = 0;
    let withinPrinting = 0; // |ours − SimGrid| ≤ half a unit of the 4th printed decimal
    const perPoint: string[] = [];
    for (const p of points) {
      const label = `${p.ram_mib}/${p.dirty_intensity_pct}/${p.busy ? 'busy' : 'idle'}`;
      const result = seconds(p.ram_mib, p.dirty_intensity_pct, p.busy);
      if (p.finished && p.migration_time_s !== null) {
        const error = result.converged ? relative(result.totalSeconds, p.migration_time_s) : Infinity;
        if (error >= worst) {
          worst = error;
          worstLabel = label;
        }
        pass &&= error <= TOLERANCE;
        if (result.converged && Math.abs(result.totalSeconds - p.migration_time_s) <= 0.00005 + 1e-12) withinPrinting += 1;
        perPoint.push(`${label} ${result.converged ? ppm(result.totalSeconds, p.migration_time_s) : 'NOT-CONVERGED'}`);
      } else {
        if (!result.converged) unfinishedMatched += 1;
        pass &&= !result.converged;
        perPoint.push(`${label} ${result.converged ? `CONVERGED(${result.totalSeconds.toFixed(4)}s)` : 'both-unfinished'}`);
      }
    }
    const finished = points.filter((p) => p.finished).length;
    Object.assign(measured, {
      reference_points_worst_relative_error: worst,
      reference_points_worst_point: worstLabel,
      reference_points_finished: finished,
      reference_points_within_printed_rounding: withinPrinting,
      reference_points_unfinished: points.length - finished,
      reference_points_unfinished_not_converged_here: unfinishedMatched,
      per_point: `ram_mib/intensity_pct/busy error: ${perPoint.join('; ')}`,
    });
    log(
      `migration.simgrid: ${pass ? 'pass' : 'FAIL'} (published worst ${(publishedWorst * 100).toExponential(2)} %, ` +
        `${points.length} reference points worst ${(worst * 100).toExponential(2)} % at ${worstLabel}, ` +
        `${withinPrinting}/${finished} finished runs within SimGrid's printed rounding, ` +
        `${unfinishedMatched}/${points.length - finished} unfinished runs do not converge here)`,
    );
  } else {
    measured.reference_points_worst_relative_error = null;
    log(`migration.simgrid: ${pass ? 'pass' : 'FAIL'} on the published points; data/simgrid/reference-points.json not present, skipped`);
  }

  return [
    {
      id: 'migration.simgrid',
      claim: "the simgrid pre-copy model reproduces SimGrid 3.32's live-migration times (VmLiveMigration plugin, LV08 network)",
      measured,
      target: 'within 5 % on every point; non-finishing SimGrid runs do not converge here',
      pass,
    },
  ];
}
