/**
 * Runs a validated scenario on the embedded simulator and returns its result. The one entry point the CLI, the
 * sweep workers, the benchmarks and the validation all use.
 */
import { performance } from 'node:perf_hooks';
import type { RunResult, VcpuBallooningSeries } from '../../metrics/run-result.js';
import { createOverloadDetector } from '../../policies/consolidation/overload-detection.js';
import { createVmSelector } from '../../policies/consolidation/vm-selection.js';
import { buildScenario, type BuiltScenario } from '../../scenario/build.js';
import type { Scenario } from '../../scenario/schema.js';
import { cloudSimMigrationModel } from '../../mechanisms/migration/migration-model.js';
import { UserError } from '../../util/user-error.js';
import { CloudSimDataCenter, type CompatAllocation } from './cloudsim-datacenter.js';
import { FluidDataCenter } from './fluid-datacenter.js';
import { migrationEngineConfig } from './migration-engine.js';

export interface RunOptions {
  /** Called with progress in [0, 1] now and then (never per event). */
  onProgress?: (fraction: number) => void;
}

/** Runs `scenario` (loaded from `scenarioFile`, for relative paths). */
export function runScenario(scenario: Scenario, scenarioFile: string, options: RunOptions = {}): RunResult {
  const start = performance.now();
  const built = buildScenario(scenario, scenarioFile);
  return runBuilt(scenario, built, start, options);
}

/** Runs an already built scenario (sweeps reuse one build across seeds when only policy parameters change). */
export function runBuilt(scenario: Scenario, built: BuiltScenario, start = performance.now(), options: RunOptions = {}): RunResult {
  const result = scenario.mode === 'default' ? runDefault(scenario, built, options) : runCompat(scenario, built, options);
  // Accumulators start from −0 (see DOUBLE_ZERO in the engines); a figure that stayed zero is reported as 0.
  const figures = Object.fromEntries(Object.entries(result.summary).map(([k, v]) => [k, v === 0 ? 0 : v])) as typeof result.summary;
  return {
    summary: {
      scenario: scenario.name,
      mode: scenario.mode,
      seed: scenario.seed,
      ...figures,
      wall_seconds: (performance.now() - start) / 1000,
    },
    dataCenter: result.dataCenter,
    hosts: result.hosts,
    ...('vmEnergyJoules' in result ? { vmEnergyJoules: result.vmEnergyJoules as Float64Array } : {}),
    ...('vcpus' in result && result.vcpus ? { vcpus: result.vcpus as VcpuBallooningSeries } : {}),
    warnings: result.warnings,
  };
}

function runDefault(scenario: Scenario, built: BuiltScenario, options: RunOptions) {
  const policy = scenario.policy;
  const migration = scenario.migration;
  if (migration.model !== 'cloudsim') {
    const check = (list: readonly { host: number }[], field: string): string[] =>
      list.flatMap((failure, i) =>
        failure.host < built.hosts.length ? [] : [`migration.${field}[${i}].host: no host ${failure.host} (the scenario has hosts 0–${built.hosts.length - 1})`],
      );
    const problems = [...check(migration.hostFailures, 'hostFailures'), ...check(migration.linkFailures, 'linkFailures')];
    if (problems.length > 0) throw new UserError(`${scenario.name}: ${problems.join('; ')}`);
  }
  const engine = new FluidDataCenter({
    hosts: built.hosts.map((h) => ({ cores: h.cores, mipsPerCore: h.mipsPerCore, ramMiB: h.ramMiB, bandwidthMbps: h.bandwidthMbps, power: h.power })),
    vms: built.vms.map((v) => ({ mips: v.mips, pes: v.pes, ramMiB: v.ramMiB, bandwidthMbps: v.bandwidthMbps })),
    utilisation: built.utilisation,
    samplesPerVm: built.samplesPerVm,
    sampleIntervalSeconds: built.sampleIntervalSeconds,
    schedulingIntervalSeconds: scenario.schedulingIntervalSeconds,
    durationSeconds: scenario.durationSeconds,
    allocation:
      policy.name === 'consolidation'
        ? { kind: 'migration', detector: createOverloadDetector(policy.overload), selector: createVmSelector(policy.selection, built.streams.get('vm-selection')) }
        : { kind: 'first-fit' },
    energy: policy.name === 'npa' ? 'max-power' : 'utilisation',
    // Realistic models keep CloudSim's fixed model only as a fallback that the engine overrides.
    migration: migration.model === 'cloudsim' ? cloudSimMigrationModel(migration.bandwidthFraction, migration.cpuOverhead) : cloudSimMigrationModel(0.5, 0.1),
    migrationEngine: migration.model === 'cloudsim' ? undefined : migrationEngineConfig(migration, built.vms, scenario.seed),
    powerStates: scenario.powerStates,
    powerCap: scenario.powerCap
      ? { facilityWatts: scenario.powerCap.facilityWatts ?? null, rack: scenario.powerCap.rack ?? null, choose: scenario.powerCap.choose, floorFraction: scenario.powerCap.floorFraction }
      : undefined,
    vcpuBallooning: scenario.vcpuBallooning ? { name: scenario.vcpuBallooning.policy } : undefined,
    onProgress: options.onProgress,
  });
  try {
    return engine.run();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('no host can take')) throw new UserError(`${scenario.name}: ${error.message}`);
    throw error;
  }
}

function runCompat(scenario: Scenario, built: BuiltScenario, options: RunOptions) {
  if (scenario.powerStates.kind !== 'instant') {
    throw new UserError(`${scenario.name}: powerStates "${scenario.powerStates.kind}" needs mode: default (CloudSim switches hosts instantly)`);
  }
  if (scenario.powerCap) throw new UserError(`${scenario.name}: powerCap needs mode: default (CloudSim has no power cap)`);
  if (scenario.vcpuBallooning) throw new UserError(`${scenario.name}: vcpuBallooning needs mode: default (CloudSim has no vCPU ballooning)`);
  const policy = scenario.policy;
  let allocation: CompatAllocation = { kind: 'first-fit' };
  if (policy.name === 'consolidation') {
    allocation = {
      kind: 'migration',
      detector: createOverloadDetector(policy.overload),
      selector: createVmSelector(policy.selection, built.streams.get('vm-selection')),
    };
  }
  const migration = scenario.migration;
  if (migration.model !== 'cloudsim') {
    throw new UserError(`${scenario.name}: migration model "${migration.model}" needs mode: default (the cloudsim-3.0.3 mode reproduces CloudSim's own migration model)`);
  }
  const engine = new CloudSimDataCenter({
    hosts: built.hosts.map((h) => ({
      cores: h.cores,
      mipsPerCore: h.mipsPerCore,
      ramMiB: h.ramMiB,
      bandwidthKbps: h.bandwidthMbps * 1000,
      storageMB: h.storageMB,
      power: h.power,
    })),
    vms: built.vms.map((v) => ({ mips: v.mips, pes: v.pes, ramMiB: v.ramMiB, bandwidthKbps: v.bandwidthMbps * 1000, sizeMB: v.sizeMB })),
    utilisation: built.utilisation,
    samplesPerVm: built.samplesPerVm,
    sampleIntervalSeconds: built.sampleIntervalSeconds,
    schedulingIntervalSeconds: scenario.schedulingIntervalSeconds,
    durationSeconds: scenario.durationSeconds,
    startSeconds: 0.1,
    allocation,
    energy: policy.name === 'npa' ? 'max-power' : 'utilisation',
    migrationBandwidthFraction: migration.bandwidthFraction,
    migrationOverhead: migration.cpuOverhead,
    onProgress: options.onProgress,
  });
  return engine.run();
}
