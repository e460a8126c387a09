/**
 * The report of a guest-memory scenario (`kind: memory`): CSV files and one self-contained HTML page with
 * inference accuracy (precision, recall and delay per VM, and per Geiger variant when the ablation ran), the
 * estimated miss curve against the true one with the working-set sizes of each estimator, remote-cache hit rates
 * over cache sizes and placements, and memory-manager policies with their balloon targets over time.
 *
 * Rendering is deterministic: the same results give the same bytes.
 */
import { PAGES_PER_MIB, type MemoryScenarioResult } from '../backends/simulator/memory-scenario.js';
import type { InferenceScoreSummary } from '../mechanisms/memory-inference/inference-score.js';
import type { MemoryScenario } from '../scenario/memory-schema.js';
import { csvField } from './csv-field.js';
import { escapeHtml } from './html-escape.js';
import { renderDataPage } from './data-page.js';
import type { ChartSpec, ReportSection } from './report-section.js';
import { formatDisplayNumber } from './summary-table.js';

const mib = (pages: number): number => pages / PAGES_PER_MIB;
const csvLines = (header: string[], rows: (string | number | boolean | null)[][]): string => `${[header.join(','), ...rows.map((row) => row.map(csvField).join(','))].join('\n')}\n`;
const shown = (value: number | null): string => (value === null || !Number.isFinite(value) ? '–' : escapeHtml(formatDisplayNumber(value)));
const percent = (value: number): string => shown(Math.round(value * 10000) / 100);

const SCORE_COLUMNS = ['true_evictions', 'reported', 'true_positives', 'false_positives', 'false_negatives', 'undetectable', 'evicted_then_freed', 'drops', 'precision', 'recall', 'mean_delay_s', 'median_delay_s', 'p95_delay_s'];

function scoreFields(s: InferenceScoreSummary): number[] {
  return [s.trueEvictions, s.reportedEvictions, s.truePositives, s.falsePositives, s.falseNegatives, s.undetectable, s.evictedThenFreed, s.drops, s.precision, s.recall, s.meanDelaySeconds, s.medianDelaySeconds, s.p95DelaySeconds];
}

/** vms.csv: the main run, one row per VM. */
export function memoryVmCsv(result: MemoryScenarioResult): string {
  const header = ['vm', 'memory_mib', 'final_mib', 'completion_s', 'reads', 'read_hits', 'read_misses', 'writes', 'disk_read_blocks', 'disk_write_blocks', 'journal_write_blocks', 'evictions', 'files_created', 'files_deleted', 'geiger_wss_mib', 'sampling_wss_mib', 'true_wss_mib', 'remote_reads', 'remote_hits', ...SCORE_COLUMNS];
  return csvLines(
    header,
    result.main.vms.map((vm) => {
      const c = vm.counters;
      const truth = result.trueCurves.find((t) => t.vm === vm.name);
      return [vm.name, mib(vm.memoryPages), mib(vm.finalPages), vm.completionSeconds, c.reads, c.readHits, c.readMisses, c.writes, c.diskReadBlocks, c.diskWriteBlocks, c.journalWriteBlocks, c.evictions, c.filesCreated, c.filesDeleted, mib(vm.geigerWorkingSetPages), mib(vm.samplingWorkingSetPages), truth ? mib(truth.workingSetPages) : null, vm.remoteReads, vm.remoteHits, ...scoreFields(vm.score)];
    }),
  );
}

/** inference.csv: one row per Geiger variant and VM (only `full` without the ablation). */
export function memoryInferenceCsv(result: MemoryScenarioResult): string {
  const rows = result.ablation.length > 0 ? result.ablation : result.main.vms.map((vm) => ({ variant: 'full', vm: vm.name, score: vm.score }));
  return csvLines(['variant', 'vm', ...SCORE_COLUMNS], rows.map((row) => [row.variant, row.vm, ...scoreFields(row.score)]));
}

/**
 * curves.csv: Geiger's estimated curve and the true one, disk reads against memory, and the miss ratio (disk reads
 * over the guest's reads: the guest's count, which the VMM does not know, used here only to show the curve as a
 * ratio; read-ahead can make it differ from the synchronous-miss ratio).
 */
