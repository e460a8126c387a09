/**
 * Consistency check of a {@link RunResult} before it is written: every series must have one value per sample.
 *
 * Writers check first so that a simulator bug shows up as one clear error listing every problem, not as a
 * truncated file or a chart with a shifted line.
 */

import type { RunResult } from '../metrics/run-result.js';

/**
 * Lists every series whose length disagrees with the sample times.
 *
 * @returns one message per problem, each naming the field path; empty when the result is consistent.
 */
export function runResultProblems(result: RunResult): string[] {
  const series = result.dataCenter;
  const sampleCount = series.timeSeconds.length;
  const problems: string[] = [];
  for (const [name, values] of Object.entries(series) as [string, Float64Array][]) {
    if (values.length !== sampleCount) {
      problems.push(`dataCenter.${name} has ${values.length} samples, expected ${sampleCount} (dataCenter.timeSeconds.length)`);
    }
  }
  const hosts = result.hosts;
  if (hosts.sampleCount !== sampleCount) {
    problems.push(`hosts.sampleCount is ${hosts.sampleCount}, expected ${sampleCount} (dataCenter.timeSeconds.length)`);
  }
  const expected = hosts.hostCount * hosts.sampleCount;
  for (const name of ['powerWatts', 'utilisation'] as const) {
    if (hosts[name].length !== expected) {
      problems.push(`hosts.${name} has ${hosts[name].length} values, expected hostCount × sampleCount = ${expected}`);
    }
  }
  return problems;
}

/**
 * Throws if the result is inconsistent (see {@link runResultProblems}).
 *
 * @throws Error whose message lists every problem, one per line.
 */
export function assertConsistentRunResult(result: RunResult): void {
  const problems = runResultProblems(result);
  if (problems.length > 0) throw new Error(`Inconsistent run result:\n  ${problems.join('\n  ')}`);
}
