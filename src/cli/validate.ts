/**
 * `hyperwatt validate`: load and check a scenario without running it. A data-center scenario is built (which reads
 * and checks its trace files); a host scenario (`kind: host`) is checked with its P-state table and weights file,
 * and its host and VMs are built (which is instantaneous: a host run does its work when it runs).
 */
import { hostParameters, vmSpecs } from '../backends/simulator/host-run.js';
import { buildScenario } from '../scenario/build.js';
import { loadAnyScenario } from './load-scenario.js';

export async function validateCommand(file: string, flags: { set: string[] }): Promise<void> {
  const loaded = await loadAnyScenario(file, { sets: flags.set });
  if (loaded.kind === 'smp') {
    const s = loaded.scenario;
    process.stdout.write(`${file}: valid (SMP scenario: ${s.host.cores} cores, ${s.vms.length} VMs, ${s.vms.reduce((n, vm) => n + vm.vcpus, 0)} vCPUs, schedulers ${s.schedulers.join(', ')})\n`);
    return;
  }
  if (loaded.kind === 'vcpu-experiment') {
    const s = loaded.scenario;
    process.stdout.write(`${file}: valid (vCPU experiment: ${s.profiles.length} profiles × ${s.vmCounts.length} VM counts × ${s.schedulers.length} schedulers)\n`);
    return;
  }
  if (loaded.kind === 'memory') {
    const s = loaded.scenario;
    const { memoryRunCount } = await import('../backends/simulator/memory-scenario.js');
    process.stdout.write(`${file}: valid (guest-memory scenario: ${s.vms.length} VMs, ${memoryRunCount(s)} runs)\n`);
    return;
  }
  if (loaded.kind === 'host') {
    const scenario = loaded.scenario;
    hostParameters(scenario);
    const vms = vmSpecs(scenario);
    const vcpus = vms.reduce((sum, vm) => sum + vm.vcpus.length, 0);
    const driver = scenario.driver ? ' and a driver VM' : '';
    process.stdout.write(
      `${file}: valid (host scenario: ${scenario.host.cores} cores, ${scenario.vms.length} VMs${driver}, ${vcpus} vCPUs, ` +
        `weights ${scenario.host.weights === 'calibrate' ? 'calibrated at start' : scenario.host.weights})\n`,
    );
    return;
  }
  const scenario = loaded.scenario;
  const built = buildScenario(scenario, file);
  process.stdout.write(`${file}: valid (${built.hosts.length} hosts, ${built.vms.length} VMs, mode ${scenario.mode})\n`);
}
