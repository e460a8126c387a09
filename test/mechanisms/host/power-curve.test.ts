/**
 * The detailed host as a data-center power curve: the 11 points are the detailed host's own mean power at each
 * load, and a data-center scenario can use them (`power: { model: detailed-host }`).
 */
import { describe, expect, it } from 'vitest';
import { defaultDetailedHost, detailedHostPowerCurve } from '../../../src/mechanisms/host/power-curve.js';
import { DEFAULT_CORE_POWER } from '../../../src/model/host/core-power.js';
import { DEFAULT_DISK } from '../../../src/model/host/disk-model.js';
import { DEFAULT_THERMAL, ThermalModel } from '../../../src/model/host/thermal-model.js';
import { CorePowerModel } from '../../../src/model/host/core-power.js';
import { buildScenario } from '../../../src/scenario/build.js';
import { ScenarioSchema } from '../../../src/scenario/schema.js';
import { GUEST_PROFILES } from '../../../src/workload/guest-workload.js';

const host = defaultDetailedHost(2);

describe('detailedHostPowerCurve', () => {
  const curve = detailedHostPowerCurve(host, GUEST_PROFILES.compute());

  it('at 0 % is the halted cores at their steady temperature plus the idle disk', () => {
    // Steady state of two halted cores: solve P = haltedWatts(T(P)) by fixed-point iteration on the RC network.
    const power = new CorePowerModel(DEFAULT_CORE_POWER, 1.484, 1.6e9);
    let watts = power.haltedWatts(DEFAULT_THERMAL.ambientCelsius, 1.484, 1.6e9);
    for (let i = 0; i < 50; i++) {
      const thermal = new ThermalModel(2, DEFAULT_THERMAL);
      thermal.setSteadyState(new Float64Array([watts, watts]));
      watts = power.haltedWatts(thermal.coreCelsius[0], 1.484, 1.6e9);
    }
    expect(curve[0]).toBeCloseTo(2 * watts + DEFAULT_DISK.idlePowerWatts, 2);
  });

  it('rises with load, a compute-bound curve above a memory-bound one, and otherWatts shifts it', () => {
    expect(curve).toHaveLength(11);
    for (let i = 1; i < 11; i++) expect(curve[i]).toBeGreaterThan(curve[i - 1]);
    const memory = detailedHostPowerCurve(host, GUEST_PROFILES.memory());
    expect(memory[0]).toBeCloseTo(curve[0], 9);
    expect(memory[10]).toBeLessThan(curve[10]);
    const shifted = detailedHostPowerCurve(host, GUEST_PROFILES.compute(), { warmUpSeconds: 1, measureSeconds: 2, otherWatts: 50 });
    shifted.forEach((w, i) => expect(w).toBeCloseTo(curve[i] + 50, 9));
  });

  it('becomes the power model of a data-center host type', () => {
    const scenario = ScenarioSchema.parse({
      name: 'detailed-hosts',
      mode: 'default',
      durationSeconds: 3600,
      hosts: { count: 2, types: [{ name: 'detailed', cores: 2, mipsPerCore: 1000, ramMiB: 4096, bandwidthMbps: 1000, power: { model: 'detailed-host' } }] },
      vms: { types: [{ name: 'small', mips: 500, ramMiB: 512, bandwidthMbps: 100 }] },
      workload: { kind: 'synthetic', vms: 2, samples: 12 },
      policy: { name: 'dvfs' },
    });
    const built = buildScenario(scenario, 'test.yaml');
    const model = built.hosts[0].power;
    expect(model.idlePowerWatts).toBeCloseTo(curve[0], 9);
    expect(model.maxPowerWatts).toBeCloseTo(curve[10], 9);
    expect(model.powerWatts(0.55)).toBeCloseTo((curve[5] + curve[6]) / 2, 9);
  });
});
