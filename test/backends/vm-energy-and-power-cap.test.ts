/**
 * The default mode's fluid per-VM energy accounting (hand-computed shares, the sum rule) and the facility power
 * cap (the cap holds at every tick; energy-intensity throttles the VMs whose MIPS cost the most watts).
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/kernel/random.js';
import { linearPowerModel, specPowerModel } from '../../src/model/power-model.js';
import { POWER_CATALOG } from '../../src/model/power-catalog.js';
import { FluidDataCenter, type FluidConfig } from '../../src/backends/simulator/fluid-datacenter.js';
import { cloudSimMigrationModel } from '../../src/mechanisms/migration/migration-model.js';
import { createOverloadDetector } from '../../src/policies/consolidation/overload-detection.js';
import { createVmSelector } from '../../src/policies/consolidation/vm-selection.js';
import { generateSyntheticTraces } from '../../src/workload/synthetic.js';

function config(overrides: Partial<FluidConfig>): FluidConfig {
  return {
    hosts: [],
    vms: [],
    utilisation: new Float64Array(0),
    samplesPerVm: 288,
    sampleIntervalSeconds: 300,
    schedulingIntervalSeconds: 300,
    durationSeconds: 3600,
    allocation: { kind: 'first-fit' },
    energy: 'utilisation',
    migration: cloudSimMigrationModel(0.5, 0.1),
    powerStates: { kind: 'instant' },
    checkInvariants: true,
    ...overrides,
  };
}

describe('fluid per-VM energy accounting', () => {
  it('shares idle power equally and dynamic power by CPU used, by hand', () => {
    // One linear host, 100 W idle, 200 W at 2000 MIPS; VMs using 500 and 1000 MIPS for one hour.
    const host = { cores: 2, mipsPerCore: 1000, ramMiB: 4096, bandwidthMbps: 1000, power: linearPowerModel('linear', 100, 200) };
    const vms = [
      { mips: 1000, pes: 1, ramMiB: 512, bandwidthMbps: 100 },
      { mips: 1000, pes: 1, ramMiB: 512, bandwidthMbps: 100 },
    ];
    const utilisation = new Float64Array(2 * 288);
    utilisation.fill(0.5, 0, 288);
    utilisation.fill(1, 288, 576);
    const result = new FluidDataCenter(config({ hosts: [host], vms, utilisation })).run();
    // Host at 1500/2000 MIPS: 175 W. Idle 100 W → 50 W each; dynamic 75 W → 25 W and 50 W.
    expect(result.vmEnergyJoules[0]).toBeCloseTo((50 + 25) * 3600, 6);
    expect(result.vmEnergyJoules[1]).toBeCloseTo((50 + 50) * 3600, 6);
    expect(result.summary.vm_energy_sum_error).toBeLessThan(1e-12);
    expect(result.summary.vm_energy_attributed_kwh).toBeCloseTo((175 * 3600) / 3.6e6, 9);
  });

  it('keeps the sum rule on a consolidating, migrating data center with realistic power states', () => {
    const g4 = specPowerModel('g4', POWER_CATALOG['hp-proliant-ml110-g4'].watts, 'exact');
    const g5 = specPowerModel('g5', POWER_CATALOG['hp-proliant-ml110-g5'].watts, 'exact');
    const hosts = Array.from({ length: 20 }, (_, h) => ({ cores: 2, mipsPerCore: h % 2 ? 2660 : 1860, ramMiB: 4096, bandwidthMbps: 1000, power: h % 2 ? g5 : g4 }));
    const vms = Array.from({ length: 40 }, (_, v) => ({ mips: [2500, 2000, 1000, 500][v % 4], pes: 1, ramMiB: 613, bandwidthMbps: 100 }));
    const traces = generateSyntheticTraces(
      { vms: 40, samples: 288, sampleIntervalSeconds: 300, meanUtilisation: 0.35, diurnalAmplitude: 0.6, burstProbability: 0.05, burstUtilisation: 0.5, burstSamples: 3, noise: 0.08 },
      new RandomStreams(3).get('synthetic-workload'),
    );
    const result = new FluidDataCenter(
      config({
        hosts,
        vms,
        utilisation: traces,
        durationSeconds: 86_400,
        allocation: { kind: 'migration', detector: createOverloadDetector({ name: 'thr', threshold: 0.8 }), selector: createVmSelector({ name: 'mmt' }, new RandomStreams(1).get('vm-selection')) },
        powerStates: { kind: 'realistic', idleSeconds: 600, bootSeconds: 60, bootWatts: 150, shutdownSeconds: 30, shutdownWatts: 100 },
      }),
    ).run();
    expect(result.summary.migrations).toBeGreaterThan(0);
    expect(result.summary.vm_energy_unattributed_kwh).toBeGreaterThan(0); // idle-on, booting and shutting-down hosts
    expect(result.summary.vm_energy_sum_error).toBeLessThan(1e-12);
    const charged = result.vmEnergyJoules.reduce((a, b) => a + b, 0) / 3.6e6;
    expect(charged + result.summary.vm_energy_unattributed_kwh!).toBeCloseTo(result.summary.energy_kwh, 9);
  });
});

describe('facility power cap', () => {
  // Two host kinds with the same capacity: an efficient one (idle 50 W, +50 W at full load) and a wasteful one
  // (idle 50 W, +150 W). Each runs two VMs at full demand.
  const efficient = linearPowerModel('efficient', 50, 100);
  const wasteful = linearPowerModel('wasteful', 50, 200);
  const hosts = [efficient, wasteful].map((power) => ({ cores: 2, mipsPerCore: 1000, ramMiB: 4096, bandwidthMbps: 1000, power }));
  const vms = Array.from({ length: 4 }, () => ({ mips: 1000, pes: 1, ramMiB: 512, bandwidthMbps: 100 }));
  const run = (choose: 'energy-intensity' | 'uniform', facilityWatts: number) =>
    new FluidDataCenter(config({ hosts, vms, utilisation: new Float64Array(4 * 288).fill(1), powerCap: { facilityWatts, rack: null, choose, floorFraction: 0.5 } })).run();

  it('holds the cap and throttles the wasteful host first', () => {
    // Uncapped: 100 + 200 = 300 W. Cap 250 W: 50 W to shed. On the wasteful host a MIPS costs 0.075 W, on the
    // efficient one 0.025 W: energy-intensity sheds it on the wasteful host alone (667 MIPS of its 2000).
    const byIntensity = run('energy-intensity', 250);
    const uniform = run('uniform', 250);
    for (const r of [byIntensity, uniform]) {
      expect(r.summary.power_cap_exceeded_intervals).toBe(0);
      expect(r.summary.energy_kwh).toBeCloseTo((250 * 3600) / 3.6e6, 6);
    }
    expect(byIntensity.summary.power_cap_throttled_vms_mean).toBe(2);
    expect(uniform.summary.power_cap_throttled_vms_mean).toBe(4);
    // Same watts shed for less lost CPU: 667 MIPS against 50 / (0.025 + 0.075) / … = 1000 MIPS uniformly.
    expect(byIntensity.summary.power_cap_shortfall).toBeCloseTo(666.6667 / 4000, 4);
    expect(uniform.summary.power_cap_shortfall).toBeCloseTo(1000 / 4000, 4);
    expect(byIntensity.summary.overall_sla_violation).toBeCloseTo(byIntensity.summary.power_cap_shortfall!, 9);
  });

  it('goes below the floor only when the floor is not enough', () => {
    // Cap 170 W: 130 W to shed; the wasteful host at its floor (50 %) sheds 75 W, the efficient one 25 W, then
    // the rest comes from going below the floor.
    const r = run('energy-intensity', 170);
    expect(r.summary.power_cap_exceeded_intervals).toBe(0);
    expect(r.summary.energy_kwh).toBeCloseTo((170 * 3600) / 3.6e6, 6);
  });

  it('does nothing when the data center is under the cap', () => {
    const r = run('energy-intensity', 1000);
    expect(r.summary.power_cap_shortfall).toBe(0);
    expect(r.summary.power_cap_throttled_vms_mean).toBe(0);
    expect(r.summary.energy_kwh).toBeCloseTo((300 * 3600) / 3.6e6, 6);
  });
});

describe('rack power caps', () => {
  // Two racks of two linear hosts (50 W idle, 150 W at 2000 MIPS); four VMs at full demand start on rack 0
  // (first fit: two per host), 300 W against a 200 W rack cap. Rack 1 is off.
  const host = { cores: 2, mipsPerCore: 1000, ramMiB: 4096, bandwidthMbps: 1000, power: linearPowerModel('linear', 50, 150) };
  const vms = Array.from({ length: 4 }, () => ({ mips: 1000, pes: 1, ramMiB: 512, bandwidthMbps: 100 }));
  const run = (migrate: boolean) =>
    new FluidDataCenter(
      config({
        hosts: [host, host, host, host],
        vms,
        utilisation: new Float64Array(4 * 288).fill(1),
        durationSeconds: 3600,
        powerCap: { facilityWatts: null, rack: { watts: 200, hostsPerRack: 2, migrate, maxMigrationsPerTick: 10 }, choose: 'energy-intensity', floorFraction: 0.5 },
      }),
    ).run();

  it('throttling alone keeps rack 0 at its cap for the whole run', () => {
    const r = run(false);
    expect(r.summary.power_cap_migrations).toBe(0);
    expect(r.summary.power_cap_rack_exceeded_intervals).toBe(0);
    // 100 W shed at 0.05 W/MIPS: 2000 of the 4000 MIPS, all the time.
    expect(r.summary.power_cap_shortfall).toBeCloseTo(0.5, 6);
    expect(r.summary.energy_kwh).toBeCloseTo((200 * 3600) / 3.6e6, 6);
  });

  it('migration moves the highest-power VMs to the rack with headroom, and throttling stops', () => {
    const r = run(true);
    // At the first tick no VM has a measured power yet; at 300 s each draws 75 W (25 W idle share + 50 W), so two
    // move to rack 1 (75 + 75 ≥ 100 W of excess); from the tick after they land, nothing is throttled.
    expect(r.summary.power_cap_migrations).toBe(2);
    expect(r.summary.migrations).toBe(2);
    expect(r.summary.power_cap_rack_exceeded_intervals).toBe(0);
    const throttleOnly = run(false);
    expect(r.summary.power_cap_shortfall!).toBeLessThan(throttleOnly.summary.power_cap_shortfall! / 5);
    expect(r.summary.vm_energy_sum_error).toBeLessThan(1e-12);
  });
});
