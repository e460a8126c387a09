/**
 * The files of a host run's output directory (`kind: host`), written all at once (never half-written): the
 * summary, the resolved scenario, the accounting and time-series CSV files, the estimator weights and the
 * self-contained report. docs/outputs.md ("Host runs") lists every column.
 */
import type { HostRunResult } from '../metrics/host-run-result.js';
import { hostCoreSeriesCsv, hostRulesCsv, hostThreadCsv, hostVmCsv, hostVmSeriesCsv } from '../report/host-csv.js';
import { HOST_WALL_CLOCK_FIELDS, renderHostReport } from '../report/host-report.js';
import type { HostScenario } from '../scenario/host-schema.js';
import { writeOutputDirectory } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';

/** The files, in the order the terminal lists them. */
export const HOST_OUTPUT_FILES = [
  'summary.json',
  'scenario.json',
  'vms.csv',
  'threads.csv',
  'rules.csv',
  'cores.csv',
  'vm-series.csv',
  'weights.json',
  'report.html',
] as const;

/** The summary without wall-clock time, which differs between runs: summary.json must be byte-identical. */
export function deterministicHostSummary(summary: HostRunResult['summary']): HostRunResult['summary'] {
  return Object.fromEntries(Object.entries(summary).filter(([field]) => !HOST_WALL_CLOCK_FIELDS.includes(field)));
}

/** The contents of every file of a host run's output directory (file name → text). */
export function hostRunFiles(scenario: HostScenario, result: HostRunResult): Record<(typeof HOST_OUTPUT_FILES)[number], string> {
  return {
    'summary.json': stableJson(deterministicHostSummary(result.summary)),
    'scenario.json': stableJson(scenario),
    'vms.csv': hostVmCsv(result),
    'threads.csv': hostThreadCsv(result),
    'rules.csv': hostRulesCsv(result),
    'cores.csv': hostCoreSeriesCsv(result),
    'vm-series.csv': hostVmSeriesCsv(result),
    // The JSON that `host.weights: <file>` reads back (as `hyperwatt calibrate` writes it).
    'weights.json': stableJson(result.weights),
    // No wall-clock figure in the page: the same scenario gives the same bytes.
    'report.html': renderHostReport(result, scenario, { includeWallClock: false }),
  };
}

export async function writeHostRunOutput(dir: string, scenario: HostScenario, result: HostRunResult): Promise<void> {
  await writeOutputDirectory(dir, hostRunFiles(scenario, result));
}