export function memoryCurvesCsv(result: MemoryScenarioResult): string {
  const rows: (string | number)[][] = [];
  for (const vm of result.main.vms) {
    const reads = vm.counters.reads;
    const ratio = (diskReads: number): number => (reads === 0 ? 0 : diskReads / reads);
    vm.estimatedCurve.sizesPages.forEach((size, i) => rows.push([vm.name, 'estimated', mib(size), vm.estimatedCurve.diskReads[i]!, ratio(vm.estimatedCurve.diskReads[i]!)]));
    const truth = result.trueCurves.find((t) => t.vm === vm.name);
    for (const point of truth?.points ?? []) rows.push([vm.name, 'true', mib(point.memoryPages), point.diskReadBlocks, ratio(point.diskReadBlocks)]);
  }
  return csvLines(['vm', 'source', 'memory_mib', 'disk_read_blocks', 'miss_ratio'], rows);
}

/** remote-cache.csv: one row per cache size and placement; `hit_rate_<vm>` columns give each VM's (workload's) own. */
export function memoryRemoteCacheCsv(result: MemoryScenarioResult): string {
  const names = result.main.vms.map((vm) => vm.name);
  return csvLines(
    ['cache_mib', 'placement', 'hit_rate', 'block_reads', 'cache_hits', 'disk_block_reads', 'background_disk_reads', 'guest_read_hits', 'completion_s', ...names.map((name) => csvField(`hit_rate_${name}`))],
    result.remoteCache.map((r) => [r.cacheMiB, r.placement, r.hitRate, r.blockReads, r.cacheHits, r.diskBlockReads, r.backgroundDiskReads, r.guestReadHits, r.completionSeconds, ...r.vmHitRates]),
  );
}

/** memory-policies.csv: one row per policy and VM, and balloon.csv: every target a manager set. */
export function memoryPolicyCsv(result: MemoryScenarioResult): string {
  return csvLines(
    ['policy', 'vm', 'reads', 'read_hits', 'final_mib', 'completion_s', 'total_read_hits', 'balloon_s'],
    result.policies.flatMap((p) => p.vms.map((vm) => [p.policy, vm.name, vm.reads, vm.readHits, mib(vm.finalPages), vm.completionSeconds, p.totalReadHits, p.balloonSeconds])),
  );
}

export function memoryBalloonCsv(result: MemoryScenarioResult): string {
  const names = result.main.vms.map((vm) => vm.name);
  return csvLines(
    ['policy', 'time_s', 'vm', 'target_mib'],
    result.policies.flatMap((p) => p.steps.flatMap((step) => step.targetsPages.map((target, i) => [p.policy, step.timeSeconds, names[i]!, mib(target)]))),
  );
}

/** The files of a memory run's output directory, by name. */
export function memoryOutputFiles(scenario: MemoryScenario, result: MemoryScenarioResult, summaryJson: string, scenarioJson: string): Record<string, string> {
  const files: Record<string, string> = {
    'summary.json': summaryJson,
    'scenario.json': scenarioJson,
    'vms.csv': memoryVmCsv(result),
    'inference.csv': memoryInferenceCsv(result),
    'curves.csv': memoryCurvesCsv(result),
  };
  if (result.remoteCache.length > 0) files['remote-cache.csv'] = memoryRemoteCacheCsv(result);
  if (result.policies.length > 0) {
    files['memory-policies.csv'] = memoryPolicyCsv(result);
    files['balloon.csv'] = memoryBalloonCsv(result);
  }
  files['report.html'] = renderMemoryReport(scenario, result);
  return files;
}

function scoreTable(rows: { variant: string; vm: string; score: InferenceScoreSummary }[]): string {
  return [
    '<div class="table-scroll"><table class="summary data">',
    '<thead><tr><th>variant</th><th>VM</th><th class="number">real evictions</th><th class="number">reported</th><th class="number">false positives</th><th class="number">false negatives</th><th class="number">evicted, then freed</th><th class="number">precision %</th><th class="number">recall %</th><th class="number">mean delay s</th><th class="number">p95 delay s</th></tr></thead><tbody>',
    ...rows.map(
      ({ variant, vm, score: s }) =>
        `<tr><td>${escapeHtml(variant)}</td><td>${escapeHtml(vm)}</td><td class="number">${shown(s.trueEvictions)}</td><td class="number">${shown(s.reportedEvictions)}</td><td class="number">${shown(s.falsePositives)}</td>` +
        `<td class="number">${shown(s.falseNegatives)}</td><td class="number">${shown(s.evictedThenFreed)}</td><td class="number">${percent(s.precision)}</td><td class="number">${percent(s.recall)}</td><td class="number">${shown(s.meanDelaySeconds)}</td><td class="number">${shown(s.p95DelaySeconds)}</td></tr>`,
    ),
    '</tbody></table></div>',
  ].join('\n');
}

