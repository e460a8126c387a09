/**
 * `hyperwatt sweep`: runs a sweep's jobs (or one shard of them; data-center or host scenarios) on worker threads
 * and writes results.json
 * (deterministic: no wall-clock figures), results.csv and timing.json; `hyperwatt sweep merge` combines
 * shard directories into one.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expandSweep, loadSweep, parseShard, type SweepJob } from '../scenario/sweep.js';
import { writeOutputDirectory } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';
import { UserError } from '../util/user-error.js';
import { loadAnyScenario } from './load-scenario.js';
import { createProgress } from './progress.js';

/** A run's summary as a sweep row holds it: a data-center run's or a host run's figures. */
type Summary = Record<string, unknown> & { wall_seconds?: number };

interface SweepResultRow {
  job: number;
  scenario: string;
  parameters: Record<string, string | number | boolean>;
  seed: number;
  summary: Summary;
}

interface SweepResults {
  sweep: string;
  totalJobs: number;
  shard: { index: number; count: number };
  rows: SweepResultRow[];
}

/** Runs jobs on `jobs` worker threads; resolves with summaries in job order. */
export async function runJobs(jobs: readonly SweepJob[], threads: number, onDone?: (done: number) => void): Promise<Summary[]> {
  const results: Summary[] = new Array(jobs.length);
  if (jobs.length === 0) return results;
  const positionOf = new Map(jobs.map((job, i) => [job.index, i]));
  const workerUrl = new URL('./sweep-worker.js', import.meta.url);
  const workers = Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, () => new Worker(workerUrl));
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const feed = (worker: Worker): void => {
        if (next < jobs.length) worker.postMessage(jobs[next++]);
      };
      for (const worker of workers) {
        worker.on('message', (message: { index: number; summary?: Summary; error?: string; userError?: boolean }) => {
          if (message.error !== undefined) {
            const text = `job ${message.index}: ${message.error}`;
            reject(message.userError ? new UserError(text) : new Error(text));
            return;
          }
          results[positionOf.get(message.index)!] = message.summary!;
          done++;
          onDone?.(done);
          if (done === jobs.length) resolvePromise();
          else feed(worker);
        });
        worker.on('error', reject);
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/** The summary without its wall-clock figure: results.json must be byte-identical between runs. */
function withoutWallClock(summary: Summary): Summary {
  const { wall_seconds: _wall, ...rest } = summary;
  return rest;
}

function csvOf(rows: readonly SweepResultRow[]): string {
  const parameterKeys = [...new Set(rows.flatMap((r) => Object.keys(r.parameters)))];
  // The job's scenario file and seed are already columns; the summary's copies would repeat the names.
  // Every key any job has, in first-seen order: realistic migration models add fields the others lack (left empty).
  const summaryKeys = [...new Set(rows.flatMap((r) => Object.keys(r.summary)))].filter((k) => k !== 'seed');
  const escape = (v: unknown): string => {
    const text = String(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [['job', 'scenario_file', ...parameterKeys, 'seed', ...summaryKeys].join(',')];
  for (const row of rows) {
    lines.push(
      [row.job, row.scenario, ...parameterKeys.map((k) => row.parameters[k] ?? ''), row.seed, ...summaryKeys.map((k) => row.summary[k] ?? '')]
        .map(escape)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function sweepCommand(file: string, flags: { jobs?: number; shard?: string; out?: string; quiet?: boolean }): Promise<void> {
  const sweep = loadSweep(file);
  const allJobs = expandSweep(sweep, file);
  const shard = flags.shard ? parseShard(flags.shard) : { index: 0, count: 1 };
  const jobs = allJobs.filter((job) => job.index % shard.count === shard.index);
  // Validate every job's scenario before starting any thread: bad input fails fast, with its file and line.
  // Host scenarios have no seed: one seed per grid point, or the same run would be repeated.
  const seedCount = typeof sweep.seeds === 'number' ? sweep.seeds : sweep.seeds.length;
  for (const job of jobs) {
    const loaded = await loadAnyScenario(job.scenarioFile, { sets: job.sets, seed: job.seed, seedForDataCenterOnly: true });
    if (loaded.kind === 'smp' || loaded.kind === 'vcpu-experiment') {
      throw new UserError(`${file}: ${job.scenario} is a ${loaded.kind} scenario, which sweep does not run; list its variants in the file (schedulers, profiles, vmCounts) and use hyperwatt run`);
    }
    if (loaded.kind === 'memory') {
      throw new UserError(`${file}: ${job.scenario} is a memory scenario, which sweep does not run; list its variants under experiments (remoteCache sizes, memoryPolicies, trueCurve sizes) and use hyperwatt run`);
    }
    if (loaded.kind === 'host' && seedCount > 1) {
      throw new UserError(`${file}: seeds: ${job.scenario} is a host scenario (kind: host), which is deterministic and has no seed; give one seed (or leave seeds out)`);
    }
  }
  const threads = flags.jobs ?? availableParallelism();
  const progress = createProgress(process.stderr, flags.quiet);
  const started = performance.now();
  progress.update(0, jobs.length, sweep.name);
  const summaries = await runJobs(jobs, threads, (done) => progress.update(done, jobs.length, sweep.name));
  progress.finish();
  const wallSeconds = (performance.now() - started) / 1000;
  const rows: SweepResultRow[] = jobs.map((job, i) => ({
    job: job.index,
    scenario: job.scenario,
    parameters: job.parameters,
    seed: job.seed,
    summary: withoutWallClock(summaries[i]),
  }));
  const results: SweepResults = { sweep: sweep.name, totalJobs: allJobs.length, shard, rows };
  const outDir = flags.out ?? `out/${sweep.name}${shard.count > 1 ? `-shard-${shard.index}-of-${shard.count}` : ''}`;
  await writeOutputDirectory(outDir, {
    'results.json': stableJson(results),
    'results.csv': csvOf(rows),
    'timing.json': stableJson({ wall_seconds: wallSeconds, threads, jobs: jobs.length, run_wall_seconds: summaries.map((s) => s.wall_seconds) }),
  });
  process.stdout.write(`${sweep.name}: ${jobs.length} runs in ${wallSeconds.toFixed(2)} s on ${threads} threads; wrote ${outDir}/results.csv\n`);
}

export async function sweepMergeCommand(dirs: string[], flags: { out: string }): Promise<void> {
  const parts: SweepResults[] = dirs.map((dir) => {
    const file = join(dir, 'results.json');
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as SweepResults;
    } catch {
      throw new UserError(`${file}: not a sweep output (missing or unreadable results.json)`);
    }
  });
  const first = parts[0];
  for (let i = 1; i < parts.length; i++) {
    if (parts[i].sweep !== first.sweep || parts[i].totalJobs !== first.totalJobs) {
      throw new UserError(`${dirs[i]}: belongs to sweep "${parts[i].sweep}" (${parts[i].totalJobs} jobs), not "${first.sweep}" (${first.totalJobs} jobs)`);
    }
  }
  const rows = parts.flatMap((p) => p.rows).sort((a, b) => a.job - b.job);
  for (let i = 1; i < rows.length; i++) if (rows[i].job === rows[i - 1].job) throw new UserError(`job ${rows[i].job} appears in two shards`);
  const missing = first.totalJobs - rows.length;
  if (missing > 0) throw new UserError(`${missing} of ${first.totalJobs} jobs are missing: merge every shard`);
  const merged: SweepResults = { sweep: first.sweep, totalJobs: first.totalJobs, shard: { index: 0, count: 1 }, rows };
  await writeOutputDirectory(flags.out, { 'results.json': stableJson(merged), 'results.csv': csvOf(rows) });
  process.stdout.write(`merged ${parts.length} shards, ${rows.length} runs, into ${flags.out}/results.csv\n`);
}
