/**
 * A migration's result as flat figures in the units people read (seconds, MiB), with the names `hyperwatt
 * migrate --json`, migration sweeps and their CSV use. Non-finite times (no switch-over) become null.
 */
import type { LiveMigrationResult } from './live-migration.js';

const MiB = 1024 * 1024;

export interface MigrationFigures {
  outcome: LiveMigrationResult['outcome'];
  converged: boolean;
  total_s: number;
  downtime_s: number;
  switchover_s: number | null;
  transferred_mib: number;
  precopy_mib: number;
  postcopy_mib: number;
  passes: number;
  remote_faults: number;
  vcpu_blocked_s: number;
  throughput_loss_during: number;
  throughput_loss_after: number;
  max_throttle_percent: number;
  max_dirty_pages_rate: number;
  remaining_mib: number;
  note: string;
}

export function migrationFigures(result: LiveMigrationResult): MigrationFigures {
  return {
    outcome: result.outcome,
    converged: result.converged,
    total_s: result.totalSeconds,
    downtime_s: result.downtimeSeconds,
    switchover_s: Number.isFinite(result.switchoverSeconds) ? result.switchoverSeconds : null,
    transferred_mib: result.transferredBytes / MiB,
    precopy_mib: result.precopyBytes / MiB,
    postcopy_mib: result.postcopyBytes / MiB,
    passes: result.passes,
    remote_faults: result.remoteFaults,
    vcpu_blocked_s: result.vcpuBlockedSeconds,
    throughput_loss_during: result.throughputLossDuring,
    throughput_loss_after: result.throughputLossAfter,
    max_throttle_percent: result.maxThrottlePercent,
    max_dirty_pages_rate: result.maxDirtyPagesRate,
    remaining_mib: result.remainingBytes / MiB,
    note: result.note,
  };
}
