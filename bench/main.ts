/**
 * `npm run bench`: the speed and memory figures quoted in BENCHMARKS.md, measured in one run.
 *
 * 1. kernel: event-queue and simulator throughput with 1e5 pending events;
 * 2. planetlab-lr-mmt: the whole `hyperwatt run examples/planetlab/lr-mmt.yaml` process (start-up, loading the
 *    1052 traces, simulation), CPU seconds as the process reports them, best and median of 5 runs, and the ratio
 *    to CloudSim 3.0.3's JVM user time for the same run (data/cloudsim/results-20110303.md);
 * 3. planetlab-sweep: all 10 days × 6 policies with `hyperwatt sweep --jobs 2`, wall time;
 * 4. migration: one 16 GiB page-level pre-copy; 1,000 concurrent migrations on a shared fabric; the network alone
 *    (bench/migration.ts, bench/network.ts); the PlanetLab LR day in default mode with `precopy` against `cloudsim`
 *    migrations, wall time of the simulation (target: under 2×);
 * 5. host: the detailed host (bench/host.ts): 12 cores, 48 vCPUs, 1 ms slices, 60 s simulated (target < 2 s wall);
 * 6. smp: the double-scheduling model (bench/smp.ts): 12 cores, 48 vCPUs, a synchronisation-heavy mix, 60 s
 *    simulated (target < 3 s wall), and the finest-grained PARSEC-like profiles for information;
 * 7. memory: the guest-memory model with Geiger's inference (bench/memory.ts): 1M guest pages, 10M accesses
 *    (target < 5 s wall), and a scored and a thrashing case for information;
 * 8. scaling: the synthetic LR-MMT day (examples/synthetic/scale-lr-mmt.yaml, default mode) at 10 VMs per host
 *    from 1,000 VMs up, CPU time and peak RSS per size. `HYPERWATT_BENCH_MAX_VMS` caps the largest size
 *    (default 100,000).
 *
 * Each measured run is a separate process, so peak RSS and start-up are real. Results go to stdout and to
 * bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchKernel } from './kernel.js';
import { benchAggregateThroughput, benchConcurrent, benchSixteenGiB } from './migration.js';
import { benchNetwork } from './network.js';
import { benchHost } from './host.js';
import { benchSmp } from './smp.js';
import { benchMemory } from './memory.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

interface RunFigures {
  process_cpu_seconds: number;
  wall_seconds: number;
  max_rss_mib: number;
  energy_kwh: number;
  migrations: number;
  events: number;
}

function runCli(args: string[]): RunFigures {
  const stdout = execFileSync(process.execPath, [cli, 'run', ...args, '--no-out', '--json', '--quiet'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(stdout) as RunFigures;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version },
    date: new Date().toISOString().slice(0, 10),
  };

  log('kernel: event queue with 1e5 pending events …');
  const kernel = await benchKernel();
  results.kernel = kernel;
  log(`  queue hold ${(kernel.queueHoldOperationsPerSecond / 1e6).toFixed(2)} M ops/s, simulator hold ${(kernel.simulatorHoldEventsPerSecond / 1e6).toFixed(2)} M events/s`);

  log('planetlab-lr-mmt: whole `hyperwatt run` process, 5 runs …');
  const runs = Array.from({ length: 5 }, () => runCli(['examples/planetlab/lr-mmt.yaml']));
  const cpu = runs.map((r) => r.process_cpu_seconds);
  const reference = readFileSync(join(root, 'data', 'cloudsim', 'results-20110303.md'), 'utf8');
  const lrSection = reference.slice(reference.indexOf('## LrMmt'));
  const cloudsimUser = Number(/User time \(seconds\): ([0-9.]+)/.exec(lrSection)?.[1]);
  results.planetlab_lr_mmt = {
    process_cpu_seconds_best: Math.min(...cpu),
    process_cpu_seconds_median: median(cpu),
    wall_seconds_median: median(runs.map((r) => r.wall_seconds)),
    max_rss_mib: Math.max(...runs.map((r) => r.max_rss_mib)),
    events: runs[0].events,
    migrations: runs[0].migrations,
    cloudsim_user_cpu_seconds: cloudsimUser,
    speedup_vs_cloudsim: cloudsimUser / median(cpu),
    target_cpu_seconds: 0.5,
  };
  log(`  CPU best ${Math.min(...cpu).toFixed(3)} s, median ${median(cpu).toFixed(3)} s; CloudSim ${cloudsimUser} s → ${(cloudsimUser / median(cpu)).toFixed(1)}× (target 0.5 s)`);

  log('planetlab-sweep: 10 days × 6 policies, --jobs 2 …');
  const started = performance.now();
  const sweepOut = execFileSync(
    process.execPath,
    [cli, 'sweep', 'examples/sweeps/planetlab-10-days.yaml', '--jobs', '2', '--quiet', '--out', join(root, 'out', 'bench-planetlab-10-days')],
    { cwd: root, encoding: 'utf8' },
  );
  const sweepWall = (performance.now() - started) / 1000;
  results.planetlab_sweep = { runs: 60, jobs: 2, wall_seconds: sweepWall, target_wall_seconds: 15, output: sweepOut.trim() };
  log(`  ${sweepWall.toFixed(1)} s wall (target 15 s)`);

  log('migration …');
  const sixteen = benchSixteenGiB(log);
  const concurrentFigures = benchConcurrent(log);
  const aggregateThroughput = benchAggregateThroughput(log);
  log('network: max-min sharing with 1,000 concurrent flows …');
  const network = benchNetwork(log);
  const models: Record<string, number> = {};
  for (const model of ['cloudsim', 'precopy']) {
    const walls = Array.from({ length: 3 }, () => runCli(['examples/planetlab/lr-mmt-precopy.yaml', '--set', `migration={"model":"${model}"}`]).wall_seconds);
    models[`${model}_wall_seconds_median`] = median(walls);
  }
  models.precopy_over_cloudsim = models.precopy_wall_seconds_median / models.cloudsim_wall_seconds_median;
  log(
    `  PlanetLab LR day, default mode: precopy ${models.precopy_wall_seconds_median.toFixed(3)} s vs cloudsim ${models.cloudsim_wall_seconds_median.toFixed(3)} s ` +
      `simulation wall (median of 3) → ${models.precopy_over_cloudsim.toFixed(2)}× (target < 2×)`,
  );
  results.migration = { sixteen_gib_precopy: sixteen, concurrent: concurrentFigures, aggregate_throughput: aggregateThroughput, network, planetlab_models: { ...models, target_ratio: 2 } };

  log('host: detailed host, 12 cores, 48 vCPUs, 1 ms slices, 60 s …');
  results.host = benchHost(log);

  log('smp: double scheduling, 12 cores, 48 vCPUs, 60 s …');
  results.smp = benchSmp(log);

  log('memory: guest memory with Geiger, 1M pages, 10M accesses …');
  results.memory = benchMemory(log);

  const maxVms = Number(process.env.HYPERWATT_BENCH_MAX_VMS ?? 100_000);
  const sizes = [1_000, 3_000, 10_000, 30_000, 100_000].filter((n) => n <= maxVms);
  const scaling: Record<string, unknown>[] = [];
  log(`scaling: synthetic LR-MMT day, 10 VMs per host, up to ${maxVms} VMs …`);
  for (const vms of sizes) {
    const figures = runCli(['examples/synthetic/scale-lr-mmt.yaml', '--set', `workload.vms=${vms}`, '--set', `hosts.count=${vms / 10}`]);
    const row = {
      vms,
      hosts: vms / 10,
      process_cpu_seconds: figures.process_cpu_seconds,
      wall_seconds: figures.wall_seconds,
      max_rss_mib: figures.max_rss_mib,
      migrations: figures.migrations,
      events: figures.events,
      cpu_microseconds_per_vm_tick: (figures.wall_seconds / (vms * 288)) * 1e6,
    };
    scaling.push(row);
    log(`  ${vms} VMs: ${figures.wall_seconds.toFixed(2)} s simulation, ${figures.process_cpu_seconds.toFixed(2)} s CPU, ${figures.max_rss_mib.toFixed(0)} MiB peak`);
  }
  results.scaling = scaling;
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log('wrote bench/results.json');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
