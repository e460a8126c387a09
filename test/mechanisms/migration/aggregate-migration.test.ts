/**
 * The aggregate migration engine (src/mechanisms/migration/aggregate-migration.ts): the page-level engine's
 * hand-computed idle-guest figures, a hand-computed rate change in the middle of a pass, the invariants
 * (pre-copy sends every data page, post-copy delivers every missing page once, determinism, the same figures
 * whatever the steps it is driven with), the expected-value formulas, and agreement with the page-level engine on a
 * grid of strategies, write patterns, dirty rates, links and guest sizes.
 *
 * Set HYPERWATT_AGREEMENT_REPORT=1 to print the agreement table (docs/models/migration-aggregate.md quotes it).
 */
import { describe, expect, it } from 'vitest';
import { memoryLayout, type GuestMemorySpec, type WritePattern } from '../../../src/model/memory/guest-memory.js';
import { LiveMigration, QEMU_DEFAULTS, type LiveMigrationParameters, type LiveMigrationResult } from '../../../src/mechanisms/migration/live-migration.js';
import { AggregateMigration, DirtyPageModel, stalledFraction, ZipfDistinctTable } from '../../../src/mechanisms/migration/aggregate-migration.js';
import type { MigrationProcess } from '../../../src/mechanisms/migration/migration-process.js';
import { runAlone, simulateMigration, type FailureSpec, type LinkSpec } from '../../../src/mechanisms/migration/single-migration.js';
import { RandomStream } from '../../../src/kernel/random.js';
import { busyGuest, dataGuest, fastLink, guest, link, MiB, params } from './fixtures.js';

function aggregate(memory: GuestMemorySpec, parameters: LiveMigrationParameters, on: LinkSpec, failure?: FailureSpec): LiveMigrationResult {
  return runAlone(new AggregateMigration(memory, parameters, on.latencySeconds), on, failure);
}

describe('an idle guest, by hand (the page-level figures)', () => {
  // 64 pages: 32 data pages (8 + 4096 bytes each on the wire) and 32 zero pages (9 bytes each): 131,616 bytes.
  const pageBytes = 32 * 4104 + 32 * 9;

  it('stop-and-copy: setup and latency, then everything while stopped', () => {
    const r = aggregate(guest(), params({ strategy: 'stop-and-copy' }), link);
    expect(r.totalSeconds).toBeCloseTo(0.003 + (pageBytes + 1000) / 1e6 + 0.001 + 0.005, 9);
    expect(r.downtimeSeconds).toBeCloseTo((pageBytes + 1000) / 1e6 + 0.001 + 0.005, 9);
    expect(r.transferredBytes).toBe(pageBytes + 1000);
    expect(r.zeroPagesSent).toBe(32);
    expect(r.passes).toBe(1);
    expect(r.outcome).toBe('completed');
  });

  it('pre-copy: whole pages per 50 ms iterate call, the first window sets the threshold, then the stop', () => {
    const r = aggregate(guest(), params({ strategy: 'precopy' }), link);
    // 12 data pages per 50 ms (49,248 of the 50,000 B; the rest is carried); at 0.103 the window's 98,496 B give a
    // threshold of 295,488 B > 40 pending pages × 4096 B: sync, stop, sync; 8 data pages, 32 zero pages and the
    // device state (34,120 B) with the rate limit lifted; one latency; 5 ms.
    const rest = 8 * 4104 + 32 * 9 + 1000;
    expect(r.totalSeconds).toBeCloseTo(0.103 + rest / 1e6 + 0.001 + 0.005, 9);
    expect(r.downtimeSeconds).toBeCloseTo(rest / 1e6 + 0.001 + 0.005, 9);
    expect(r.switchoverSeconds).toBeCloseTo(r.totalSeconds, 12);
    expect(r.passes).toBe(3);
    expect(r.transferredBytes).toBe(pageBytes + 1000);
    expect(r.pagesSent).toBe(64);
  });

  it('post-copy: the VM runs on the destination after the device state; the pages follow', () => {
    const r = aggregate(guest(), params({ strategy: 'postcopy' }), link);
    const resume = 0.003 + 1000 / 1e6 + 0.001 + 0.005;
    expect(r.switchoverSeconds).toBeCloseTo(resume, 9);
    expect(r.downtimeSeconds).toBeCloseTo(resume - 0.003, 9);
    expect(r.totalSeconds).toBeCloseTo(resume + pageBytes / 1e6 + 0.001, 9);
    expect(r.missingPagesAtSwitch).toBe(64);
    expect(r.postcopyPagesDelivered).toBe(64);
    expect(r.remoteFaults).toBe(0);
  });

  it('gives every figure of the page-level engine for each strategy', () => {
    for (const strategy of ['stop-and-copy', 'precopy', 'postcopy', 'hybrid'] as const) {
      const page = simulateMigration(guest(), params({ strategy }), link, 1);
      const agg = aggregate(guest(), params({ strategy }), link);
      for (const [key, value] of Object.entries(page)) {
        const mine = agg[key as keyof LiveMigrationResult];
        if (typeof value === 'number' && Number.isFinite(value)) expect(mine as number, key).toBeCloseTo(value, 9);
        else expect(mine, key).toEqual(value);
      }
    }
  });
});

