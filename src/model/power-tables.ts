/**
 * The power tables of many hosts packed in one typed array, for placement loops that evaluate power millions of
 * times: a lookup is a few array reads instead of a closure call. The arithmetic is the table model's own (see
 * power-model.ts), so the values are bit-identical.
 */
import type { PowerModel } from './power-model.js';

export class PowerTables {
  /** Offset of each host's 11 points in `values`, or −1 when its model is not a table with `interpolation`. */
  readonly offsetOf: Int32Array;
  readonly values: Float64Array;

  constructor(models: readonly PowerModel[], interpolation: 'cloudsim' | 'exact') {
    this.offsetOf = new Int32Array(models.length).fill(-1);
    const values: number[] = [];
    const offsets = new Map<PowerModel, number>();
    models.forEach((model, host) => {
      if (model.table === undefined || model.interpolation !== interpolation) return;
      let offset = offsets.get(model);
      if (offset === undefined) {
        offset = values.length;
        offsets.set(model, offset);
        values.push(...model.table);
      }
      this.offsetOf[host] = offset;
    });
    this.values = Float64Array.from(values);
  }
}

/** CloudSim 3.0.3's `PowerModelSpecPower.getPower` on a packed table; `u` must be within [0, 1]. */
export function cloudSimTablePower(values: Float64Array, offset: number, u: number): number {
  // CloudSim tests u % 0.1 == 0; the only doubles in [0, 1] for which that holds are exact multiples of the
  // double 0.1 that are themselves doubles: 0, 0.1, 0.2, 0.4 and 0.8 (3 · 0.1 and the others need 54 bits).
  if (u === 0 || u === 0.1 || u === 0.2 || u === 0.4 || u === 0.8) return values[offset + Math.trunc(u * 10)];
  const i1 = Math.floor(u * 10);
  const p1 = values[offset + i1];
  return p1 + ((values[offset + Math.ceil(u * 10)] - p1) / 10) * (u - i1 / 10) * 100;
}

/** Exact linear interpolation on a packed table; `u` must be within [0, 1]. */
export function exactTablePower(values: Float64Array, offset: number, u: number): number {
  const x = u * 10;
  const i = Math.min(9, Math.floor(x));
  return values[offset + i] + (values[offset + i + 1] - values[offset + i]) * (x - i);
}
