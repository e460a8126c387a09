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
 * The command line (`hyperwatt`) is a thin layer over these functions.
 */
export { loadScenario, type LoadOptions } from './cli/load-scenario.js';
export { runScenario, runBuilt, type RunOptions } from './backends/simulator/run.js';
export { buildScenario, type BuiltScenario } from './scenario/build.js';
export { ScenarioSchema, scenarioJsonSchema, type Scenario, type ScenarioInput } from './scenario/schema.js';
export { expandSweep, loadSweep, type Sweep, type SweepJob } from './scenario/sweep.js';
export type { RunResult, RunSummary, DataCenterSeries, HostSeries } from './metrics/run-result.js';
export { writeRunOutput } from './cli/output.js';
export { renderReport, dataCenterCsv, hostCsv } from './report/index.js';
export { createOverloadDetector, OVERLOAD_DETECTOR_NAMES, type OverloadDetector, type HostLoadView } from './policies/consolidation/overload-detection.js';
export { createVmSelector, VM_SELECTOR_NAMES, type VmSelector, type HostVmView } from './policies/consolidation/vm-selection.js';
export { specPowerModel, linearPowerModel, type PowerModel } from './model/power-model.js';
export { POWER_CATALOG } from './model/power-catalog.js';
export { cloudSimMigrationModel, type MigrationModel, type MigrationRequest } from './mechanisms/migration/migration-model.js';
export { UserError, isUserError } from './util/user-error.js';
export * from './kernel/index.js';
