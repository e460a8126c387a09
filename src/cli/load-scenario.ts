/**
 * Loading a scenario file the way every command does: parse, apply `--set` overrides and `--seed`, validate
 * everything at once.
 *
 * Two formats share the commands: data-center scenarios (no top-level `kind`, src/scenario/schema.ts) and host
 * scenarios (`kind: host`, src/scenario/host-schema.ts). {@link loadAnyScenario} tells them apart by `kind`
 * (after the `--set` overrides, so `--set kind=host` is honoured like any other field).
 */
import { loadDocument, type LocatedData } from '../scenario/document.js';
import { hostScenarioProblems, type HostCheckOptions } from '../scenario/host-check.js';
import { HostScenarioSchema, type HostScenario } from '../scenario/host-schema.js';
import { withOverrides } from '../scenario/overrides.js';
import { ScenarioSchema, type Scenario } from '../scenario/schema.js';
import { parseWith } from '../scenario/validate.js';
import { UserError } from '../util/user-error.js';

export interface LoadOptions {
  sets?: readonly string[];
  seed?: number;
}

/** The `kind` of host scenario files; data-center scenarios have no `kind`. */
export const HOST_SCENARIO_KIND = 'host';

/** A loaded scenario of either format. */
export type AnyScenario = { kind: 'datacenter'; scenario: Scenario } | { kind: 'host'; scenario: HostScenario };

/** Loads a data-center scenario (no `kind`). */
export function loadScenario(file: string, options: LoadOptions = {}): Scenario {
  const sets = [...(options.sets ?? [])];
  if (options.seed !== undefined) sets.push(`seed=${options.seed}`);
  const located = withOverrides(loadDocument(file), sets);
  return parseWith(ScenarioSchema, located, file);
}

/**
 * Loads a host scenario (`kind: host`): the schema, then the checks it cannot make (the P-state table, the
 * weights file), every problem with file, line and field.
 *
 * @throws UserError for a bad file, or `--seed` (host runs are deterministic and have no seed).
 */
export function loadHostScenario(file: string, options: LoadOptions & HostCheckOptions = {}): HostScenario {
  rejectSeed(options);
  return parseHostScenario(withOverrides(loadDocument(file), options.sets ?? []), file, options);
}

/**
 * Loads either format, deciding by the top-level `kind`: `host` is a host scenario, no `kind` a data-center one.
 *
 * @throws UserError for any problem, including an unknown `kind` (located at the field).
 */
export function loadAnyScenario(file: string, options: LoadOptions & HostCheckOptions = {}): AnyScenario {
  const sets = [...(options.sets ?? [])];
  if (options.seed !== undefined) sets.push(`seed=${options.seed}`);
  const located = withOverrides(loadDocument(file), sets);
  const kind = topLevelKind(located.data);
  if (kind === undefined) return { kind: 'datacenter', scenario: parseWith(ScenarioSchema, located, file) };
  if (kind === HOST_SCENARIO_KIND) {
    rejectSeed(options);
    return { kind: 'host', scenario: parseHostScenario(located, file, options) };
  }
  const message = `unknown scenario kind ${JSON.stringify(kind)}; valid: ${HOST_SCENARIO_KIND} (leave kind out for a data-center scenario)`;
  const source = located.sourceOf?.(['kind']);
  throw UserError.fromIssues([source !== undefined ? { file: source, path: 'kind', message } : { file, ...located.locate(['kind']), path: 'kind', message }]);
}

function parseHostScenario(located: LocatedData, file: string, options: HostCheckOptions): HostScenario {
  const scenario = parseWith(HostScenarioSchema, located, file);
  const problems = hostScenarioProblems(scenario, located, file, options);
  if (problems.length > 0) throw UserError.fromIssues(problems);
  return scenario;
}

function rejectSeed(options: LoadOptions): void {
  if (options.seed !== undefined) {
    throw new UserError('--seed: host scenarios (kind: host) are deterministic and have no seed; leave --seed out');
  }
}

/** The top-level `kind` of loaded data: undefined when absent (or the data is not a mapping). */
function topLevelKind(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return (data as Record<string, unknown>).kind;
}
