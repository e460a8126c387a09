/**
 * A lumped RC thermal network: one node per core, one for the package (heat spreader and sink), and the ambient.
 *
 *     core_i --R_core-- package --R_package-- ambient
 *       |C_core            |C_package
 *
 * C_core · dT_i/dt = P_i − (T_i − T_pkg) / R_core
 * C_pkg  · dT_pkg/dt = Σ_i (T_i − T_pkg) / R_core − (T_pkg − T_ambient) / R_package
 *
 * This is the structure of HotSpot's block model reduced to one block per core (Skadron et al., "Temperature-aware
 * microarchitecture", ISCA 2003) and of the per-core model Merkel and Bellosa use for energy balancing
 * (EuroSys 2006, section 3). Defaults: the package node takes HotSpot 3's default convection resistance and
 * capacitance (r_convec = 0.1 K/W, c_convec = 140.4 J/K) and its default ambient, 45 °C (318.15 K) inside the
 * case. The per-core resistance (0.9 K/W) and capacitance (0.35 J/K, a time constant of about 0.3 s) are an
 * assumption: a 20 W core ends about 18 K above the package, the range of per-core gradients reported for
 * multicore dies; set them from your chip.
 *
 * Integration: explicit Euler with internal sub-steps no longer than a tenth of the smallest time constant,
 * which is stable and accurate to well under 0.1 K for the millisecond steps the host model takes.
 */

/** Parameters of the thermal network. */
export interface ThermalParameters {
  /** Thermal resistance from a core to the package, K/W. */
  readonly coreResistanceKelvinPerWatt: number;
  /** Heat capacity of a core, J/K. */
  readonly coreCapacitanceJoulesPerKelvin: number;
  /** Thermal resistance from the package to the ambient, K/W. */
  readonly packageResistanceKelvinPerWatt: number;
  /** Heat capacity of the package and heat sink, J/K. */
  readonly packageCapacitanceJoulesPerKelvin: number;
  /** Ambient temperature, °C. */
  readonly ambientCelsius: number;
}

/** HotSpot 3 package defaults plus assumed per-core values (see the module comment). */
export const DEFAULT_THERMAL: ThermalParameters = {
  coreResistanceKelvinPerWatt: 0.9,
  coreCapacitanceJoulesPerKelvin: 0.35,
  packageResistanceKelvinPerWatt: 0.1,
  packageCapacitanceJoulesPerKelvin: 140.4,
  ambientCelsius: 45,
};

/** The network's state: temperatures in a typed array, advanced in place. */
export class ThermalModel {
  /** Core temperatures, °C. */
  readonly coreCelsius: Float64Array;
  /** Package temperature, °C. */
  packageCelsius: number;
  private readonly parameters: ThermalParameters;
  private readonly maxStepSeconds: number;

  /**
   * @param coreCount number of cores.
   * @param initialCorePowerWatts every node starts at the steady state of cores drawing this power each (default 0:
   *   everything at the ambient temperature).
   */
  constructor(coreCount: number, parameters: ThermalParameters, initialCorePowerWatts = 0) {
    this.parameters = parameters;
    const p = parameters;
    const tauCore = p.coreResistanceKelvinPerWatt * p.coreCapacitanceJoulesPerKelvin;
    const tauPackage = p.packageResistanceKelvinPerWatt * p.packageCapacitanceJoulesPerKelvin;
    this.maxStepSeconds = Math.min(tauCore, tauPackage) / 10;
    this.packageCelsius = p.ambientCelsius + coreCount * initialCorePowerWatts * p.packageResistanceKelvinPerWatt;
    this.coreCelsius = new Float64Array(coreCount).fill(this.packageCelsius + initialCorePowerWatts * p.coreResistanceKelvinPerWatt);
  }

  /** Sets every node to the steady state of the given constant core powers (what a long run would reach). */
  setSteadyState(corePowerWatts: Float64Array): void {
    const p = this.parameters;
    let total = 0;
    for (let i = 0; i < this.coreCelsius.length; i++) total += corePowerWatts[i];
    this.packageCelsius = p.ambientCelsius + total * p.packageResistanceKelvinPerWatt;
    for (let i = 0; i < this.coreCelsius.length; i++) this.coreCelsius[i] = this.packageCelsius + corePowerWatts[i] * p.coreResistanceKelvinPerWatt;
  }

  /**
   * Advances the network by `seconds` with each core dissipating the given constant power.
   * @param corePowerWatts power per core over the step, watts.
   */
  step(seconds: number, corePowerWatts: Float64Array): void {
    const p = this.parameters;
    const cores = this.coreCelsius;
    const n = cores.length;
    const steps = Math.max(1, Math.ceil(seconds / this.maxStepSeconds));
    const dt = seconds / steps;
    const inverseCoreR = 1 / p.coreResistanceKelvinPerWatt;
    const coreGain = dt / p.coreCapacitanceJoulesPerKelvin;
    const packageGain = dt / p.packageCapacitanceJoulesPerKelvin;
    const inversePackageR = 1 / p.packageResistanceKelvinPerWatt;
    let pkg = this.packageCelsius;
    for (let s = 0; s < steps; s++) {
      let intoPackage = 0;
      for (let i = 0; i < n; i++) {
        const flow = (cores[i] - pkg) * inverseCoreR;
        intoPackage += flow;
        cores[i] += coreGain * (corePowerWatts[i] - flow);
      }
      pkg += packageGain * (intoPackage - (pkg - p.ambientCelsius) * inversePackageR);
    }
    this.packageCelsius = pkg;
  }
}
