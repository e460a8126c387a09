/**
 * A guest-memory scenario (`kind: memory`) turned into runs: the main run (every VM with Geiger, its estimators and
 * the scorer), and the experiments the scenario asks for — the ablation of Geiger's refinements, each VM's true
 * curve, the remote cache over sizes and placements, and memory-manager policies side by side.
 */
import type { InferenceScoreSummary } from '../../mechanisms/memory-inference/inference-score.js';
import type { GeigerOptions } from '../../mechanisms/memory-inference/geiger-inference.js';
import type { MemoryScenario } from '../../scenario/memory-schema.js';
import { runMemory, trueCurve, type MemoryManagerStep, type MemoryRunResult, type MemoryRunSpec, type TrueCurvePoint } from './memory-run.js';

/** 4 KiB pages per MiB. */
export const PAGES_PER_MIB = 256;

const pages = (mib: number): number => Math.round(mib * PAGES_PER_MIB);

/** The run spec of a scenario (its main run). */
export function buildMemoryRunSpec(scenario: MemoryScenario): MemoryRunSpec {
  const guest = scenario.guest;
  return {
    seed: scenario.seed,
    vms: scenario.vms.map((vm) => {
      const journalMode = vm.journalMode ?? guest.journalMode;
      return {
        name: vm.name,
        memoryPages: pages(vm.memoryMiB ?? guest.memoryMiB),
        kernelReservedPages: pages(guest.kernelReservedMiB),
        fileSystem: { blockCount: pages(guest.fileSystem.sizeMiB), journalBlocks: journalMode === 'none' ? 0 : pages(guest.fileSystem.journalMiB), inodeCount: guest.fileSystem.inodes },
        journalMode,
        workload: {
          dataFiles: vm.workload.dataFiles,
          dataFileBlocks: vm.workload.dataFileBlocks,
          logBlocks: vm.workload.logBlocks,
          cpuSecondsPerAccess: vm.workload.cpuMicrosecondsPerAccess * 1e-6,
          phases: vm.workload.phases.map((p) => ({
            kind: p.kind,
            accesses: p.accesses,
            zipfExponent: p.zipfExponent,
            writeFraction: p.writeFraction,
            logFraction: p.logFraction,
            liveFiles: p.liveFiles,
            fileBlocks: p.fileBlocks,
            createEvery: p.createEvery,
            anonymousFromPages: p.anonymousFromMiB === undefined ? null : pages(p.anonymousFromMiB),
            anonymousToPages: p.anonymousToMiB === undefined ? null : pages(p.anonymousToMiB),
            anonymousTouchFraction: p.anonymousTouchFraction,
          })),
        },
      };
    }),
    kernel: guest.kernel,
    disk: { positioningSeconds: scenario.disk.positioningMilliseconds / 1000, transferBytesPerSecond: scenario.disk.transferMBPerSecond * 1e6 },
    inference: scenario.inference,
    ghostCapacityFactor: scenario.estimators.ghostCapacityFactor,
    sampling: scenario.estimators.sampling,
    storage: scenario.storage
      ? {
          cachePages: pages(scenario.storage.cacheMiB),
          placement: scenario.storage.placement,
          networkRoundTripSeconds: scenario.storage.networkRoundTripMicroseconds * 1e-6,
          networkBytesPerSecond: scenario.storage.networkMBPerSecond * 1e6,
        }
      : null,
    memoryManager: scenario.memoryManager
      ? {
          policy: scenario.memoryManager.policy,
          hostMemoryPages: pages(scenario.memoryManager.hostMemoryMiB),
          epochSeconds: scenario.memoryManager.epochSeconds,
          reserveFraction: scenario.memoryManager.reserveFraction,
          options: { headroom: scenario.memoryManager.headroom, tolerance: scenario.memoryManager.tolerance, hysteresisFraction: scenario.memoryManager.hysteresisFraction },
        }
      : null,
    workingSetTolerance: scenario.estimators.workingSetTolerance,
  };
}

/** One variant of Geiger in the ablation. */
export interface AblationRow {
  readonly variant: string;
  readonly vm: string;
  readonly score: InferenceScoreSummary;
}

export interface TrueCurveResult {
  readonly vm: string;
  readonly points: TrueCurvePoint[];
  readonly workingSetPages: number;
}

export interface RemoteCacheRow {
  readonly cacheMiB: number;
  readonly placement: string;
  /** Server cache hits / blocks the guests read from it. */
  readonly hitRate: number;
  readonly blockReads: number;
  readonly cacheHits: number;
  readonly diskBlockReads: number;
  readonly backgroundDiskReads: number;
  /** Guest read hits summed over VMs (placement does not change them; shown as a check). */
  readonly guestReadHits: number;
  /** Simulated time until the last VM finished, s. */
  readonly completionSeconds: number;
  /** Each VM's server-cache hit rate (its hits over its blocks read from the server), in VM order. */
  readonly vmHitRates: number[];
}

