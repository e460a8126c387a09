/**
 * Pins the power models (src/model/power-model.ts) and the measured catalogue (src/model/power-catalog.ts):
 * table look-ups and interpolation worked out by hand, CloudSim's arithmetic against the exact one, the range
 * contract, and the catalogue's shape and provenance.
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/kernel/random.js';
import { POWER_CATALOG, POWER_CATALOG_NAMES } from '../../src/model/power-catalog.js';
import { linearPowerModel, specPowerModel } from '../../src/model/power-model.js';

// HP ProLiant ML110 G4, CloudSim 3.0.3 PowerModelSpecPowerHpProLiantMl110G4Xeon3040 (watts at 0 %, 10 %, …, 100 %).
const G4 = [86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117];
// HP ProLiant ML110 G5, CloudSim 3.0.3 PowerModelSpecPowerHpProLiantMl110G5Xeon3075.
const G5 = [93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135];
// The utilisations of the table points, as literals (not computed as i / 10 or 0.1 · i).
const TABLE_POINTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

describe('specPowerModel with CloudSim interpolation', () => {
  const g4 = specPowerModel('g4', G4, 'cloudsim');

  it('returns the table value exactly at the table points', () => {
    // For each literal u = i/10, fl(u · 10) rounds to the integer i (e.g. 0.3 is 0.29999999999999998…, times 10
    // is 2.9999999999999998…, within half an ulp of 3), so either the `u % 0.1 == 0` branch returns table[i], or
    // floor = ceil = i and the interpolation adds (table[i] − table[i]) / 10 · … = 0.
    TABLE_POINTS.forEach((u, i) => expect(g4.powerWatts(u)).toBe(G4[i]));
  });

  it('interpolates linearly between points', () => {
    // G4 at 0.25: between 20 % (92.6 W) and 30 % (96 W), halfway → 92.6 + (96 − 92.6) / 2 = 92.6 + 1.7 = 94.3.
    expect(Math.abs(g4.powerWatts(0.25) - 94.3)).toBeLessThan(1e-12);
    // G4 at 0.95: 114 + (117 − 114) · 0.5 = 115.5.
    expect(Math.abs(g4.powerWatts(0.95) - 115.5)).toBeLessThan(1e-12);
    // G4 at 0.02: 86 + (89.4 − 86) · 0.2 = 86 + 0.68 = 86.68.
    expect(Math.abs(g4.powerWatts(0.02) - 86.68)).toBeLessThan(1e-12);
    // G5 at 0.55: 116 + (121 − 116) · 0.5 = 118.5.
    expect(Math.abs(specPowerModel('g5', G5, 'cloudsim').powerWatts(0.55) - 118.5)).toBeLessThan(1e-12);
  });

  it('gives idle power at 0 and maximum power at 1', () => {
    expect(g4.powerWatts(0)).toBe(86);
    expect(g4.powerWatts(1)).toBe(117);
    expect(g4.idlePowerWatts).toBe(86);
    expect(g4.maxPowerWatts).toBe(117);
  });

  it('throws RangeError outside [0, 1] and for NaN', () => {
    for (const u of [-0.01, 1.0000001, 2, -Infinity, Infinity, Number.NaN]) expect(() => g4.powerWatts(u)).toThrow(RangeError);
  });
});

describe('specPowerModel with exact interpolation', () => {
  const g4 = specPowerModel('g4', G4, 'exact');

  it('is the default interpolation', () => {
    expect(specPowerModel('g4', G4).interpolation).toBe('exact');
  });

  it('gives the same hand-computed values within 1e-12', () => {
    TABLE_POINTS.forEach((u, i) => expect(Math.abs(g4.powerWatts(u) - G4[i])).toBeLessThan(1e-12));
    // x = 2.5 → i = 2: 92.6 + (96 − 92.6) · 0.5 = 94.3.
    expect(Math.abs(g4.powerWatts(0.25) - 94.3)).toBeLessThan(1e-12);
    // x = 9.5 → i = 9: 114 + 3 · 0.5 = 115.5.
    expect(Math.abs(g4.powerWatts(0.95) - 115.5)).toBeLessThan(1e-12);
    // At u = 1, x = 10 is clamped to segment 9: 114 + (117 − 114) · 1 = 117 exactly.
    expect(g4.powerWatts(1)).toBe(117);
    expect(g4.powerWatts(0)).toBe(86);
  });

  it('agrees with the CloudSim arithmetic within 1e-9 W on 1000 random utilisations', () => {
    const cloudsim = specPowerModel('g5', G5, 'cloudsim');
    const exact = specPowerModel('g5', G5, 'exact');
    const random = new RandomStream(1234, 'power-model-test');
    for (let i = 0; i < 1000; i++) {
      const u = random.nextFloat();
      expect(Math.abs(cloudsim.powerWatts(u) - exact.powerWatts(u))).toBeLessThan(1e-9);
    }
  });

  it('throws RangeError outside [0, 1] and for NaN', () => {
    for (const u of [-1e-9, 1.5, Number.NaN]) expect(() => g4.powerWatts(u)).toThrow(RangeError);
  });
});

describe('specPowerModel fields and validation', () => {
  it('exposes a copy of the table and the interpolation for hot loops', () => {
    const watts = [...G4];
    const model = specPowerModel('g4', watts, 'cloudsim');
    expect(model.name).toBe('g4');
    expect(model.table).toBeInstanceOf(Float64Array);
    expect(Array.from(model.table!)).toEqual(G4);
    expect(model.interpolation).toBe('cloudsim');
    watts[3] = 0; // later changes to the caller's array must not leak into the model
    expect(model.table![3]).toBe(96);
    expect(model.powerWatts(0.3)).toBe(96);
  });

  it('needs exactly 11 points', () => {
    expect(() => specPowerModel('short', G4.slice(0, 10))).toThrow(RangeError);
    expect(() => specPowerModel('long', [...G4, 120])).toThrow(RangeError);
  });
});

describe('linearPowerModel', () => {
  const model = linearPowerModel('linear', 100, 250);

  it('is idle + (max − idle) · u', () => {
    expect(model.powerWatts(0)).toBe(100);
    expect(model.powerWatts(1)).toBe(250);
    // 100 + 150 · 0.5 = 175.
    expect(model.powerWatts(0.5)).toBe(175);
    // 100 + 150 · 0.2 = 130.
    expect(model.powerWatts(0.2)).toBeCloseTo(130, 12);
    expect(model.idlePowerWatts).toBe(100);
    expect(model.maxPowerWatts).toBe(250);
    expect(model.name).toBe('linear');
    expect(model.table).toBeUndefined();
  });

  it('throws RangeError outside [0, 1] and for NaN', () => {
    for (const u of [-0.1, 1.1, Number.NaN]) expect(() => model.powerWatts(u)).toThrow(RangeError);
  });
});

describe('POWER_CATALOG', () => {
  it('has 11 points and a non-empty source for every entry, and lists its names', () => {
    expect(POWER_CATALOG_NAMES).toEqual(Object.keys(POWER_CATALOG));
    expect(POWER_CATALOG_NAMES.length).toBeGreaterThan(0);
    for (const name of POWER_CATALOG_NAMES) {
      const entry = POWER_CATALOG[name];
      expect(entry.watts, name).toHaveLength(11);
      expect(entry.source.trim().length, name).toBeGreaterThan(0);
      for (const w of entry.watts) expect(Number.isFinite(w) && w > 0, name).toBe(true);
      // Every entry builds a model (the 11-point check passes).
      expect(() => specPowerModel(name, entry.watts)).not.toThrow();
    }
  });

  it('holds the CloudSim 3.0.3 tables of the two hosts of the PlanetLab experiments', () => {
    expect(POWER_CATALOG['hp-proliant-ml110-g4'].watts).toEqual(G4);
    expect(POWER_CATALOG['hp-proliant-ml110-g5'].watts).toEqual(G5);
  });
});
