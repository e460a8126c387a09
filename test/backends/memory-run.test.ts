/**
 * Guest-memory runs end to end at small scale: determinism, what each Geiger refinement is worth on the workloads
 * that need it, the true curve, and the memory-manager example's header claims.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMemoryRunSpec, runMemoryScenario } from '../../src/backends/simulator/memory-scenario.js';
import { runMemory, trueCurve } from '../../src/backends/simulator/memory-run.js';
import { loadAnyScenario } from '../../src/cli/load-scenario.js';
import { MemoryScenarioSchema } from '../../src/scenario/memory-schema.js';

const ROOT = join(import.meta.dirname, '..', '..');

const small = MemoryScenarioSchema.parse({
  kind: 'memory',
  name: 'small',
  guest: { memoryMiB: 16, kernelReservedMiB: 1, fileSystem: { sizeMiB: 256, journalMiB: 8, inodes: 1024 } },
  experiments: { ablation: true },
  vms: [
    { name: 'churn', workload: { dataFiles: 1, dataFileBlocks: 256, phases: [{ kind: 'churn', accesses: 60_000, liveFiles: 64, fileBlocks: 64, createEvery: 256 }] } },
    { name: 'journaled', journalMode: 'journal', workload: { dataFiles: 10, dataFileBlocks: 1024, logBlocks: 1024, phases: [{ kind: 'database', accesses: 60_000, zipfExponent: 0.8, writeFraction: 0.2, logFraction: 0.1 }] } },
    { name: 'anonymous', workload: { dataFiles: 10, dataFileBlocks: 1024, phases: [{ kind: 'scan', accesses: 60_000, anonymousFromMiB: 0, anonymousToMiB: 10 }] } },
  ],
});

describe('guest-memory runs', () => {
  it('the same scenario and seed give the same result, to the bit', () => {
    const spec = buildMemoryRunSpec(small);
    expect(JSON.stringify(runMemory(spec))).toBe(JSON.stringify(runMemory(spec)));
  });

  it('full Geiger is ≥ 95 % precise and complete on every workload; each refinement matters where it should', () => {
    const result = runMemoryScenario(small);
    const score = (variant: string, vm: string) => result.ablation.find((r) => r.variant === variant && r.vm === vm)!.score;
    for (const vm of ['churn', 'journaled', 'anonymous']) {
      expect(score('full', vm).precision, vm).toBeGreaterThanOrEqual(0.95);
      expect(score('full', vm).recall, vm).toBeGreaterThanOrEqual(0.95);
      expect(score('full', vm).trueEvictions, vm).toBeGreaterThan(1000);
    }
    // Pages of deleted files look evicted without liveness.
    expect(score('no-liveness', 'churn').precision).toBeLessThan(0.8);
    // Journal copies of data look like evictions without journal handling.
    expect(score('no-journal', 'journaled').precision).toBeLessThan(0.8);
    // Anonymous growth takes cache pages unseen without unified handling: found late (when the block comes back) or never.
    expect(score('no-unified', 'anonymous').meanDelaySeconds).toBeGreaterThan(score('full', 'anonymous').meanDelaySeconds);
    expect(score('no-unified', 'anonymous').recall).toBeLessThan(score('full', 'anonymous').recall);
  });

  it("the true curve falls as memory grows and Geiger's working set of a looping scan is close to it", () => {
    const scenario = MemoryScenarioSchema.parse({
      kind: 'memory',
      name: 'loop',
      guest: { memoryMiB: 16, kernelReservedMiB: 1, fileSystem: { sizeMiB: 256, journalMiB: 8, inodes: 64 } },
      vms: [{ name: 'scan', workload: { dataFiles: 8, dataFileBlocks: 1024, phases: [{ kind: 'scan', accesses: 200_000 }] } }],
    });
    const spec = buildMemoryRunSpec(scenario);
    const truth = trueCurve(spec, 0, [16, 24, 32, 34, 36, 40, 48].map((mib) => mib * 256));
    const reads = truth.points.map((p) => p.diskReadBlocks);
    for (let i = 1; i < reads.length; i++) expect(reads[i]).toBeLessThanOrEqual(reads[i - 1]!);
    const geiger = runMemory(spec).vms[0]!.geigerWorkingSetPages;
    expect(Math.abs(geiger - truth.workingSetPages) / truth.workingSetPages).toBeLessThan(0.1);
  });

  it('examples/memory/memory-manager.yaml: max-hits moves memory to the thrashing VM and beats static allocation', async () => {
    const loaded = await loadAnyScenario(join(ROOT, 'examples', 'memory', 'memory-manager.yaml'));
    if (loaded.kind !== 'memory') throw new Error('not a memory scenario');
    const result = runMemoryScenario(loaded.scenario);
    const policy = (name: string) => result.policies.find((p) => p.policy === name)!;
    expect(policy('max-hits').totalReadHits).toBeGreaterThan(policy('static').totalReadHits * 1.05);
    expect(policy('miss-target').totalReadHits).toBeGreaterThan(policy('static').totalReadHits);
    const big = policy('max-hits').vms.find((vm) => vm.name === 'big')!;
    expect(big.finalPages).toBeGreaterThan(96 * 256);
    const total = policy('max-hits').vms.reduce((sum, vm) => sum + vm.finalPages, 0);
    expect(total).toBeLessThanOrEqual(192 * 256);
  });
});
