/** `hyperwatt schema`: the scenario format as JSON Schema, for editors. */
import { scenarioJsonSchema } from '../scenario/schema.js';

export function schemaCommand(): void {
  process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
}
