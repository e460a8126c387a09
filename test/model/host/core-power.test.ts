/**
 * The ground-truth core power (src/model/host/core-power.ts), by hand: dynamic energy is Σ events × energy per
 * event scaled by (V/V₀)², a halted core draws the gated-clock residual × (V/V₀)²·(f/f₀) plus leakage, and leakage
 * is linear in V/V₀ and doubles every ln 2 / β kelvin.
 */
import { describe, expect, it } from 'vitest';
import { CorePowerModel, DEFAULT_CORE_POWER, type CorePowerParameters } from '../../../src/model/host/core-power.js';
import { EVENT_COUNT, EVENT_NAMES, eventIndex } from '../../../src/model/host/performance-events.js';
import { PENTIUM_M_1600_PSTATES } from '../../../src/model/host/p-states.js';

/** Round numbers: 1 nJ per cycle, 2, 3, 4, 5, 6 nJ per event, 1 W halted, 2 W leakage at 50 °C, β = 0.02/K. */
const PARAMETERS: CorePowerParameters = {
  cycleEnergyJoules: 1e-9,
  eventEnergyJoules: { instructions: 2e-9, l2Misses: 3e-9, memoryAccesses: 4e-9, branchMispredictions: 5e-9, floatingPoint: 6e-9 },
  haltPowerWatts: 1,
  leakagePowerWatts: 2,
  leakageReferenceCelsius: 50,
  leakageTemperatureCoefficientPerKelvin: 0.02,
};
/** Nominal point 2 V, 2 GHz. */
const model = new CorePowerModel(PARAMETERS, 2, 2e9);

describe('performance events', () => {
  it('names map to their indices and back; an unknown name throws with the valid names', () => {
    expect(EVENT_NAMES).toHaveLength(EVENT_COUNT);
    EVENT_NAMES.forEach((name, i) => expect(eventIndex(name)).toBe(i));
    expect(() => eventIndex('cacheHits')).toThrow(/unknown performance event "cacheHits"; valid: unhaltedCycles, instructions/);
  });
});

describe('CorePowerModel', () => {
  it('packs the cycle energy at index 0 and the event energies by event index', () => {
    expect(Array.from(model.eventEnergyJoules)).toEqual([1e-9, 2e-9, 3e-9, 4e-9, 5e-9, 6e-9]);
    const defaults = new CorePowerModel(DEFAULT_CORE_POWER, 1.484, 1.6e9);
    expect(defaults.eventEnergyJoules[eventIndex('l2Misses')]).toBe(12e-9);
    expect(defaults.eventEnergyJoules[eventIndex('floatingPoint')]).toBe(1.5e-9);
  });

  it('dynamic energy: Σ events × energy at the nominal voltage, × (V/V₀)² below it', () => {
    // 1e6 cycles, 2e6 instructions, 1e3 misses, 5e5 accesses, 1e3 mispredictions, 1e5 FP operations.
    const events = new Float64Array([99, 1e6, 2e6, 1e3, 5e5, 1e3, 1e5]);
    const atNominal = 1e6 * 1e-9 + 2e6 * 2e-9 + 1e3 * 3e-9 + 5e5 * 4e-9 + 1e3 * 5e-9 + 1e5 * 6e-9; // 7.608e-3 J
    expect(model.dynamicJoules(events, 1, 2)).toBeCloseTo(7.608e-3, 15);
    expect(model.dynamicJoules(events, 1, 2)).toBeCloseTo(atNominal, 15);
    expect(model.dynamicJoules(events, 1, 1)).toBeCloseTo(atNominal / 4, 15);
    expect(model.dynamicJoules(events, 1, 1.5)).toBeCloseTo(atNominal * 0.5625, 15);
    expect(model.dynamicJoules(new Float64Array(EVENT_COUNT), 0, 2)).toBe(0);
  });

  it('leakage is linear in V/V₀ and doubles every ln 2 / β kelvin', () => {
    expect(model.leakageWatts(50, 2)).toBe(2);
    expect(model.leakageWatts(50, 1)).toBe(1);
    const doubling = Math.LN2 / 0.02; // 34.66 K
    expect(model.leakageWatts(50 + doubling, 2)).toBeCloseTo(4, 12);
    expect(model.leakageWatts(50 + 2 * doubling, 2)).toBeCloseTo(8, 12);
    expect(model.leakageWatts(50 - doubling, 2)).toBeCloseTo(1, 12);
    expect(model.leakageWatts(60, 1.5)).toBeCloseTo(2 * 0.75 * Math.exp(0.2), 14);
  });

  it('a halted core draws the residual × (V/V₀)²·(f/f₀) plus leakage', () => {
    expect(model.haltedWatts(50, 2, 2e9)).toBe(3); // 1 + 2
    // Half voltage and half frequency: 1 × 1/4 × 1/2 + 2 × 1/2.
    expect(model.haltedWatts(50, 1, 1e9)).toBeCloseTo(0.125 + 1, 15);
    expect(model.haltedWatts(50 + Math.LN2 / 0.02, 2, 2e9)).toBeCloseTo(1 + 4, 12);
  });

  it('the defaults on the Pentium M: 4.2 W halted at 50 °C and P0, and the slowest P-state scales by V² f and V', () => {
    const p0 = PENTIUM_M_1600_PSTATES[0];
    const p5 = PENTIUM_M_1600_PSTATES[5];
    const defaults = new CorePowerModel(DEFAULT_CORE_POWER, p0.voltageVolts, p0.frequencyHz);
    expect(defaults.haltedWatts(50, p0.voltageVolts, p0.frequencyHz)).toBeCloseTo(4.2, 14);
    const v = 0.956 / 1.484;
    expect(defaults.haltedWatts(50, p5.voltageVolts, p5.frequencyHz)).toBeCloseTo(1.2 * v * v * 0.375 + 3 * v, 14);
  });
});
