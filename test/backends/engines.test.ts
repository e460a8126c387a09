/**
 * Both data-center models on small cases computed by hand, their invariants on a randomised scenario, and
 * determinism.
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/kernel/random.js';
import { specPowerModel } from '../../src/model/power-model.js';
import { POWER_CATALOG } from '../../src/model/power-catalog.js';
import { CloudSimDataCenter } from '../../src/backends/simulator/cloudsim-datacenter.js';
import { FluidDataCenter, type FluidConfig } from '../../src/backends/simulator/fluid-datacenter.js';
import { cloudSimMigrationModel } from '../../src/mechanisms/migration/migration-model.js';
import { createOverloadDetector } from '../../src/policies/consolidation/overload-detection.js';
import { createVmSelector } from '../../src/policies/consolidation/vm-selection.js';
import { generateSyntheticTraces } from '../../src/workload/synthetic.js';

const g5Watts = POWER_CATALOG['hp-proliant-ml110-g5'].watts;

function constantTrace(vms: number, samples: number, value: number): Float64Array {
  return new Float64Array(vms * samples).fill(value);
}

/** G5 power at `mips` of its 5320 MIPS, by exact linear interpolation of the SPECpower table. */
function power(mips: number): number {
  const x = (mips / 5320) * 10;
  const i = Math.min(9, Math.floor(x));
  return g5Watts[i] + (g5Watts[i + 1] - g5Watts[i]) * (x - i);
}

/** A 613 MiB VM over half of a 1000 Mbit/s link (CloudSim's model): 9.808 s. */
const MIGRATION_613_MIB = 613 / ((1000 * 1000 * 0.5) / 8000);

/** Default mode, two G5 hosts, two identical VMs at a constant utilisation, THR 0.8 with MMT. */
function twoG5HostsThr(vm: FluidConfig['vms'][number], utilisation: number, powerStates: FluidConfig['powerStates']): FluidConfig {
  const g5 = specPowerModel('g5', g5Watts, 'exact');
  return {
    hosts: [0, 1].map(() => ({ cores: 2, mipsPerCore: 2660, ramMiB: 4096, bandwidthMbps: 1000, power: g5 })),
    vms: [vm, { ...vm }],
    utilisation: constantTrace(2, 288, utilisation),
    samplesPerVm: 288,
    sampleIntervalSeconds: 300,
    schedulingIntervalSeconds: 300,
    durationSeconds: 86_400,
    allocation: {
      kind: 'migration',
      detector: createOverloadDetector({ name: 'thr', threshold: 0.8 }),
      selector: createVmSelector({ name: 'mmt' }, new RandomStreams(1).get('vm-selection')),
    },
    energy: 'utilisation',
    migration: cloudSimMigrationModel(0.5, 0.1),
    powerStates,
    checkInvariants: true,
  };
}

