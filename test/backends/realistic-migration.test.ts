/**
 * The default data-center model with realistic migrations (src/backends/simulator/migration-engine.ts and the
 * MigrationService inside FluidDataCenter): the hand-computed underload evacuation of engines.test.ts, with the
 * migration's duration now coming from the engine; a sweep of every model on a randomised data center keeps the
 * model's invariants and reports the migration figures.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream, RandomStreams } from '../../src/kernel/random.js';
import { specPowerModel } from '../../src/model/power-model.js';
import { POWER_CATALOG } from '../../src/model/power-catalog.js';
import { FluidDataCenter, type FluidConfig } from '../../src/backends/simulator/fluid-datacenter.js';
import { migrationEngineConfig } from '../../src/backends/simulator/migration-engine.js';
import { cloudSimMigrationModel } from '../../src/mechanisms/migration/migration-model.js';
import { LiveMigration, QEMU_DEFAULTS } from '../../src/mechanisms/migration/live-migration.js';
import { runAlone } from '../../src/mechanisms/migration/single-migration.js';
import { createOverloadDetector } from '../../src/policies/consolidation/overload-detection.js';
import { createVmSelector } from '../../src/policies/consolidation/vm-selection.js';
import { MigrationSchema } from '../../src/scenario/schema.js';
import { generateSyntheticTraces } from '../../src/workload/synthetic.js';

const g5Watts = POWER_CATALOG['hp-proliant-ml110-g5'].watts;
function power(mips: number): number {
  const x = (mips / 5320) * 10;
  const i = Math.min(9, Math.floor(x));
  return g5Watts[i] + (g5Watts[i + 1] - g5Watts[i]) * (x - i);
}
const MiB = 1024 * 1024;

/** Two G5 hosts, two 2 × 1500 MIPS VMs of 613 MiB at 10 % (engines.test.ts's evacuation), with `migration`. */
function twoHostEvacuation(migration: ReturnType<typeof MigrationSchema.parse>): FluidConfig {
  if (migration.model === 'cloudsim') throw new Error('a realistic model is needed');
  const vms = [0, 1].map(() => ({ mips: 1500, pes: 2, ramMiB: 613, bandwidthMbps: 100 }));
  const g5 = specPowerModel('g5', g5Watts, 'exact');
  return {
    hosts: [0, 1].map(() => ({ cores: 2, mipsPerCore: 2660, ramMiB: 4096, bandwidthMbps: 1000, power: g5 })),
    vms,
    utilisation: new Float64Array(2 * 288).fill(0.1),
    samplesPerVm: 288,
    sampleIntervalSeconds: 300,
    schedulingIntervalSeconds: 300,
    durationSeconds: 86_400,
    allocation: { kind: 'migration', detector: createOverloadDetector({ name: 'thr', threshold: 0.8 }), selector: createVmSelector({ name: 'mmt' }, new RandomStreams(1).get('vm-selection')) },
    energy: 'utilisation',
    migration: cloudSimMigrationModel(0.5, 0.1),
    migrationEngine: migrationEngineConfig(migration, vms, 1),
    powerStates: { kind: 'instant' },
    checkInvariants: true,
  };
}

/** The migrating VM's memory as migrationEngineConfig builds it from the defaults, writing nothing. */
const IDLE_613_MIB = {
  ramBytes: 613 * MiB,
  pageBytes: 4096,
  usedBytes: 0.9 * 613 * MiB,
  writableBytes: 0.25 * 613 * MiB,
  writeRatePagesPerSecond: 0,
  writePattern: { kind: 'uniform' as const },
  changedBytesPerWrite: 64,
  touchRatePagesPerSecond: 10000,
  touchSequentialProbability: 0.5,
  touchHotFraction: 0.9,
  touchHotBytes: 0,
  vcpus: 2,
};

