/**
 * `hyperwatt agent`: the node agent (src/backends/qemu/node-agent.ts) on this host, until interrupted. The token comes
 * from `--token-file` or the HYPERWATT_AGENT_TOKEN environment variable; the guest from `hyperwatt guest build`'s
 * cache (built if missing); the host's power model from the catalogue.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { buildGuestImage } from '../backends/qemu/guest-image.js';
import { NodeAgent } from '../backends/qemu/node-agent.js';
import { POWER_CATALOG, POWER_CATALOG_NAMES } from '../model/power-catalog.js';
import { specPowerModel } from '../model/power-model.js';
import { UserError } from '../util/user-error.js';

export async function agentCommand(flags: { port: number; host: string; data: string; tokenFile?: string; power: string; cores?: number }): Promise<void> {
  const token = flags.tokenFile ? readFileSync(flags.tokenFile, 'utf8').trim() : process.env.HYPERWATT_AGENT_TOKEN;
  if (!token || token.length < 16) throw new UserError('agent: give a bearer token of at least 16 characters with --token-file or HYPERWATT_AGENT_TOKEN');
  const entry = POWER_CATALOG[flags.power];
  if (!entry) throw new UserError(`agent: unknown power model '${flags.power}'; valid: ${POWER_CATALOG_NAMES.join(', ')}`);
  const image = buildGuestImage({ log: (line) => process.stderr.write(`progress ${line}\n`) });
  const { agent, url } = await NodeAgent.start(
    { dataDirectory: flags.data, token, image, power: specPowerModel(flags.power, entry.watts), cores: flags.cores ?? availableParallelism() },
    { port: flags.port, host: flags.host },
  );
  process.stderr.write(`hyperwatt agent on ${url} (data ${flags.data}; ${agent.vmNames.length} VM(s) reattached); Ctrl-C stops the agent, not its VMs\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void agent.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
