/**
 * The result of one simulated run: the summary figures and the time series that reports draw.
 *
 * Plain data only (numbers, strings, typed arrays), so a result can cross a worker-thread boundary and be
 * written by any output module without knowing the simulator.
 */

/** Summary figures of one run. Fractions are fractions (0.05 = 5 %), never percent. */
export interface RunSummary {
  /** Scenario name, from the scenario file. */
  scenario: string;
  /** Model mode: `cloudsim-3.0.3` (CloudSim's behaviour, quirks included) or `default`. */
  mode: string;
  /** Seed of the run. */
  seed: number;
  hosts: number;
  vms: number;
  /** Total data-center energy, kWh. */
  energy_kwh: number;
  /** Number of VM migrations started. */
  migrations: number;
  /** SLA time per active host: fraction of active-host time during which some demand was not allocated. */
  slatah: number;
  /** Performance degradation due to migration: migration shortfall / total requested CPU. */
  pdm: number;
  /** SLAV = SLATAH × PDM. */
  slav: number;
  /** ESV = energy (kWh) × SLAV. */
  esv: number;
  /** (requested − allocated) / requested CPU over all VMs and the whole run. */
  overall_sla_violation: number;
  /** Mean over (VM, interval) pairs with a shortfall of (requested − allocated) / requested. */
  average_sla_violation: number;
  /** Active → inactive host transitions. */
  host_shutdowns: number;
  /** Mean and standard deviation of the active period before each host shutdown, seconds. */
  mean_time_before_host_shutdown_s: number;
  stdev_time_before_host_shutdown_s: number;
  /** Mean and standard deviation of migration durations, seconds. */
  mean_migration_time_s: number;
  stdev_migration_time_s: number;
  /** Simulated time, seconds. */
  sim_seconds: number;
  /** Events processed by the kernel. */
  events: number;
  /** Wall-clock time of the simulation, seconds (not part of the deterministic output files). */
  wall_seconds: number;
  // Realistic migration models only (default mode with `migration.model` other than `cloudsim`); durations of
  // those migrations are the engines' total times, and their lost guest work is in PDM.
  /** The migration model. */
  migration_model?: string;
  /** Migrations that completed within the run (the others were still in flight at the end). */
  migrations_completed?: number;
  /** Mean and largest downtime of the completed migrations, seconds. */
  mean_downtime_s?: number;
  max_downtime_s?: number;
  /** Mean time from a migration's start until its VM ran on the target, seconds. */
  mean_switchover_s?: number;
  /** Bytes the completed migrations sent, GiB. */
  migration_traffic_gib?: number;
  /** Post-copy page faults served over the network. */
  remote_faults?: number;
  /** Pre-copy migrations that hit their time limit and were finished by stop-and-copy. */
  migrations_not_converged?: number;
  /** Migrations that switched to post-copy (post-copy, hybrid, or adaptive's choice). */
  migrations_postcopy?: number;
  /** Guest vCPU-seconds lost to migrations (throttling, downtime, remote faults). */
  migration_lost_vcpu_seconds?: number;
  /** Hosts that crashed (migration.hostFailures), VMs lost with them or with a failed post-copy, and migrations aborted by a failure (the VM stayed on its source). */
  host_failures?: number;
  /** NIC failures (migration.linkFailures). */
  link_failures?: number;
  vms_lost?: number;
  migrations_aborted?: number;
  // Default mode: the fluid per-VM energy accounting (docs/models/default.md, "Per-VM energy").
  /** Energy charged to VMs (idle power shared equally on each host, dynamic power by CPU used), kWh. */
  vm_energy_attributed_kwh?: number;
  /** Energy of hosts with no VM (idle on, booting, shutting down), kWh. */
  vm_energy_unattributed_kwh?: number;
  vm_energy_mean_kwh?: number;
  vm_energy_max_kwh?: number;
  /** |attributed + unattributed − energy| / energy: the sum rule, ≈ 1e-15. */
  vm_energy_sum_error?: number;
  // Default mode with `powerCap`.
  power_cap_w?: number;
  power_cap_policy?: string;
  /** Scheduling intervals whose mean power exceeded the cap (between ticks migrations can raise power). */
  power_cap_exceeded_intervals?: number;
  /** Rack caps: the cap per rack, (rack, interval) pairs whose mean power exceeded it, migrations started to shed load. */
  power_cap_rack_w?: number;
  power_cap_rack_exceeded_intervals?: number;
  power_cap_migrations?: number;
  /** Mean number of VMs throttled per tick. */
  power_cap_throttled_vms_mean?: number;
  /** CPU demand lost to the cap / total requested CPU. */
  power_cap_shortfall?: number;
}

/**
 * Data-center time series, one sample per scheduling interval. Every array has the same length as `timeSeconds`.
 * Values describe the interval that ends at the sample time.
 */
export interface DataCenterSeries {
  timeSeconds: Float64Array;
  /** Mean data-center power over the interval, watts. */
  powerWatts: Float64Array;
  /** Hosts that were on at the sample time. */
  activeHosts: Float64Array;
  /** Mean CPU utilisation of the active hosts (allocated / capacity), 0..1. */
  utilisation: Float64Array;
  /** Migrations in flight at the sample time. */
  migrationsInFlight: Float64Array;
  /** Migrations started at the sample time. */
  migrationsStarted: Float64Array;
  /** Fraction of active hosts whose demand exceeded their capacity during the interval, 0..1. */
  overloadedHostFraction: Float64Array;
  /** Requested CPU that was not allocated during the interval / requested CPU, 0..1. */
  slaViolation: Float64Array;
}

/** Per-host time series: row-major [host][sample], same sample times as the data-center series. */
export interface HostSeries {
  hostCount: number;
  sampleCount: number;
  /** Mean power of each host over each interval, watts. */
  powerWatts: Float64Array;
  /** CPU utilisation of each host at each sample, 0..1. */
  utilisation: Float64Array;
}

export interface RunResult {
  summary: RunSummary;
  /** Default mode: energy charged to each VM, joules (written as vms.csv). */
  vmEnergyJoules?: Float64Array;
  /** Default mode with `vcpuBallooning`: each VM's online vCPUs, and the data center's over time. */
  vcpus?: VcpuBallooningSeries;
  dataCenter: DataCenterSeries;
  hosts: HostSeries;
  /** Conditions the user should know about that are not errors (printed by the CLI on stderr). */
  warnings?: string[];
}

/** vCPU ballooning in a data-center run: what each VM kept online, and the totals at each scheduling tick. */
export interface VcpuBallooningSeries {
  /** The preset that set the counts. */
  policy: string;
  /** Each VM's vCPUs (its maximum). */
  vmVcpus: Int32Array;
  /** Each VM's time-weighted mean of online vCPUs over the run. */
  vmMeanOnlineVcpus: Float64Array;
  /** Each VM's fewest online vCPUs at any tick. */
  vmMinOnlineVcpus: Int32Array;
  /** At each tick (the data-center series' times): online vCPUs of VMs on running hosts, and their vCPUs. */
  onlineVcpus: Float64Array;
  totalVcpus: Float64Array;
  /** At each tick: the largest ratio of online vCPUs to cores over the running hosts (vCPU over-commitment). */
  maxHostOvercommit: Float64Array;
}