describe('rate changes', () => {
  // 1000 data pages, no zero pages, no latency or setup: at 4,104,000 B/s a 50 ms call sends exactly 50 pages.
  const memory = dataGuest(1000);
  const p = params({ maxBandwidthBytesPerSecond: Infinity, setupSeconds: 0, deviceStateBytes: 1000 });

  /** Runs to the end with `first` B/s until `changeAt`, then `second`. */
  function twoRates(process: MigrationProcess, first: number, second: number, changeAt: number): LiveMigrationResult {
    process.start(0, first);
    process.runUntil(changeAt);
    process.setRate(changeAt, second);
    for (let i = 0; i < 100000 && !process.finished; i++) {
      const wake = process.nextWakeSeconds();
      process.runUntil(wake);
      if (!process.finished) process.setRate(wake, second);
    }
    return process.result();
  }

  it('halving the rate in the middle of the first pass, by hand', () => {
    const r = twoRates(new AggregateMigration(memory, p, 0), 4104 * 1000, 4104 * 500, 0.5);
    // Until 0.5 s: 500 pages, windows of 100 pages: threshold 100 × 4104 / 0.1 × 0.3 = 1,231,200 B (300.6 pages).
    // From 0.5 s: 500 pages/s; the window closing at 0.6 s holds 50 pages: threshold 615,600 B (150.3 pages). The
    // pending pages, 500 − 500 (t − 0.5), first fall below it at a 50 ms boundary at t = 1.2 s (150 pages): sync,
    // stop, sync; 150 pages and 1000 B at 2,052,000 B/s; no latency; 5 ms.
    const stopped = (150 * 4104 + 1000) / (4104 * 500);
    expect(r.passes).toBe(3);
    expect(r.totalSeconds).toBeCloseTo(1.2 + stopped + 0.005, 9);
    expect(r.downtimeSeconds).toBeCloseTo(stopped + 0.005, 9);
    expect(r.transferredBytes).toBe(1000 * 4104 + 1000);
  });

  it('drives like the page-level engine through the same rate change', () => {
    const page = twoRates(new LiveMigration(memory, p, 0, new RandomStream(1, 'migration-guest')), 4104 * 1000, 4104 * 500, 0.5);
    const agg = twoRates(new AggregateMigration(memory, p, 0), 4104 * 1000, 4104 * 500, 0.5);
    expect(agg.totalSeconds).toBeCloseTo(page.totalSeconds, 9);
    expect(agg.passes).toBe(page.passes);
    expect(agg.transferredBytes).toBe(page.transferredBytes);
  });

  /** Drives with the rate alternating every 0.37 s, waking at the engine's wakes, or also every `step` s. */
  function alternating(memory: GuestMemorySpec, parameters: LiveMigrationParameters, step: number): LiveMigrationResult {
    const migration = new AggregateMigration(memory, parameters, 0.0005);
    let segment = 0;
    const rate = (): number => Math.min(segment % 2 === 0 ? 125e6 : 60e6, migration.capBytesPerSecond());
    migration.start(0, rate());
    let now = 0;
    for (let i = 0; i < 1e6 && !migration.finished; i++) {
      const change = (segment + 1) * 0.37;
      const next = Math.min(migration.nextWakeSeconds(), change, step > 0 ? now + step : Infinity);
      migration.runUntil(next);
      now = next;
      if (now === change) segment++;
      if (!migration.finished) migration.setRate(now, rate());
    }
    return migration.result();
  }

  it('gives the same figures whether driven from wake to wake or in small steps (the planner skips nothing)', () => {
    const patterns: WritePattern[] = [{ kind: 'uniform' }, { kind: 'hot-cold', hotBytes: 16 * MiB, hotWriteFraction: 0.9 }, { kind: 'sequential' }, { kind: 'zipf', exponent: 1 }];
    for (const strategy of ['precopy', 'hybrid', 'postcopy'] as const) {
      for (const writePattern of patterns) {
        const m = busyGuest(30000, { ramBytes: 256 * MiB, usedBytes: 192 * MiB, writableBytes: 128 * MiB, touchHotBytes: 16 * MiB, writePattern, vcpus: 2 });
        const q = { ...QEMU_DEFAULTS, strategy, maxBandwidthBytesPerSecond: Infinity, timeLimitSeconds: 30, switchAfterPasses: 3 };
        const jumps = alternating(m, q, 0);
        const steps = alternating(m, q, 0.0137);
        for (const key of ['totalSeconds', 'transferredBytes', 'passes', 'downtimeSeconds', 'lostVcpuSecondsAfter'] as const) {
          // The post-copy stall is an adaptive-Simpson integral (tolerance 1e−7 per rate segment).
          expect(relative(steps[key], jumps[key]), `${strategy} ${writePattern.kind} ${key}`).toBeLessThan(key === 'lostVcpuSecondsAfter' ? 1e-6 : 1e-9);
        }
      }
    }
  });
});

