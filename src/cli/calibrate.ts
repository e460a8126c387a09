/**
 * `hyperwatt calibrate SCENARIO [--out FILE]`: fits the energy estimator's weights for the host of a host scenario
 * (`kind: host`) — its cores, P-states, power and thermal model, and the counters its PMU counts — prints the fit
 * quality per P-state and writes the weights as JSON (default `weights.json`), which `host.weights: FILE` in a
 * scenario reads back instead of calibrating at the start of every run. The file is written atomically; an
 * existing file is replaced, a directory never.
 */
import { extname } from 'node:path';
import { calibrateHost } from '../backends/simulator/host-run.js';
import type { CalibrationFit } from '../mechanisms/host/calibration.js';
import type { EnergyWeightsJson } from '../mechanisms/host/energy-weights.js';
import { formatDisplayNumber } from '../report/summary-table.js';
import { checkOutputFile, writeOutputFile } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';
import { UserError } from '../util/user-error.js';
import { loadAnyScenario } from './load-scenario.js';

export interface CalibrateFlags {
  set: string[];
  out: string;
  json?: boolean;
}

/** Default output file, in the working directory. */
export const DEFAULT_WEIGHTS_FILE = 'weights.json';

export async function calibrateCommand(file: string, flags: CalibrateFlags): Promise<void> {
  // The scenario's own weights file is not read: calibrating is how one makes it.
  const loaded = await loadAnyScenario(file, { sets: flags.set, weightsFile: false });
  if (loaded.kind !== 'host') {
    throw new UserError(`${file}: hyperwatt calibrate needs a host scenario (kind: host); this is a data-center scenario`);
  }
  const out = flags.out;
  if (extname(out).toLowerCase() !== '.json') {
    throw new UserError(`--out ${out}: expected a .json file name (host.weights reads JSON), e.g. --out ${DEFAULT_WEIGHTS_FILE}`);
  }
  // Refuse an unusable output before spending time on the calibration.
  await checkOutputFile(out);
  const started = performance.now();
  const { weights, fits } = calibrateHost(loaded.scenario);
  const wallSeconds = (performance.now() - started) / 1000;
  const json = weights.toJson();
  await writeOutputFile(out, stableJson(json));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ scenario: loaded.scenario.name, out, fits, weights: json, wall_seconds: wallSeconds })}\n`);
    return;
  }
  process.stdout.write(formatCalibration(loaded.scenario.name, fits, json));
  process.stdout.write(`\nwrote ${out} (use it with host.weights: ${out}, relative to the scenario file)\n`);
}

/** The fit quality and the fitted weights, one line per P-state. */
export function formatCalibration(name: string, fits: readonly CalibrationFit[], weights: EnergyWeightsJson): string {
  const header = ['P-state', 'MHz', 'samples', 'RMS rel. error', 'R²', 'halted W', ...weights.counters.map((counter) => `${counter} nJ`)];
  const rows = weights.pStates.map((p, index) => {
    const fit = fits.find((candidate) => candidate.pState === index);
    return [
      String(index),
      formatDisplayNumber(p.frequencyHz / 1e6),
      fit ? String(fit.samples) : '–',
      fit ? `${formatDisplayNumber(fit.rmsRelativeError * 100)} %` : '–',
      fit ? fit.rSquared.toFixed(6) : '–',
      formatDisplayNumber(p.tscJoules * weights.tscHz),
      ...weights.counters.map((counter) => formatDisplayNumber((p.eventJoules[counter] ?? 0) * 1e9)),
    ];
  });
  const table = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  const lines = table.map((row) => `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}\n`);
  return `${name}: estimator weights fitted per P-state (counters: ${weights.counters.join(', ')})\n${lines.join('')}`;
}
