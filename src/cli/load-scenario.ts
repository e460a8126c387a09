/**
 * Loading a scenario file the way every command does: parse, apply `--set` overrides and `--seed`, validate
 * everything at once.
 */
import { loadDocument } from '../scenario/document.js';
import { withOverrides } from '../scenario/overrides.js';
import { ScenarioSchema, type Scenario } from '../scenario/schema.js';
import { parseWith } from '../scenario/validate.js';

export interface LoadOptions {
  sets?: readonly string[];
  seed?: number;
}

export function loadScenario(file: string, options: LoadOptions = {}): Scenario {
  const sets = [...(options.sets ?? [])];
  if (options.seed !== undefined) sets.push(`seed=${options.seed}`);
  const located = withOverrides(loadDocument(file), sets);
  return parseWith(ScenarioSchema, located, file);
}
