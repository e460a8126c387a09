/**
 * Processor performance states (P-states): the frequency/voltage pairs DVFS chooses from.
 *
 * The default table is the Intel Pentium M 1.6 GHz (130 nm, "Banias") operating points published by Intel in
 * "Enhanced Intel SpeedStep Technology for the Intel Pentium M Processor" (white paper 301170-001, March 2004,
 * table 1): six points from 1.6 GHz at 1.484 V down to 600 MHz at 0.956 V. It is the classic DVFS table of the
 * energy-management literature of the seed papers' time, and its voltages are published, which most current
 * server parts' are not. Users with another chip give their own table in the scenario (`host.pStates`).
 *
 * P-state 0 is the fastest, as in ACPI.
 */

/** One operating point. */
export interface PState {
  /** Core clock, Hz. */
  readonly frequencyHz: number;
  /** Core supply voltage, volts. */
  readonly voltageVolts: number;
}

/** Intel Pentium M 1.6 GHz operating points (Intel white paper 301170-001, table 1), fastest first. */
export const PENTIUM_M_1600_PSTATES: readonly PState[] = [
  { frequencyHz: 1.6e9, voltageVolts: 1.484 },
  { frequencyHz: 1.4e9, voltageVolts: 1.42 },
  { frequencyHz: 1.2e9, voltageVolts: 1.276 },
  { frequencyHz: 1.0e9, voltageVolts: 1.164 },
  { frequencyHz: 0.8e9, voltageVolts: 1.036 },
  { frequencyHz: 0.6e9, voltageVolts: 0.956 },
];

/**
 * Checks a P-state table: at least one point, frequencies strictly decreasing, voltages positive and not
 * increasing. Returns a list of problems (empty when valid) so scenario validation can report them all.
 */
export function pStateProblems(table: readonly PState[]): string[] {
  const problems: string[] = [];
  if (table.length === 0) problems.push('a P-state table needs at least one operating point');
  for (let i = 0; i < table.length; i++) {
    const p = table[i];
    if (!(p.frequencyHz > 0)) problems.push(`P-state ${i}: frequencyHz must be positive`);
    if (!(p.voltageVolts > 0)) problems.push(`P-state ${i}: voltageVolts must be positive`);
    if (i > 0 && !(p.frequencyHz < table[i - 1].frequencyHz)) problems.push(`P-state ${i}: frequencies must decrease from P-state 0 (the fastest)`);
    if (i > 0 && p.voltageVolts > table[i - 1].voltageVolts) problems.push(`P-state ${i}: voltage must not exceed the faster P-state's`);
  }
  return problems;
}