describe('an underload evacuation with a pre-copy engine, by hand', () => {
  // As in engines.test.ts: two G5 hosts, two 2 × 1500 MIPS VMs of 613 MiB at 10 % (300 MIPS) on different hosts; at
  // t = 300 s host 0's VM moves to host 1. Its guest writes nothing, so pre-copy sends its data (90 % of the RAM) and
  // zero pages once at the 1 Gbit/s NIC rate (under QEMU's 128 MiB/s), over two 0.1 ms NIC links. No CPU overhead:
  // host 0 serves the VM until the switch-over, host 1 from then on.
  for (const engine of ['page', 'aggregate'] as const) {
    it(`${engine} engine: energy and migration time follow the engine's duration`, () => {
      const config = twoHostEvacuation(MigrationSchema.parse({ model: 'precopy', engine, guest: { dirtyPagesPerSecondPerVcpu: 0 } }));
      const { summary } = new FluidDataCenter(config).run();
      // The same migration alone on the same path, with the page-level engine.
      const memory = IDLE_613_MIB;
      const alone = runAlone(
        new LiveMigration(memory, { ...QEMU_DEFAULTS, onTimeLimit: 'stop-and-copy' }, 0.0002, new RandomStream(1, 'x')),
        { bandwidthBytesPerSecond: 125e6, latencySeconds: 0.0002 },
      );
      const t = alone.totalSeconds;
      expect(summary.migrations).toBe(1);
      expect(summary.migrations_completed).toBe(1);
      // The aggregate engine agrees with the page level to well within a percent on an idle guest.
      expect(summary.mean_migration_time_s).toBeCloseTo(t, engine === 'page' ? 9 : 2);
      const end = 300 + summary.mean_migration_time_s;
      const expected = power(300) * end + power(300) * end + power(600) * (86_400 - end);
      expect(summary.energy_kwh).toBeCloseTo(expected / 3.6e6, 9);
      // Its only lost work is the downtime (2 vCPUs), at 150 MIPS per vCPU.
      expect(summary.mean_downtime_s).toBeCloseTo(alone.downtimeSeconds, engine === 'page' ? 9 : 3);
      expect(summary.migration_lost_vcpu_seconds).toBeCloseTo(2 * summary.mean_downtime_s!, 9);
      expect(summary.pdm).toBeCloseTo((2 * summary.mean_downtime_s! * 150) / (600 * 86_400), 12);
      expect(summary.migration_traffic_gib).toBeGreaterThan((0.9 * 613) / 1024);
    });
  }
});

describe('VM traffic shares the NICs with migrations, by hand', () => {
  it('each VM sends and receives its 100 Mbit/s: the migration gets the other 900 of both NICs', () => {
    // The evacuation above with vmTraffic on: VM 0 sends 12.5 MB/s out of host 0 and VM 1 receives 12.5 MB/s on
    // host 1 (flows capped at their bandwidth), so max-min sharing leaves the migration 125 − 12.5 = 112.5 MB/s.
    const { summary } = new FluidDataCenter(twoHostEvacuation(MigrationSchema.parse({ model: 'precopy', engine: 'page', vmTraffic: true, guest: { dirtyPagesPerSecondPerVcpu: 0 } }))).run();
    const memory = IDLE_613_MIB;
    const alone = runAlone(new LiveMigration(memory, { ...QEMU_DEFAULTS, onTimeLimit: 'stop-and-copy' }, 0.0002, new RandomStream(1, 'x')), {
      bandwidthBytesPerSecond: 125e6 - 12.5e6,
      latencySeconds: 0.0002,
    });
    expect(summary.migrations).toBe(1);
    expect(summary.mean_migration_time_s).toBeCloseTo(alone.totalSeconds, 9);
  });
});