describe('invariants', () => {
  it('rejects an XBZRLE cache (it needs page identities)', () => {
    expect(() => new AggregateMigration(busyGuest(1000), params({ xbzrleCacheBytes: 64 * MiB }), 0.001)).toThrow(/XBZRLE/);
  });

  it('pre-copy sends every page at least once: at least the data pages × 4104 B', () => {
    for (const rate of [0, 2000, 8000, 30000]) {
      for (const writePattern of [{ kind: 'uniform' }, { kind: 'sequential' }, { kind: 'zipf', exponent: 1.2 }] as const) {
        const memory = busyGuest(rate, { writePattern });
        const r = aggregate(memory, params({ maxBandwidthBytesPerSecond: 100 * MiB }), fastLink);
        expect(r.transferredBytes).toBeGreaterThanOrEqual(memoryLayout(memory).usedPages * 4104);
        expect(r.pagesSent).toBeGreaterThanOrEqual(memory.ramBytes / 4096);
      }
    }
  });

  it('post-copy delivers every missing page exactly once, whatever the faults', () => {
    for (const strategy of ['postcopy', 'hybrid'] as const) {
      const memory = busyGuest(10000);
      const r = aggregate(memory, params({ strategy, switchAfterPasses: 1, maxBandwidthBytesPerSecond: 100 * MiB }), fastLink);
      expect(r.outcome).toBe('completed');
      expect(r.remoteFaults).toBeGreaterThan(0);
      expect(r.postcopyPagesDelivered).toBe(r.missingPagesAtSwitch);
      if (strategy === 'postcopy') expect(r.pagesSent).toBe(memory.ramBytes / 4096);
    }
  });

  it('a converged pre-copy stays within the downtime limit (plus the fixed stop cost and the latency)', () => {
    for (const rate of [1000, 4000, 8000, 12000, 16000]) {
      for (const limit of [0.03, 0.3]) {
        const p = params({ maxBandwidthBytesPerSecond: 100 * MiB, downtimeLimitSeconds: limit });
        const r = aggregate(busyGuest(rate), p, fastLink);
        if (!r.converged) continue;
        expect(r.downtimeSeconds).toBeLessThanOrEqual(limit + p.stopOverheadSeconds + 2 * fastLink.latencySeconds + 1e-9);
      }
    }
  });

  it('is deterministic: same inputs, same figures', () => {
    const run = (): string => JSON.stringify(aggregate(busyGuest(9000, { writePattern: { kind: 'zipf', exponent: 1 } }), params({ strategy: 'hybrid', switchAfterSeconds: 0.2, maxBandwidthBytesPerSecond: 100 * MiB }), fastLink));
    expect(run()).toBe(run());
  });
});

