/**
 * Simulation against reality for live migration: the same cases run on QEMU (two processes on this host, the test
 * guest, localhost TCP) and in the page-level migration engine, with the error of each figure.
 *
 * Each case is rebuilt for the simulator from what the run gives, never from its results, as
 * validation/qemu.ts does for the reference measurements:
 * - the guest: its RAM; the idle guest's data pages from the transferred bytes of the calibration run (the first
 *   idle pre-copy case at a bandwidth limit the testbed cannot reach; every page sent once, zero pages as
 *   ZERO_PAGE_WIRE_BYTES, data pages as header and page); a dirtying guest adds hwload's buffer, written in address
 *   order at the configured rate (guest/hwload.c);
 * - QEMU's parameters as set in the run (bandwidth and downtime limits, post-copy switch);
 * - the path: under TCG the throughput is bounded by CPU, not by the limit; QEMU reports it (`mbps`) for the runs
 *   with an unreachable limit, and a case uses the figure of the unreachable-limit run of the same workload.
 * So the calibration run's bytes match by construction; its time, and everything about the other cases, does not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestMemorySpec } from '../../model/memory/guest-memory.js';
import { PAGE_HEADER_BYTES, QEMU_DEFAULTS, ZERO_PAGE_WIRE_BYTES, type LiveMigrationParameters } from '../../mechanisms/migration/live-migration.js';
import { simulateMigration } from '../../mechanisms/migration/single-migration.js';
import type { GuestImage } from './guest-image.js';
import { QemuVm } from './qemu-vm.js';
import { migrateVm, type RealMigrationResult } from './vm-migration.js';

const MiB = 1024 * 1024;
const PAGE_BYTES = 4096;
/** One-way latency of localhost TCP: tens of microseconds, negligible next to the transfers. */
const LOCALHOST_LATENCY_SECONDS = 50e-6;
/** A limit this testbed cannot reach (TCG moves a few hundred MiB/s at most): the run measures the path. */
export const UNREACHABLE_LIMIT_MIB_S = 10_240;

export interface ComparisonCase {
  readonly id: string;
  readonly strategy: 'precopy' | 'postcopy' | 'hybrid';
  readonly workload: 'idle' | 'dirty';
  /** hwload's buffer, MiB (dirty workloads). */
  readonly dirtyMiB: number;
  /** hwload's write rate, pages/s (dirty workloads; must be > 0: the model needs the rate). */
  readonly dirtyRatePagesPerSecond: number;
  readonly maxBandwidthMiBps: number;
  readonly downtimeLimitMs: number;
  /** Hybrid: seconds of pre-copy before post-copy. */
  readonly switchAfterSeconds?: number;
}

export interface ComparisonFigures {
  readonly status: string;
  readonly totalMs: number | null;
  readonly downtimeMs: number | null;
  readonly transferredMiB: number;
  readonly passes: number;
}

export interface ComparisonRow {
  readonly case: ComparisonCase;
  readonly real: ComparisonFigures & { readonly mbps: number | null };
  readonly predicted: ComparisonFigures;
  /** (predicted − real) / real. */
  readonly totalTimeError: number | null;
  readonly bytesError: number;
  /** Whether this case calibrated the idle guest's data (its bytes match by construction). */
  readonly calibration: boolean;
}

export interface ComparisonSpec {
  readonly memoryMiB: number;
  readonly cases: readonly ComparisonCase[];
}

const workloadKey = (c: ComparisonCase): string => (c.workload === 'idle' ? 'idle' : `dirty:${c.dirtyMiB}:${c.dirtyRatePagesPerSecond}`);

/** Runs one case on QEMU: a source with the workload, a destination waiting, the migration, both stopped. */
async function runReal(image: GuestImage, memoryMiB: number, c: ComparisonCase, runDirectory: string): Promise<RealMigrationResult & { mbps: number | null }> {
  const base = {
    memoryMiB,
    vcpus: 1,
    maxVcpus: 1,
    kernelPath: image.kernelPath,
    initrdPath: image.initrdPath,
    workload: c.workload === 'idle' ? ({ kind: 'idle' } as const) : ({ kind: 'dirty', mib: c.dirtyMiB, pagesPerSecond: c.dirtyRatePagesPerSecond } as const),
    runDirectory,
  };
  const source = await QemuVm.start({ ...base, name: `${c.id}-src` });
  let destination: QemuVm | null = null;
  try {
    destination = await QemuVm.start({ ...base, name: `${c.id}-dst`, incoming: true });
    await source.waitForGuest(90_000);
    // Let the dirtier fill its buffer and settle at its rate.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const result = await migrateVm(source, destination, {
      strategy: c.strategy,
      maxBandwidthBytesPerSecond: c.maxBandwidthMiBps * MiB,
      downtimeLimitMs: c.downtimeLimitMs,
      postcopyAfterSeconds: c.switchAfterSeconds,
    });
    const info = await source.qmp.execute('query-migrate');
    return { ...result, mbps: info.ram?.mbps ?? null };
  } finally {
    await source.stop();
    await destination?.stop();
  }
}

/** The idle guest's data bytes from a calibration run's transferred bytes. */
export function idleDataBytes(memoryMiB: number, transferredBytes: number): number {
  const pages = (memoryMiB * MiB) / PAGE_BYTES;
  const dataPages = (transferredBytes - pages * ZERO_PAGE_WIRE_BYTES) / (PAGE_HEADER_BYTES + PAGE_BYTES - ZERO_PAGE_WIRE_BYTES);
  return Math.max(0, Math.round(dataPages)) * PAGE_BYTES;
}

