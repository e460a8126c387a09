/** `hyperwatt schema [--host | --smp | --vcpu-experiment | --memory]`: a scenario format as JSON Schema, for editors. */
import { z } from 'zod';
import { HostScenarioSchema } from '../scenario/host-schema.js';
import { scenarioJsonSchema } from '../scenario/schema.js';
import { SmpScenarioSchema, VcpuExperimentSchema } from '../scenario/smp-schema.js';
import { MemoryScenarioSchema } from '../scenario/memory-schema.js';
import { UserError } from '../util/user-error.js';

export function schemaCommand(flags: { host?: boolean; smp?: boolean; vcpuExperiment?: boolean; memory?: boolean } = {}): void {
  const chosen = [flags.host, flags.smp, flags.vcpuExperiment, flags.memory].filter(Boolean).length;
  if (chosen > 1) throw new UserError('schema: give at most one of --host, --smp, --vcpu-experiment, --memory');
  const options = { io: 'input', unrepresentable: 'any' } as const;
  const schema = flags.host
    ? z.toJSONSchema(HostScenarioSchema, options)
    : flags.smp
      ? z.toJSONSchema(SmpScenarioSchema, options)
      : flags.vcpuExperiment
        ? z.toJSONSchema(VcpuExperimentSchema, options)
        : flags.memory
          ? z.toJSONSchema(MemoryScenarioSchema, options)
          : scenarioJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
}