describe('expected values', () => {
  it('uniform and hot-cold dirt: W·(1 − (1 − p)ⁿ) per class, stable for small p', () => {
    const uniform = busyGuest(1000);
    const model = new DirtyPageModel(uniform, memoryLayout(uniform));
    const W = 8192;
    expect(model.distinct(0, 1)).toBeCloseTo(1, 9);
    expect(model.distinct(0, 5000)).toBeCloseTo(W * (1 - Math.pow(1 - 1 / W, 5000)), 6);
    expect(model.distinct(0, 1e9)).toBeCloseTo(W, 6);
    const hotCold = busyGuest(1000, { writePattern: { kind: 'hot-cold', hotBytes: 4 * MiB, hotWriteFraction: 0.9 } });
    const split = new DirtyPageModel(hotCold, memoryLayout(hotCold));
    expect(split.classPages).toEqual([1024, 7168]);
    // A hot page is hit with 0.9/1024 + 0.1/8192 per write, a cold one with 0.1/8192.
    expect(split.distinct(0, 3000)).toBeCloseTo(1024 * (1 - Math.pow(1 - 0.9 / 1024 - 0.1 / 8192, 3000)), 6);
    expect(split.distinct(1, 3000)).toBeCloseTo(7168 * (1 - Math.pow(1 - 0.1 / 8192, 3000)), 6);
    // Overlap with pending pages in proportion, for pages that are alike (whatever the profile writes).
    expect(model.newPages(0, 5000, 2048, Infinity)).toBeCloseTo(model.distinct(0, 5000) * 0.75, 6);
  });

  it('zipf: the rank-bucket table is within 3·10⁻⁴ of the exact sum over every rank', () => {
    const W = 16384;
    for (const exponent of [0.7, 1, 1.3]) {
      const table = new ZipfDistinctTable(W, exponent);
      let normaliser = 0;
      for (let k = 1; k <= W; k++) normaliser += Math.pow(k, -exponent);
      for (const n of [0.3, 1, 7, 100, 2500, 40000, 1e6, 3e7]) {
        let exact = 0;
        for (let k = 1; k <= W; k++) exact -= Math.expm1(n * Math.log1p(-Math.pow(k, -exponent) / normaliser));
        expect(Math.abs(table.distinct(n) - exact) / exact, `s ${exponent} n ${n}`).toBeLessThan(3e-4);
        // The inverse (used for the pending pages' profile), until every page is dirty.
        if (Number.isFinite(table.writesFor(table.distinct(n)))) expect(table.writesFor(table.distinct(n)) / n).toBeCloseTo(1, 3);
      }
    }
  });

  it('the stalled fraction: 1 − ln(1 + k)/k from k to 0, k/(1 + k) when constant, and the integral in between', () => {
    expect(stalledFraction(20, 0)).toBeCloseTo(1 - Math.log(21) / 20, 12);
    expect(stalledFraction(3, 3)).toBeCloseTo(3 / 4, 12);
    expect(stalledFraction(1e-9, 0) / 5e-10).toBeCloseTo(1, 6); // k/2 for small k, no cancellation
    // Midpoint rule over u ∈ [u₂, u₁] of k·u/(1 + k·u).
    const k = 7;
    let sum = 0;
    const n = 100000;
    for (let i = 0; i < n; i++) {
      const u = 0.2 + ((i + 0.5) / n) * 0.7;
      sum += (k * u) / (1 + k * u);
    }
    expect(stalledFraction(k * 0.9, k * 0.2)).toBeCloseTo(sum / n, 8);
  });
});

