/**
 * The ground-truth power of one processor core: what a perfect meter on the core's supply would read.
 *
 * This is the "truth" the hypervisor's estimator (events × weights, mechanisms/host/energy-accountant.ts) is
 * measured against. The two are deliberately different models, so that the estimator's accuracy is measured and
 * never assumed:
 *
 * - dynamic power is CMOS switching, P = α·C·V²·f (Weste and Harris, "CMOS VLSI Design", 4th ed., §5.1). Here
 *   the switched charge is split into an energy per unhalted cycle (clock tree, pipeline latches) and an energy
 *   per event for every kind in performance-events.ts, all given at the nominal voltage (P-state 0) and scaled
 *   by (V / V_nominal)² at other P-states. Every event kind costs energy, including the ones the estimator does
 *   not count;
 * - in the halt state (C1) the clock is gated; a residual dynamic power remains (clock distribution that stays
 *   on), scaled by V²·f;
 * - static (leakage) power grows exponentially with temperature and linearly with voltage,
 *   P_leak = P_leak,ref · (V / V_nominal) · exp(β · (T − T_ref)) — the exponential form of chip-level leakage
 *   models (Liao, He and Lepak, "Temperature and supply voltage aware performance and power modeling at
 *   microarchitecture level", IEEE TCAD 24(7), 2005). The estimator cannot see temperature.
 *
 * Default constants ({@link DEFAULT_CORE_POWER}) are an assumption chosen so that a compute-bound core at
 * 1.6 GHz / 1.484 V and 70 °C draws about 19.3 W (15.1 W dynamic, 4.2 W leakage), below the Pentium M 1.6 GHz's 24.5 W TDP (Intel datasheet
 * 252612-003, table 5), and an idle (halted) core about 4 W. They are not measurements of a chip: they give a
 * plausible split between cycle, event and leakage energy. docs/models/host-energy.md lists them; a scenario can
 * replace every one of them.
 */

import { EVENT_COUNT, EVENT_NAMES, type EventName } from './performance-events.js';

/** Parameters of the ground-truth core power model. Energies are at the nominal voltage. */
export interface CorePowerParameters {
  /** Energy per unhalted cycle at the nominal voltage, joules. */
  readonly cycleEnergyJoules: number;
  /** Energy per event at the nominal voltage, joules, by event name (unhaltedCycles is ignored here: see cycleEnergyJoules). */
  readonly eventEnergyJoules: Readonly<Record<Exclude<EventName, 'unhaltedCycles'>, number>>;
  /** Residual dynamic power of a halted core at P-state 0, watts (scaled by V²·f at other P-states). */
  readonly haltPowerWatts: number;
  /** Leakage power at the reference temperature and nominal voltage, watts. */
  readonly leakagePowerWatts: number;
  /** Reference temperature of the leakage power, °C. */
  readonly leakageReferenceCelsius: number;
  /** Exponential temperature coefficient of leakage, 1/K. */
  readonly leakageTemperatureCoefficientPerKelvin: number;
}

/** Default ground-truth parameters (an assumption, see the module comment and docs/models/host-energy.md). */
export const DEFAULT_CORE_POWER: CorePowerParameters = {
  cycleEnergyJoules: 3.0e-9,
  eventEnergyJoules: {
    instructions: 3.2e-9,
    l2Misses: 12e-9,
    memoryAccesses: 0.8e-9,
    branchMispredictions: 5e-9,
    floatingPoint: 1.5e-9,
  },
  haltPowerWatts: 1.2,
  leakagePowerWatts: 3.0,
  leakageReferenceCelsius: 50,
  leakageTemperatureCoefficientPerKelvin: 0.017,
};

/**
 * The model in the packed form the scheduler's inner loop uses: one energy per event kind (index 0 is the
 * cycle energy) at the nominal voltage, so a run segment's dynamic energy is one dot product.
 */
export class CorePowerModel {
  /** Energy per event at the nominal voltage, joules, indexed like counter rows (index 0: per unhalted cycle). */
  readonly eventEnergyJoules: Float64Array;
  readonly haltPowerWatts: number;
  readonly leakagePowerWatts: number;
  readonly leakageReferenceCelsius: number;
  readonly leakageCoefficient: number;
  /** Voltage of P-state 0, volts: energies are given at this voltage. */
  readonly nominalVoltageVolts: number;
  /** Frequency of P-state 0, Hz. */
  readonly nominalFrequencyHz: number;

  constructor(parameters: CorePowerParameters, nominalVoltageVolts: number, nominalFrequencyHz: number) {
    this.eventEnergyJoules = new Float64Array(EVENT_COUNT);
    this.eventEnergyJoules[0] = parameters.cycleEnergyJoules;
    for (let e = 1; e < EVENT_COUNT; e++) {
      this.eventEnergyJoules[e] = parameters.eventEnergyJoules[EVENT_NAMES[e] as Exclude<EventName, 'unhaltedCycles'>];
    }
    this.haltPowerWatts = parameters.haltPowerWatts;
    this.leakagePowerWatts = parameters.leakagePowerWatts;
    this.leakageReferenceCelsius = parameters.leakageReferenceCelsius;
    this.leakageCoefficient = parameters.leakageTemperatureCoefficientPerKelvin;
    this.nominalVoltageVolts = nominalVoltageVolts;
    this.nominalFrequencyHz = nominalFrequencyHz;
  }

  /** Leakage power at a temperature and voltage, watts. */
  leakageWatts(temperatureCelsius: number, voltageVolts: number): number {
    return this.leakagePowerWatts * (voltageVolts / this.nominalVoltageVolts) * Math.exp(this.leakageCoefficient * (temperatureCelsius - this.leakageReferenceCelsius));
  }

  /** Power of a halted core, watts: gated-clock residual plus leakage. */
  haltedWatts(temperatureCelsius: number, voltageVolts: number, frequencyHz: number): number {
    const v = voltageVolts / this.nominalVoltageVolts;
    return this.haltPowerWatts * v * v * (frequencyHz / this.nominalFrequencyHz) + this.leakageWatts(temperatureCelsius, voltageVolts);
  }

  /**
   * Dynamic energy of a run segment, joules: Σ events × energy per event, scaled by (V/V_nominal)².
   * @param events counter deltas of the segment, indexed like counter rows, starting at `offset`.
   */
  dynamicJoules(events: Float64Array, offset: number, voltageVolts: number): number {
    let sum = 0;
    const energies = this.eventEnergyJoules;
    for (let e = 0; e < EVENT_COUNT; e++) sum += events[offset + e] * energies[e];
    const v = voltageVolts / this.nominalVoltageVolts;
    return sum * v * v;
  }
}