describe('cloudsim-3.0.3 model, by hand', () => {
  const g5 = specPowerModel('g5', g5Watts, 'cloudsim');
  const base = {
    hosts: [{ cores: 2, mipsPerCore: 2660, ramMiB: 4096, bandwidthKbps: 1_000_000, storageMB: 1_000_000, power: g5 }],
    samplesPerVm: 288,
    sampleIntervalSeconds: 300,
    schedulingIntervalSeconds: 300,
    durationSeconds: 86_400,
    startSeconds: 0.1,
    allocation: { kind: 'first-fit' } as const,
    energy: 'utilisation' as const,
    migrationBandwidthFraction: 0.5,
    migrationOverhead: 0.1,
  };

  it('one VM at 50 % of 1000 MIPS on a G5: energy counts from the first tick (300.1 s) to the last (86,100.1 s)', () => {
    const dc = new CloudSimDataCenter({
      ...base,
      vms: [{ mips: 1000, pes: 1, ramMiB: 613, bandwidthKbps: 100_000, sizeMB: 2500 }],
      utilisation: constantTrace(1, 288, 0.5),
    });
    const { summary } = dc.run();
    // Utilisation 500 / 5320 = 0.0939849…; P = 93.7 + (97 − 93.7) / 10 · (u − 0) · 100 = 93.7 + 3.3 · 0.939849… W.
    const u = 500 / 5320;
    const watts = 93.7 + ((97 - 93.7) / 10) * u * 100;
    // The first interval [0, 300.1] costs nothing (previous utilisation 0); the run's last update is at 86,100.1 s.
    const joules = watts * (86_100.1 - 300.1);
    expect(summary.energy_kwh).toBeCloseTo(joules / 3.6e6, 9);
    expect(summary.migrations).toBe(0);
    // The engine's accumulators start from −0 (a V8 representation trick); runScenario reports them as 0.
    expect(summary.slatah === 0).toBe(true);
    expect(summary.overall_sla_violation === 0).toBe(true);
  });

  it('a VM whose demand drops to exactly 0 is removed for good, and its host shuts down (CloudSim quirk)', () => {
    const trace = constantTrace(1, 288, 0.5);
    // Samples 10 and 11 are 0: at t = 3000.1 the interpolation between them gives exactly 0.
    trace[10] = 0;
    trace[11] = 0;
    const dc = new CloudSimDataCenter({
      ...base,
      vms: [{ mips: 1000, pes: 1, ramMiB: 613, bandwidthKbps: 100_000, sizeMB: 2500 }],
      utilisation: trace,
    });
    const { summary, dataCenter } = dc.run();
    // Updates at 300.1 + 300 k. Up to 2400.1 s demand is 500 MIPS. At 2700.1 s it is interpolated between sample 9
    // (0.5) and sample 10 (0): 0.5 − 0.5 · 0.1 / 300 = 0.4998333…, i.e. 499.8333… MIPS. At 3000.1 s (samples 10 and
    // 11, both 0) it is exactly 0: the VM is removed and the host is off from then on.
    const power = (mips: number): number => 93.7 + ((97 - 93.7) / 10) * (mips / 5320) * 100;
    const late = (0.5 - (0.5 * 0.1) / 300) * 1000;
    // Trapezoids: [300.1, 2400.1] flat at P(500); [2400.1, 2700.1] from P(500) to P(499.83); [2700.1, 3000.1] from
    // P(499.83) to P(0) = 93.7 W (the host drew power until that update).
    const joules = power(500) * 2100 + ((power(500) + power(late)) / 2) * 300 + ((power(late) + 93.7) / 2) * 300;
    expect(summary.energy_kwh).toBeCloseTo(joules / 3.6e6, 9);
    expect(summary.host_shutdowns).toBe(1);
    expect(dataCenter.activeHosts[dataCenter.activeHosts.length - 1]).toBe(0);
  });

  it('a VM that no host can take at t = 0 is never created (CloudSim: the broker gives up on it)', () => {
    // Three 2500-MIPS VMs at 100 % on one G5 (5320 MIPS). Creation reserves full MIPS: the first two fit
    // (5000 ≤ 5320), the third does not and is dropped. The host then runs at 5000 / 5320 from 300.1 s to 86,100.1 s.
    const dc = new CloudSimDataCenter({
      ...base,
      hosts: [{ ...base.hosts[0], ramMiB: 100_000 }],
      vms: Array.from({ length: 3 }, () => ({ mips: 2500, pes: 1, ramMiB: 870, bandwidthKbps: 100_000, sizeMB: 2500 })),
      utilisation: constantTrace(3, 288, 1),
    });
    const { summary } = dc.run();
    const u = 5000 / 5320; // 0.93985: between the 90 % (133 W) and 100 % (135 W) points
    const watts = 133 + ((135 - 133) / 10) * (u - 0.9) * 100;
    expect(summary.energy_kwh).toBeCloseTo((watts * 85_800) / 3.6e6, 9);
    expect(summary.overall_sla_violation === 0).toBe(true);
  });
});

