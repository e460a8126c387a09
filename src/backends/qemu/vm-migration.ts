/**
 * Live migration between two QEMU processes over QMP: pre-copy, post-copy and hybrid (pre-copy, then post-copy
 * after a given time), with QEMU's bandwidth and downtime limits and auto-converge; progress from `query-migrate`.
 *
 * Sequence (QEMU's migration documentation, and the probe on this kind of machine,
 * ../shared/reference/qemu/RESULTS.md §3): the capabilities on both sides (`postcopy-ram` on both for post-copy,
 * `auto-converge` on the source), the parameters on the source (`max-bandwidth`, `downtime-limit`), the destination
 * started with `-incoming defer` listens (`migrate-incoming tcp:…`), the source `migrate`s; for post-copy the source
 * then calls `migrate-start-postcopy` (at once, or after `postcopyAfterSeconds` for hybrid). The source's
 * `query-migrate` is polled until the migration completes, fails or runs out of time (then `migrate_cancel`).
 */
import { createServer } from 'node:net';
import type { MigrationInfo } from './qmp-client.js';
import type { QemuVm } from './qemu-vm.js';

export type RealMigrationStrategy = 'precopy' | 'postcopy' | 'hybrid';

export interface RealMigrationOptions {
  readonly strategy: RealMigrationStrategy;
  /** QEMU's `max-bandwidth`, bytes per second (default: QEMU's, 128 MiB/s). */
  readonly maxBandwidthBytesPerSecond?: number;
  /** QEMU's `downtime-limit`, ms (default: QEMU's, 300 ms). */
  readonly downtimeLimitMs?: number;
  readonly autoConverge?: boolean;
  /** Hybrid: seconds of pre-copy before switching to post-copy (post-copy switches as soon as the migration runs). */
  readonly postcopyAfterSeconds?: number;
  /** Give up (and cancel) after this long, ms (default 120,000). */
  readonly timeoutMs?: number;
  /** How often to poll `query-migrate`, ms (default 100). */
  readonly pollMs?: number;
}

/** One poll of the source's `query-migrate`. */
export interface MigrationProgressSample {
  readonly elapsedSeconds: number;
  readonly status: string;
  readonly transferredBytes: number;
  readonly remainingBytes: number;
  readonly dirtySyncCount: number;
}

export interface RealMigrationResult {
  /** `completed`, `failed`, `cancelled` (timed out), or the last status seen. */
  readonly status: string;
  readonly totalTimeMs: number | null;
  readonly downtimeMs: number | null;
  readonly setupTimeMs: number | null;
  readonly transferredBytes: number;
  /** `dirty-sync-count`: passes over memory. */
  readonly iterations: number;
  readonly postcopyRequests: number;
  readonly precopyBytes: number | null;
  readonly postcopyBytes: number | null;
  /** When post-copy was started, seconds after `migrate` (null: never). */
  readonly postcopyStartedSeconds: number | null;
  readonly errorDescription: string | null;
  readonly progress: MigrationProgressSample[];
}

/** A TCP port nobody listens on now (the destination's). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** Migrates `source` into `destination` (started with `incoming: true`) over localhost TCP. */
export async function migrateVm(source: QemuVm, destination: QemuVm, options: RealMigrationOptions): Promise<RealMigrationResult> {
  const postcopy = options.strategy !== 'precopy';
  const capabilities = [{ capability: 'postcopy-ram', state: postcopy }];
  await destination.qmp.execute('migrate-set-capabilities', { capabilities });
  await source.qmp.execute('migrate-set-capabilities', { capabilities: [...capabilities, { capability: 'auto-converge', state: options.autoConverge ?? false }] });
  const parameters: Record<string, unknown> = {};
  if (options.maxBandwidthBytesPerSecond !== undefined) parameters['max-bandwidth'] = Math.round(options.maxBandwidthBytesPerSecond);
  if (options.downtimeLimitMs !== undefined) parameters['downtime-limit'] = Math.round(options.downtimeLimitMs);
  if (Object.keys(parameters).length > 0) await source.qmp.execute('migrate-set-parameters', parameters);
  const port = await freeTcpPort();
  const uri = `tcp:127.0.0.1:${port}`;
  await destination.qmp.execute('migrate-incoming', { uri });
  const started = performance.now();
  await source.qmp.execute('migrate', { uri });

  const timeoutMs = options.timeoutMs ?? 120_000;
  const pollMs = options.pollMs ?? 100;
  const switchAfter = options.strategy === 'postcopy' ? 0 : options.strategy === 'hybrid' ? (options.postcopyAfterSeconds ?? 1) : Infinity;
  const progress: MigrationProgressSample[] = [];
  let postcopyStartedSeconds: number | null = null;
  let info: MigrationInfo = {};
  let status = 'setup';
  for (;;) {
    info = await source.qmp.execute('query-migrate');
    status = info.status ?? 'none';
    const elapsedSeconds = (performance.now() - started) / 1000;
    progress.push({
      elapsedSeconds,
      status,
      transferredBytes: info.ram?.transferred ?? 0,
      remainingBytes: info.ram?.remaining ?? 0,
      dirtySyncCount: info.ram?.['dirty-sync-count'] ?? 0,
    });
    if (FINAL.has(status)) break;
    if (postcopyStartedSeconds === null && status === 'active' && elapsedSeconds >= switchAfter) {
      await source.qmp.execute('migrate-start-postcopy');
      postcopyStartedSeconds = elapsedSeconds;
    }
    if (elapsedSeconds * 1000 > timeoutMs) {
      await source.qmp.execute('migrate_cancel').catch(() => {});
      status = 'cancelled';
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return {
    status,
    totalTimeMs: info['total-time'] ?? null,
    downtimeMs: info.downtime ?? null,
    setupTimeMs: info['setup-time'] ?? null,
    transferredBytes: info.ram?.transferred ?? 0,
    iterations: info.ram?.['dirty-sync-count'] ?? 0,
    postcopyRequests: info.ram?.['postcopy-requests'] ?? 0,
    precopyBytes: info.ram?.['precopy-bytes'] ?? null,
    postcopyBytes: info.ram?.['postcopy-bytes'] ?? null,
    postcopyStartedSeconds,
    errorDescription: info['error-desc'] ?? null,
    progress,
  };
}
