/**
 * Double-scheduling benchmark (issue target: 12 pCPUs × 48 vCPUs, 60 s simulated with a synchronisation-heavy
 * mix in under 3 s wall).
 *
 * The host: 12 cores; 4 VMs of 12 vCPUs, each running its program over and over for 60 s of simulated time:
 * - `target` mix (the one the target is about): facesim-like (fork-join barriers every ~1 ms), bodytrack-like
 *   (a global lock and barriers every ~0.5 ms), the synthetic profile's sync-heavy defaults (50 µs grains,
 *   barriers, mutexes and TLB shootdowns) and x264-like (a 12-stage pipeline of row locks);
 * - `fine` mix, reported for information: the finest-grained profiles (streamcluster 20 µs barriers,
 *   fluidanimate 50 µs grains with 8 locks each, dedup 30 µs pipeline items, canneal 20 µs moves). The model
 *   processes every synchronisation point as events, so its cost grows with their rate.
 * Each mix under fair share (every vCPU multiplexed, the most events) and FlexCore (ballooning every 100 ms).
 *
 * Figures: wall seconds of `runSmp` (build, run, collect), best and median of 3; events per wall second.
 *
 * Run alone with `node dist/bench/smp.js` (prints one JSON line), or call {@link benchSmp}.
 */
import { pathToFileURL } from 'node:url';
import { resolveProfile, runSmp } from '../src/backends/simulator/smp-run.js';
import type { HypervisorSchedulerName } from '../src/mechanisms/vcpu/smp-machine.js';

export const TARGET_MIX = ['facesim', 'bodytrack', 'synthetic', 'x264'];
export const FINE_MIX = ['streamcluster', 'fluidanimate', 'dedup', 'canneal'];

export interface SmpBenchRun {
  mix: string;
  scheduler: HypervisorSchedulerName;
  wall_seconds_best: number;
  wall_seconds_median: number;
  events: number;
  events_per_wall_second: number;
  program_runs: number;
}

export interface SmpBenchFigures {
  cores: number;
  vcpus: number;
  simulated_seconds: number;
  target_wall_seconds: number;
  runs: SmpBenchRun[];
}

function measure(mix: readonly string[], name: string, scheduler: HypervisorSchedulerName, repeats: number): SmpBenchRun {
  const walls: number[] = [];
  let events = 0;
  let runs = 0;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const result = runSmp({
      cores: 12,
      scheduler,
      vms: mix.map((profile) => ({ name: profile, vcpus: 12, weight: 1024, profile: resolveProfile(profile), repeat: true })),
      seed: 1,
      limitSeconds: 60,
      durationSeconds: 60,
    });
    walls.push((performance.now() - start) / 1000);
    events = result.events;
    runs = result.vms.reduce((sum, vm) => sum + vm.runsCompleted, 0);
  }
  const sorted = [...walls].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { mix: name, scheduler, wall_seconds_best: sorted[0], wall_seconds_median: median, events, events_per_wall_second: events / median, program_runs: runs };
}

export function benchSmp(log: (line: string) => void = () => {}): SmpBenchFigures {
  const runs: SmpBenchRun[] = [];
  for (const scheduler of ['fair-share', 'flexcore'] as const) {
    const run = measure(TARGET_MIX, 'target', scheduler, 3);
    log(`  target mix, ${scheduler}: ${run.wall_seconds_median.toFixed(2)} s wall (best ${run.wall_seconds_best.toFixed(2)}), ${(run.events_per_wall_second / 1e6).toFixed(2)} M events/s`);
    runs.push(run);
  }
  for (const scheduler of ['fair-share', 'flexcore'] as const) {
    const run = measure(FINE_MIX, 'fine', scheduler, 1);
    log(`  fine mix, ${scheduler}: ${run.wall_seconds_median.toFixed(2)} s wall, ${(run.events_per_wall_second / 1e6).toFixed(2)} M events/s`);
    runs.push(run);
  }
  return { cores: 12, vcpus: 48, simulated_seconds: 60, target_wall_seconds: 3, runs };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(benchSmp((line) => process.stderr.write(`${line}\n`)))}\n`);
}
