/**
 * The RC thermal network (src/model/host/thermal-model.ts): the initial state and the long-run state equal the
 * analytic steady state T_core = T_ambient + ΣP·R_package + P_core·R_core; the steady state is a fixed point of
 * the integrator; the core node's time constant is R_core·C_core (63 % of the rise after one τ with the package
 * held); and the millisecond steps the host takes follow a fine-step reference integration of the full network.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_THERMAL, ThermalModel, type ThermalParameters } from '../../../src/model/host/thermal-model.js';

/** Classic RK4 on the same ODE with a fixed small step: an independent reference. */
function referenceIntegration(parameters: ThermalParameters, cores: number[], pkg: number, power: number[], seconds: number, dt: number): { cores: number[]; pkg: number } {
  const p = parameters;
  const derivative = (state: number[]): number[] => {
    const n = state.length - 1;
    const tp = state[n];
    const d = new Array<number>(n + 1).fill(0);
    let intoPackage = 0;
    for (let i = 0; i < n; i++) {
      const flow = (state[i] - tp) / p.coreResistanceKelvinPerWatt;
      intoPackage += flow;
      d[i] = (power[i] - flow) / p.coreCapacitanceJoulesPerKelvin;
    }
    d[n] = (intoPackage - (tp - p.ambientCelsius) / p.packageResistanceKelvinPerWatt) / p.packageCapacitanceJoulesPerKelvin;
    return d;
  };
  let state = [...cores, pkg];
  const steps = Math.round(seconds / dt);
  for (let s = 0; s < steps; s++) {
    const k1 = derivative(state);
    const k2 = derivative(state.map((x, i) => x + (dt / 2) * k1[i]));
    const k3 = derivative(state.map((x, i) => x + (dt / 2) * k2[i]));
    const k4 = derivative(state.map((x, i) => x + dt * k3[i]));
    state = state.map((x, i) => x + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
  return { cores: state.slice(0, -1), pkg: state[state.length - 1] };
}

describe('ThermalModel', () => {
  it('starts at the steady state of idle cores drawing the given power', () => {
    // 4 cores × 4 W: package 45 + 16 × 0.1 = 46.6 °C, cores 46.6 + 4 × 0.9 = 50.2 °C.
    const thermal = new ThermalModel(4, DEFAULT_THERMAL, 4);
    expect(thermal.packageCelsius).toBeCloseTo(46.6, 12);
    for (const t of thermal.coreCelsius) expect(t).toBeCloseTo(50.2, 12);
    const cold = new ThermalModel(2, DEFAULT_THERMAL);
    expect([...cold.coreCelsius, cold.packageCelsius]).toEqual([45, 45, 45]);
  });

  it('the steady state is a fixed point of the integrator', () => {
    const thermal = new ThermalModel(3, DEFAULT_THERMAL, 7);
    const before = [...thermal.coreCelsius, thermal.packageCelsius];
    for (let i = 0; i < 1000; i++) thermal.step(0.001, new Float64Array([7, 7, 7]));
    thermal.step(5, new Float64Array([7, 7, 7]));
    const after = [...thermal.coreCelsius, thermal.packageCelsius];
    after.forEach((t, i) => expect(Math.abs(t - before[i])).toBeLessThan(1e-10));
  });

  it('converges to the analytic RC solution: core = ambient + P_total·R_package + P_core·R_core', () => {
    // Cores at 10 W and 20 W: package 45 + 30 × 0.1 = 48 °C; cores 48 + 9 = 57 °C and 48 + 18 = 66 °C.
    const thermal = new ThermalModel(2, DEFAULT_THERMAL);
    thermal.step(400, new Float64Array([10, 20])); // 28 package time constants (14.04 s each)
    expect(thermal.packageCelsius).toBeCloseTo(48, 6);
    expect(thermal.coreCelsius[0]).toBeCloseTo(57, 6);
    expect(thermal.coreCelsius[1]).toBeCloseTo(66, 6);
  });

  it('setSteadyState jumps every node to the steady state of the given powers, where long runs end', () => {
    const jumped = new ThermalModel(2, DEFAULT_THERMAL, 4);
    jumped.setSteadyState(new Float64Array([10, 20]));
    expect(jumped.packageCelsius).toBeCloseTo(48, 12);
    expect(Array.from(jumped.coreCelsius)).toEqual([expect.closeTo(57, 12), expect.closeTo(66, 12)]);
    const ran = new ThermalModel(2, DEFAULT_THERMAL, 4);
    ran.step(400, new Float64Array([10, 20]));
    ran.coreCelsius.forEach((t, i) => expect(Math.abs(t - jumped.coreCelsius[i])).toBeLessThan(1e-6));
  });

  it('the core time constant is R_core·C_core: 63 % of the rise after one τ when the package is held', () => {
    // A package of enormous capacitance stays at the ambient; the core then follows P·R·(1 − e^(−t/τ)).
    const parameters: ThermalParameters = { ...DEFAULT_THERMAL, packageCapacitanceJoulesPerKelvin: 1e12 };
    const tau = 0.9 * 0.35; // 0.315 s
    const thermal = new ThermalModel(1, parameters);
    const steps = Math.round(tau / 0.001); // 315 steps of 1 ms
    for (let i = 0; i < steps; i++) thermal.step(0.001, new Float64Array([20]));
    const rise = (thermal.coreCelsius[0] - 45) / (20 * 0.9);
    // Explicit Euler with one 1 ms sub-step per call (1 ms < τ/10): exactly 1 − (1 − dt/τ)^n.
    expect(rise).toBeCloseTo(1 - (1 - 0.001 / tau) ** steps, 9);
    expect(rise).toBeCloseTo(1 - Math.exp(-1), 2);
    expect(Math.abs(thermal.packageCelsius - 45)).toBeLessThan(1e-6);
  });

  it('millisecond steps follow a fine-step reference integration of the full network to within 0.005 K', () => {
    const thermal = new ThermalModel(2, DEFAULT_THERMAL, 4);
    const start = { cores: [...thermal.coreCelsius], pkg: thermal.packageCelsius };
    const power = [20, 2];
    for (let i = 0; i < 2000; i++) thermal.step(0.001, new Float64Array(power));
    const reference = referenceIntegration(DEFAULT_THERMAL, start.cores, start.pkg, power, 2, 1e-4);
    expect(Math.abs(thermal.coreCelsius[0] - reference.cores[0])).toBeLessThan(0.005);
    expect(Math.abs(thermal.coreCelsius[1] - reference.cores[1])).toBeLessThan(0.005);
    expect(Math.abs(thermal.packageCelsius - reference.pkg)).toBeLessThan(0.001);
    // The hot core really heated: most of the 16 K step of its own node after 6 core time constants.
    expect(reference.cores[0] - start.cores[0]).toBeGreaterThan(14);
  });

  it('one long step is sub-stepped: stable and within 0.2 K of the reference (explicit Euler at τ/10)', () => {
    const thermal = new ThermalModel(2, DEFAULT_THERMAL, 4);
    const start = { cores: [...thermal.coreCelsius], pkg: thermal.packageCelsius };
    thermal.step(1, new Float64Array([20, 2]));
    const reference = referenceIntegration(DEFAULT_THERMAL, start.cores, start.pkg, [20, 2], 1, 1e-4);
    expect(Math.abs(thermal.coreCelsius[0] - reference.cores[0])).toBeLessThan(0.2);
    expect(Math.abs(thermal.coreCelsius[1] - reference.cores[1])).toBeLessThan(0.2);
  });
});
