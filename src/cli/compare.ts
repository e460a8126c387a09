/**
 * `hyperwatt compare FILE`: migration cases run on QEMU and predicted by the simulator, with the error of each
 * figure (src/backends/qemu/migration-compare.ts). Writes summary.json and compare.csv all at once.
 */
import { buildGuestImage } from '../backends/qemu/guest-image.js';
import { compareMigrations, type ComparisonRow } from '../backends/qemu/migration-compare.js';
import { csvField } from '../report/csv-field.js';
import { MigrationCompareSchema } from '../scenario/compare-schema.js';
import { loadDocument } from '../scenario/document.js';
import { withOverrides } from '../scenario/overrides.js';
import { parseWith } from '../scenario/validate.js';
import { checkOutputDirectory, writeOutputDirectory } from '../util/atomic-output.js';
import { stableJson } from '../util/json.js';
import { formatTable } from './format-table.js';

const COLUMNS = ['case', 'strategy', 'workload', 'max_bandwidth_mib_s', 'real_status', 'real_total_ms', 'predicted_total_ms', 'total_time_error', 'real_transferred_mib', 'predicted_transferred_mib', 'bytes_error', 'real_downtime_ms', 'predicted_downtime_ms', 'real_passes', 'predicted_passes', 'real_mbps', 'calibration'];

export function compareCsv(rows: readonly ComparisonRow[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [r.case.id, r.case.strategy, r.case.workload, r.case.maxBandwidthMiBps, r.real.status, r.real.totalMs, r.predicted.totalMs, r.totalTimeError, r.real.transferredMiB, r.predicted.transferredMiB, r.bytesError, r.real.downtimeMs, r.predicted.downtimeMs, r.real.passes, r.predicted.passes, r.real.mbps, r.calibration]
        .map((v) => csvField(v))
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function compareCommand(file: string, flags: { set: string[]; out?: string | false; json?: boolean }): Promise<void> {
  const spec = parseWith(MigrationCompareSchema, withOverrides(loadDocument(file), flags.set), file);
  const outDir = flags.out === false ? undefined : (flags.out ?? `out/${spec.name}`);
  if (outDir) await checkOutputDirectory(outDir);
  const log = flags.json ? () => {} : (line: string) => process.stderr.write(`progress ${line.trim()}\n`);
  const image = buildGuestImage({ log });
  const rows = await compareMigrations(spec, image, log);
  const worst = Math.max(...rows.map((r) => Math.max(Math.abs(r.totalTimeError ?? Infinity), Math.abs(r.bytesError))));
  const summary = { name: spec.name, memory_mib: spec.memoryMiB, cases: rows.length, worst_relative_error: worst, kernel: image.kernelPackage };
  if (outDir) await writeOutputDirectory(outDir, { 'summary.json': stableJson({ ...summary, rows }), 'compare.csv': compareCsv(rows) });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...summary, rows })}\n`);
    return;
  }
  const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)}`);
  const table = [['case', 'real ms', 'model ms', 'time err %', 'real MiB', 'model MiB', 'bytes err %', 'passes real/model']];
  for (const r of rows) {
    table.push([r.case.id + (r.calibration ? ' (calibration)' : ''), String(r.real.totalMs ?? '–'), (r.predicted.totalMs ?? 0).toFixed(0), pct(r.totalTimeError), r.real.transferredMiB.toFixed(1), r.predicted.transferredMiB.toFixed(1), pct(r.bytesError), `${r.real.passes}/${r.predicted.passes}`]);
  }
  process.stdout.write(`${spec.name}: ${rows.length} migrations on QEMU (TCG) against the simulator; worst error ${(worst * 100).toFixed(1)} %\n${formatTable(table, 1)}`);
  if (outDir) process.stdout.write(`\nwrote ${outDir}/ (summary.json, compare.csv)\n`);
}
