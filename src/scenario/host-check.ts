/**
 * Checks of a host scenario (`kind: host`) that its schema cannot make, reported like schema problems — with the
 * scenario file, line, column and field path — before anything runs:
 *
 * - `host.pStates`: frequencies strictly decreasing from P-state 0, voltages not increasing (model/host/p-states.ts);
 * - `host.weights`, when it names a file: the file exists, is a `.json` weights file as `hyperwatt calibrate`
 *   writes it (its own problems are reported with the weights file's line and column), has one row per P-state
 *   of the host at the same frequencies, and was fitted for the counters the scenario's PMU counts
 *   (`host.counters`) — otherwise the estimator would silently weigh other events than the scenario says.
 *
 * The runner (backends/simulator/host-run.ts) reads the weights file again; this module only makes sure that
 * reading cannot fail with a message that lacks the scenario's line.
 */
import { extname, isAbsolute, relative } from 'node:path';
import { z } from 'zod';
import { EnergyWeights, type EnergyWeightsJson } from '../mechanisms/host/energy-weights.js';
import { PENTIUM_M_1600_PSTATES, pStateProblems } from '../model/host/p-states.js';
import { EVENT_NAMES } from '../model/host/performance-events.js';
import { formatPath, type Issue, isUserError } from '../util/user-error.js';
import { resolveScenarioPath } from './build.js';
import { loadDocument, type DataPath, type LocatedData } from './document.js';
import type { HostScenario } from './host-schema.js';
import { parseWith } from './validate.js';

/** The JSON a weights file holds ({@link EnergyWeightsJson}, written by `hyperwatt calibrate`). */
export const EnergyWeightsFileSchema = z.strictObject({
  counters: z.array(z.enum(EVENT_NAMES)).describe('events the PMU counted when the weights were fitted'),
  tscHz: z.number().positive().describe('time-stamp counter frequency the tick weights refer to, Hz'),
  pStates: z
    .array(
      z.strictObject({
        frequencyHz: z.number().positive(),
        voltageVolts: z.number().positive(),
        tscJoules: z.number().nonnegative().describe('joules per TSC tick'),
        eventJoules: z.partialRecord(z.enum(EVENT_NAMES), z.number().nonnegative()).describe('joules per event, by event name'),
      }),
    )
    .min(1),
});

/** What to check besides the schema. */
export interface HostCheckOptions {
  /** Check the weights file named by `host.weights` (default true; `hyperwatt calibrate` does not read it). */
  weightsFile?: boolean;
}

/**
 * Every problem of a parsed host scenario that the schema does not see, each located in the scenario file (or
 * blamed on the `--set` argument that set the field).
 *
 * @param scenario the scenario as parsed by `HostScenarioSchema`.
 * @param located the document it was parsed from (for line numbers).
 * @param file the scenario file as the user named it (weights paths are relative to it).
 */
export function hostScenarioProblems(scenario: HostScenario, located: LocatedData, file: string, options: HostCheckOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const at = (path: DataPath, message: string): Issue => locatedIssue(located, file, path, message);
  const pStates = scenario.host.pStates ?? PENTIUM_M_1600_PSTATES;
  for (const problem of pStateProblems(pStates)) issues.push(at(['host', 'pStates'], problem));
  if ((options.weightsFile ?? true) && scenario.host.weights !== 'calibrate' && issues.length === 0) {
    issues.push(...weightsFileProblems(scenario, located, file));
  }
  return issues;
}

function weightsFileProblems(scenario: HostScenario, located: LocatedData, file: string): Issue[] {
  const path = ['host', 'weights'];
  const weightsFile = resolveScenarioPath(scenario.host.weights, file);
  const shown = displayPath(weightsFile);
  const at = (message: string): Issue => locatedIssue(located, file, path, message);
  if (extname(weightsFile).toLowerCase() !== '.json') {
    return [at(`expected "calibrate" or a .json weights file written by \`hyperwatt calibrate\`, got ${JSON.stringify(scenario.host.weights)}`)];
  }
  let json: EnergyWeightsJson;
  try {
    json = parseWith(EnergyWeightsFileSchema, loadDocument(weightsFile), shown);
  } catch (error) {
    if (!isUserError(error)) throw error;
    const inner = error.issues;
    // A file that cannot be read at all is the scenario's problem (a wrong path): say so at host.weights.
    if (inner.length > 0 && inner.every((issue) => issue.line === undefined && issue.path === undefined)) {
      return [at(`cannot read the weights file ${shown}: ${inner.map((issue) => issue.message).join('; ')}`)];
    }
    // A malformed weights file: point at host.weights, then at each problem in the weights file itself.
    return [at(`${shown} is not a weights file written by \`hyperwatt calibrate\`:`), ...inner];
  }
  const issues: Issue[] = [];
  const pStates = scenario.host.pStates ?? PENTIUM_M_1600_PSTATES;
  const weights = EnergyWeights.fromJson(json, pStates);
  if (Array.isArray(weights)) {
    for (const problem of weights) issues.push(at(`${shown}: ${problem} (the weights were fitted on another host; run \`hyperwatt calibrate\` for this one)`));
  }
  const fitted = [...json.counters].sort().join(', ');
  const counted = [...scenario.host.counters].sort().join(', ');
  if (fitted !== counted) {
    issues.push(
      at(`${shown} was fitted for the counters [${json.counters.join(', ')}] but host.counters is [${scenario.host.counters.join(', ')}]; ` + 'set host.counters to match or calibrate again'),
    );
  }
  return issues;
}

/** An issue at `path` of the scenario: at its line and column, or blamed on the `--set` argument that set it. */
function locatedIssue(located: LocatedData, file: string, path: DataPath, message: string): Issue {
  const source = located.sourceOf?.(path);
  if (source !== undefined) return { file: source, path: formatPath(path), message };
  return { file, ...located.locate(path), path: formatPath(path), message };
}

/** A path as people read it: relative to the working directory when it lies below it. */
function displayPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown === '' || shown.startsWith('..') || isAbsolute(shown) ? path : shown;
}