describe('default model, by hand', () => {
  const g5 = specPowerModel('g5', g5Watts, 'exact');
  const host = { cores: 2, mipsPerCore: 2660, ramMiB: 4096, bandwidthMbps: 1000, power: g5 };
  const config = (overrides: Partial<FluidConfig>): FluidConfig => ({
    hosts: [host],
    vms: [{ mips: 1000, pes: 1, ramMiB: 613, bandwidthMbps: 100 }],
    utilisation: constantTrace(1, 288, 0.5),
    samplesPerVm: 288,
    sampleIntervalSeconds: 300,
    schedulingIntervalSeconds: 300,
    durationSeconds: 86_400,
    allocation: { kind: 'first-fit' },
    energy: 'utilisation',
    migration: cloudSimMigrationModel(0.5, 0.1),
    powerStates: { kind: 'instant' },
    checkInvariants: true,
    ...overrides,
  });

  it('one VM at 50 %: energy is the whole day at P(500 / 5320), from t = 0', () => {
    const { summary } = new FluidDataCenter(config({})).run();
    const watts = 93.7 + (97 - 93.7) * ((500 / 5320) * 10);
    expect(summary.energy_kwh).toBeCloseTo((watts * 86_400) / 3.6e6, 9);
  });

  it('a VM with zero demand keeps its host on (no removal)', () => {
    const { summary } = new FluidDataCenter(config({ utilisation: constantTrace(1, 288, 0) })).run();
    // Idle but on: P(0) = 93.7 W all day.
    expect(summary.energy_kwh).toBeCloseTo((93.7 * 86_400) / 3.6e6, 9);
    expect(summary.host_shutdowns).toBe(0);
  });

  it('non-power-aware: every host at full power all day, empty or not', () => {
    const { summary } = new FluidDataCenter(config({ hosts: [host, host], energy: 'max-power' })).run();
    expect(summary.energy_kwh).toBeCloseTo((2 * 135 * 86_400) / 3.6e6, 9);
  });

  it('RAM is enforced: a VM that does not fit any host is a clear error', () => {
    const vms = [
      { mips: 500, pes: 1, ramMiB: 3000, bandwidthMbps: 100 },
      { mips: 500, pes: 1, ramMiB: 3000, bandwidthMbps: 100 },
    ];
    expect(() => new FluidDataCenter(config({ vms, utilisation: constantTrace(2, 288, 0.1) })).run()).toThrow(/no host can take VM 1/);
  });
});

describe('default model: invariants and determinism on a randomised data center', () => {
  function scenario(seed: number, powerStates: FluidConfig['powerStates'] = { kind: 'instant' }): FluidConfig {
    const streams = new RandomStreams(seed);
    const vms = 200;
    const utilisation = generateSyntheticTraces(
      { vms, samples: 288, sampleIntervalSeconds: 300, meanUtilisation: 0.35, diurnalAmplitude: 0.6, burstProbability: 0.05, burstUtilisation: 0.5, burstSamples: 3, noise: 0.08 },
      streams.get('synthetic-workload'),
    );
    const types = [
      { mips: 2500, ramMiB: 870 },
      { mips: 2000, ramMiB: 1740 },
      { mips: 1000, ramMiB: 1740 },
      { mips: 500, ramMiB: 613 },
    ];
    const random = streams.get('vm-types');
    const model = specPowerModel('x3550', POWER_CATALOG['ibm-x3550-xeon-x5675'].watts, 'exact');
    return {
      hosts: Array.from({ length: 40 }, () => ({ cores: 12, mipsPerCore: 3067, ramMiB: 32_768, bandwidthMbps: 10_000, power: model })),
      vms: Array.from({ length: vms }, () => ({ ...types[random.nextInt(4)], pes: 1, bandwidthMbps: 100 })),
      utilisation,
      samplesPerVm: 288,
      sampleIntervalSeconds: 300,
      schedulingIntervalSeconds: 300,
      durationSeconds: 86_400,
      allocation: {
        kind: 'migration',
        detector: createOverloadDetector({ name: 'lr', safety: 1.2, fallbackThreshold: 0.7, historyWindow: 10 }),
        selector: createVmSelector({ name: 'mmt' }, streams.get('vm-selection')),
      },
      energy: 'utilisation',
      migration: cloudSimMigrationModel(0.5, 0.1),
      powerStates,
      checkInvariants: true,
    };
  }

  it('keeps every invariant at every tick and migration, and migrates', () => {
    const { summary } = new FluidDataCenter(scenario(7)).run();
    expect(summary.migrations).toBeGreaterThan(0);
    expect(summary.overall_sla_violation).toBeGreaterThanOrEqual(0);
    expect(summary.pdm).toBeGreaterThan(0);
  });

  it('same seed, same figures; another seed, other figures', () => {
    const a = new FluidDataCenter(scenario(7)).run().summary;
    const b = new FluidDataCenter(scenario(7)).run().summary;
    const c = new FluidDataCenter(scenario(8)).run().summary;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(c.energy_kwh).not.toBe(a.energy_kwh);
  });

  it('realistic power states cost more energy than instant switching, and keep the invariants', () => {
    const instant = new FluidDataCenter(scenario(7)).run().summary;
    const realistic = new FluidDataCenter(
      scenario(7, { kind: 'realistic', idleSeconds: 600, bootSeconds: 120, bootWatts: 200, shutdownSeconds: 30, shutdownWatts: 150 }),
    ).run().summary;
    expect(realistic.energy_kwh).toBeGreaterThan(instant.energy_kwh);
  });
});

