/**
 * VM selection: which VM to move off an overloaded host (Beloglazov & Buyya, CCPE 2012, §5.2; CloudSim 3.0.3's
 * `PowerVmSelectionPolicy*`). Only VMs that are not migrating are candidates; ties go to the first VM in the
 * host's list.
 *
 * - `mmt` minimum migration time: the smallest RAM.
 * - `mu` minimum utilisation: the smallest current CPU utilisation.
 * - `mc` maximum correlation: the VM whose utilisation history is best explained (highest R² of a multiple
 *   linear regression) by the other VMs' histories; falls back to `mmt` when the regression cannot be computed.
 * - `rs` random selection, from the seeded stream `vm-selection` (CloudSim's is unseeded and not reproducible).
 * - `mpc` minimum predicted cost (Hyperwatt): the smallest predicted migration time under the run's migration
 *   model — with pre-copy that is not the smallest RAM but the VM whose memory is quietest for its size, and a VM
 *   whose pre-copy would not converge is avoided. Falls back to `mmt` where the backend has no predictor.
 */
import type { RandomStream } from '../../kernel/random.js';
import { allRSquared, rSquaredWithIntercept } from '../../util/statistics.js';
import { HISTORY_LENGTH } from './overload-detection.js';

/** What a selection policy may know about a host's VMs. */
export interface HostVmView {
  vmCountOn(host: number): number;
  /** The i-th VM in the host's list (list order is CloudSim's tie-breaking order). */
  vmOn(host: number, i: number): number;
  isMigrating(vm: number): boolean;
  vmRamMiB(vm: number): number;
  /** Current CPU utilisation of the VM, 0..1. */
  vmUtilisation(vm: number): number;
  /** Writes the VM's utilisation history, newest first, into `out`; returns its length (≤ HISTORY_LENGTH). */
  vmHistory(vm: number, out: Float64Array, offset: number): number;
  /** Predicted duration of migrating the VM off its host now, seconds (backends with a migration model). */
  vmMigrationCostSeconds?(vm: number): number;
}

export interface VmSelector {
  readonly name: string;
  /** The VM to migrate, or −1 when no VM on the host can move. */
  select(view: HostVmView, host: number): number;
}

export type VmSelectorConfig = { name: 'mmt' } | { name: 'mu' } | { name: 'mc' } | { name: 'rs' } | { name: 'mpc' };

export const VM_SELECTOR_NAMES = ['mmt', 'mc', 'mu', 'rs', 'mpc'] as const;

function smallestBy(view: HostVmView, host: number, metric: (vm: number) => number): number {
  let best = -1;
  let bestMetric = Number.MAX_VALUE;
  const count = view.vmCountOn(host);
  for (let i = 0; i < count; i++) {
    const vm = view.vmOn(host, i);
    if (view.isMigrating(vm)) continue;
    const value = metric(vm);
    if (value < bestMetric) {
      bestMetric = value;
      best = vm;
    }
  }
  return best;
}

class MinimumMigrationTime implements VmSelector {
  readonly name = 'mmt';
  select(view: HostVmView, host: number): number {
    return smallestBy(view, host, (vm) => view.vmRamMiB(vm));
  }
}

class MinimumUtilisation implements VmSelector {
  readonly name = 'mu';
  select(view: HostVmView, host: number): number {
    return smallestBy(view, host, (vm) => view.vmUtilisation(vm));
  }
}

class RandomSelection implements VmSelector {
  readonly name = 'rs';
  constructor(private readonly random: RandomStream) {}
  select(view: HostVmView, host: number): number {
    const candidates: number[] = [];
    const count = view.vmCountOn(host);
    for (let i = 0; i < count; i++) {
      const vm = view.vmOn(host, i);
      if (!view.isMigrating(vm)) candidates.push(vm);
    }
    if (candidates.length === 0) return -1;
    return candidates[this.random.nextInt(candidates.length)];
  }
}

