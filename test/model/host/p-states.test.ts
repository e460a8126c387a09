/**
 * P-state tables (src/model/host/p-states.ts): the Pentium M table is valid and ordered as published, and
 * pStateProblems reports every problem of a bad table at once, with the P-state it concerns.
 */
import { describe, expect, it } from 'vitest';
import { PENTIUM_M_1600_PSTATES, pStateProblems } from '../../../src/model/host/p-states.js';

describe('pStateProblems', () => {
  it('accepts the Pentium M 1.6 GHz table: six points, fastest first, 1.6 GHz at 1.484 V down to 600 MHz at 0.956 V', () => {
    expect(pStateProblems(PENTIUM_M_1600_PSTATES)).toEqual([]);
    expect(PENTIUM_M_1600_PSTATES).toHaveLength(6);
    expect(PENTIUM_M_1600_PSTATES[0]).toEqual({ frequencyHz: 1.6e9, voltageVolts: 1.484 });
    expect(PENTIUM_M_1600_PSTATES[5]).toEqual({ frequencyHz: 0.6e9, voltageVolts: 0.956 });
  });

  it('accepts a single point and equal voltages at two frequencies', () => {
    expect(pStateProblems([{ frequencyHz: 2e9, voltageVolts: 1.2 }])).toEqual([]);
    expect(
      pStateProblems([
        { frequencyHz: 2e9, voltageVolts: 1.2 },
        { frequencyHz: 1e9, voltageVolts: 1.2 },
      ]),
    ).toEqual([]);
  });

  it('rejects an empty table', () => {
    expect(pStateProblems([])).toEqual(['a P-state table needs at least one operating point']);
  });

  it('rejects non-increasing order of speed: equal or rising frequencies', () => {
    expect(
      pStateProblems([
        { frequencyHz: 1e9, voltageVolts: 1 },
        { frequencyHz: 1e9, voltageVolts: 1 },
      ]),
    ).toEqual(['P-state 1: frequencies must decrease from P-state 0 (the fastest)']);
    expect(
      pStateProblems([
        { frequencyHz: 1e9, voltageVolts: 1 },
        { frequencyHz: 2e9, voltageVolts: 1 },
      ]),
    ).toEqual(['P-state 1: frequencies must decrease from P-state 0 (the fastest)']);
  });

  it('rejects a slower P-state with a higher voltage', () => {
    expect(
      pStateProblems([
        { frequencyHz: 2e9, voltageVolts: 1.0 },
        { frequencyHz: 1e9, voltageVolts: 1.1 },
      ]),
    ).toEqual(["P-state 1: voltage must not exceed the faster P-state's"]);
  });

  it('reports every problem at once, with its P-state (zero, negative and NaN values included)', () => {
    const problems = pStateProblems([
      { frequencyHz: 0, voltageVolts: -1 },
      { frequencyHz: Number.NaN, voltageVolts: 1 },
      { frequencyHz: 1e9, voltageVolts: 0.5 },
    ]);
    expect(problems).toEqual([
      'P-state 0: frequencyHz must be positive',
      'P-state 0: voltageVolts must be positive',
      'P-state 1: frequencyHz must be positive',
      'P-state 1: frequencies must decrease from P-state 0 (the fastest)',
      "P-state 1: voltage must not exceed the faster P-state's",
      'P-state 2: frequencies must decrease from P-state 0 (the fastest)',
    ]);
  });
});