/** The HTML page. */
export function renderMemoryReport(scenario: MemoryScenario, result: MemoryScenarioResult): string {
  const title = `Hyperwatt guest-memory report: ${scenario.name}`;
  const sections: ReportSection[] = [];
  const vms = result.main.vms;

  // Inference accuracy.
  const rows = result.ablation.length > 0 ? result.ablation : vms.map((vm) => ({ variant: 'full', vm: vm.name, score: vm.score }));
  const inferenceCharts: ChartSpec[] = [];
  if (result.ablation.length > 0) {
    const variants = [...new Set(result.ablation.map((r) => r.variant))];
    for (const [measure, label] of [
      ['precision', 'Precision (%)'],
      ['recall', 'Recall (%)'],
    ] as const) {
      inferenceCharts.push({
        id: `ablation-${measure}`,
        title: `${label.replace(' (%)', '')} by Geiger variant`,
        xLabel: `Variant (${variants.map((v, i) => `${i + 1} ${v}`).join(', ')})`,
        yLabel: label,
        x: variants.map((_, i) => i + 1),
        series: vms.map((vm) => ({ label: vm.name, kind: 'bars' as const, values: variants.map((v) => 100 * (result.ablation.find((r) => r.variant === v && r.vm === vm.name)?.score[measure] ?? NaN)) })),
      });
    }
  }
  sections.push({
    id: 'inference',
    title: 'Eviction inference',
    html:
      '<p class="description">Evictions Geiger reported against the guest\'s real ones. An eviction whose page is never reused cannot be seen (not counted); one whose block was freed before it was reported leaves the scores (column "evicted, then freed"). docs/models/guest-memory.md explains every rule.</p>' +
      scoreTable(rows),
    charts: inferenceCharts,
  });

  // Miss curves and working sets.
  const curveCharts: ChartSpec[] = [];
  for (const vm of vms) {
    const truth = result.trueCurves.find((t) => t.vm === vm.name);
    const estimated = vm.estimatedCurve;
    const xs = [...new Set([...estimated.sizesPages, ...(truth?.points.map((p) => p.memoryPages) ?? [])])].sort((a, b) => a - b);
    const estimatedAt = (size: number): number => {
      // The estimate is a step function of memory: the reads at the largest bin not above `size`.
      if (size < estimated.sizesPages[0]!) return NaN;
      let value = NaN;
      for (let i = 0; i < estimated.sizesPages.length && estimated.sizesPages[i]! <= size; i++) value = estimated.diskReads[i]!;
      return value;
    };
    const series: ChartSpec['series'] = [{ label: 'Geiger estimate', kind: 'step', values: xs.map(estimatedAt) }];
    if (truth) series.push({ label: 'true (guest run alone)', kind: 'points', values: xs.map((x) => truth.points.find((p) => p.memoryPages === x)?.diskReadBlocks ?? NaN) });
    curveCharts.push({ id: `curve-${curveCharts.length}`, title: `Disk reads against memory: ${vm.name}`, xLabel: 'Memory (MiB)', yLabel: 'Disk reads (blocks)', x: xs.map(mib), series });
  }
  const wssTable = [
    '<div class="table-scroll"><table class="summary data">',
    '<thead><tr><th>VM</th><th class="number">memory MiB</th><th class="number">Geiger working set MiB</th><th class="number">sampling working set MiB</th><th class="number">true working set MiB</th><th class="number">Geiger error %</th><th class="number">sampling error %</th></tr></thead><tbody>',
    ...vms.map((vm) => {
      const truth = result.trueCurves.find((t) => t.vm === vm.name);
      const error = (estimate: number): number | null => (truth ? (100 * (estimate - truth.workingSetPages)) / truth.workingSetPages : null);
      return `<tr><td>${escapeHtml(vm.name)}</td><td class="number">${shown(mib(vm.memoryPages))}</td><td class="number">${shown(mib(vm.geigerWorkingSetPages))}</td><td class="number">${shown(mib(vm.samplingWorkingSetPages))}</td><td class="number">${truth ? shown(mib(truth.workingSetPages)) : '–'}</td><td class="number">${shown(error(vm.geigerWorkingSetPages))}</td><td class="number">${shown(error(vm.samplingWorkingSetPages))}</td></tr>`;
    }),
    '</tbody></table></div>',
  ].join('\n');
  sections.push({
    id: 'working-set',
    title: 'Working-set size',
    html: `<p class="description">Geiger's curve comes from re-reads of blocks in its ghost list of inferred evictions (a cache k pages larger would have hit); the true points are the same workload run alone at each size. Working set: the smallest size leaving at most ${escapeHtml(String(scenario.estimators.workingSetTolerance * 100))} % of the avoidable disk reads. The sampling estimator is ESX's (${scenario.estimators.sampling.samplePages} pages per ${scenario.estimators.sampling.periodSeconds} s).</p>${wssTable}`,
    charts: curveCharts,
  });

  if (result.remoteCache.length > 0) {
    const sizes = [...new Set(result.remoteCache.map((r) => r.cacheMiB))].sort((a, b) => a - b);
    const placements = [...new Set(result.remoteCache.map((r) => r.placement))];
    sections.push({
      id: 'remote-cache',
      title: 'Remote storage cache',
      html: '<p class="description">Hit rate of the storage server\'s cache: blocks found there over blocks the guests read from the server. Inclusive placement caches every block read; eviction-based placement caches a block when Geiger infers that its guest evicted it, and drops it on a hit.</p>',
      charts: [
        {
          id: 'remote-hit-rate',
          title: 'Server cache hit rate by cache size',
          xLabel: 'Server cache (MiB)',
          yLabel: 'Hit rate (%)',
          x: sizes,
          series: placements.map((placement) => ({ label: placement, values: sizes.map((size) => 100 * (result.remoteCache.find((r) => r.cacheMiB === size && r.placement === placement)?.hitRate ?? NaN)) })),
        },
        ...(vms.length > 1
          ? [
              {
                id: 'remote-hit-rate-by-vm',
                title: 'Server cache hit rate by cache size, each VM (workload)',
                xLabel: 'Server cache (MiB)',
                yLabel: 'Hit rate (%)',
                x: sizes,
                series: placements.flatMap((placement) =>
                  vms.map((vm, i) => ({ label: `${vm.name}, ${placement}`, values: sizes.map((size) => 100 * (result.remoteCache.find((r) => r.cacheMiB === size && r.placement === placement)?.vmHitRates[i] ?? NaN)) })),
                ),
              },
            ]
          : []),
      ],
    });
  }

  if (result.policies.length > 0) {
    const table = [
      '<div class="table-scroll"><table class="summary data">',
      `<thead><tr><th>policy</th><th class="number">total read hits</th><th class="number">hit ratio %</th><th class="number">balloon time s</th>${vms.map((vm) => `<th class="number">${escapeHtml(vm.name)} final MiB</th>`).join('')}</tr></thead><tbody>`,
      ...result.policies.map(
        (p) => `<tr><td>${escapeHtml(p.policy)}</td><td class="number">${shown(p.totalReadHits)}</td><td class="number">${percent(p.totalReads === 0 ? 0 : p.totalReadHits / p.totalReads)}</td><td class="number">${shown(p.balloonSeconds)}</td>${p.vms.map((vm) => `<td class="number">${shown(mib(vm.finalPages))}</td>`).join('')}</tr>`,
      ),
      '</tbody></table></div>',
    ].join('\n');
    const charts: ChartSpec[] = result.policies
      .filter((p) => p.steps.length > 0)
      .map((p) => ({
        id: `balloon-${p.policy}`,
        title: `Memory targets over time (${p.policy})`,
        xLabel: 'Time (s)',
        yLabel: 'Memory (MiB)',
        x: p.steps.map((s) => s.timeSeconds),
        series: vms.map((vm, i) => ({ label: vm.name, kind: 'step' as const, values: p.steps.map((s) => mib(s.targetsPages[i]!)) })),
      }));
    sections.push({ id: 'memory-manager', title: 'Memory manager', html: `<p class="description">Each policy shares ${shown(scenario.memoryManager?.hostMemoryMiB ?? 0)} MiB among the VMs, deciding every ${shown(scenario.memoryManager?.epochSeconds ?? 0)} s; static is an equal share.</p>${table}`, charts });
  }

  const facts: [string, string][] = [
    ['VMs', String(vms.length)],
    ['Geiger', `journal ${scenario.inference.journal ? 'on' : 'off'}, liveness ${scenario.inference.liveness ? 'on' : 'off'}, unified ${scenario.inference.unified ? 'on' : 'off'}, ${scenario.inference.report}`],
    ['storage', scenario.storage ? `server cache ${scenario.storage.cacheMiB} MiB, ${scenario.storage.placement}` : 'local disks'],
    ['seed', String(scenario.seed)],
  ];
  return renderDataPage(title, facts, sections, 'guest-memory model');
}
