/**
 * CSV writers for a run's time series: one wide file for the data center, one long-format file for the hosts.
 *
 * Files use `\n` line endings, a header row, a final newline and the rules of {@link formatNumber} for every
 * value (integers plain, otherwise six significant digits, never an exponent), so the same run always gives the
 * same bytes. Fractions stay fractions (0.05, not 5 %), as in {@link RunResult}.
 *
 * The host file can be large (10,000 hosts × 288 samples is 2.9 million rows, about 70 MB). It is written as
 * bytes into a reused buffer by {@link AsciiChunkWriter} and decoded once per megabyte, which is several times
 * faster than building a string per value and row; {@link hostCsvChunks} lets a caller stream it to a file
 * without holding it whole.
 */

import type { RunResult } from '../metrics/run-result.js';
import { AsciiChunkWriter, DEFAULT_CHUNK_BYTES } from './ascii-chunk-writer.js';
import { formatNumber, MAX_NUMBER_TEXT_BYTES } from './number-format.js';
import { assertConsistentRunResult } from './run-result-check.js';

/** Columns of {@link dataCenterCsv}, in order. Units: seconds, watts, hosts, fraction, migrations, fractions. */
export const DATA_CENTER_CSV_COLUMNS = [
  'time_s',
  'power_w',
  'active_hosts',
  'utilisation',
  'migrations_in_flight',
  'migrations_started',
  'overloaded_host_fraction',
  'sla_violation',
] as const;

/** Columns of {@link hostCsv}, in order: seconds, host index (0-based), watts, fraction. */
export const HOST_CSV_COLUMNS = ['time_s', 'host', 'power_w', 'utilisation'] as const;

const COMMA = 44;
const NEWLINE = 10;

/**
 * The data-center time series as CSV, one row per sample.
 *
 * @param result a finished run.
 * @returns the CSV text: header {@link DATA_CENTER_CSV_COLUMNS}, then one row per sample, `\n`-terminated.
 * @throws Error listing every series whose length differs from `timeSeconds`.
 * @example
 * writeFileSync('datacenter.csv', dataCenterCsv(result));
 * // time_s,power_w,active_hosts,utilisation,migrations_in_flight,migrations_started,overloaded_host_fraction,sla_violation
 * // 300,86520.5,800,0.412345,3,3,0.0125,0.000231
 */
export function dataCenterCsv(result: RunResult): string {
  assertConsistentRunResult(result);
  const series = result.dataCenter;
  const columns = [
    series.timeSeconds,
    series.powerWatts,
    series.activeHosts,
    series.utilisation,
    series.migrationsInFlight,
    series.migrationsStarted,
    series.overloadedHostFraction,
    series.slaViolation,
  ];
  const rowBytes = columns.length * (MAX_NUMBER_TEXT_BYTES + 1);
  const writer = new AsciiChunkWriter(Math.max(DEFAULT_CHUNK_BYTES, rowBytes));
  const chunks: string[] = [];
  writer.text(DATA_CENTER_CSV_COLUMNS.join(',') + '\n');
  for (let sample = 0; sample < series.timeSeconds.length; sample++) {
    const full = writer.reserve(rowBytes);
    if (full !== undefined) chunks.push(full);
    for (let column = 0; column < columns.length; column++) {
      if (column > 0) writer.byte(COMMA);
      writer.number(columns[column][sample]);
    }
    writer.byte(NEWLINE);
  }
  chunks.push(writer.flush());
  return chunks.join('');
}

/**
 * The per-host time series as long-format CSV: one row per (sample, host), ordered by time, then host index.
 *
 * @param result a finished run.
 * @returns the CSV text: header {@link HOST_CSV_COLUMNS}, then `sampleCount × hostCount` rows, `\n`-terminated.
 * @throws Error if the host series do not match `hostCount × sampleCount` or the data-center sample times.
 * @example
 * writeFileSync('hosts.csv', hostCsv(result));
 * // time_s,host,power_w,utilisation
 * // 300,0,162.5,0.55
 * // 300,1,0,0
 */
export function hostCsv(result: RunResult): string {
  return Array.from(hostCsvChunks(result)).join('');
}

/**
 * The same text as {@link hostCsv}, as a sequence of chunks of whole rows, each about `chunkBytes` long (the
 * first starts with the header). Use it to stream very large runs to a file: one JavaScript string cannot
 * exceed about 500 MB.
 *
 * @param result a finished run.
 * @param chunkBytes largest size of a chunk, bytes (= characters); at least 1244 (room for one row).
 * @example
 * await pipeline(Readable.from(hostCsvChunks(result)), createWriteStream('hosts.csv'));
 */
export function* hostCsvChunks(result: RunResult, chunkBytes: number = DEFAULT_CHUNK_BYTES): Generator<string> {
  const rowBytes = 4 * (MAX_NUMBER_TEXT_BYTES + 1);
  if (!(chunkBytes >= rowBytes)) throw new RangeError(`chunkBytes must be at least ${rowBytes}, got ${chunkBytes}`);
  assertConsistentRunResult(result);
  const { hostCount, sampleCount, powerWatts, utilisation } = result.hosts;
  const timeSeconds = result.dataCenter.timeSeconds;
  const writer = new AsciiChunkWriter(chunkBytes);
  writer.text(HOST_CSV_COLUMNS.join(',') + '\n');
  for (let sample = 0; sample < sampleCount; sample++) {
    const time = timeSeconds[sample];
    // The arrays are row-major [host][sample]: index = host × sampleCount + sample.
    for (let host = 0, index = sample; host < hostCount; host++, index += sampleCount) {
      const full = writer.reserve(rowBytes);
      if (full !== undefined) yield full;
      writer.number(time);
      writer.byte(COMMA);
      writer.number(host);
      writer.byte(COMMA);
      writer.number(powerWatts[index]);
      writer.byte(COMMA);
      writer.number(utilisation[index]);
      writer.byte(NEWLINE);
    }
  }
  if (writer.length > 0) yield writer.flush();
}

/** Columns of vms.csv (default mode): each VM's energy from the fluid per-VM accounting. */
export const VM_CSV_COLUMNS = ['vm', 'energy_kwh'] as const;

/**
 * vms.csv: the energy charged to each VM (idle power shared equally on its hosts, dynamic power by the CPU it
 * used), kWh. Empty string when the run has no per-VM accounting (the cloudsim-3.0.3 mode).
 */
export function vmCsv(result: RunResult): string {
  const energy = result.vmEnergyJoules;
  if (!energy) return '';
  const v = result.vcpus;
  // With vCPU ballooning: each VM's vCPUs, its time-weighted mean of online vCPUs and its fewest.
  const lines = [[...VM_CSV_COLUMNS, ...(v ? VM_CSV_VCPU_COLUMNS : [])].join(',')];
  for (let vm = 0; vm < energy.length; vm++) {
    const vcpus = v ? `,${v.vmVcpus[vm]},${formatNumber(v.vmMeanOnlineVcpus[vm])},${v.vmMinOnlineVcpus[vm]}` : '';
    lines.push(`${vm},${formatNumber(energy[vm] / 3.6e6)}${vcpus}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Columns vms.csv adds when the run balloons vCPUs. */
export const VM_CSV_VCPU_COLUMNS = ['vcpus', 'mean_online_vcpus', 'min_online_vcpus'] as const;