describe('mechanisms (as in the page-level tests)', () => {
  const hard = busyGuest(30000);
  const slowLink = { bandwidthBytesPerSecond: 50 * MiB, latencySeconds: 0.0005 };

  it('does not converge when the guest dirties faster than the link: abort or stop-and-copy at the time limit', () => {
    const aborted = aggregate(hard, params({ maxBandwidthBytesPerSecond: 50 * MiB, timeLimitSeconds: 20 }), slowLink);
    expect(aborted.outcome).toBe('aborted');
    expect(aborted.converged).toBe(false);
    expect(aborted.totalSeconds).toBeCloseTo(20, 9);
    expect(aborted.remainingBytes).toBeGreaterThan(0);
    const forced = aggregate(hard, params({ maxBandwidthBytesPerSecond: 50 * MiB, timeLimitSeconds: 20, onTimeLimit: 'stop-and-copy' }), slowLink);
    expect(forced.outcome).toBe('completed');
    expect(forced.converged).toBe(false);
    expect(forced.downtimeSeconds).toBeGreaterThan(0.3);
  });

  it('auto-converge throttles by 20 %, then 10 % steps, until it converges', () => {
    const r = aggregate(hard, params({ maxBandwidthBytesPerSecond: 50 * MiB, timeLimitSeconds: 120, autoConverge: { initialPercent: 20, incrementPercent: 10, maxPercent: 99, triggerThresholdPercent: 50 } }), slowLink);
    expect(r.outcome).toBe('completed');
    expect(r.maxThrottlePercent).toBeGreaterThanOrEqual(20);
    expect((r.maxThrottlePercent - 20) % 10).toBe(0);
    expect(r.throughputLossDuring).toBeGreaterThan(0);
  });

  it('hybrid switches to post-copy after the given number of passes', () => {
    const r = aggregate(hard, params({ strategy: 'hybrid', switchAfterPasses: 2, maxBandwidthBytesPerSecond: 50 * MiB }), slowLink);
    expect(r.outcome).toBe('completed');
    expect(r.passes).toBe(4); // setup, 2 passes, the sync at the switch
    expect(r.missingPagesAtSwitch).toBeGreaterThan(0);
    expect(r.downtimeSeconds).toBeLessThan(0.02);
  });

  it('pre-caching sends the hot set before the switch, so fewer faults follow', () => {
    const memory = busyGuest(500, { touchSequentialProbability: 0, touchHotFraction: 0.95, touchHotBytes: 16 * MiB });
    const slow = { bandwidthBytesPerSecond: 20 * MiB, latencySeconds: 0.0005 };
    const cold = aggregate(memory, params({ strategy: 'postcopy', maxBandwidthBytesPerSecond: 20 * MiB }), slow);
    const warm = aggregate(memory, params({ strategy: 'postcopy', precacheBytes: 16 * MiB, maxBandwidthBytesPerSecond: 20 * MiB }), slow);
    expect(warm.remoteFaults).toBeLessThan(cold.remoteFaults / 2);
    expect(warm.switchoverSeconds).toBeGreaterThan(cold.switchoverSeconds);
  });

  it('failures: the outcomes of the page-level engine', () => {
    const memory = busyGuest(5000);
    const cases: [('precopy' | 'postcopy'), FailureSpec['failure'], boolean][] = [
      ['precopy', 'link', false], ['precopy', 'destination', false], ['precopy', 'source', false],
      ['postcopy', 'link', false], ['postcopy', 'link', true], ['postcopy', 'destination', true], ['postcopy', 'source', true],
    ];
    for (const [strategy, failure, recovery] of cases) {
      const spec: FailureSpec = { atSeconds: 0.2, failure, restoredAfterSeconds: 1 };
      const p = params({ strategy, postcopyRecovery: recovery, maxBandwidthBytesPerSecond: 100 * MiB });
      const page = simulateMigration(memory, p, fastLink, 9, spec);
      const agg = aggregate(memory, p, fastLink, spec);
      const what = `${strategy} ${failure} ${recovery}`;
      expect(agg.outcome, what).toBe(page.outcome);
      expect(agg.totalSeconds, what).toBeCloseTo(page.totalSeconds, 2);
      expect(agg.transferredBytes / page.transferredBytes, what).toBeCloseTo(1, 2);
      if (agg.outcome === 'completed') expect(agg.postcopyPagesDelivered).toBe(agg.missingPagesAtSwitch);
    }
    const recovered = aggregate(memory, params({ strategy: 'postcopy', postcopyRecovery: true, maxBandwidthBytesPerSecond: 100 * MiB }), fastLink, { atSeconds: 0.2, failure: 'link', restoredAfterSeconds: 1 });
    expect(recovered.vcpuBlockedSeconds).toBeGreaterThanOrEqual(1);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Agreement with the page-level engine.

const PATTERNS: Record<string, WritePattern> = {
  uniform: { kind: 'uniform' },
  'hot-cold': { kind: 'hot-cold', hotBytes: 16 * MiB, hotWriteFraction: 0.9 },
  sequential: { kind: 'sequential' },
  zipf: { kind: 'zipf', exponent: 1 },
};
const LINKS = { '1 Gbit/s': 125e6, '10 Gbit/s': 1.25e9 } as const;

/** A guest of `ramMiB`: ¾ of it used, ½ of it written, a 16 MiB access hot set at the start of the written part. */
function gridGuest(ramMiB: number, pattern: WritePattern, writeRate: number, overrides: Partial<GuestMemorySpec> = {}): GuestMemorySpec {
  return guest({
    ramBytes: ramMiB * MiB,
    usedBytes: 0.75 * ramMiB * MiB,
    writableBytes: 0.5 * ramMiB * MiB,
    writeRatePagesPerSecond: writeRate,
    writePattern: pattern,
    touchRatePagesPerSecond: 20000,
    touchSequentialProbability: 0.5,
    touchHotFraction: 0.8,
    touchHotBytes: 16 * MiB,
    vcpus: 2,
    ...overrides,
  });
}

interface Case {
  name: string;
  memory: GuestMemorySpec;
  parameters: LiveMigrationParameters;
  link: LinkSpec;
}

function gridCases(): { precopy: Case[]; postcopy: Case[]; hybrid: Case[] } {
  const precopy: Case[] = [];
  const postcopy: Case[] = [];
  const hybrid: Case[] = [];
  const base = { ...QEMU_DEFAULTS, maxBandwidthBytesPerSecond: Infinity, timeLimitSeconds: 30 };
  for (const [linkName, bandwidth] of Object.entries(LINKS)) {
    const on = { bandwidthBytesPerSecond: bandwidth, latencySeconds: 0.0005 };
    for (const [patternName, pattern] of Object.entries(PATTERNS)) {
      // 0 to beyond non-convergence at 1 Gbit/s (30,518 pages/s).
      for (const rate of [0, 8000, 25000, 60000]) {
        precopy.push({ name: `256 MiB ${patternName} ${rate}/s ${linkName}`, memory: gridGuest(256, pattern, rate), parameters: { ...base, strategy: 'precopy' }, link: on });
      }
      for (const rate of [8000, 40000]) {
        hybrid.push({ name: `256 MiB ${patternName} ${rate}/s ${linkName} 2 passes`, memory: gridGuest(256, pattern, rate), parameters: { ...base, strategy: 'hybrid', switchAfterPasses: 2 }, link: on });
        // Switching at the first iterate boundary (before any threshold): most pages are missing, some pre-copied ones dirty again.
        hybrid.push({ name: `256 MiB ${patternName} ${rate}/s ${linkName} 0.05 s`, memory: gridGuest(256, pattern, rate), parameters: { ...base, strategy: 'hybrid', switchAfterSeconds: 0.05 }, link: on });
      }
    }
    for (const [sequential, hot] of [[0, 0], [0.5, 0.8], [0.9, 0.9]]) {
      for (const touch of [2000, 20000]) {
        for (const vcpus of [1, 2]) {
          const memory = gridGuest(256, PATTERNS.uniform, 0, { touchSequentialProbability: sequential, touchHotFraction: hot, touchRatePagesPerSecond: touch, vcpus });
          postcopy.push({ name: `256 MiB σ ${sequential} hot ${hot} ${touch}/s ${vcpus} vCPU ${linkName}`, memory, parameters: { ...base, strategy: 'postcopy' }, link: on });
        }
      }
    }
  }
  const gigabit = { bandwidthBytesPerSecond: LINKS['1 Gbit/s'], latencySeconds: 0.0005 };
  for (const patternName of ['uniform', 'hot-cold', 'zipf'] as const) {
    for (const rate of [10000, 30000]) {
      precopy.push({ name: `1 GiB ${patternName} ${rate}/s 1 Gbit/s`, memory: gridGuest(1024, PATTERNS[patternName], rate), parameters: { ...base, strategy: 'precopy' }, link: gigabit });
    }
  }
  return { precopy, postcopy, hybrid };
}

function relative(mine: number, reference: number): number {
  return reference === 0 ? Math.abs(mine) : Math.abs(mine - reference) / Math.abs(reference);
}

/**
 * The page-level figures of seeds 1–3, post-copy figures averaged: a post-copy at 10 Gbit/s lasts 0.17 s, a few
 * hundred faults, and its throughput loss varies by ±0.03 from seed to seed.
 */
function meanOfSeeds(c: Case): LiveMigrationResult & { seedsAgree: boolean } {
  const seeds = [1, 2, 3].map((seed) => simulateMigration(c.memory, c.parameters, c.link, seed));
  const mean = (key: 'throughputLossAfter' | 'remoteFaults' | 'totalSeconds' | 'missingPagesAtSwitch'): number => seeds.reduce((sum, r) => sum + r[key], 0) / seeds.length;
  // Whether the seeds took the same branch (converged before the hybrid switch, or switched).
  const seedsAgree = seeds.every((r) => r.outcome === seeds[0].outcome && (r.missingPagesAtSwitch > 0) === (seeds[0].missingPagesAtSwitch > 0));
  return { ...seeds[0], throughputLossAfter: mean('throughputLossAfter'), remoteFaults: mean('remoteFaults'), totalSeconds: mean('totalSeconds'), missingPagesAtSwitch: mean('missingPagesAtSwitch'), seedsAgree };
}

describe('agreement with the page-level engine (pre-copy: seed 1; post-copy and hybrid: the mean of seeds 1–3)', () => {
  const grid = gridCases();
  const report: string[] = [];

  it('pre-copy: same outcome, total time and bytes within 10 %', () => {
    let worstTime = 0;
    let worstBytes = 0;
    let worstDowntime = 0;
    for (const c of grid.precopy) {
      const page = simulateMigration(c.memory, c.parameters, c.link, 1);
      const agg = aggregate(c.memory, c.parameters, c.link);
      expect(agg.outcome, c.name).toBe(page.outcome);
      expect(relative(agg.totalSeconds, page.totalSeconds), c.name).toBeLessThan(0.1);
      expect(relative(agg.transferredBytes, page.transferredBytes), c.name).toBeLessThan(0.1);
      worstTime = Math.max(worstTime, relative(agg.totalSeconds, page.totalSeconds));
      worstBytes = Math.max(worstBytes, relative(agg.transferredBytes, page.transferredBytes));
      worstDowntime = Math.max(worstDowntime, Math.abs(agg.downtimeSeconds - page.downtimeSeconds));
      report.push(`pre-copy  ${c.name.padEnd(36)} ${page.outcome.padEnd(9)} total ${page.totalSeconds.toFixed(3)} / ${agg.totalSeconds.toFixed(3)} s, bytes ${(100 * (agg.transferredBytes / page.transferredBytes - 1)).toFixed(2)} %, passes ${page.passes} / ${agg.passes}, downtime ${(1000 * page.downtimeSeconds).toFixed(1)} / ${(1000 * agg.downtimeSeconds).toFixed(1)} ms`);
    }
    report.push(`pre-copy: ${grid.precopy.length} cases, worst total time ${(100 * worstTime).toFixed(2)} %, worst bytes ${(100 * worstBytes).toFixed(2)} %, worst downtime difference ${(1000 * worstDowntime).toFixed(1)} ms`);
  });

  it('post-copy: total within 5 %, throughput loss after within 0.05, faults within 25 % (+ 10) of 3 seeds\' mean', () => {
    let worstTime = 0;
    let worstLoss = 0;
    let worstFaults = 0;
    let worstFewFaults = 0;
    for (const c of grid.postcopy) {
      const page = meanOfSeeds(c);
      const agg = aggregate(c.memory, c.parameters, c.link);
      expect(agg.outcome, c.name).toBe('completed');
      expect(agg.missingPagesAtSwitch, c.name).toBe(page.missingPagesAtSwitch);
      expect(relative(agg.totalSeconds, page.totalSeconds), c.name).toBeLessThan(0.05);
      expect(Math.abs(agg.throughputLossAfter - page.throughputLossAfter), c.name).toBeLessThan(0.05);
      expect(Math.abs(agg.remoteFaults - page.remoteFaults), c.name).toBeLessThanOrEqual(0.25 * page.remoteFaults + 10);
      worstTime = Math.max(worstTime, relative(agg.totalSeconds, page.totalSeconds));
      worstLoss = Math.max(worstLoss, Math.abs(agg.throughputLossAfter - page.throughputLossAfter));
      if (page.remoteFaults >= 100) worstFaults = Math.max(worstFaults, relative(agg.remoteFaults, page.remoteFaults));
      else worstFewFaults = Math.max(worstFewFaults, Math.abs(agg.remoteFaults - page.remoteFaults));
      report.push(`post-copy ${c.name.padEnd(44)} loss after ${page.throughputLossAfter.toFixed(3)} / ${agg.throughputLossAfter.toFixed(3)}, faults ${page.remoteFaults.toFixed(0)} / ${agg.remoteFaults}, total ${page.totalSeconds.toFixed(3)} / ${agg.totalSeconds.toFixed(3)} s`);
    }
    report.push(`post-copy: ${grid.postcopy.length} cases, worst total time ${(100 * worstTime).toFixed(2)} %, worst loss-after difference ${worstLoss.toFixed(3)}, worst faults ${(100 * worstFaults).toFixed(1)} % (cases with ≥ 100 faults; below, ${worstFewFaults.toFixed(0)} faults apart at most)`);
  });

  it('hybrid: total within 5 %, missing pages at the switch within 5 %, throughput loss after within 0.05', () => {
    let worstTime = 0;
    let worstMissing = 0;
    let worstLoss = 0;
    let edges = 0;
    for (const c of grid.hybrid) {
      const page = meanOfSeeds(c);
      const agg = aggregate(c.memory, c.parameters, c.link);
      if (!page.seedsAgree) {
        // An edge case: the third check stops the pre-copy or the switch after two passes comes first, depending
        // on the page-level engine's draws; the aggregate engine takes one branch.
        edges++;
        report.push(`hybrid    ${c.name.padEnd(46)} edge: the page-level seeds differ (mean missing ${page.missingPagesAtSwitch.toFixed(0)}), aggregate ${agg.outcome} with ${agg.missingPagesAtSwitch} missing`);
        continue;
      }
      expect(agg.outcome, c.name).toBe(page.outcome);
      expect(relative(agg.totalSeconds, page.totalSeconds), c.name).toBeLessThan(0.05);
      expect(Math.abs(agg.missingPagesAtSwitch - page.missingPagesAtSwitch), c.name).toBeLessThanOrEqual(0.05 * page.missingPagesAtSwitch + 10);
      expect(Math.abs(agg.throughputLossAfter - page.throughputLossAfter), c.name).toBeLessThan(0.05);
      expect(agg.postcopyPagesDelivered).toBe(agg.missingPagesAtSwitch);
      worstTime = Math.max(worstTime, relative(agg.totalSeconds, page.totalSeconds));
      worstMissing = Math.max(worstMissing, relative(agg.missingPagesAtSwitch, page.missingPagesAtSwitch));
      worstLoss = Math.max(worstLoss, Math.abs(agg.throughputLossAfter - page.throughputLossAfter));
      report.push(`hybrid    ${c.name.padEnd(46)} total ${page.totalSeconds.toFixed(3)} / ${agg.totalSeconds.toFixed(3)} s, missing ${page.missingPagesAtSwitch.toFixed(0)} / ${agg.missingPagesAtSwitch}, loss after ${page.throughputLossAfter.toFixed(3)} / ${agg.throughputLossAfter.toFixed(3)}`);
    }
    expect(edges).toBeLessThanOrEqual(2);
    report.push(`hybrid: ${grid.hybrid.length} cases (${edges} edge cases left out), worst total time ${(100 * worstTime).toFixed(2)} %, worst missing pages ${(100 * worstMissing).toFixed(2)} %, worst loss-after difference ${worstLoss.toFixed(3)}`);
    if (process.env.HYPERWATT_AGREEMENT_REPORT) console.log(report.join('\n'));
  });
});
