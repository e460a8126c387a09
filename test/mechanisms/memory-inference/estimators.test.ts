/**
 * The ghost list against a brute-force list (positions after random pushes, removals, overflow and renumbering),
 * the working-set estimator's curve on a loop, the working-set definition, ESX's sampling estimator, and the
 * storage server's two placements.
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../../src/kernel/random.js';
import { GhostList } from '../../../src/mechanisms/memory-inference/ghost-list.js';
import { SamplingEstimator } from '../../../src/mechanisms/memory-inference/sampling-estimator.js';
import { StorageServer, type StorageServerOptions } from '../../../src/mechanisms/memory-inference/storage-server.js';
import { WorkingSetEstimator, workingSetFromCurve } from '../../../src/mechanisms/memory-inference/working-set-estimator.js';

describe('GhostList', () => {
  it('gives every block the position a plain most-recent-first list gives, through overflow and renumbering', () => {
    const random = new RandomStreams(7).get('ghost');
    const capacity = 50;
    const ghost = new GhostList(capacity, 200);
    const reference: number[] = []; // newest first
    for (let step = 0; step < 20_000; step++) {
      const block = random.nextInt(200);
      if (random.nextFloat() < 0.6) {
        ghost.push(block);
        const at = reference.indexOf(block);
        if (at >= 0) reference.splice(at, 1);
        reference.unshift(block);
        if (reference.length > capacity) reference.pop();
      } else {
        ghost.remove(block);
        const at = reference.indexOf(block);
        if (at >= 0) reference.splice(at, 1);
      }
      if (step % 97 === 0) {
        for (let b = 0; b < 200; b++) expect(ghost.position(b), `block ${b} at step ${step}`).toBe(reference.indexOf(b) + 1);
      }
    }
    expect(ghost.size).toBe(reference.length);
  });
});

describe('WorkingSetEstimator', () => {
  it('on a loop over L blocks with a cache of C, every re-read is at ghost position L − C + 1: the curve drops there', () => {
    // The + 1: the eviction that makes room for a read is seen before the read, as in the guest, where reclaim runs
    // when the page for the read is allocated.
    const loop = 100;
    const cache = 40;
    const estimator = new WorkingSetEstimator(200, loop, 200);
    // An LRU cache of 40 pages over a loop of 100 blocks: every access misses and evicts the block read 40 ago.
    for (let pass = 0; pass < 5; pass++) {
      for (let block = 0; block < loop; block++) {
        if (pass > 0 || block >= cache) estimator.inferred(0, 0, (block - cache + loop) % loop);
        estimator.insertion(0, 0, block, true);
      }
    }
    const curve = estimator.curve(cache);
    expect(curve.binPages).toBe(1);
    expect(curve.diskReads[0]).toBe(500);
    expect(curve.diskReads[loop - cache]).toBe(500);
    expect(curve.diskReads[loop - cache + 1]).toBe(100); // only the first pass's cold misses remain
    expect(estimator.workingSetPages(cache)).toBe(loop + 1);
  });

  it('reads the working set as the smallest size leaving at most the tolerance of the avoidable reads', () => {
    expect(workingSetFromCurve([10, 20, 30, 40], [1000, 600, 150, 100], 0.1)).toBe(30); // 150 ≤ 100 + 0.1 × 900
    expect(workingSetFromCurve([10, 20], [50, 50])).toBe(10); // nothing to gain: the current size
  });
});

describe('SamplingEstimator', () => {
  it('estimates the touched fraction of sampled pages and cannot exceed the memory it samples', () => {
    const watched = new Set<number>();
    const sampler = new SamplingEstimator(1000, new RandomStreams(1).get('s'), { watch: (p) => void watched.add(p), unwatch: (p) => void watched.delete(p) }, { samplePages: 100, periodSeconds: 30, slowGain: 0.1, fastGain: 0.5 });
    expect(watched.size).toBe(100);
    // A period in which every page is touched (a thrashing VM): the fraction is 1, the estimate the whole memory.
    for (let page = 0; page < 1000; page++) if (watched.has(page)) sampler.touch(page);
    sampler.advanceTo(30);
    expect(sampler.completedPeriods).toBe(1);
    expect(sampler.workingSetPages(1000)).toBeCloseTo(1000, 6);
    // Idle periods bring the fast average down; the slow one keeps the maximum high for a while.
    sampler.advanceTo(90);
    expect(sampler.activeFraction()).toBeCloseTo(0.81, 6); // slow: 1 → 0.9 → 0.81
  });
});

describe('StorageServer', () => {
  const options = (placement: 'inclusive' | 'eviction-based', cachePages: number): StorageServerOptions => ({
    cachePages,
    placement,
    diskPositioningSeconds: 0.01,
    diskTransferBytesPerSecond: 4096 * 1000,
    networkRoundTripSeconds: 0.0001,
    networkBytesPerSecond: 4096 * 10_000,
  });

  it('inclusive: every block read stays (LRU); a hit costs the network only', () => {
    const server = new StorageServer(options('inclusive', 2));
    const disk = server.device(0);
    expect(disk.read(0, 5, 1)).toBeCloseTo(0.0001 + 0.0001 + 0.01 + 0.001, 12);
    disk.read(0, 6, 1);
    expect(disk.read(0, 5, 1)).toBeCloseTo(0.0002, 12); // hit
    disk.read(0, 7, 1); // evicts 6 (least recently used)
    disk.read(0, 6, 1);
    expect(server.counters).toMatchObject({ blockReads: 5, cacheHits: 1, diskBlockReads: 4 });
  });

  it('eviction-based: a block enters when its guest is inferred to evict it and leaves on a hit; VMs do not collide', () => {
    const server = new StorageServer(options('eviction-based', 4));
    const disk0 = server.device(0);
    const disk1 = server.device(1);
    disk0.read(0, 5, 1);
    expect(server.cachedPages).toBe(0); // reads place nothing
    server.evictionListener(0).inferred(1, 0, 5);
    disk1.read(2, 5, 1); // VM 1's block 5 is another block
    expect(server.vmCacheHits).toEqual([0, 0]);
    disk0.read(3, 5, 1);
    expect(server.vmCacheHits).toEqual([1, 0]);
    expect(server.cachedPages).toBe(0); // exclusive: the guest holds it again
    expect(server.counters.backgroundDiskReads).toBe(1);
  });
});
