/**
 * Host power models: power in watts as a function of CPU utilisation (0..1).
 *
 * Three families, each a small factory, as in OpenDC and CloudSim:
 * - `specpower`: a table of 11 measured points at 0 %, 10 %, …, 100 % load (SPECpower_ssj2008 style),
 *   linearly interpolated between points;
 * - `linear`: idle + (max − idle) · u;
 * - the catalogue in `power-catalog.ts` names measured tables with their source.
 *
 * The `cloudsim` interpolation reproduces CloudSim 3.0.3's `PowerModelSpecPower.getPower` to the bit (it tests
 * `u % 0.1 == 0` in floating point and interpolates with `p1 + (p2 − p1)/10 · (u − i/10) · 100`); the `exact`
 * interpolation is the plain mathematical one. They differ only in the last bits.
 */

/** A power model maps utilisation to power. Implementations must be pure and cheap (called in hot loops). */
export interface PowerModel {
  /** Stable name, for reports. */
  readonly name: string;
  /** Power in watts at CPU utilisation `u` (0..1). Throws RangeError outside [0, 1]. */
  powerWatts(u: number): number;
  /** Power at full load, watts. */
  readonly maxPowerWatts: number;
  /** Power when on and idle, watts. */
  readonly idlePowerWatts: number;
  /** For table models: the 11 points and the interpolation, so hot loops can inline the lookup. */
  readonly table?: Float64Array;
  readonly interpolation?: 'cloudsim' | 'exact';
}

function checkUtilisation(u: number): void {
  // Same contract as CloudSim: a utilisation outside [0, 1] is a modelling error, not something to clamp silently.
  if (!(u >= 0 && u <= 1)) throw new RangeError(`utilisation must be within [0, 1], got ${u}`);
}

/**
 * SPECpower-style table model.
 * @param watts power at 0 %, 10 %, …, 100 % utilisation (exactly 11 values, non-decreasing is not required).
 * @param interpolation `cloudsim` for CloudSim 3.0.3's arithmetic, `exact` otherwise.
 */
export function specPowerModel(name: string, watts: readonly number[], interpolation: 'cloudsim' | 'exact' = 'exact'): PowerModel {
  if (watts.length !== 11) throw new RangeError(`power table ${name} needs 11 points (0..100 % in 10 % steps), got ${watts.length}`);
  const table = Float64Array.from(watts);
  const powerWatts =
    interpolation === 'cloudsim'
      ? (u: number): number => {
          checkUtilisation(u);
          if (u % 0.1 === 0) return table[Math.trunc(u * 10)];
          const i1 = Math.floor(u * 10);
          const i2 = Math.ceil(u * 10);
          const p1 = table[i1];
          const delta = (table[i2] - p1) / 10;
          return p1 + delta * (u - i1 / 10) * 100;
        }
      : (u: number): number => {
          checkUtilisation(u);
          const x = u * 10;
          const i = Math.min(9, Math.floor(x));
          return table[i] + (table[i + 1] - table[i]) * (x - i);
        };
  return { name, powerWatts, maxPowerWatts: table[10], idlePowerWatts: table[0], table, interpolation };
}

/** Linear model: idle + (max − idle) · u. */
export function linearPowerModel(name: string, idleWatts: number, maxWatts: number): PowerModel {
  return {
    name,
    maxPowerWatts: maxWatts,
    idlePowerWatts: idleWatts,
    powerWatts(u: number): number {
      checkUtilisation(u);
      return idleWatts + (maxWatts - idleWatts) * u;
    },
  };
}