/**
 * A guest whose only writer is a dirtier writing its buffer in address order (gtool in the reference measurements,
 * hwload here): `idleBytes` of data plus the buffer, written and read at `ratePagesPerSecond`; 4 KiB pages, one vCPU.
 */
export function dirtierGuestMemory(ramBytes: number, idleBytes: number, bufferBytes: number, ratePagesPerSecond: number): GuestMemorySpec {
  return {
    ramBytes,
    pageBytes: PAGE_BYTES,
    usedBytes: Math.min(ramBytes, idleBytes + bufferBytes),
    writableBytes: bufferBytes,
    writeRatePagesPerSecond: ratePagesPerSecond,
    writePattern: { kind: 'sequential' },
    changedBytesPerWrite: 8,
    touchRatePagesPerSecond: ratePagesPerSecond,
    touchSequentialProbability: 1,
    touchHotFraction: 1,
    touchHotBytes: 0,
    vcpus: 1,
  };
}

/** The simulator's prediction of a case. */
export function predictCase(memoryMiB: number, c: ComparisonCase, idleBytes: number, pathBytesPerSecond: number): ComparisonFigures {
  const dirty = c.workload === 'dirty';
  const memory = dirtierGuestMemory(memoryMiB * MiB, idleBytes, dirty ? c.dirtyMiB * MiB : 0, dirty ? c.dirtyRatePagesPerSecond : 0);
  const parameters: LiveMigrationParameters = {
    ...QEMU_DEFAULTS,
    strategy: c.strategy,
    maxBandwidthBytesPerSecond: c.maxBandwidthMiBps * MiB,
    downtimeLimitSeconds: c.downtimeLimitMs / 1000,
    switchAfterSeconds: c.strategy === 'postcopy' ? 0 : (c.switchAfterSeconds ?? Infinity),
    timeLimitSeconds: 120,
  };
  const result = simulateMigration(memory, parameters, { bandwidthBytesPerSecond: pathBytesPerSecond, latencySeconds: LOCALHOST_LATENCY_SECONDS }, 1);
  return { status: result.outcome, totalMs: result.totalSeconds * 1000, downtimeMs: result.downtimeSeconds * 1000, transferredMiB: result.transferredBytes / MiB, passes: result.passes };
}

/**
 * Runs every case on QEMU, then predicts each. The calibration runs (pre-copy at an unreachable limit, one per
 * workload) run first; every workload needs one.
 */
export async function compareMigrations(spec: ComparisonSpec, image: GuestImage, log: (line: string) => void = () => {}): Promise<ComparisonRow[]> {
  const isCalibration = (c: ComparisonCase): boolean => c.strategy === 'precopy' && c.maxBandwidthMiBps >= UNREACHABLE_LIMIT_MIB_S;
  for (const key of new Set(spec.cases.map(workloadKey))) {
    if (!spec.cases.some((c) => workloadKey(c) === key && isCalibration(c))) {
      throw new Error(`compare: workload ${key} has no pre-copy case at ${UNREACHABLE_LIMIT_MIB_S} MiB/s or more to measure the path`);
    }
  }
  if (!spec.cases.some((c) => c.workload === 'idle' && isCalibration(c))) throw new Error('compare: an idle pre-copy case at an unreachable limit is needed to calibrate the guest');
  const ordered = [...spec.cases.filter(isCalibration), ...spec.cases.filter((c) => !isCalibration(c))];
  const runDirectory = mkdtempSync(join(tmpdir(), 'hyperwatt-compare-'));
  const real = new Map<string, RealMigrationResult & { mbps: number | null }>();
  try {
    for (const c of ordered) {
      log(`  QEMU: ${c.id} …`);
      real.set(c.id, await runReal(image, spec.memoryMiB, c, runDirectory));
    }
  } finally {
    rmSync(runDirectory, { recursive: true, force: true });
  }
  const idleCalibration = ordered.find((c) => c.workload === 'idle' && isCalibration(c))!;
  const idleBytes = idleDataBytes(spec.memoryMiB, real.get(idleCalibration.id)!.transferredBytes);
  const path = new Map<string, number>();
  for (const c of ordered.filter(isCalibration)) {
    const mbps = real.get(c.id)!.mbps;
    if (mbps === null || !(mbps > 0)) throw new Error(`compare: ${c.id} reported no throughput (mbps)`);
    if (!path.has(workloadKey(c))) path.set(workloadKey(c), (mbps * 1e6) / 8);
  }
  return spec.cases.map((c) => {
    const r = real.get(c.id)!;
    const predicted = predictCase(spec.memoryMiB, c, idleBytes, path.get(workloadKey(c))!);
    const realFigures = { status: r.status, totalMs: r.totalTimeMs, downtimeMs: r.downtimeMs, transferredMiB: r.transferredBytes / MiB, passes: r.iterations, mbps: r.mbps };
    return {
      case: c,
      real: realFigures,
      predicted,
      totalTimeError: r.totalTimeMs && predicted.totalMs !== null ? (predicted.totalMs - r.totalTimeMs) / r.totalTimeMs : null,
      bytesError: realFigures.transferredMiB > 0 ? (predicted.transferredMiB - realFigures.transferredMiB) / realFigures.transferredMiB : 0,
      calibration: c === idleCalibration,
    };
  });
}
