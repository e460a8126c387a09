/**
 * Loading a host scenario (`kind: host`): the schema, then the checks it cannot make (the P-state table, the
 * weights file), every problem with file, line and field. load-scenario.ts imports this module only when a file
 * is a host scenario.
 */
import { loadDocument, type LocatedData } from '../scenario/document.js';
import { hostScenarioProblems, type HostCheckOptions } from '../scenario/host-check.js';
import { HostScenarioSchema, type HostScenario } from '../scenario/host-schema.js';
import { withOverrides } from '../scenario/overrides.js';
import { parseWith } from '../scenario/validate.js';
import { UserError } from '../util/user-error.js';
import type { LoadOptions } from './load-scenario.js';

/**
 * Loads a host scenario file.
 *
 * @throws UserError for a bad file, or `--seed` (host runs are deterministic and have no seed).
 */
export function loadHostScenario(file: string, options: LoadOptions & HostCheckOptions = {}): HostScenario {
  rejectSeed(options);
  return parseHostScenario(withOverrides(loadDocument(file), options.sets ?? []), file, options);
}

/** Parses and checks already loaded data as a host scenario. */
export function parseHostScenario(located: LocatedData, file: string, options: HostCheckOptions): HostScenario {
  const scenario = parseWith(HostScenarioSchema, located, file);
  const problems = hostScenarioProblems(scenario, located, file, options);
  if (problems.length > 0) throw UserError.fromIssues(problems);
  return scenario;
}

export function rejectSeed(options: LoadOptions): void {
  if (options.seed !== undefined) {
    throw new UserError('--seed: host scenarios (kind: host) are deterministic and have no seed; leave --seed out');
  }
}
