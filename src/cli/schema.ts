/** `hyperwatt schema [--host]`: a scenario format as JSON Schema, for editors. */
import { z } from 'zod';
import { HostScenarioSchema } from '../scenario/host-schema.js';
import { scenarioJsonSchema } from '../scenario/schema.js';

export function schemaCommand(flags: { host?: boolean } = {}): void {
  const schema = flags.host ? z.toJSONSchema(HostScenarioSchema, { io: 'input', unrepresentable: 'any' }) : scenarioJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
}
