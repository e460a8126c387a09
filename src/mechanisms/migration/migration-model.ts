/**
 * How long a live migration takes and what it costs: the interface the data-center simulator uses, so that a
 * realistic migration engine (pre-copy, post-copy, shared network) can replace the simple model without touching
 * the policies.
 */

/** What a migration model may know about the VM and the two hosts. */
export interface MigrationRequest {
  vm: number;
  source: number;
  target: number;
  /** VM memory, MiB. */
  ramMiB: number;
  /** Current CPU demand of the VM, MIPS. */
  demandMips: number;
  /** Link bandwidth of the source and the target host, Mbit/s. */
  sourceBandwidthMbps: number;
  targetBandwidthMbps: number;
}

export interface MigrationModel {
  readonly name: string;
  /** Seconds from the start of the migration until the VM runs on the target. */
  durationSeconds(request: MigrationRequest): number;
  /** Fraction of the VM's CPU demand it loses while migrating (and the hosts spend on the migration). */
  readonly cpuOverhead: number;
}

/**
 * CloudSim's model (Beloglazov & Buyya, CCPE 2012, §6.1): the whole RAM crosses the network at a fixed share of
 * the target's link (half, "the other half is for VM communication"), and the VM loses 10 % of its CPU during
 * the migration. No dirty pages, no downtime: a first-order model, kept for comparison with CloudSim.
 */
export function cloudSimMigrationModel(bandwidthFraction: number, cpuOverhead: number): MigrationModel {
  return {
    name: 'cloudsim',
    cpuOverhead,
    durationSeconds(request: MigrationRequest): number {
      // MiB over Mbit/s: CloudSim divides MB by (kbit/s / 8000), i.e. treats 1 MB = 8000 kbit.
      return request.ramMiB / ((request.targetBandwidthMbps * 1000 * bandwidthFraction) / 8000);
    },
  };
}
