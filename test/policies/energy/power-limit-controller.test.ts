/**
 * The power-limit controller (src/policies/energy/power-limit-controller.ts), by hand: allowed CPU-seconds per
 * second = (limit · (1 − margin) − fixed power) / ε, with ε the energy per CPU-second smoothed by halves,
 * clipped to [0, width]; no measurement yet means no limit.
 */
import { describe, expect, it } from 'vitest';
import { powerLimitStep, type PowerLimitState } from '../../../src/policies/energy/power-limit-controller.js';

describe('powerLimitStep', () => {
  it('first measurement: ε = active / CPU time, allowed = (0.99 · limit − fixed / period) / ε', () => {
    const state: PowerLimitState = { energyPerCpuSecond: 0, allowedCpu: 2 };
    // 0.5 J in 0.05 CPU-s: ε = 10 J/CPU-s; fixed 0.1 J in a 50 ms period = 2 W; (9.9 − 2) / 10 = 0.79.
    expect(powerLimitStep(state, 0.5, 0.1, 0.05, 0.05, 10, 2)).toBeCloseTo(0.79, 12);
    expect(state.energyPerCpuSecond).toBeCloseTo(10, 12);
    expect(state.allowedCpu).toBeCloseTo(0.79, 12);
  });

  it('smooths ε by halves; without CPU time it keeps ε and recomputes with the new fixed power', () => {
    const state: PowerLimitState = { energyPerCpuSecond: 10, allowedCpu: 0.79 };
    // New ε = 0.6 / 0.04 = 15; smoothed 0.5 × 15 + 0.5 × 10 = 12.5; 9.9 / 12.5 = 0.792.
    expect(powerLimitStep(state, 0.6, 0, 0.04, 0.05, 10, 2)).toBeCloseTo(0.792, 12);
    expect(state.energyPerCpuSecond).toBeCloseTo(12.5, 12);
    expect(powerLimitStep(state, 0, 0.05, 0, 0.05, 10, 2)).toBeCloseTo((9.9 - 1) / 12.5, 12);
    expect(state.energyPerCpuSecond).toBeCloseTo(12.5, 12);
  });

  it('no measurement yet: the whole width is allowed', () => {
    const state: PowerLimitState = { energyPerCpuSecond: 0, allowedCpu: 0 };
    expect(powerLimitStep(state, 0, 0.3, 0, 0.05, 10, 3)).toBe(3);
    expect(state.allowedCpu).toBe(3);
    expect(state.energyPerCpuSecond).toBe(0);
  });

  it('clips to [0, width]: a fixed part above the limit allows nothing; a generous limit allows the width', () => {
    expect(powerLimitStep({ energyPerCpuSecond: 0, allowedCpu: 1 }, 0.5, 1, 0.05, 0.05, 10, 2)).toBe(0); // 20 W fixed
    expect(powerLimitStep({ energyPerCpuSecond: 0, allowedCpu: 1 }, 0.5, 0, 0.05, 0.05, 1000, 2)).toBe(2);
  });

  it('the margin is a parameter: 0 gives exactly (limit − fixed) / ε', () => {
    expect(powerLimitStep({ energyPerCpuSecond: 0, allowedCpu: 1 }, 0.5, 0.1, 0.05, 0.05, 10, 2, 0)).toBeCloseTo(0.8, 12);
    expect(powerLimitStep({ energyPerCpuSecond: 0, allowedCpu: 1 }, 0.5, 0.1, 0.05, 0.05, 10, 2, 0.1)).toBeCloseTo(0.7, 12);
  });

  it('in closed loop on a client of constant ε the power settles at 0.99 × the limit', () => {
    // A client at 15 W per CPU-second with 1 W fixed, 2 vCPUs, limit 12 W: allowed (11.88 − 1) / 15 = 0.7253.
    const state: PowerLimitState = { energyPerCpuSecond: 0, allowedCpu: 2 };
    let allowed = 2;
    for (let k = 0; k < 10; k++) {
      const cpu = allowed * 0.05;
      allowed = powerLimitStep(state, 15 * cpu, 0.05, cpu, 0.05, 12, 2);
    }
    expect(allowed).toBeCloseTo((11.88 - 1) / 15, 12);
    expect(15 * allowed + 1).toBeCloseTo(0.99 * 12, 12);
  });
});
