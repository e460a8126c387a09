/**
 * The estimator's energy weights: per P-state, joules per time-stamp-counter tick and per counted event.
 *
 * Estimated energy of a run segment = w_tsc · TSC ticks + Σ_e w_e · events_e, with the weights of the core's
 * P-state (Bellosa, "The benefits of event-driven energy accounting in power-sensitive systems", SIGOPS EW 2000;
 * Stoess et al., USENIX ATC 2007, §4.1). A halted segment costs w_tsc · ticks only, so the TSC weight is the
 * estimated halted (idle) power per tick. Events that the PMU does not count in the chosen configuration have
 * weight 0. Weights are fitted by least squares from calibration runs (calibration.ts, `hyperwatt calibrate`).
 *
 * JSON form (data/energy/weights.json):
 * `{ "counters": ["unhaltedCycles", …], "tscHz": 1.6e9, "pStates": [{ "frequencyHz": …, "tscJoules": …, "eventJoules": { "unhaltedCycles": …, … } }, …] }`
 */

import { EVENT_COUNT, EVENT_NAMES } from '../../model/host/performance-events.js';
import type { PState } from '../../model/host/p-states.js';
import type { EnergyWeightsJson } from '../../metrics/host-run-result.js';

export type { EnergyWeightsJson } from '../../metrics/host-run-result.js';

export class EnergyWeights {
  /** Entries per P-state row: the TSC weight, then one per event kind. */
  readonly stride = 1 + EVENT_COUNT;
  readonly pStateCount: number;
  /** Row per P-state: [w_tsc, w_event0, …]. */
  readonly table: Float64Array;
  /** Indices of the counted events. */
  readonly counters: readonly number[];
  readonly tscHz: number;
  readonly pStates: readonly PState[];

  constructor(pStates: readonly PState[], counters: readonly number[], tscHz: number, table?: Float64Array) {
    this.pStates = pStates;
    this.pStateCount = pStates.length;
    this.counters = counters;
    this.tscHz = tscHz;
    this.table = table ?? new Float64Array(this.pStateCount * this.stride);
    if (this.table.length !== this.pStateCount * this.stride) throw new RangeError('EnergyWeights: table size does not match the P-states');
  }

  /** Estimated energy of a segment at P-state `ps`: `ticks` TSC ticks and the given counter deltas, joules. */
  estimate(ps: number, ticks: number, deltas: ArrayLike<number>, offset = 0): number {
    const row = ps * this.stride;
    let sum = this.table[row] * ticks;
    for (let e = 0; e < EVENT_COUNT; e++) sum += this.table[row + 1 + e] * deltas[offset + e];
    return sum;
  }

  toJson(): EnergyWeightsJson {
    return {
      counters: this.counters.map((e) => EVENT_NAMES[e]),
      tscHz: this.tscHz,
      pStates: this.pStates.map((p, ps) => ({
        frequencyHz: p.frequencyHz,
        voltageVolts: p.voltageVolts,
        tscJoules: this.table[ps * this.stride],
        eventJoules: Object.fromEntries(this.counters.map((e) => [EVENT_NAMES[e], this.table[ps * this.stride + 1 + e]])),
      })),
    };
  }

  /**
   * Reads weights from JSON. Returns problems instead of throwing so that scenario validation reports them
   * with the file and field.
   */
  static fromJson(json: EnergyWeightsJson, pStates: readonly PState[]): EnergyWeights | string[] {
    const problems: string[] = [];
    const counters: number[] = [];
    for (const name of json.counters) {
      const index = (EVENT_NAMES as readonly string[]).indexOf(name);
      if (index < 0) problems.push(`counters: unknown event "${name}" (valid: ${EVENT_NAMES.join(', ')})`);
      else counters.push(index);
    }
    if (json.pStates.length !== pStates.length) problems.push(`pStates: ${json.pStates.length} weight rows for a host with ${pStates.length} P-states`);
    for (let i = 0; i < Math.min(json.pStates.length, pStates.length); i++) {
      if (json.pStates[i].frequencyHz !== pStates[i].frequencyHz) problems.push(`pStates[${i}].frequencyHz: weights for ${json.pStates[i].frequencyHz} Hz, host P-state ${i} is ${pStates[i].frequencyHz} Hz`);
    }
    if (problems.length > 0) return problems;
    const weights = new EnergyWeights(pStates, counters, json.tscHz);
    for (let ps = 0; ps < pStates.length; ps++) {
      const row = ps * weights.stride;
      weights.table[row] = json.pStates[ps].tscJoules;
      for (const e of counters) weights.table[row + 1 + e] = json.pStates[ps].eventJoules[EVENT_NAMES[e]] ?? 0;
    }
    return weights;
  }
}