export interface PolicyRow {
  readonly policy: string;
  readonly totalReadHits: number;
  readonly totalReads: number;
  readonly balloonSeconds: number;
  readonly vms: { name: string; readHits: number; reads: number; finalPages: number; completionSeconds: number }[];
  readonly steps: MemoryManagerStep[];
}

export interface MemoryScenarioResult {
  readonly main: MemoryRunResult;
  readonly ablation: AblationRow[];
  readonly trueCurves: TrueCurveResult[];
  readonly remoteCache: RemoteCacheRow[];
  readonly policies: PolicyRow[];
}

/** The ablation variants: each refinement off alone, and immediate reporting. */
export const ABLATION_VARIANTS: readonly { name: string; change: Partial<GeigerOptions> }[] = [
  { name: 'full', change: {} },
  { name: 'no-journal', change: { journal: false } },
  { name: 'no-liveness', change: { liveness: false } },
  { name: 'no-unified', change: { unified: false } },
  { name: 'immediate', change: { report: 'immediate' } },
];

/** How many runs a scenario makes (for progress). */
export function memoryRunCount(scenario: MemoryScenario): number {
  const e = scenario.experiments;
  return (
    1 +
    (e.ablation ? ABLATION_VARIANTS.length - 1 : 0) +
    (e.trueCurve ? e.trueCurve.memoryMiB.length * scenario.vms.length : 0) +
    (e.remoteCache ? e.remoteCache.cacheMiB.length * e.remoteCache.placements.length : 0) +
    (e.memoryPolicies ? e.memoryPolicies.filter((policy) => policy !== scenario.memoryManager?.policy).length : 0)
  );
}

/** Runs a scenario and its experiments; `onRun` is called after each run. */
export function runMemoryScenario(scenario: MemoryScenario, onRun: (label: string) => void = () => {}): MemoryScenarioResult {
  const spec = buildMemoryRunSpec(scenario);
  const main = runMemory(spec);
  onRun('main');
  const e = scenario.experiments;

  const ablation: AblationRow[] = [];
  if (e.ablation) {
    for (const variant of ABLATION_VARIANTS) {
      const result = variant.name === 'full' ? main : runMemory({ ...spec, inference: { ...spec.inference, ...variant.change } });
      for (const vm of result.vms) ablation.push({ variant: variant.name, vm: vm.name, score: vm.score });
      if (variant.name !== 'full') onRun(`ablation ${variant.name}`);
    }
  }

  const trueCurves: TrueCurveResult[] = [];
  if (e.trueCurve) {
    const sizes = e.trueCurve.memoryMiB.map(pages);
    spec.vms.forEach((vm, i) => {
      const curve = trueCurve(spec, i, sizes);
      trueCurves.push({ vm: vm.name, ...curve });
      for (let k = 0; k < sizes.length; k++) onRun(`true curve ${vm.name}`);
    });
  }

  const remoteCache: RemoteCacheRow[] = [];
  if (e.remoteCache) {
    const base = spec.storage ?? { cachePages: 0, placement: 'eviction-based' as const, networkRoundTripSeconds: 100e-6, networkBytesPerSecond: 125e6 };
    for (const cacheMiB of e.remoteCache.cacheMiB) {
      for (const placement of e.remoteCache.placements) {
        const result = runMemory({ ...spec, storage: { ...base, cachePages: pages(cacheMiB), placement } });
        const s = result.storage!;
        remoteCache.push({
          cacheMiB,
          placement,
          hitRate: s.blockReads === 0 ? 0 : s.cacheHits / s.blockReads,
          blockReads: s.blockReads,
          cacheHits: s.cacheHits,
          diskBlockReads: s.diskBlockReads,
          backgroundDiskReads: s.backgroundDiskReads,
          guestReadHits: result.totalReadHits,
          completionSeconds: Math.max(...result.vms.map((vm) => vm.completionSeconds)),
          vmHitRates: result.vms.map((vm) => (vm.remoteReads === 0 ? 0 : vm.remoteHits / vm.remoteReads)),
        });
        onRun(`remote cache ${cacheMiB} MiB ${placement}`);
      }
    }
  }

  const policies: PolicyRow[] = [];
  if (e.memoryPolicies && spec.memoryManager) {
    for (const policy of e.memoryPolicies) {
      const result = policy === spec.memoryManager.policy ? main : runMemory({ ...spec, memoryManager: { ...spec.memoryManager, policy } });
      policies.push({
        policy,
        totalReadHits: result.totalReadHits,
        totalReads: result.totalReads,
        balloonSeconds: result.balloonSeconds,
        vms: result.vms.map((vm) => ({ name: vm.name, readHits: vm.counters.readHits, reads: vm.counters.reads, finalPages: vm.finalPages, completionSeconds: vm.completionSeconds })),
        steps: result.managerSteps,
      });
      if (result !== main) onRun(`policy ${policy}`);
    }
  }
  return { main, ablation, trueCurves, remoteCache, policies };
}
