/**
 * The host scenario runner's building blocks (src/backends/simulator/host-run.ts): scenario fields become host
 * parameters in SI units over the defaults; VMs get round-robin cores unless placed, threads their vCPUs, and the
 * driver VM comes last; maxWindowMean by hand; and calibrateHost fits the default (temperature-dependent) truth
 * well enough to estimate a held-out profile. (The end-to-end power-cap run is in
 * test/policies/energy/power-cap-integration.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { calibrateHost, calibrationWorkloads, hostParameters, maxWindowMean, vmSpecs } from '../../src/backends/simulator/host-run.js';
import { EnergyAccountant } from '../../src/mechanisms/host/energy-accountant.js';
import { HostMachine } from '../../src/mechanisms/host/host-machine.js';
import { DEFAULT_CORE_POWER } from '../../src/model/host/core-power.js';
import { DEFAULT_DISK } from '../../src/model/host/disk-model.js';
import { DEFAULT_THERMAL } from '../../src/model/host/thermal-model.js';
import { HostScenarioSchema } from '../../src/scenario/host-schema.js';
import { isUserError } from '../../src/util/user-error.js';
import { DRIVER_EVENT_RATES } from '../../src/workload/guest-workload.js';
import { profileVm } from '../mechanisms/host/fixtures.js';

const ONE_VM = [{ name: 'a', threads: [{ name: 'w', profile: 'compute' }] }];

describe('hostParameters', () => {
  it('converts units and merges overrides over the defaults', () => {
    const scenario = HostScenarioSchema.parse({
      kind: 'host',
      name: 'p',
      durationSeconds: 1,
      host: {
        cores: 3,
        sliceMs: 2,
        allocationPeriodMs: 20,
        scheduler: 'fair-share',
        corePower: { haltPowerWatts: 2, eventEnergyJoules: { l2Misses: 20e-9 } },
        thermal: { ambientCelsius: 30 },
        disk: { transferMBps: 100, positioningMs: 4, standbyAfterIdleSeconds: 30 },
      },
      vms: ONE_VM,
    });
    const p = hostParameters(scenario);
    expect(p.coreCount).toBe(3);
    expect(p.sliceSeconds).toBe(0.002);
    expect(p.allocationPeriodSeconds).toBe(0.02);
    expect(p.scheduler).toBe('fair-share');
    expect(p.corePower).toEqual({ ...DEFAULT_CORE_POWER, haltPowerWatts: 2, eventEnergyJoules: { ...DEFAULT_CORE_POWER.eventEnergyJoules, l2Misses: 20e-9 } });
    expect(p.thermal).toEqual({ ...DEFAULT_THERMAL, ambientCelsius: 30 });
    expect(p.disk).toEqual({ ...DEFAULT_DISK, transferBytesPerSecond: 1e8, positioningSeconds: 0.004, standbyAfterIdleSeconds: 30 });
    expect(p.pStates).toHaveLength(6);
  });

  it('a bad P-state table is a UserError listing its problems', () => {
    const scenario = HostScenarioSchema.parse({
      kind: 'host',
      name: 'bad',
      durationSeconds: 1,
      host: { cores: 1, pStates: [{ frequencyHz: 1e9, voltageVolts: 1 }, { frequencyHz: 2e9, voltageVolts: 1.2 }] },
      vms: ONE_VM,
    });
    let error: unknown;
    try {
      hostParameters(scenario);
    } catch (e) {
      error = e;
    }
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toContain('P-state 1: frequencies must decrease');
    expect((error as Error).message).toContain("P-state 1: voltage must not exceed the faster P-state's");
  });
});

describe('vmSpecs', () => {
  it('places unplaced vCPUs round robin across VMs, keeps explicit cores, maps threads to vCPUs, puts the driver last', () => {
    const scenario = HostScenarioSchema.parse({
      kind: 'host',
      name: 'v',
      durationSeconds: 1,
      host: { cores: 4 },
      driver: { core: 1, cyclesPerRequest: 1000, cyclesPerByte: 2 },
      vms: [
        { name: 'a', vcpus: 2, tickets: 300, threads: [{ name: 'x', profile: 'compute', vcpu: 1 }, { name: 'y', profile: 'memory', vcpu: 0, tickets: 50 }] },
        { name: 'b', threads: [{ name: 'z', phases: [{ kind: 'compute', seconds: 0.1, rates: { instructions: 1 } }] }] },
        { name: 'c', vcpus: 2, cores: [3, 0], threads: [{ name: 'u', profile: 'idle', vcpu: 0 }, { name: 'v', profile: 'idle', vcpu: 1 }] },
        { name: 'd', threads: [{ name: 'w', profile: 'disk' }] },
      ],
    });
    const vms = vmSpecs(scenario);
    expect(vms.map((v) => v.name)).toEqual(['a', 'b', 'c', 'd', 'driver']);
    expect(vms.map((v) => v.vcpus.map((c) => c.core))).toEqual([[0, 1], [2], [3, 0], [3], [1]]);
    expect(vms[0].tickets).toBe(300);
    expect(vms[0].vcpus[0].threads.map((t) => [t.name, t.tickets, t.program.name])).toEqual([['y', 50, 'memory']]);
    expect(vms[0].vcpus[1].threads.map((t) => t.name)).toEqual(['x']);
    expect(vms[1].vcpus[0].threads[0].program).toEqual({ name: 'z', phases: [{ kind: 'compute', seconds: 0.1, rates: { instructions: 1, l2Misses: 0, memoryAccesses: 0, branchMispredictions: 0, floatingPoint: 0 }, memoryStallFraction: 0 }] });
    expect(vms[4]).toEqual({ name: 'driver', kind: 'driver', vcpus: [{ core: 1, threads: [] }], driverCost: { cyclesPerRequest: 1000, cyclesPerByte: 2, rates: DRIVER_EVENT_RATES } });
  });
});

describe('maxWindowMean', () => {
  it('the highest mean of `width` consecutive samples after skipping `skip`', () => {
    const values = [100, 100, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(maxWindowMean(values, 3, 2)).toBe(9); // (8 + 9 + 10) / 3; the leading 100s are skipped
    expect(maxWindowMean(values, 3, 0)).toBe(203 / 3);
    expect(maxWindowMean([5, 1, 1, 1], 2, 1)).toBe(1);
    expect(maxWindowMean([1, 2], 3, 0)).toBeNaN(); // no complete window
  });
});

describe('calibrateHost', () => {
  it('fits the default truth (temperature-dependent leakage, 4 counted events) with R² > 0.99 and non-negative weights; a held-out profile is estimated within 10 %', () => {
    const scenario = HostScenarioSchema.parse({ kind: 'host', name: 'c', durationSeconds: 1, host: { cores: 1 }, vms: ONE_VM });
    const { weights, fits } = calibrateHost(scenario);
    expect(fits).toHaveLength(6);
    for (const fit of fits) {
      expect(fit.rSquared).toBeGreaterThan(0.99);
      expect(fit.samples).toBe(calibrationWorkloads().length * 40); // 40 windows of 100 ms after the warm-up, 1 core
    }
    for (const w of weights.table) expect(w).toBeGreaterThanOrEqual(0);
    expect(weights.counters).toEqual([0, 1, 2, 5]);
    const m = new HostMachine({ ...hostParameters(scenario), coreCount: 2, weights, vms: [profileVm('s', 'streaming', [0]), profileVm('f', 'floating-point', [1])] });
    const accountant = new EnergyAccountant(m);
    m.every(0.01, () => accountant.flush());
    m.runUntil(1);
    accountant.flush();
    for (const vm of [0, 1]) expect(Math.abs(accountant.vmCpu(vm) / accountant.vmCpu(vm, 'truth') - 1)).toBeLessThan(0.1);
  });
});
