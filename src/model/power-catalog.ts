/**
 * Measured server power tables (watts at 0 %, 10 %, …, 100 % load), each with its source.
 *
 * To add a server: take its SPECpower_ssj2008 result (https://www.spec.org/power_ssj2008/results/), copy the
 * "Average Active Power (W)" column from "Active Idle" up to 100 % target load, and add an entry here with the
 * result's identifier as `source`. Scenario files can also give an inline `table` without touching the code.
 */

export interface PowerTableEntry {
  /** Watts at 0 %, 10 %, …, 100 % utilisation. */
  watts: readonly number[];
  /** Where the numbers come from. */
  source: string;
}

export const POWER_CATALOG: Readonly<Record<string, PowerTableEntry>> = {
  'hp-proliant-ml110-g4': {
    watts: [86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117],
    source:
      'HP ProLiant ML110 G4 (1 × Xeon 3040, 2 cores × 1860 MHz, 4 GB), as cited by CloudSim 3.0.3: ' +
      'spec.org/power_ssj2008/results/res2011q1/power_ssj2008-20110127-00342.html; ' +
      "CloudSim's PowerModelSpecPowerHpProLiantMl110G4Xeon3040",
  },
  'hp-proliant-ml110-g5': {
    watts: [93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135],
    source:
      'HP ProLiant ML110 G5 (1 × Xeon 3075, 2 cores × 2660 MHz, 4 GB), as cited by CloudSim 3.0.3: ' +
      'spec.org/power_ssj2008/results/res2011q1/power_ssj2008-20110124-00339.html; ' +
      "CloudSim's PowerModelSpecPowerHpProLiantMl110G5Xeon3075",
  },
  'ibm-x3250-xeon-x3470': {
    watts: [41.6, 46.7, 52.3, 57.9, 65.4, 73, 80.7, 89.5, 99.6, 105, 113],
    source:
      'IBM x3250 (1 × Xeon X3470, 4 cores × 2933 MHz, 8 GB), as cited by CloudSim 3.0.3: ' +
      'spec.org/power_ssj2008/results/res2009q4/power_ssj2008-20091104-00213.html; ' +
      "CloudSim's PowerModelSpecPowerIbmX3250XeonX3470",
  },
  'ibm-x3550-xeon-x5675': {
    watts: [58.4, 98, 109, 118, 128, 140, 153, 170, 189, 205, 222],
    source:
      'IBM x3550 (2 × Xeon X5675, 12 cores × 3067 MHz, 16 GB), as cited by CloudSim 3.0.3: ' +
      'spec.org/power_ssj2008/results/res2011q2/power_ssj2008-20110406-00368.html; ' +
      "CloudSim's PowerModelSpecPowerIbmX3550XeonX5675",
  },
  // Current two-socket servers. The points are SPECpower_ssj2008 results as transcribed, rounded to whole watts,
  // in the hardware-modelling documentation of the Joulie energy simulator; they were not re-checked against
  // spec.org from here, which this machine cannot reach. Replace them with the result pages' own numbers when
  // you can.
  'amd-epyc-9654-2s': {
    watts: [128, 257, 300, 340, 378, 410, 442, 498, 577, 697, 817],
    source:
      '2 × AMD EPYC 9654 (Genoa, 2 × 96 cores), SPECpower_ssj2008 result power_ssj2008-20221204-01203 (res2022q4), ' +
      'as transcribed by the Joulie project (not re-checked)',
  },
  'amd-epyc-9655-2s': {
    watts: [138, 297, 367, 438, 515, 593, 661, 710, 771, 812, 861],
    source:
      '2 × AMD EPYC 9655 (Turin, 2 × 96 cores), SPECpower_ssj2008 result power_ssj2008-20241007-01464 (res2024q4), ' +
      'as transcribed by the Joulie project (not re-checked)',
  },
  'amd-epyc-9965-2s': {
    watts: [157, 265, 314, 362, 412, 461, 503, 544, 587, 661, 800],
    source:
      '2 × AMD EPYC 9965 (Turin dense, 2 × 192 cores), SPECpower_ssj2008 result power_ssj2008-20250407-01522 ' +
      '(res2025q2), as transcribed by the Joulie project (not re-checked)',
  },
};

/** Names of the catalogue entries, for error messages. */
export const POWER_CATALOG_NAMES: readonly string[] = Object.keys(POWER_CATALOG);
