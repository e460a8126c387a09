/**
 * Guest-memory benchmark (issue target: 1M guest pages and 10M accesses with inference on, under 5 s wall).
 *
 * The guest: 4 GiB of memory (1,048,576 pages of 4 KiB; 64 MiB kept by the kernel), a 16 GiB ext3 disk in ordered
 * mode. Cases:
 * - `target` (the one the target is about): a database-like mix on a 6 GiB data set (1.5× memory) — Zipf(0.9)
 *   reads, 10 % overwrites, 5 % log appends — 10M accesses, with the hypervisor's inference on: Geiger (held
 *   reports, journal, liveness, unified cache), the ghost-list working-set estimator and ESX's sampling estimator.
 *   Scoring against the guest's truth is off: it is instrumentation, not inference;
 * - `target-scored`, for information: the same with scoring on (what `hyperwatt run` does);
 * - `heavy`, for information: Zipf(0.7) reads over 8 GiB (2× memory), a thrashing cache with about 30 % misses;
 *   every miss is a reclaim, a disk read, an inferred eviction and two ghost-list operations over arrays of
 *   millions of entries, so its cost is bound by memory latency.
 *
 * Each case runs in its own process (so its peak RSS is its own): wall seconds of `runMemory` (building the guest
 * and the data set included), best and median of 3 for `target`, one run for the others.
 *
 * Run one case alone with `node dist/bench/memory.js target` (prints one JSON line), or call {@link benchMemory}.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runMemory, type MemoryRunSpec } from '../src/backends/simulator/memory-run.js';
import { GUEST_OS_DEFAULTS } from '../src/model/guest-os/guest-os.js';
import { ESX_SAMPLING_DEFAULTS } from '../src/mechanisms/memory-inference/sampling-estimator.js';
import { FILE_PHASE_DEFAULTS, type FilePhaseSpec } from '../src/workload/file-workload.js';

export const MEMORY_BENCH_CASES = ['target', 'target-scored', 'heavy'] as const;
type Case = (typeof MEMORY_BENCH_CASES)[number];

export interface MemoryBenchRun {
  case: Case;
  wall_seconds: number;
  max_rss_mib: number;
  accesses: number;
  read_hit_ratio: number;
  disk_read_blocks: number;
  inferred_evictions: number;
}

export interface MemoryBenchFigures {
  guest_pages: number;
  accesses: number;
  target_wall_seconds: number;
  target_wall_seconds_best: number;
  target_wall_seconds_median: number;
  runs: MemoryBenchRun[];
}

const PAGES = 1 << 20;
const ACCESSES = 10_000_000;

function spec(benchCase: Case): MemoryRunSpec {
  const heavy = benchCase === 'heavy';
  const phase: FilePhaseSpec = heavy
    ? { ...FILE_PHASE_DEFAULTS, kind: 'zipf', accesses: ACCESSES, zipfExponent: 0.7 }
    : { ...FILE_PHASE_DEFAULTS, kind: 'database', accesses: ACCESSES, zipfExponent: 0.9, writeFraction: 0.1, logFraction: 0.05 };
  return {
    seed: 1,
    vms: [
      {
        name: 'vm',
        memoryPages: PAGES,
        kernelReservedPages: 16384,
        fileSystem: { blockCount: 1 << 22, journalBlocks: 32768, inodeCount: 65536 },
        journalMode: 'ordered',
        workload: { dataFiles: heavy ? 2048 : 1536, dataFileBlocks: 1024, logBlocks: 8192, cpuSecondsPerAccess: 20e-6, phases: [phase] },
      },
    ],
    kernel: { ...GUEST_OS_DEFAULTS },
    disk: { positioningSeconds: 0.0125, transferBytesPerSecond: 50e6 },
    inference: { journal: true, liveness: true, unified: true, report: 'confirmed', confirmAfterSeconds: null },
    ghostCapacityFactor: 2,
    sampling: ESX_SAMPLING_DEFAULTS,
    storage: null,
    memoryManager: null,
    workingSetTolerance: 0.1,
    score: benchCase === 'target-scored',
  };
}

/** One case, in this process. */
export function runMemoryCase(benchCase: Case): MemoryBenchRun {
  const start = performance.now();
  const result = runMemory(spec(benchCase));
  const wall = (performance.now() - start) / 1000;
  const vm = result.vms[0]!;
  return {
    case: benchCase,
    wall_seconds: wall,
    max_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
    accesses: ACCESSES,
    read_hit_ratio: vm.counters.readHits / vm.counters.reads,
    disk_read_blocks: vm.counters.diskReadBlocks,
    inferred_evictions: vm.geiger.inferredEvictions,
  };
}

function runInChild(benchCase: Case): MemoryBenchRun {
  const stdout = execFileSync(process.execPath, [fileURLToPath(import.meta.url), benchCase], { encoding: 'utf8' });
  return JSON.parse(stdout) as MemoryBenchRun;
}

export function benchMemory(log: (line: string) => void = () => {}): MemoryBenchFigures {
  const runs: MemoryBenchRun[] = [];
  const targetWalls: number[] = [];
  for (let i = 0; i < 3; i++) {
    const run = runInChild('target');
    targetWalls.push(run.wall_seconds);
    if (i === 0) runs.push(run);
  }
  const sorted = [...targetWalls].sort((a, b) => a - b);
  log(`  target: 1M pages, 10M accesses, inference on: ${sorted[1]!.toFixed(2)} s wall (best ${sorted[0]!.toFixed(2)}, target 5 s), peak RSS ${runs[0]!.max_rss_mib} MiB, hit ratio ${(runs[0]!.read_hit_ratio * 100).toFixed(1)} %`);
  for (const benchCase of ['target-scored', 'heavy'] as const) {
    const run = runInChild(benchCase);
    runs.push(run);
    log(`  ${benchCase}: ${run.wall_seconds.toFixed(2)} s wall, peak RSS ${run.max_rss_mib} MiB, hit ratio ${(run.read_hit_ratio * 100).toFixed(1)} %`);
  }
  return { guest_pages: PAGES, accesses: ACCESSES, target_wall_seconds: 5, target_wall_seconds_best: sorted[0]!, target_wall_seconds_median: sorted[1]!, runs };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const benchCase = process.argv[2] as Case | undefined;
  if (benchCase && (MEMORY_BENCH_CASES as readonly string[]).includes(benchCase)) process.stdout.write(`${JSON.stringify(runMemoryCase(benchCase))}\n`);
  else process.stdout.write(`${JSON.stringify(benchMemory((line) => process.stderr.write(`${line}\n`)))}\n`);
}
