/**
 * The files of a run's output directory, written all at once (never half-written): summary.json, the time
 * series as CSV, the resolved scenario and the self-contained report.html.
 */
import type { RunResult, RunSummary } from '../metrics/run-result.js';
import { dataCenterCsv, hostCsv, vmCsv } from '../report/csv.js';
import { renderReport } from '../report/html.js';
import type { Scenario } from '../scenario/schema.js';
import { writeOutputDirectory } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';

/** The summary without wall-clock time, which differs between runs: summary.json must be byte-identical. */
export function deterministicSummary(summary: RunSummary): Omit<RunSummary, 'wall_seconds'> {
  const { wall_seconds: _wall, ...rest } = summary;
  return rest;
}

export async function writeRunOutput(dir: string, scenario: Scenario, result: RunResult): Promise<void> {
  await writeOutputDirectory(dir, {
    'summary.json': stableJson(deterministicSummary(result.summary)),
    'scenario.json': stableJson(scenario),
    'datacenter.csv': dataCenterCsv(result),
    'hosts.csv': hostCsv(result),
    ...(result.vmEnergyJoules ? { 'vms.csv': vmCsv(result) } : {}),
    // No wall-clock figure in the page: the same scenario and seed give the same bytes.
    'report.html': renderReport(result, { title: scenario.name, includeWallClock: false }),
  });
}
