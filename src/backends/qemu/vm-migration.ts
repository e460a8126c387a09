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
  const port = await prepareIncoming(destination, options.strategy !== 'precopy', '127.0.0.1');
  return migrateFromSource(source, `tcp:127.0.0.1:${port}`, options);
}

/**
 * The destination's half: the capabilities, and listening for the stream on a free port of `address` (a VM started
 * with `incoming: true`). Returns the port.
 */
export async function prepareIncoming(destination: QemuVm, postcopy: boolean, address: string): Promise<number> {
  await destination.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'postcopy-ram', state: postcopy }] });
  const port = await freeTcpPort();
  await destination.qmp.execute('migrate-incoming', { uri: `tcp:${address}:${port}` });
  return port;
}

/** The source's half: capabilities and limits, `migrate` to `uri`, the post-copy switch, polling to the end. */
export async function migrateFromSource(source: QemuVm, uri: string, options: RealMigrationOptions): Promise<RealMigrationResult> {
  const postcopy = options.strategy !== 'precopy';
  await source.qmp.execute('migrate-set-capabilities', {
    capabilities: [
      { capability: 'postcopy-ram', state: postcopy },
      { capability: 'auto-converge', state: options.autoConverge ?? false },
    ],
  });
  const parameters: Record<string, unknown> = {};
  if (options.maxBandwidthBytesPerSecond !== undefined) parameters['max-bandwidth'] = Math.round(options.maxBandwidthBytesPerSecond);
  if (options.downtimeLimitMs !== undefined) parameters['downtime-limit'] = Math.round(options.downtimeLimitMs);
  if (Object.keys(parameters).length > 0) await source.qmp.execute('migrate-set-parameters', parameters);
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

export interface LinkCutOptions {
  /** QEMU's `max-postcopy-bandwidth`, bytes/s: slow enough that the cut falls inside the post-copy phase. */
  readonly postcopyBandwidthBytesPerSecond: number;
  /** Seconds of post-copy before the link is cut. */
  readonly cutAfterSeconds: number;
  /** Seconds the link stays down. */
  readonly downSeconds: number;
  readonly timeoutMs?: number;
}

export interface LinkCutResult {
  /** The source's final status (`completed` when recovery worked). */
  readonly status: string;
  /** Whether the source went to `postcopy-paused` when the link broke. */
  readonly paused: boolean;
  /** Seconds after `migrate` when the link was cut, and when the recovery stream was started. */
  readonly cutAtSeconds: number;
  readonly recoveredAtSeconds: number;
  readonly totalSeconds: number;
  /** Every distinct status the source went through, in order. */
  readonly statuses: string[];
}

/**
 * Post-copy with recovery through a link failure (QEMU's postcopy recovery, since 3.0): post-copy starts over a
 * cuttable link, the link is cut (both sides pause: the destination's missing pages cannot be fetched), stays down,
 * then the destination listens again (`migrate-recover`, sent out of band: the destination's main loop may be blocked on
 * a missing page) and the source resumes (`migrate` with `resume`). Only the source is polled meanwhile.
 */
export async function postcopyWithLinkCut(source: QemuVm, destination: QemuVm, options: LinkCutOptions): Promise<LinkCutResult> {
  const { MigrationLink } = await import('./migration-link.js');
  await source.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'postcopy-ram', state: true }] });
  await source.qmp.execute('migrate-set-parameters', { 'max-postcopy-bandwidth': Math.round(options.postcopyBandwidthBytesPerSecond) });
  const destinationPort = await prepareIncoming(destination, true, '127.0.0.1');
  const link = await MigrationLink.open(destinationPort);
  const statuses: string[] = [];
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const status = async (vm: QemuVm): Promise<string> => {
    const value = (await vm.qmp.execute('query-migrate')).status ?? 'none';
    if (vm === source && statuses[statuses.length - 1] !== value) statuses.push(value);
    return value;
  };
  const until = async (vm: QemuVm, done: (s: string) => boolean, what: string): Promise<string> => {
    for (;;) {
      const s = await status(vm);
      if (done(s)) return s;
      if (elapsed() * 1000 > timeoutMs) throw new Error(`post-copy recovery: ${what} not reached within ${timeoutMs} ms (status ${s})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    await source.qmp.execute('migrate', { uri: `tcp:127.0.0.1:${link.port}` });
    await until(source, (s) => s === 'active' || FINAL.has(s), 'active');
    await source.qmp.execute('migrate-start-postcopy');
    await until(source, (s) => s === 'postcopy-active' || FINAL.has(s), 'postcopy-active');
    const postcopyAt = elapsed();
    while (elapsed() < postcopyAt + options.cutAfterSeconds) await new Promise((resolve) => setTimeout(resolve, 50));
    const cutAtSeconds = elapsed();
    link.cut();
    const afterCut = await until(source, (s) => s === 'postcopy-paused' || FINAL.has(s), 'postcopy-paused');
    const paused = afterCut === 'postcopy-paused';
    await new Promise((resolve) => setTimeout(resolve, options.downSeconds * 1000));
    const recoveryPort = await freeTcpPort();
    // Out of band: the paused destination's main loop may be stuck on a page it cannot fetch.
    await destination.qmp.executeOob('migrate-recover', { uri: `tcp:127.0.0.1:${recoveryPort}` });
    const recoveredAtSeconds = elapsed();
    await source.qmp.execute('migrate', { uri: `tcp:127.0.0.1:${recoveryPort}`, resume: true });
    const final = await until(source, (s) => FINAL.has(s), 'the end of the migration');
    return { status: final, paused, cutAtSeconds, recoveredAtSeconds, totalSeconds: elapsed(), statuses };
  } finally {
    await link.close();
  }
}