class MaximumCorrelation implements VmSelector {
  readonly name = 'mc';
  private readonly fallback = new MinimumMigrationTime();
  private histories = new Float64Array(0);
  private x = new Float64Array(0);
  private y = new Float64Array(0);
  private r2 = new Float64Array(0);
  select(view: HostVmView, host: number): number {
    const vms: number[] = [];
    const count = view.vmCountOn(host);
    for (let i = 0; i < count; i++) {
      const vm = view.vmOn(host, i);
      if (!view.isMigrating(vm)) vms.push(vm);
    }
    const n = vms.length;
    if (n === 0) return -1;
    if (this.histories.length < n * HISTORY_LENGTH) this.histories = new Float64Array(n * HISTORY_LENGTH * 2);
    let m = Number.MAX_SAFE_INTEGER;
    for (let i = 0; i < n; i++) m = Math.min(m, view.vmHistory(vms[i], this.histories, i * HISTORY_LENGTH));
    // CloudSim regresses each VM's m newest values on the other n − 1 VMs'; it needs m ≥ n observations and at
    // least one regressor, otherwise Apache throws and CloudSim falls back to MMT.
    if (n < 2 || m < n) return this.fallback.select(view, host);
    // Fast path: all R² from one inverse of the cross-product matrix. It is used only when the matrix is well
    // conditioned and the winner is clear (top two more than 1e-9 apart); otherwise the R² values come from
    // Householder QR exactly as Apache computes them, so ties and degenerate cases go the way CloudSim's do.
    if (this.r2.length < n) this.r2 = new Float64Array(n * 2);
    if (allRSquared(this.histories, n, m, HISTORY_LENGTH, this.r2)) {
      let best = 0;
      let second = -Infinity;
      let bestValue = -Infinity;
      for (let i = 0; i < n; i++) {
        const value = this.r2[i];
        if (value > bestValue) {
          second = bestValue;
          bestValue = value;
          best = i;
        } else if (value > second) {
          second = value;
        }
      }
      if (bestValue > Number.MIN_VALUE && bestValue - second > 1e-9) return vms[best];
    }
    const k = n - 1;
    if (this.x.length < m * k) this.x = new Float64Array(m * k * 2);
    if (this.y.length < m) this.y = new Float64Array(HISTORY_LENGTH);
    const x = this.x;
    const y = this.y;
    let bestIndex = 0;
    let bestMetric = Number.MIN_VALUE; // Java's Double.MIN_VALUE: the smallest positive double, as in CloudSim.
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < m; r++) {
        y[r] = this.histories[i * HISTORY_LENGTH + r];
        let c = 0;
        for (let j = 0; j < n; j++) if (j !== i) x[r * k + c++] = this.histories[j * HISTORY_LENGTH + r];
      }
      const r2 = rSquaredWithIntercept(x, y, m, k);
      // A singular design: Apache throws SingularMatrixException and CloudSim falls back to MMT.
      if (r2 === null) return this.fallback.select(view, host);
      if (r2 > bestMetric) {
        bestMetric = r2;
        bestIndex = i;
      }
    }
    return vms[bestIndex];
  }
}

class MinimumPredictedCost implements VmSelector {
  readonly name = 'mpc';
  select(view: HostVmView, host: number): number {
    const cost = view.vmMigrationCostSeconds;
    if (!cost) return smallestBy(view, host, (vm) => view.vmRamMiB(vm));
    return smallestBy(view, host, (vm) => cost.call(view, vm));
  }
}

/** Builds a selector; `random` is the run's `vm-selection` stream (used by `rs` only). */
export function createVmSelector(config: VmSelectorConfig, random: RandomStream): VmSelector {
  switch (config.name) {
    case 'mmt':
      return new MinimumMigrationTime();
    case 'mu':
      return new MinimumUtilisation();
    case 'mc':
      return new MaximumCorrelation();
    case 'rs':
      return new RandomSelection(random);
    case 'mpc':
      return new MinimumPredictedCost();
  }
}
