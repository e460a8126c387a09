/** `hyperwatt schema [--host | --smp | --vcpu-experiment]`: a scenario format as JSON Schema, for editors. */
import { z } from 'zod';
import { HostScenarioSchema } from '../scenario/host-schema.js';
import { scenarioJsonSchema } from '../scenario/schema.js';
import { SmpScenarioSchema, VcpuExperimentSchema } from '../scenario/smp-schema.js';
import { UserError } from '../util/user-error.js';

export function schemaCommand(flags: { host?: boolean; smp?: boolean; vcpuExperiment?: boolean } = {}): void {
  const chosen = [flags.host, flags.smp, flags.vcpuExperiment].filter(Boolean).length;
  if (chosen > 1) throw new UserError('schema: give at most one of --host, --smp, --vcpu-experiment');
  const options = { io: 'input', unrepresentable: 'any' } as const;
  const schema = flags.host
    ? z.toJSONSchema(HostScenarioSchema, options)
    : flags.smp
      ? z.toJSONSchema(SmpScenarioSchema, options)
      : flags.vcpuExperiment
        ? z.toJSONSchema(VcpuExperimentSchema, options)
        : scenarioJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
}
