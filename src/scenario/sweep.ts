/**
 * Sweep files: a parameter grid × seeds over one or more base scenarios, expanded into an ordered job list that
 * shards split deterministically (job j belongs to shard j mod n), so an array job of a cluster scheduler
 * (Slurm `--array`, Kubernetes indexed jobs) runs `hyperwatt sweep FILE --shard $INDEX/$COUNT` and a merge
 * step combines the shards.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../util/user-error.js';
import { loadDocument } from './document.js';
import { parseWith } from './validate.js';

/** A grid value: a scalar, or a mapping that replaces a whole object (e.g. `migration: [{model: cloudsim}, …]`). */
const GridValue = z.union([z.string(), z.number(), z.boolean(), z.record(z.string(), z.unknown())]);

export const SweepSchema = z.strictObject({
  name: z.string().min(1),
  /** Base scenario files, relative to the sweep file. */
  scenarios: z.array(z.string().min(1)).min(1),
  /** Field path (as for `--set`) → values to try. The jobs are the cartesian product. */
  grid: z.record(z.string().min(1), z.array(GridValue).min(1)).default({}),
  /** Seeds: a list, or a count n meaning seeds 1..n. */
  seeds: z.union([z.array(z.number().int().min(0)).min(1), z.number().int().positive()]).default([1]),
});

export type Sweep = z.output<typeof SweepSchema>;

export interface SweepJob {
  /** Position in the full job list (stable across shards). */
  index: number;
  /** Absolute path of the base scenario. */
  scenarioFile: string;
  /** The base scenario as written in the sweep file. */
  scenario: string;
  /** `path=value` overrides for this grid point. */
  sets: string[];
  /** The grid point, for result tables. */
  parameters: Record<string, string | number | boolean>;
  seed: number;
}

export function loadSweep(file: string): Sweep {
  return parseWith(SweepSchema, loadDocument(file), file);
}

type GridPointValue = string | number | boolean | Record<string, unknown>;

/** Expands a sweep into its jobs: scenarios × grid points (in key order) × seeds. */
export function expandSweep(sweep: Sweep, sweepFile: string): SweepJob[] {
  const keys = Object.keys(sweep.grid);
  const points: Record<string, GridPointValue>[] = [{}];
  for (const key of keys) {
    const next: Record<string, GridPointValue>[] = [];
    for (const point of points) for (const value of sweep.grid[key]) next.push({ ...point, [key]: value });
    points.splice(0, points.length, ...next);
  }
  const seeds = typeof sweep.seeds === 'number' ? Array.from({ length: sweep.seeds }, (_, i) => i + 1) : sweep.seeds;
  const jobs: SweepJob[] = [];
  for (const scenario of sweep.scenarios) {
    const scenarioFile = resolve(dirname(sweepFile), scenario);
    for (const parameters of points) {
      const sets = keys.map((k) => `${k}=${typeof parameters[k] === 'string' || typeof parameters[k] === 'object' ? JSON.stringify(parameters[k]) : String(parameters[k])}`);
      // Result tables show a mapping as its compact JSON.
      const shown = Object.fromEntries(keys.map((k) => [k, typeof parameters[k] === 'object' ? JSON.stringify(parameters[k]) : (parameters[k] as string | number | boolean)]));
      for (const seed of seeds) jobs.push({ index: jobs.length, scenarioFile, scenario, sets, parameters: shown, seed });
    }
  }
  return jobs;
}

/** Parses `i/n` (0 ≤ i < n). */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) throw new UserError(`--shard ${text}: expected i/n, e.g. 0/4`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) throw new UserError(`--shard ${text}: need 0 ≤ i < n`);
  return { index, count };
}
