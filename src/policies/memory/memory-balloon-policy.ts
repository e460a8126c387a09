/**
 * Memory ballooning targets: how much memory each VM on a host should have, from what a hypervisor can estimate of
 * its needs. A policy sees a {@link MemoryVmView} per VM — its current memory, the floor it must keep, the disk
 * reads Geiger's estimator predicts at larger sizes, and the sampling estimator's working set — and answers targets
 * within the host's memory. The simulator implements the view over its guest model (backends/simulator/
 * memory-run.ts); a real backend implements it with the same estimators fed by its block-device and page-fault
 * hooks, and applies targets with virtio-balloon.
 *
 * Presets:
 * - `static`: every VM gets an equal share of the host's memory (the baseline);
 * - `max-hits`: most total hits. Each VM keeps what it was measured to use: its current size if the estimated
 *   curve shows it would gain from more, else the sampling estimate plus `headroom` (a VM with no evictions is not
 *   thrashing, which is when sampling is right). The memory this frees, and any unallocated, goes step by step to
 *   the VM whose curve saves the most disk reads per page over its best next extension (the best ratio over any
 *   extension length, which handles a loop's cliff where a one-bin step gains nothing);
 * - `miss-target`: each VM gets the working set read from its curve (the size that removes `1 − tolerance` of the
 *   avoidable reads), or the sampling estimate plus headroom when its curve is flat; if the total exceeds the host,
 *   everything above the floors is scaled down in proportion; memory left over is shared evenly.
 * Targets that differ from the current size by less than `hysteresisFraction` of the VM's memory are left alone:
 * ballooning costs time per page.
 */
import { UserError } from '../../util/user-error.js';

/** What a memory policy sees of one VM. */
export interface MemoryVmView {
  readonly name: string;
  /** The VM's configured memory (the most it can have), pages. */
  readonly memoryPages: number;
  /** Memory the VM has now (configured minus balloon), pages. */
  readonly currentPages: number;
  /** The least it must keep (kernel, anonymous memory seen, a free-page reserve), pages. */
  readonly floorPages: number;
  /** Disk reads in the last window at current + i × binPages pages (index 0: observed). */
  readonly diskReadsAbove: Float64Array;
  readonly binPages: number;
  /** The sampling estimator's working set, pages. */
  readonly samplingWorkingSetPages: number;
}

export interface MemoryPolicyOptions {
  /** Margin over the sampling estimate kept by a VM that is not short of memory (0.1). */
  readonly headroom: number;
  /** Fraction of avoidable reads allowed to remain (`miss-target`; 0.1). */
  readonly tolerance: number;
  /** Changes smaller than this fraction of a VM's memory are skipped (0.02). */
  readonly hysteresisFraction: number;
  /** Ghost hits below this fraction of a window's disk reads count as no gain (0.01). */
  readonly gainThreshold: number;
}

export const MEMORY_POLICY_DEFAULTS: MemoryPolicyOptions = { headroom: 0.1, tolerance: 0.1, hysteresisFraction: 0.02, gainThreshold: 0.01 };

export interface MemoryBalloonPolicy {
  readonly name: string;
  /** Memory targets, pages, one per VM, summing to at most `hostMemoryPages`. */
  targets(vms: readonly MemoryVmView[], hostMemoryPages: number): number[];
}

/** Whether a VM's curve shows a gain from more memory. */
function gains(vm: MemoryVmView, options: MemoryPolicyOptions): boolean {
  const reads = vm.diskReadsAbove;
  return reads.length > 1 && reads[0]! > 0 && reads[0]! - reads[reads.length - 1]! >= options.gainThreshold * reads[0]!;
}

/** What a VM keeps before spare memory is handed out. */
function keep(vm: MemoryVmView, options: MemoryPolicyOptions): number {
  if (gains(vm, options)) return vm.currentPages;
  return Math.min(vm.memoryPages, Math.max(vm.floorPages, Math.ceil(vm.samplingWorkingSetPages * (1 + options.headroom))));
}

function applyHysteresis(vms: readonly MemoryVmView[], targets: number[], hostMemoryPages: number, options: MemoryPolicyOptions): number[] {
  const result = targets.map((target, i) => (Math.abs(target - vms[i]!.currentPages) < options.hysteresisFraction * vms[i]!.memoryPages ? vms[i]!.currentPages : target));
  // Keeping a current size can overshoot the host: then take the targets as computed.
  return result.reduce((a, b) => a + b, 0) <= hostMemoryPages ? result : targets;
}

function fairShares(vms: readonly MemoryVmView[], hostMemoryPages: number): number[] {
  return vms.map((vm) => Math.min(vm.memoryPages, Math.floor(hostMemoryPages / vms.length)));
}

class StaticPolicy implements MemoryBalloonPolicy {
  readonly name = 'static';
  targets(vms: readonly MemoryVmView[], hostMemoryPages: number): number[] {
    return fairShares(vms, hostMemoryPages);
  }
}

class MaxHitsPolicy implements MemoryBalloonPolicy {
  readonly name = 'max-hits';
  constructor(private readonly options: MemoryPolicyOptions) {}

