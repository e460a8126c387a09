/**
 * Hyperwatt as a library: load and validate a scenario, run it on the embedded simulator, write its outputs.
 *
 * ```ts
 * import { loadScenario, runScenario } from 'hyperwatt';
 * const file = 'examples/planetlab/lr-mmt.yaml';
 * const result = runScenario(loadScenario(file, { sets: ['workload.day=20110306'] }), file);
 * console.log(result.summary.energy_kwh);
 * ```
 *
 * One live migration on its own link:
 *
 * ```ts
 * import { simulateMigration, QEMU_DEFAULTS } from 'hyperwatt';
 * const r = simulateMigration(guestMemorySpec, { ...QEMU_DEFAULTS, strategy: 'postcopy' }, { bandwidthBytesPerSecond: 125e6, latencySeconds: 1e-4 }, 1);
 * ```
 *
 * One detailed host (`kind: host`):
 *
 * ```ts
 * import { loadHostScenario, runHostScenario } from 'hyperwatt';
 * const file = 'examples/host/power-cap.yaml';
 * const { summary, vms } = runHostScenario(loadHostScenario(file), file);
 * ```
 *
 * The command line (`hyperwatt`) is a thin layer over these functions.
 */
export { loadScenario, loadAnyScenario, type LoadOptions, type AnyScenario } from './cli/load-scenario.js';
export { loadHostScenario } from './cli/load-host-scenario.js';
export { runScenario, runBuilt, type RunOptions } from './backends/simulator/run.js';
export { buildScenario, type BuiltScenario } from './scenario/build.js';
export { ScenarioSchema, scenarioJsonSchema, type Scenario, type ScenarioInput } from './scenario/schema.js';
export { expandSweep, loadSweep, type Sweep, type SweepJob } from './scenario/sweep.js';
export type { RunResult, RunSummary, DataCenterSeries, HostSeries } from './metrics/run-result.js';
export { writeRunOutput } from './cli/output.js';
export { renderReport, dataCenterCsv, hostCsv, renderHostReport } from './report/index.js';
export { HostScenarioSchema, type HostScenario, type HostScenarioInput } from './scenario/host-schema.js';
export { runHostScenario, calibrateHost, type HostRunResult, type VmAccountingRow } from './backends/simulator/host-run.js';
export { writeHostRunOutput } from './cli/host-output.js';
export { createOverloadDetector, OVERLOAD_DETECTOR_NAMES, type OverloadDetector, type HostLoadView } from './policies/consolidation/overload-detection.js';
export { createVmSelector, VM_SELECTOR_NAMES, type VmSelector, type HostVmView } from './policies/consolidation/vm-selection.js';
export { specPowerModel, linearPowerModel, type PowerModel } from './model/power-model.js';
export { POWER_CATALOG } from './model/power-catalog.js';
export { cloudSimMigrationModel, type MigrationModel, type MigrationRequest } from './mechanisms/migration/migration-model.js';
export {
  LiveMigration,
  QEMU_DEFAULTS,
  QEMU_AUTO_CONVERGE,
  MIGRATION_STRATEGIES,
  type LiveMigrationParameters,
  type LiveMigrationResult,
  type MigrationStrategy,
} from './mechanisms/migration/live-migration.js';
export { AggregateMigration } from './mechanisms/migration/aggregate-migration.js';
export type { MigrationProcess } from './mechanisms/migration/migration-process.js';
export { simulateMigration, runAlone, type LinkSpec, type FailureSpec } from './mechanisms/migration/single-migration.js';
export { MigrationService, type MigrationServiceHooks, type MigrationFactory } from './mechanisms/migration/migration-service.js';
export { simulateSimGridPrecopy, SIMGRID_DEFAULTS, type SimGridPrecopyParameters, type SimGridPrecopyResult } from './mechanisms/migration/simgrid-precopy.js';
export type { GuestMemorySpec, WritePattern } from './model/memory/guest-memory.js';
export { FlowNetwork } from './model/network/flow-network.js';
export { starTopology, StarTopology } from './model/network/topology.js';
export { UserError, isUserError } from './util/user-error.js';
export * from './kernel/index.js';