describe('host failures, by hand', () => {
  // The evacuation above (VM 0 moves from host 0 to host 1 at t = 300 s for about 4.6 s), with a crash in the middle.
  function run(model: 'precopy' | 'postcopy', failure: { atSeconds: number; host: number }) {
    return new FluidDataCenter(twoHostEvacuation(MigrationSchema.parse({ model, engine: 'page', hostFailures: [failure], guest: { dirtyPagesPerSecondPerVcpu: 0 } }))).run().summary;
  }

  it('the target crashes during pre-copy: the migration aborts, VM 0 stays on host 0, VM 1 dies with host 1', () => {
    const summary = run('precopy', { atSeconds: 302, host: 1 });
    expect(summary.host_failures).toBe(1);
    expect(summary.migrations_aborted).toBe(1);
    expect(summary.vms_lost).toBe(1);
    expect(summary.migrations).toBe(1); // nowhere left to go
    expect(summary.migrations_completed).toBe(0);
    // Host 0 runs VM 0 all day; host 1 ran VM 1 until it crashed (the reservation for VM 0 costs no CPU).
    expect(summary.energy_kwh).toBeCloseTo((power(300) * 86_400 + power(300) * 302) / 3.6e6, 9);
  });

  it('the source crashes during pre-copy: VM 0 dies with it, VM 1 runs on', () => {
    const summary = run('precopy', { atSeconds: 302, host: 0 });
    expect(summary.vms_lost).toBe(1);
    expect(summary.migrations_aborted).toBe(0);
    expect(summary.energy_kwh).toBeCloseTo((power(300) * 302 + power(300) * 86_400) / 3.6e6, 9);
  });

  it('the source crashes during the post-copy tail: VM 0, already on host 1, is lost for want of its pages', () => {
    const summary = run('postcopy', { atSeconds: 301, host: 0 });
    expect(summary.vms_lost).toBe(1);
    expect(summary.migrations_completed).toBe(0);
  });

  it("a crash with nothing migrating loses the host's VMs only", () => {
    const summary = run('precopy', { atSeconds: 3600, host: 1 });
    expect(summary.migrations_completed).toBe(1); // the evacuation of host 0 onto host 1 finished long before
    expect(summary.vms_lost).toBe(2); // both VMs were on host 1
  });
});

describe('link failures, by hand', () => {
  const run = (model: 'precopy' | 'postcopy', failure: { atSeconds: number; host: number; restoredAfterSeconds?: number }, postcopyRecovery = false) =>
    new FluidDataCenter(
      twoHostEvacuation(MigrationSchema.parse({ model, engine: 'page', postcopyRecovery, linkFailures: [failure], guest: { dirtyPagesPerSecondPerVcpu: 0 } })),
    ).run().summary;

  it("the target's NIC fails during pre-copy: aborted; the evacuation is tried again once the link is back", () => {
    const summary = run('precopy', { atSeconds: 302, host: 1, restoredAfterSeconds: 698 });
    expect(summary.link_failures).toBe(1);
    expect(summary.migrations_aborted).toBe(1);
    expect(summary.vms_lost).toBe(0);
    // Ticks at 600 and 900 see host 1 without network; at 1200 it is back and VM 0 moves.
    expect(summary.migrations).toBe(2);
    expect(summary.migrations_completed).toBe(1);
  });

  it('post-copy loses the VM when the link fails after the switch, unless recovery pauses it until the link is back', () => {
    const lost = run('postcopy', { atSeconds: 301, host: 0, restoredAfterSeconds: 5 });
    expect(lost.vms_lost).toBe(1);
    const paused = run('postcopy', { atSeconds: 301, host: 0, restoredAfterSeconds: 5 }, true);
    expect(paused.vms_lost).toBe(0);
    expect(paused.migrations_completed).toBe(1);
    // Both vCPUs wait the 5 s for the link.
    expect(paused.migration_lost_vcpu_seconds).toBeGreaterThanOrEqual(10);
    expect(paused.mean_migration_time_s).toBeGreaterThan(5);
  });
});

