/**
 * Loading a scenario file the way every command does: parse, apply `--set` overrides and `--seed`, validate
 * everything at once.
 *
 * Five formats share the commands: data-center scenarios (no top-level `kind`, src/scenario/schema.ts), host
 * scenarios (`kind: host`, src/scenario/host-schema.ts), the double-scheduling formats (`kind: smp` and
 * `kind: vcpu-experiment`, src/scenario/smp-schema.ts), and guest-memory scenarios (`kind: memory`,
 * src/scenario/memory-schema.ts). {@link loadAnyScenario} tells them apart by `kind`
 * (after the `--set` overrides, so `--set kind=host` is honoured like any other field).
 */
import { loadDocument } from '../scenario/document.js';
import type { HostCheckOptions } from '../scenario/host-check.js';
import type { HostScenario } from '../scenario/host-schema.js';
import type { SmpScenario, VcpuExperiment } from '../scenario/smp-schema.js';
import type { MemoryScenario } from '../scenario/memory-schema.js';
import { withOverrides } from '../scenario/overrides.js';
import { ScenarioSchema, type Scenario } from '../scenario/schema.js';
import { parseWith } from '../scenario/validate.js';
import { UserError } from '../util/user-error.js';

export interface LoadOptions {
  sets?: readonly string[];
  seed?: number;
  /**
   * Apply `seed` to data-center scenarios only and ignore it for host scenarios, which have none (sweeps pass
   * every job a seed); without this a seed for a host scenario is an error.
   */
  seedForDataCenterOnly?: boolean;
}

/** The `kind` of host scenario files; data-center scenarios have no `kind`. */
export const HOST_SCENARIO_KIND = 'host';

/** The kinds of the double-scheduling formats (src/scenario/smp-schema.ts). */
export const SMP_SCENARIO_KINDS = ['smp', 'vcpu-experiment'] as const;

/** A loaded scenario of any format. */
export type AnyScenario =
  | { kind: 'datacenter'; scenario: Scenario }
  | { kind: 'host'; scenario: HostScenario }
  | { kind: 'smp'; scenario: SmpScenario }
  | { kind: 'vcpu-experiment'; scenario: VcpuExperiment }
  | { kind: 'memory'; scenario: MemoryScenario };

/** Loads a data-center scenario (no `kind`). */
export function loadScenario(file: string, options: LoadOptions = {}): Scenario {
  const sets = [...(options.sets ?? [])];
  if (options.seed !== undefined) sets.push(`seed=${options.seed}`);
  const located = withOverrides(loadDocument(file), sets);
  return parseWith(ScenarioSchema, located, file);
}

/**
 * Loads either format, deciding by the top-level `kind`: `host` is a host scenario, no `kind` a data-center one.
 *
 * @throws UserError for any problem, including an unknown `kind` (located at the field).
 */
export async function loadAnyScenario(file: string, options: LoadOptions & HostCheckOptions = {}): Promise<AnyScenario> {
  const sets = [...(options.sets ?? [])];
  let located = withOverrides(loadDocument(file), sets);
  const kind = topLevelKind(located.data);
  if (kind === undefined) {
    const seeded = options.seed === undefined ? located : withOverrides(located, [`seed=${options.seed}`]);
    return { kind: 'datacenter', scenario: parseWith(ScenarioSchema, seeded, file) };
  }
  if (kind === HOST_SCENARIO_KIND) {
    // Loaded only for host scenarios: a data-center run does not pay for the host format's modules at start-up.
    const host = await import('./load-host-scenario.js');
    if (!options.seedForDataCenterOnly) host.rejectSeed(options);
    return { kind: 'host', scenario: host.parseHostScenario(located, file, options) };
  }
  if (kind === 'smp' || kind === 'vcpu-experiment') {
    if (options.seed !== undefined && !options.seedForDataCenterOnly) located = withOverrides(located, [`seed=${options.seed}`]);
    // Loaded only for these formats, as the host format is.
    const smp = await import('../scenario/smp-schema.js');
    if (kind === 'smp') return { kind, scenario: parseWith(smp.SmpScenarioSchema, located, file) };
    return { kind, scenario: parseWith(smp.VcpuExperimentSchema, located, file) };
  }
  if (kind === 'memory') {
    if (options.seed !== undefined && !options.seedForDataCenterOnly) located = withOverrides(located, [`seed=${options.seed}`]);
    const memory = await import('../scenario/memory-schema.js');
    return { kind, scenario: parseWith(memory.MemoryScenarioSchema, located, file) };
  }
  const message = `unknown scenario kind ${JSON.stringify(kind)}; valid: ${[HOST_SCENARIO_KIND, ...SMP_SCENARIO_KINDS, 'memory'].join(', ')} (leave kind out for a data-center scenario)`;
  const source = located.sourceOf?.(['kind']);
  throw UserError.fromIssues([source !== undefined ? { file: source, path: 'kind', message } : { file, ...located.locate(['kind']), path: 'kind', message }]);
}

/** The top-level `kind` of loaded data: undefined when absent (or the data is not a mapping). */
function topLevelKind(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return (data as Record<string, unknown>).kind;
}
