/**
 * The result of a host scenario run (`kind: host`): plain data that reports and output writers read. The runner
 * is backends/simulator/host-run.ts. The weights' JSON form and the calibration's fit quality are defined here too:
 * they are part of the result (and the weights are also the format `hyperwatt calibrate` writes).
 */

/** Weights in JSON form. */
export interface EnergyWeightsJson {
  /** Events the PMU counts in this configuration (the others have weight 0). */
  readonly counters: readonly string[];
  /** TSC frequency the tick weights refer to, Hz. */
  readonly tscHz: number;
  readonly pStates: readonly {
    readonly frequencyHz: number;
    readonly voltageVolts: number;
    /** Joules per TSC tick (halted power / TSC frequency). */
    readonly tscJoules: number;
    /** Joules per event, by event name, for the counted events. */
    readonly eventJoules: Readonly<Record<string, number>>;
  }[];
}

/** Fit quality per P-state. */
export interface CalibrationFit {
  readonly pState: number;
  readonly samples: number;
  /** Root-mean-square relative error of the fitted sample energies. */
  readonly rmsRelativeError: number;
  /** Coefficient of determination of the fit. */
  readonly rSquared: number;
}


/** Time series, one sample per `output.sampleMs`. Per-core and per-VM series are arrays indexed [core|vm][sample]. */
export interface DetailedHostSeries {
  timeSeconds: number[];
  coreTrueWatts: number[][];
  coreTemperatureCelsius: number[][];
  corePState: number[][];
  coreThrottle: number[][];
  vmEstimatedWatts: number[][];
  vmTrueWatts: number[][];
  vmDiskWatts: number[][];
  /** Work done per second (seconds of CPU time at the fastest P-state per second). */
  vmThroughput: number[][];
  vmAllocation: number[][];
}

/** One VM's accounting at the end of the run. */
export interface VmAccountingRow {
  vm: string;
  kind: 'guest' | 'driver';
  vcpus: number;
  cpu_estimated_j: number;
  cpu_true_j: number;
  cpu_error_pct: number;
  cpu_active_j: number;
  cpu_idle_share_j: number;
  recursive_j: number;
  recursive_true_j: number;
  disk_j: number;
  disk_mib: number;
  mean_cpu_watts: number;
  cpu_limit_watts: number | null;
  /** Highest CPU power over any 1 s window after the first second (estimate and truth), watts. */
  max_window_estimated_watts: number;
  max_window_true_watts: number;
  work_seconds: number;
  instructions: number;
}

/** One guest thread (application) at the end of the run. */
export interface ThreadAccountingRow {
  thread: string;
  cpu_seconds: number;
  work_seconds: number;
  /** Energy of the thread's own run segments (events × weights, and the truth), joules; without idle shares. */
  active_estimated_j: number;
  active_true_j: number;
  /** The limit its energy-aware guest gives it (on its share of the VM's energy, idle share included), watts. */
  limit_watts: number | null;
}

export interface HostRunResult {
  summary: Record<string, number | string>;
  vms: VmAccountingRow[];
  threads: ThreadAccountingRow[];
  rules: { rule: string; perVm: number[]; sum: number }[];
  series: DetailedHostSeries;
  vmNames: string[];
  weights: EnergyWeightsJson;
  calibration: readonly CalibrationFit[] | null;
}

