/** `hyperwatt validate`: load and check a scenario, including its trace files, without running it. */
import { buildScenario } from '../scenario/build.js';
import { loadScenario } from './load-scenario.js';

export function validateCommand(file: string, flags: { set: string[] }): void {
  const scenario = loadScenario(file, { sets: flags.set });
  const built = buildScenario(scenario, file);
  process.stdout.write(`${file}: valid (${built.hosts.length} hosts, ${built.vms.length} VMs, mode ${scenario.mode})\n`);
}
