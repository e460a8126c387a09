/**
 * Host overload detection (Beloglazov & Buyya, "Optimal online deterministic algorithms and adaptive heuristics
 * for energy and performance efficient dynamic consolidation of virtual machines in cloud data centers",
 * CCPE 24(13), 2012, §5.1), as implemented in CloudSim 3.0.3's `PowerVmAllocationPolicyMigration*` classes.
 *
 * - `thr`: static threshold on the requested utilisation.
 * - `mad`, `iqr`: adaptive threshold 1 − s·MAD or 1 − s·IQR of the host's utilisation history (≥ 12 values).
 * - `lr`, `lrr`: local regression on the newest 10 history values, extrapolated over the longest migration.
 *   CloudSim's "loess" weights never switch the weighted fit on (see docs/models/consolidation.md), so both are
 *   ordinary least squares; `lrr`'s robust pass therefore gives the same line as `lr`, as in CloudSim.
 * The adaptive ones fall back to `thr` at `fallbackThreshold` (0.7 in CloudSim's examples) without history.
 *
 * Detectors see hosts only through {@link HostLoadView}, so the same code runs on the simulator and on real hosts.
 */
import { interquartileRange, lengthWithoutZeroTail, medianAbsoluteDeviation, simpleRegression } from '../../util/statistics.js';

/**
 * What a detector may know about a host. Every query takes `withVm`: −1 for the host as it is, or a VM index to
 * ask "as if this VM were placed on the host too" (placement asks that for every candidate host).
 */
export interface HostLoadView {
  /** Σ requested MIPS of the VMs on the host (including VMs migrating in) / host MIPS. */
  requestedUtilisation(host: number, withVm: number): number;
  /**
   * Writes the host's utilisation history, newest first (Σ over its VMs of VM utilisation × VM MIPS / host MIPS),
   * into `out` (length ≥ {@link HISTORY_LENGTH}) and returns the length of the whole history without trailing
   * zeros (CloudSim: an all-zero history has length 1). Only the `count` newest values must be written: a
   * detector that reads fewer says so, and a view may skip the rest.
   */
  utilisationHistory(host: number, withVm: number, out: Float64Array, count?: number): number;
  /** Longest migration time among the host's VMs, seconds (the largest RAM / migration bandwidth). */
  maxVmMigrationSeconds(host: number, withVm: number): number;
  /** Seconds between consolidation rounds. */
  readonly schedulingIntervalSeconds: number;
}

/** History values kept per VM (CloudSim's PowerVm.HISTORY_LENGTH). */
export const HISTORY_LENGTH = 30;

export interface OverloadDetector {
  readonly name: string;
  /** Whether `host` is overloaded (with `withVm` added when ≥ 0). */
  isOverloaded(view: HostLoadView, host: number, withVm?: number): boolean;
}

export type OverloadDetectorConfig =
  | { name: 'thr'; threshold: number }
  | { name: 'mad' | 'iqr'; safety: number; fallbackThreshold: number; minHistory: number }
  | { name: 'lr' | 'lrr'; safety: number; fallbackThreshold: number; historyWindow: number };

/** Valid detector names, for error messages. */
export const OVERLOAD_DETECTOR_NAMES = ['thr', 'iqr', 'mad', 'lr', 'lrr'] as const;

class StaticThreshold implements OverloadDetector {
  readonly name = 'thr';
  constructor(readonly threshold: number) {}
  isOverloaded(view: HostLoadView, host: number, withVm = -1): boolean {
    return view.requestedUtilisation(host, withVm) > this.threshold;
  }
}

class AdaptiveThreshold implements OverloadDetector {
  private readonly history = new Float64Array(HISTORY_LENGTH);
  private readonly scratchA = new Float64Array(HISTORY_LENGTH);
  private readonly scratchB = new Float64Array(HISTORY_LENGTH);
  private readonly fallback: StaticThreshold;
  constructor(
    readonly name: 'mad' | 'iqr',
    readonly safety: number,
    fallbackThreshold: number,
    readonly minHistory: number,
  ) {
    this.fallback = new StaticThreshold(fallbackThreshold);
  }
  isOverloaded(view: HostLoadView, host: number, withVm = -1): boolean {
    const n = view.utilisationHistory(host, withVm, this.history);
    if (lengthWithoutZeroTail(this.history, n) < this.minHistory) return this.fallback.isOverloaded(view, host, withVm);
    const spread =
      this.name === 'mad'
        ? medianAbsoluteDeviation(this.history, n, this.scratchA, this.scratchB)
        : interquartileRange(this.history, n, this.scratchA);
    return view.requestedUtilisation(host, withVm) > 1 - this.safety * spread;
  }
}

class LocalRegression implements OverloadDetector {
  private readonly history = new Float64Array(HISTORY_LENGTH);
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly estimates = new Float64Array(2);
  private readonly fallback: StaticThreshold;
  constructor(
    readonly name: 'lr' | 'lrr',
    readonly safety: number,
    fallbackThreshold: number,
    readonly window: number,
  ) {
    this.fallback = new StaticThreshold(fallbackThreshold);
    this.x = new Float64Array(window);
    this.y = new Float64Array(window);
    for (let i = 0; i < window; i++) this.x[i] = i + 1;
  }
  isOverloaded(view: HostLoadView, host: number, withVm = -1): boolean {
    const window = this.window;
    const n = view.utilisationHistory(host, withVm, this.history, window);
    if (n < window) return this.fallback.isOverloaded(view, host, withVm);
    // Oldest first at x = 1..window.
    for (let i = 0; i < window; i++) this.y[i] = this.history[window - i - 1];
    simpleRegression(this.x, this.y, window, this.estimates);
    if (Number.isNaN(this.estimates[0]) || Number.isNaN(this.estimates[1])) return this.fallback.isOverloaded(view, host, withVm);
    const migrationIntervals = Math.ceil(view.maxVmMigrationSeconds(host, withVm) / view.schedulingIntervalSeconds);
    const predicted = (this.estimates[0] + this.estimates[1] * (window + migrationIntervals)) * this.safety;
    return predicted >= 1;
  }
}

/** Builds a detector from its scenario configuration. */
export function createOverloadDetector(config: OverloadDetectorConfig): OverloadDetector {
  switch (config.name) {
    case 'thr':
      return new StaticThreshold(config.threshold);
    case 'mad':
    case 'iqr':
      return new AdaptiveThreshold(config.name, config.safety, config.fallbackThreshold, config.minHistory);
    case 'lr':
    case 'lrr':
      return new LocalRegression(config.name, config.safety, config.fallbackThreshold, config.historyWindow);
  }
}