describe('every realistic model on a randomised data center', () => {
  function config(model: string, selection: 'mmt' | 'mpc'): FluidConfig {
    const random = new RandomStream(3, 'dc');
    const hosts = 40;
    const vmCount = 120;
    const g5 = specPowerModel('g5', g5Watts, 'exact');
    const vms = Array.from({ length: vmCount }, () => ({ mips: [500, 1000, 2000, 2500][random.nextInt(4)], pes: 1, ramMiB: [613, 870, 1740][random.nextInt(3)], bandwidthMbps: 100 }));
    const traces = generateSyntheticTraces(
      { vms: vmCount, samples: 48, sampleIntervalSeconds: 300, meanUtilisation: 0.35, diurnalAmplitude: 0.6, burstProbability: 0.05, burstUtilisation: 0.5, burstSamples: 3, noise: 0.08 },
      new RandomStreams(3).get('synthetic-workload'),
    );
    const migration = MigrationSchema.parse({ model, guest: { dirtyPagesPerSecondPerVcpu: 20000 } });
    if (migration.model === 'cloudsim') throw new Error('unreachable');
    return {
      hosts: Array.from({ length: hosts }, () => ({ cores: 2, mipsPerCore: 2660, ramMiB: 8192, bandwidthMbps: 1000, power: g5 })),
      vms,
      utilisation: traces,
      samplesPerVm: 48,
      sampleIntervalSeconds: 300,
      schedulingIntervalSeconds: 300,
      durationSeconds: 48 * 300,
      allocation: { kind: 'migration', detector: createOverloadDetector({ name: 'thr', threshold: 0.8 }), selector: createVmSelector({ name: selection }, new RandomStreams(1).get('vm-selection')) },
      energy: 'utilisation',
      migration: cloudSimMigrationModel(0.5, 0.1),
      migrationEngine: migrationEngineConfig(migration, vms, 1),
      powerStates: { kind: 'instant' },
      checkInvariants: true,
    };
  }

  for (const model of ['precopy', 'postcopy', 'hybrid', 'stop-and-copy', 'adaptive']) {
    it(`${model}: keeps every invariant, migrates, and reports its figures deterministically`, () => {
      const a = new FluidDataCenter(config(model, 'mpc')).run().summary;
      const b = new FluidDataCenter(config(model, 'mpc')).run().summary;
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(a.migrations).toBeGreaterThan(0);
      expect(a.migrations_completed).toBeGreaterThan(0);
      expect(a.migrations_completed).toBeLessThanOrEqual(a.migrations);
      expect(a.migration_model).toBe(model);
      expect(a.mean_downtime_s).toBeGreaterThan(0);
      if (model === 'postcopy') {
        expect(a.mean_downtime_s).toBeLessThan(0.05);
        expect(a.remote_faults).toBeGreaterThan(0);
        expect(a.migrations_postcopy).toBe(a.migrations_completed);
      }
      if (model === 'precopy' || model === 'stop-and-copy') expect(a.remote_faults).toBe(0);
    });
  }

  it('host failures: every VM is in one place or reported lost, migrations fail as the engines say, deterministically', () => {
    for (const model of ['precopy', 'postcopy', 'hybrid']) {
      const base = config(model, 'mmt');
      const migration = MigrationSchema.parse({
        model,
        postcopyRecovery: true,
        guest: { dirtyPagesPerSecondPerVcpu: 20000 },
        hostFailures: [
          { atSeconds: 1500, host: 3 },
          { atSeconds: 4000, host: 17 },
          { atSeconds: 9000, host: 30 },
        ],
        linkFailures: [
          { atSeconds: 2000, host: 5, restoredAfterSeconds: 900 },
          { atSeconds: 2100, host: 6 },
          { atSeconds: 6000, host: 5, restoredAfterSeconds: 60 },
        ],
      });
      if (migration.model === 'cloudsim') throw new Error('unreachable');
      const withFailures: FluidConfig = { ...base, migrationEngine: migrationEngineConfig(migration, base.vms, 1) };
      const a = new FluidDataCenter(withFailures).run().summary; // checkInvariants: after every event
      const b = new FluidDataCenter({ ...withFailures, migrationEngine: migrationEngineConfig(migration, base.vms, 1) }).run().summary;
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(a.host_failures).toBe(3);
      expect(a.vms_lost).toBeGreaterThan(0);
    }
  });

  it('mpc picks differently from mmt when VMs write hard', () => {
    const mmt = new FluidDataCenter(config('precopy', 'mmt')).run().summary;
    const mpc = new FluidDataCenter(config('precopy', 'mpc')).run().summary;
    expect(JSON.stringify(mmt)).not.toBe(JSON.stringify(mpc));
  });
});
