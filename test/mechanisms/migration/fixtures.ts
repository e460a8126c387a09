/**
 * Fixtures shared by the migration engine tests: guests and parameters with round numbers for hand arithmetic, a
 * guest that writes hard, and the links they run on.
 */
import type { GuestMemorySpec } from '../../../src/model/memory/guest-memory.js';
import { QEMU_DEFAULTS, type LiveMigrationParameters } from '../../../src/mechanisms/migration/live-migration.js';

export const MiB = 1024 * 1024;

/** An idle guest of 64 pages of 4 KiB: 32 data pages, then 32 zero pages; no writes, no accesses, one vCPU. */
export function guest(overrides: Partial<GuestMemorySpec> = {}): GuestMemorySpec {
  return {
    ramBytes: 64 * 4096,
    pageBytes: 4096,
    usedBytes: 32 * 4096,
    writableBytes: 0,
    writeRatePagesPerSecond: 0,
    writePattern: { kind: 'uniform' },
    changedBytesPerWrite: 8,
    touchRatePagesPerSecond: 0,
    touchSequentialProbability: 0,
    touchHotFraction: 0,
    touchHotBytes: 0,
    vcpus: 1,
    ...overrides,
  };
}

/** An idle guest whose `pages` pages all hold data (no zero pages). */
export function dataGuest(pages: number): GuestMemorySpec {
  return guest({ ramBytes: pages * 4096, usedBytes: pages * 4096 });
}

/** Round numbers for hand arithmetic: 1 MB/s, 2 ms setup, 5 ms stop overhead, 1000 B device state. */
export function params(overrides: Partial<LiveMigrationParameters> = {}): LiveMigrationParameters {
  return { ...QEMU_DEFAULTS, maxBandwidthBytesPerSecond: 1e6, setupSeconds: 0.002, stopOverheadSeconds: 0.005, deviceStateBytes: 1000, ...overrides };
}

/** 1 MB/s and 1 ms: the link of the hand-computed cases. */
export const link = { bandwidthBytesPerSecond: 1e6, latencySeconds: 0.001 };

/**
 * A guest that writes hard: 64 MiB, 48 MiB used, a 32 MiB writable set (uniform writes unless overridden), 20,000
 * accesses per second, half of them sequential, 80 % of the jumps into a 4 MiB hot set.
 */
export function busyGuest(writeRate: number, overrides: Partial<GuestMemorySpec> = {}): GuestMemorySpec {
  return guest({ ramBytes: 64 * MiB, usedBytes: 48 * MiB, writableBytes: 32 * MiB, writeRatePagesPerSecond: writeRate, touchRatePagesPerSecond: 20000, touchSequentialProbability: 0.5, touchHotFraction: 0.8, touchHotBytes: 4 * MiB, ...overrides });
}

/** 100 MiB/s and 0.5 ms. */
export const fastLink = { bandwidthBytesPerSecond: 100 * MiB, latencySeconds: 0.0005 };
