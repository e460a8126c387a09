/**
 * One migration alone on a link: the rate is the link's bandwidth under the migration's own rate limit, constant
 * between the migration's phase changes. What `hyperwatt migrate` runs and the QEMU validation compares.
 */
import { RandomStream } from '../../kernel/random.js';
import type { GuestMemorySpec } from '../../model/memory/guest-memory.js';
import { LiveMigration, type LiveMigrationParameters, type LiveMigrationResult } from './live-migration.js';
import type { MigrationProcess } from './migration-process.js';

export interface LinkSpec {
  /** What the link (or the testbed's end-to-end path) carries, bytes/s. */
  bandwidthBytesPerSecond: number;
  /** One-way latency, seconds. */
  latencySeconds: number;
}

/** A failure injected at a time after the start, and (for a link) when it comes back. */
export interface FailureSpec {
  atSeconds: number;
  failure: 'source' | 'destination' | 'link';
  /** Link failures only: seconds after the failure when the link is back (Infinity: never). */
  restoredAfterSeconds: number;
}

/** Runs one migration to its end (or its time limit) and returns its figures. */
export function simulateMigration(
  memory: GuestMemorySpec,
  parameters: LiveMigrationParameters,
  link: LinkSpec,
  seed: number,
  failure?: FailureSpec,
): LiveMigrationResult {
  return runAlone(new LiveMigration(memory, parameters, link.latencySeconds, new RandomStream(seed, 'migration-guest')), link, failure);
}

/** Drives any migration engine alone on `link` (its rate: the link's bandwidth under the engine's own limit). */
export function runAlone(migration: MigrationProcess, link: LinkSpec, failure?: FailureSpec): LiveMigrationResult {
  if (!(link.bandwidthBytesPerSecond > 0)) throw new RangeError(`migration: link bandwidth must be positive, got ${link.bandwidthBytesPerSecond}`);
  const rateNow = (): number => Math.min(link.bandwidthBytesPerSecond, migration.capBytesPerSecond());
  migration.start(0, rateNow());
  let failed = false;
  let restored = false;
  // Phases change the rate limit (pre-copy → stopped → post-copy): re-read it after every wake.
  let previous = -Infinity;
  let stalled = 0;
  while (!migration.finished) {
    let until = migration.nextWakeSeconds();
    // A wake that does not move the clock twice in a row a thousand times is a bug, not a slow migration.
    stalled = until > previous ? 0 : stalled + 1;
    if (stalled > 1000) throw new Error(`internal: migration driver makes no progress at ${until} s (${migration.currentPhase})`);
    previous = until;
    if (failure && !failed && failure.atSeconds <= until) until = failure.atSeconds;
    if (failure && failed && !restored && migration.currentPhase === 'paused') {
      until = failure.atSeconds + failure.restoredAfterSeconds;
      if (!Number.isFinite(until)) break;
      migration.runUntil(until);
      migration.recover(until);
      restored = true;
      migration.setRate(until, rateNow());
      continue;
    }
    if (!Number.isFinite(until)) break;
    migration.runUntil(until);
    if (failure && !failed && until === failure.atSeconds) {
      failed = true;
      migration.fail(until, failure.failure);
    }
    if (!migration.finished) migration.setRate(until, rateNow());
  }
  return migration.result();
}