describe('default model: one underload evacuation, by hand', () => {
  // Two G5 hosts (5320 MIPS). Two VMs of 2 × 1500 nominal MIPS and 613 MiB: admission reserves nominal MIPS, so they
  // land on different hosts (6000 > 5320). Their demand is 10 % (300 MIPS) all day. At the first consolidation
  // (t = 300 s) THR 0.8 finds no overload; the underload step tries host 0 first (equal loads, lower id) and moves
  // its VM to host 1 (600 / 5320 is far below 0.8). The migration takes 613 MiB / (1000 Mbit/s · ½ / 8) =
  // 9.808 s, during which host 0 still serves the VM's whole 300 MIPS (90 % for the VM, 10 % migration work) and
  // host 1 serves its own 300 plus 10 % of 300 for receiving.
  const migration = MIGRATION_613_MIB;
  const config = (powerStates: FluidConfig['powerStates']): FluidConfig =>
    twoG5HostsThr({ mips: 1500, pes: 2, ramMiB: 613, bandwidthMbps: 100 }, 0.1, powerStates);
  const end = 300 + migration;
  const host1 = power(300) * 300 + power(330) * migration + power(600) * (86_400 - end);

  it('instant power states: host 0 is off as soon as its VM has left', () => {
    const { summary } = new FluidDataCenter(config({ kind: 'instant' })).run();
    expect(summary.migrations).toBe(1);
    expect(summary.mean_migration_time_s).toBeCloseTo(migration, 9);
    expect(summary.host_shutdowns).toBe(1);
    expect(summary.energy_kwh).toBeCloseTo((power(300) * end + host1) / 3.6e6, 9);
  });

  it('realistic power states: host 0 idles 600 s at P(0), then shuts down over 30 s at 150 W', () => {
    const states = { kind: 'realistic' as const, idleSeconds: 600, bootSeconds: 120, bootWatts: 200, shutdownSeconds: 30, shutdownWatts: 150 };
    const { summary } = new FluidDataCenter(config(states)).run();
    expect(summary.migrations).toBe(1);
    const host0 = power(300) * end + 93.7 * 600 + 150 * 30;
    expect(summary.energy_kwh).toBeCloseTo((host0 + host1) / 3.6e6, 9);
  });
});

describe('default model: an overload relieved onto a host that must boot, by hand', () => {
  // Two VMs of 2600 MIPS (one vCPU, 613 MiB) at 100 % share host 0 (5200 of 5320 MIPS: admission fits them both).
  // At t = 300 s THR 0.8 finds host 0 overloaded (0.977); MMT picks VM 0 (equal RAM, first); the only other host is
  // off, so it is woken: booting takes 120 s at 200 W, then the 9.808 s migration runs (host 1 serving 10 % of
  // 2600 MIPS to receive it). Afterwards each host runs one VM at 2600 / 5320, and evacuating either would overload
  // the other (5200 / 5320 > 0.8), so nothing else moves.
  it('charges the boot, delays the migration until the host is up, and moves nothing else', () => {
    const { summary } = new FluidDataCenter(
      twoG5HostsThr({ mips: 2600, pes: 1, ramMiB: 613, bandwidthMbps: 100 }, 1, {
        kind: 'realistic',
        idleSeconds: 600,
        bootSeconds: 120,
        bootWatts: 200,
        shutdownSeconds: 30,
        shutdownWatts: 150,
      }),
    ).run();
    const migration = MIGRATION_613_MIB;
    const done = 420 + migration;
    const host0 = power(5200) * done + power(2600) * (86_400 - done);
    const host1 = 200 * 120 + power(260) * migration + power(2600) * (86_400 - done);
    expect(summary.migrations).toBe(1);
    expect(summary.mean_migration_time_s).toBeCloseTo(migration, 9);
    expect(summary.energy_kwh).toBeCloseTo((host0 + host1) / 3.6e6, 9);
    expect(summary.slatah === 0).toBe(true);
  });
});
