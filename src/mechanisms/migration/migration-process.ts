/**
 * What a migration engine exposes to whoever drives it (one migration on its own link, many on a shared network,
 * or a data center): an explicit clock, the rate the network gives, and the times it needs to run by itself.
 *
 * Protocol: `start(t0, rate)`; then repeatedly `runUntil(t)` for t ≤ `nextWakeSeconds()` or the time of an
 * outside change, then `setRate(t, rate)` with the network's new rate for `capBytesPerSecond()`; failures with
 * `fail(t, …)` after `runUntil(t)`. Two engines implement it: {@link LiveMigration} (page level) and the aggregate
 * one (expected values, for data-center scale), both through their shared lifecycle, `MigrationLifecycle`.
 */
import type { LiveMigrationResult, MigrationFailure, MigrationPhase } from './live-migration.js';

export interface MigrationProcess {
  start(nowSeconds: number, rateBytesPerSecond: number): void;
  setRate(nowSeconds: number, rateBytesPerSecond: number): void;
  runUntil(untilSeconds: number): void;
  /** When the process next needs to run if nothing outside changes (Infinity: done or waiting). */
  nextWakeSeconds(): number;
  /** The rate limit it asks of the network now, bytes/s (Infinity: none); changes with the phase. */
  capBytesPerSecond(): number;
  readonly currentPhase: MigrationPhase;
  readonly finished: boolean;
  /** Where the VM runs: on the source until the switch, then on the destination; nowhere if lost. */
  readonly location: 'source' | 'destination' | 'nowhere';
  fail(nowSeconds: number, failure: MigrationFailure): void;
  recover(nowSeconds: number): void;
  result(): LiveMigrationResult;
}
