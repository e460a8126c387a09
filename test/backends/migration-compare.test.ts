/**
 * The simulator's side of `hyperwatt compare`: the calibration of the idle guest's data from a run's transferred
 * bytes, and predictions that follow the case's limits (the QEMU side runs in qemu-vm.test.ts's migrations and in
 * `npm run validation`).
 */
import { describe, expect, it } from 'vitest';
import { idleDataBytes, predictCase, type ComparisonCase } from '../../src/backends/qemu/migration-compare.js';
import { PAGE_HEADER_BYTES, ZERO_PAGE_WIRE_BYTES } from '../../src/mechanisms/migration/live-migration.js';

const MiB = 1024 * 1024;

describe('migration comparison (simulator side)', () => {
  it('recovers the data pages from transferred bytes: zero pages cost their header, data pages header and page', () => {
    const pages = (128 * MiB) / 4096;
    const data = 10_000;
    const transferred = (pages - data) * ZERO_PAGE_WIRE_BYTES + data * (PAGE_HEADER_BYTES + 4096);
    expect(idleDataBytes(128, transferred)).toBe(data * 4096);
  });

  it('predicts a capped idle pre-copy at the cap and a dirtying one with more passes and bytes', () => {
    const base: ComparisonCase = { id: 'x', strategy: 'precopy', workload: 'idle', dirtyMiB: 32, dirtyRatePagesPerSecond: 5000, maxBandwidthMiBps: 32, downtimeLimitMs: 300 };
    const idle = predictCase(128, base, 60 * MiB, 300 * MiB);
    expect(idle.status).toBe('completed');
    expect(idle.totalMs! / 1000).toBeCloseTo(60 / 32, 0);
    const dirty = predictCase(128, { ...base, workload: 'dirty' }, 60 * MiB, 300 * MiB);
    expect(dirty.passes).toBeGreaterThan(idle.passes);
    expect(dirty.transferredMiB).toBeGreaterThan(idle.transferredMiB + 32);
    const post = predictCase(128, { ...base, workload: 'dirty', strategy: 'postcopy' }, 60 * MiB, 300 * MiB);
    expect(post.totalMs!).toBeLessThan(dirty.totalMs!); // post-copy's transfer is not capped (QEMU's max-postcopy-bandwidth is 0)
  });
});
