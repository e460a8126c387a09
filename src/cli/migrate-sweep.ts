/**
 * `hyperwatt migrate sweep FILE`: every strategy × bandwidth × dirty rate × seed of a migration-sweep file, run with
 * the page-level engine in this process (one after the other: a point takes milliseconds, or a few tenths of a
 * second for a pre-copy that runs to its time limit), written atomically to DIR: results.csv, results.json
 * (deterministic: no wall-clock figures) and report.html. See docs/migration-sweeps.md.
 */
import { convergenceLimits, migrationSweepCsv, renderMigrationSweepReport, type ConvergenceLimit } from '../report/migration-report.js';
import { formatDisplayNumber } from '../report/summary-table.js';
import { loadMigrationSweep, runMigrationSweep } from '../scenario/migration-sweep.js';
import { checkOutputDirectory, writeOutputDirectory } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';
import { createProgress } from './progress.js';

export interface MigrateSweepFlags {
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function migrateSweepCommand(file: string, flags: MigrateSweepFlags): Promise<void> {
  const sweep = loadMigrationSweep(file);
  const outDir = flags.out ?? `out/${sweep.name}`;
  // Refuse an unusable output directory before spending time on the migrations.
  await checkOutputDirectory(outDir);
  const progress = createProgress(process.stderr, flags.quiet || flags.json);
  const started = performance.now();
  const results = runMigrationSweep(sweep, (done, total) => progress.update(done, total, `migrations, ${sweep.name}`));
  progress.finish();
  const wallSeconds = (performance.now() - started) / 1000;
  await writeOutputDirectory(outDir, {
    'results.csv': migrationSweepCsv(results),
    'results.json': stableJson(results),
    'report.html': renderMigrationSweepReport(results),
  });
  if (flags.json) {
    // The results as in results.json (numbers in full), plus the one figure that differs between runs.
    process.stdout.write(`${JSON.stringify({ ...results, wall_seconds: wallSeconds })}\n`);
    return;
  }
  process.stdout.write(
    `${sweep.name}: ${results.points} migrations in ${wallSeconds.toFixed(2)} s (in this process); ` +
      `wrote ${outDir}/ (results.csv, results.json, report.html)\n` +
      formatLimits(convergenceLimits(results), sweep.grid.bandwidth_mbit),
  );
}

/** Where each strategy stops converging, a line per strategy and a column per bandwidth. */
function formatLimits(limits: readonly ConvergenceLimit[], bandwidths: readonly number[]): string {
  const describe = (limit: ConvergenceLimit): string => {
    const converged = limit.highestConvergedPagesPerSecond;
    const failed = limit.lowestFailedPagesPerSecond;
    if (Number.isNaN(failed)) return 'converges at every rate';
    if (Number.isNaN(converged)) return 'fails at every rate';
    return `converges up to ${formatDisplayNumber(converged)}, fails at ${formatDisplayNumber(failed)}`;
  };
  const strategies = [...new Set(limits.map((limit) => limit.strategy))];
  const header = ['dirty pages/s', ...bandwidths.map((bandwidth) => `${formatDisplayNumber(bandwidth)} Mbit/s`)];
  const rows = strategies.map((strategy) => [
    strategy,
    ...bandwidths.map((bandwidth) => describe(limits.find((limit) => limit.strategy === strategy && limit.bandwidthMbit === bandwidth)!)),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  return [header, ...rows].map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()}\n`).join('');
}
