/**
 * `hyperwatt run` for guest-memory scenarios (`kind: memory`): the main run and the experiments the scenario asks
 * for; prints tables, writes the output directory all at once (never half-written). docs/outputs.md ("Guest-memory
 * runs") lists the files and columns.
 */
import { memoryRunCount, PAGES_PER_MIB, runMemoryScenario, type MemoryScenarioResult } from '../backends/simulator/memory-scenario.js';
import { GuestOutOfMemoryError } from '../model/guest-os/guest-os.js';
import { memoryOutputFiles } from '../report/memory-report.js';
import { formatDisplayNumber } from '../report/summary-table.js';
import type { MemoryScenario } from '../scenario/memory-schema.js';
import { checkOutputDirectory, writeOutputDirectory } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';
import { UserError } from '../util/user-error.js';
import { formatTable } from './format-table.js';
import { createProgress } from './progress.js';

interface MemoryFlags {
  out?: string | false;
  json?: boolean;
  quiet?: boolean;
}

const mib = (pages: number): number => pages / PAGES_PER_MIB;
const shown = (value: number | null): string => (value === null || !Number.isFinite(value) ? '–' : formatDisplayNumber(value));
const pct = (value: number): string => shown(Math.round(value * 10000) / 100);

/** The summary written to summary.json and printed by --json. */
export function memorySummary(scenario: MemoryScenario, result: MemoryScenarioResult): Record<string, unknown> {
  return {
    scenario: scenario.name,
    vms: result.main.vms.map((vm) => {
      const truth = result.trueCurves.find((t) => t.vm === vm.name);
      return {
        name: vm.name,
        memory_mib: mib(vm.memoryPages),
        final_mib: mib(vm.finalPages),
        reads: vm.counters.reads,
        read_hits: vm.counters.readHits,
        evictions: vm.counters.evictions,
        precision: vm.score.precision,
        recall: vm.score.recall,
        mean_delay_s: vm.score.meanDelaySeconds,
        geiger_wss_mib: mib(vm.geigerWorkingSetPages),
        sampling_wss_mib: mib(vm.samplingWorkingSetPages),
        true_wss_mib: truth ? mib(truth.workingSetPages) : null,
      };
    }),
    total_read_hits: result.main.totalReadHits,
    storage: result.main.storage,
    ablation: result.ablation.map((r) => ({ variant: r.variant, vm: r.vm, precision: r.score.precision, recall: r.score.recall })),
    remote_cache: result.remoteCache.map((r) => ({ cache_mib: r.cacheMiB, placement: r.placement, hit_rate: r.hitRate })),
    policies: result.policies.map((p) => ({ policy: p.policy, total_read_hits: p.totalReadHits, final_mib: Object.fromEntries(p.vms.map((vm) => [vm.name, mib(vm.finalPages)])) })),
  };
}

export async function runMemoryCommand(scenario: MemoryScenario, flags: MemoryFlags): Promise<void> {
  const outDir = flags.out === false ? undefined : (flags.out ?? `out/${scenario.name}`);
  if (outDir) await checkOutputDirectory(outDir);
  const total = memoryRunCount(scenario);
  const progress = createProgress(process.stderr, flags.quiet || flags.json);
  let done = 0;
  progress.update(0, total, `runs, ${scenario.name}`);
  let result: MemoryScenarioResult;
  try {
    result = runMemoryScenario(scenario, () => progress.update(++done, total, `runs, ${scenario.name}`));
  } catch (error) {
    // A guest whose anonymous memory leaves nothing to reclaim is a scenario problem, not a bug.
    if (error instanceof GuestOutOfMemoryError) throw new UserError(`${scenario.name}: ${error.message}; give the VM more memory or less anonymous memory`);
    throw error;
  }
  progress.finish();
  const summary = memorySummary(scenario, result);
  if (outDir) await writeOutputDirectory(outDir, memoryOutputFiles(scenario, result, stableJson(summary), stableJson(scenario)));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const vmTable: string[][] = [['vm', 'memory MiB', 'reads', 'hit %', 'evictions', 'precision %', 'recall %', 'mean delay s', 'Geiger WSS MiB', 'sampling WSS MiB', 'true WSS MiB']];
  for (const vm of result.main.vms) {
    const truth = result.trueCurves.find((t) => t.vm === vm.name);
    vmTable.push([vm.name, shown(mib(vm.memoryPages)), shown(vm.counters.reads), pct(vm.counters.reads === 0 ? 0 : vm.counters.readHits / vm.counters.reads), shown(vm.counters.evictions), pct(vm.score.precision), pct(vm.score.recall), shown(vm.score.meanDelaySeconds), shown(mib(vm.geigerWorkingSetPages)), shown(mib(vm.samplingWorkingSetPages)), truth ? shown(mib(truth.workingSetPages)) : '–']);
  }
  let text = `${scenario.name}: ${scenario.vms.length} VM${scenario.vms.length === 1 ? '' : 's'}, ${total} run${total === 1 ? '' : 's'}\n${formatTable(vmTable, 2)}`;
  if (result.ablation.length > 0) {
    const table: string[][] = [['variant', 'vm', 'precision %', 'recall %', 'false pos.', 'false neg.', 'mean delay s']];
    for (const r of result.ablation) table.push([r.variant, r.vm, pct(r.score.precision), pct(r.score.recall), shown(r.score.falsePositives), shown(r.score.falseNegatives), shown(r.score.meanDelaySeconds)]);
    text += `\nGeiger ablation\n${formatTable(table, 2)}`;
  }
  if (result.remoteCache.length > 0) {
    const table: string[][] = [['cache MiB', 'placement', 'hit rate %', 'hits', 'disk reads']];
    for (const r of result.remoteCache) table.push([shown(r.cacheMiB), r.placement, pct(r.hitRate), shown(r.cacheHits), shown(r.diskBlockReads)]);
    text += `\nRemote storage cache\n${formatTable(table, 2)}`;
  }
  if (result.policies.length > 0) {
    const table: string[][] = [['policy', 'total read hits', 'hit %', ...result.main.vms.map((vm) => `${vm.name} MiB`)]];
    for (const p of result.policies) table.push([p.policy, shown(p.totalReadHits), pct(p.totalReads === 0 ? 0 : p.totalReadHits / p.totalReads), ...p.vms.map((vm) => shown(mib(vm.finalPages)))]);
    text += `\nMemory manager\n${formatTable(table, 2)}`;
  }
  process.stdout.write(text);
  if (outDir) process.stdout.write(`\nwrote ${outDir}/\n`);
}
