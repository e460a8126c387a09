/**
 * MigrationService (src/mechanisms/migration/migration-service.ts): migrations that share a NIC share its
 * bandwidth max-min fairly, speed up when the others end, and report switch-over and completion once each.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/kernel/simulator.js';
import { RandomStream } from '../../../src/kernel/random.js';
import { starTopology } from '../../../src/model/network/topology.js';
import { LiveMigration, QEMU_DEFAULTS, type LiveMigrationResult } from '../../../src/mechanisms/migration/live-migration.js';
import { MigrationService } from '../../../src/mechanisms/migration/migration-service.js';
import { dataGuest } from './fixtures.js';

/** Stop-and-copy with no fixed costs: a migration is exactly its bytes over its rate (plus the path latency). */
const PARAMETERS = { ...QEMU_DEFAULTS, strategy: 'stop-and-copy' as const, maxBandwidthBytesPerSecond: Infinity, setupSeconds: 0, stopOverheadSeconds: 0, deviceStateBytes: 0 };
const PAGE_WIRE = 4104;

function run(sizes: { vm: number; source: number; target: number; pages: number; at: number }[]) {
  const sim = new Simulator();
  const topology = starTopology({ hosts: 4, nicBandwidthBytesPerSecond: 1e6, nicLatencySeconds: 0 });
  const switched = new Map<number, number>();
  const done = new Map<number, { t: number; r: LiveMigrationResult }>();
  const pages = new Map(sizes.map((s) => [s.vm, s.pages]));
  const service = new MigrationService(
    sim,
    topology,
    {
      onSwitchover: (vm, t) => {
        expect(switched.has(vm)).toBe(false);
        switched.set(vm, t);
      },
      onComplete: (vm, t, r) => {
        expect(done.has(vm)).toBe(false);
        done.set(vm, { t, r });
      },
    },
    (vm, _s, _t, latency) => new LiveMigration(dataGuest(pages.get(vm)!), PARAMETERS, latency, new RandomStream(1, `vm-${vm}`)),
  );
  const START = sim.defineKind('start', (i) => service.start(sizes[i].vm, sizes[i].source, sizes[i].target));
  sizes.forEach((s, i) => sim.scheduleAt(s.at, START, i));
  sim.run();
  expect(service.inFlight).toBe(0);
  return { switched, done };
}

describe('MigrationService', () => {
  it('one migration alone runs at the NIC rate', () => {
    const { done } = run([{ vm: 0, source: 0, target: 1, pages: 100, at: 0 }]);
    expect(done.get(0)!.t).toBeCloseTo((100 * PAGE_WIRE) / 1e6, 9);
  });

  it('two migrations out of one host share its uplink; the second speeds up when the first ends', () => {
    // A: 100 pages, B: 300 pages, both from host 0. Both at 0.5 MB/s until A's 410,400 B are through (0.8208 s);
    // by then B has sent as much, and its remaining 820,800 B go at 1 MB/s.
    const { done, switched } = run([
      { vm: 0, source: 0, target: 1, pages: 100, at: 0 },
      { vm: 1, source: 0, target: 2, pages: 300, at: 0 },
    ]);
    const a = (100 * PAGE_WIRE) / 0.5e6;
    expect(done.get(0)!.t).toBeCloseTo(a, 6);
    expect(done.get(1)!.t).toBeCloseTo(a + (200 * PAGE_WIRE) / 1e6, 6);
    expect(switched.get(1)).toBeCloseTo(done.get(1)!.t, 9);
    expect(done.get(1)!.r.outcome).toBe('completed');
  });

  it('migrations on disjoint NICs do not slow each other down', () => {
    const { done } = run([
      { vm: 0, source: 0, target: 1, pages: 100, at: 0 },
      { vm: 1, source: 2, target: 3, pages: 100, at: 0 },
    ]);
    expect(done.get(0)!.t).toBeCloseTo((100 * PAGE_WIRE) / 1e6, 9);
    expect(done.get(1)!.t).toBeCloseTo((100 * PAGE_WIRE) / 1e6, 9);
  });

  it('competes with other traffic: a flow on the same uplink takes half of it until it ends', () => {
    // A 400,000-byte transfer from host 0 to host 3 starts with a 200-page migration from host 0 to host 1. Both get
    // 0.5 MB/s until the transfer ends at 0.8 s; the migration has then sent 400,000 of its 820,800 bytes.
    const sim = new Simulator();
    const topology = starTopology({ hosts: 4, nicBandwidthBytesPerSecond: 1e6, nicLatencySeconds: 0 });
    let done = NaN;
    const service = new MigrationService(
      sim,
      topology,
      { onSwitchover: () => {}, onComplete: (_vm, t) => (done = t) },
      (_vm, _s, _t, latency) => new LiveMigration(dataGuest(200), PARAMETERS, latency, new RandomStream(1, 'vm')),
    );
    const network = topology.network;
    const other = network.startFlow(0, Int32Array.of(topology.hostUplink(0), topology.hostDownlink(3)), 400_000);
    service.start(0, 0, 1);
    const END = sim.defineKind('other-ends', () => {
      network.endFlow(sim.now, other);
      service.networkChanged();
    });
    const otherEnds = network.completionTimeSeconds(other);
    expect(otherEnds).toBeCloseTo(0.8, 9);
    sim.scheduleAt(otherEnds, END);
    sim.run();
    expect(done).toBeCloseTo(0.8 + (200 * PAGE_WIRE - 400_000) / 1e6, 6);
  });

  it('a migration that starts later takes half of a busy target downlink', () => {
    // A into host 1 from 0 at t=0 (200 pages); B into host 1 from 2 at t=0.2 (100 pages): they share host 1's
    // downlink from 0.2 s. A has 820,800 − 200,000 B left at 0.2 s.
    const { done } = run([
      { vm: 0, source: 0, target: 1, pages: 200, at: 0 },
      { vm: 1, source: 2, target: 1, pages: 100, at: 0.2 },
    ]);
    // B: 410,400 B at 0.5 MB/s → done at 0.2 + 0.8208 = 1.0208; A then has 620,800 − 410,400 B left at 1 MB/s.
    expect(done.get(1)!.t).toBeCloseTo(0.2 + (100 * PAGE_WIRE) / 0.5e6, 6);
    expect(done.get(0)!.t).toBeCloseTo(1.0208 + (200 * PAGE_WIRE - 200_000 - 100 * PAGE_WIRE) / 1e6, 6);
  });
});