  targets(vms: readonly MemoryVmView[], hostMemoryPages: number): number[] {
    const options = this.options;
    const allocation = vms.map((vm) => keep(vm, options));
    let spare = hostMemoryPages - allocation.reduce((a, b) => a + b, 0);
    if (spare < 0) return applyHysteresis(vms, scaleToFit(vms, allocation, hostMemoryPages), hostMemoryPages, options);
    // Bins of each VM's curve already handed out (its curve starts at its current size).
    const usedBins = vms.map(() => 0);
    for (;;) {
      let bestVm = -1;
      let bestBins = 0;
      let bestRatio = 0;
      for (let i = 0; i < vms.length; i++) {
        const vm = vms[i]!;
        if (allocation[i]! < vm.currentPages || !gains(vm, options)) continue;
        const reads = vm.diskReadsAbove;
        const base = reads[usedBins[i]!]!;
        const maxBins = Math.min(reads.length - 1 - usedBins[i]!, Math.floor(spare / vm.binPages), Math.floor((vm.memoryPages - allocation[i]!) / vm.binPages));
        for (let bins = 1; bins <= maxBins; bins++) {
          const ratio = (base - reads[usedBins[i]! + bins]!) / (bins * vm.binPages);
          if (ratio > bestRatio) {
            bestRatio = ratio;
            bestVm = i;
            bestBins = bins;
          }
        }
      }
      if (bestVm < 0) break;
      const pages = bestBins * vms[bestVm]!.binPages;
      allocation[bestVm]! += pages;
      usedBins[bestVm]! += bestBins;
      spare -= pages;
    }
    shareLeftover(vms, allocation, spare);
    return applyHysteresis(vms, allocation, hostMemoryPages, options);
  }
}

class MissTargetPolicy implements MemoryBalloonPolicy {
  readonly name = 'miss-target';
  constructor(private readonly options: MemoryPolicyOptions) {}

  targets(vms: readonly MemoryVmView[], hostMemoryPages: number): number[] {
    const options = this.options;
    const wanted = vms.map((vm) => {
      if (!gains(vm, options)) return keep(vm, options);
      const reads = vm.diskReadsAbove;
      const floor = reads[reads.length - 1]!;
      const threshold = floor + options.tolerance * (reads[0]! - floor);
      let bins = reads.length - 1;
      for (let i = 0; i < reads.length; i++) {
        if (reads[i]! <= threshold) {
          bins = i;
          break;
        }
      }
      return Math.min(vm.memoryPages, vm.currentPages + bins * vm.binPages);
    });
    const allocation = scaleToFit(vms, wanted, hostMemoryPages);
    shareLeftover(vms, allocation, hostMemoryPages - allocation.reduce((a, b) => a + b, 0));
    return applyHysteresis(vms, allocation, hostMemoryPages, options);
  }
}

/** Shares memory no estimate asks for evenly, up to each VM's size (idle host memory helps no one). */
function shareLeftover(vms: readonly MemoryVmView[], allocation: number[], spare: number): void {
  for (let round = 0; spare > 0 && round < 4; round++) {
    const open = vms.map((vm, i) => vm.memoryPages - allocation[i]!);
    const openCount = open.filter((o) => o > 0).length;
    if (openCount === 0) break;
    const share = Math.floor(spare / openCount);
    if (share === 0) break;
    for (let i = 0; i < vms.length; i++) {
      const add = Math.min(open[i]!, share);
      allocation[i]! += add;
      spare -= add;
    }
  }
}

/** Scales what is above the floors down so the total fits the host. */
function scaleToFit(vms: readonly MemoryVmView[], wanted: number[], hostMemoryPages: number): number[] {
  const total = wanted.reduce((a, b) => a + b, 0);
  if (total <= hostMemoryPages) return wanted;
  const floors = vms.map((vm, i) => Math.min(vm.floorPages, wanted[i]!));
  const floorTotal = floors.reduce((a, b) => a + b, 0);
  const above = total - floorTotal;
  const room = Math.max(0, hostMemoryPages - floorTotal);
  return wanted.map((w, i) => floors[i]! + Math.floor(((w - floors[i]!) * room) / Math.max(1, above)));
}

export const MEMORY_POLICY_NAMES = ['static', 'max-hits', 'miss-target'] as const;
export type MemoryPolicyName = (typeof MEMORY_POLICY_NAMES)[number];

/** A policy by name; an unknown name is a `UserError` listing the valid ones. */
export function createMemoryPolicy(name: string, options: Partial<MemoryPolicyOptions> = {}): MemoryBalloonPolicy {
  const merged = { ...MEMORY_POLICY_DEFAULTS, ...options };
  switch (name) {
    case 'static':
      return new StaticPolicy();
    case 'max-hits':
      return new MaxHitsPolicy(merged);
    case 'miss-target':
      return new MissTargetPolicy(merged);
    default:
      throw new UserError(`unknown memory policy '${name}'; valid: ${MEMORY_POLICY_NAMES.join(', ')}`);
  }
}
