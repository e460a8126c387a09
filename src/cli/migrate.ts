/**
 * `hyperwatt migrate`: simulates one live migration on a link of its own and prints its figures; with
 * `--compat simgrid`, runs SimGrid 3.32's pre-copy model in the set-up of its reference runs instead.
 */
import { UserError } from '../util/user-error.js';
import { simpleGuestMemory } from '../model/memory/guest-memory.js';
import { MIGRATION_STRATEGIES, QEMU_AUTO_CONVERGE, QEMU_DEFAULTS, type LiveMigrationParameters, type LiveMigrationResult, type MigrationStrategy } from '../mechanisms/migration/live-migration.js';
import { simulateMigration } from '../mechanisms/migration/single-migration.js';
import { migrationFigures } from '../mechanisms/migration/migration-figures.js';
import { SIMGRID_DEFAULTS, simulateSimGridPrecopy } from '../mechanisms/migration/simgrid-precopy.js';

const MiB = 1024 * 1024;
const WRITE_PATTERNS = ['uniform', 'hot-cold', 'zipf', 'sequential'] as const;

export interface MigrateOptions {
  compat?: string;
  strategy?: string;
  ramMib?: string;
  usedMib?: string;
  bandwidthMbit?: string;
  latencyMs?: string;
  dirtyPagesPerS?: string;
  hotSetMib?: string;
  pattern?: string;
  hotWritePercent?: string;
  zipfExponent?: string;
  touchPagesPerS?: string;
  touchLocality?: string;
  vcpus?: string;
  downtimeLimitMs?: string;
  maxBandwidthMibS?: string;
  postcopyMaxBandwidthMibS?: string;
  autoConverge?: boolean;
  xbzrleCacheMib?: string;
  precacheMib?: string;
  switchAfterS?: string;
  switchAfterPasses?: string;
  timeLimitS?: string;
  onTimeLimit?: string;
  seed?: string;
  failAtS?: string;
  failure?: string;
  linkBackAfterS?: string;
  postcopyRecovery?: boolean;
  dirtyIntensity?: string;
  idle?: boolean;
  json?: boolean;
}

/** Reads a numeric option; collects a message instead of throwing so that every bad option is reported at once. */
class OptionReader {
  readonly problems: string[] = [];
  number(name: string, raw: string | undefined, fallback: number | undefined, check: 'positive' | 'non-negative' | 'percent' | 'fraction'): number {
    if (raw === undefined) {
      if (fallback === undefined) {
        this.problems.push(`--${name} is required`);
        return NaN;
      }
      return fallback;
    }
    const value = Number(raw);
    const ok =
      raw.trim() !== '' &&
      Number.isFinite(value) &&
      (check === 'positive' ? value > 0 : check === 'non-negative' ? value >= 0 : check === 'percent' ? value >= 0 && value <= 100 : value >= 0 && value <= 1);
    if (!ok) {
      const expected = { positive: 'a positive number', 'non-negative': 'a number ≥ 0', percent: 'a percentage in [0, 100]', fraction: 'a fraction in [0, 1]' }[check];
      this.problems.push(`--${name}: expected ${expected}, got '${raw}'`);
      return NaN;
    }
    return value;
  }
  choice<T extends string>(name: string, raw: string | undefined, fallback: T, valid: readonly T[]): T {
    if (raw === undefined) return fallback;
    if (!valid.includes(raw as T)) {
      this.problems.push(`--${name}: unknown value '${raw}' (valid: ${valid.join(', ')})`);
      return fallback;
    }
    return raw as T;
  }
  finish(): void {
    if (this.problems.length > 0) throw new UserError(`migrate: ${this.problems.length === 1 ? 'bad option' : 'bad options'}:\n  ${this.problems.join('\n  ')}`);
  }
}

export function migrateCommand(options: MigrateOptions): void {
  if (options.compat !== undefined) {
    if (options.compat !== 'simgrid') throw new UserError(`migrate: unknown --compat '${options.compat}' (valid: simgrid)`);
    simgridMigrate(options);
    return;
  }
  const read = new OptionReader();
  const strategy = read.choice<MigrationStrategy>('strategy', options.strategy, 'precopy', MIGRATION_STRATEGIES);
  const ramMiB = read.number('ram-mib', options.ramMib, undefined, 'positive');
  const bandwidthMbit = read.number('bandwidth-mbit', options.bandwidthMbit, undefined, 'positive');
  const usedMiB = read.number('used-mib', options.usedMib, ramMiB, 'non-negative');
  const latencyMs = read.number('latency-ms', options.latencyMs, 0.1, 'non-negative');
  const dirtyRate = read.number('dirty-pages-per-s', options.dirtyPagesPerS, 0, 'non-negative');
  const hotSetMiB = read.number('hot-set-mib', options.hotSetMib, ramMiB, 'non-negative');
  const pattern = read.choice('pattern', options.pattern, 'uniform', WRITE_PATTERNS);
  const hotWritePercent = read.number('hot-write-percent', options.hotWritePercent, 90, 'percent');
  const zipfExponent = read.number('zipf-exponent', options.zipfExponent, 0.99, 'positive');
  const touchRate = read.number('touch-pages-per-s', options.touchPagesPerS, dirtyRate, 'non-negative');
  const touchLocality = read.number('touch-locality', options.touchLocality, 0.5, 'fraction');
  const vcpus = read.number('vcpus', options.vcpus, 1, 'positive');
  const downtimeMs = read.number('downtime-limit-ms', options.downtimeLimitMs, QEMU_DEFAULTS.downtimeLimitSeconds * 1000, 'non-negative');
  const maxBandwidth = read.number('max-bandwidth-mib-s', options.maxBandwidthMibS, QEMU_DEFAULTS.maxBandwidthBytesPerSecond / MiB, 'positive');
  const postcopyMaxBandwidth = read.number('postcopy-max-bandwidth-mib-s', options.postcopyMaxBandwidthMibS, Infinity, 'positive');
  const xbzrleMiB = read.number('xbzrle-cache-mib', options.xbzrleCacheMib, 0, 'non-negative');
  const precacheMiB = read.number('precache-mib', options.precacheMib, 0, 'non-negative');
  const switchAfterS = read.number('switch-after-s', options.switchAfterS, Infinity, 'non-negative');
  const switchAfterPasses = read.number('switch-after-passes', options.switchAfterPasses, Infinity, 'non-negative');
  const timeLimit = read.number('time-limit-s', options.timeLimitS, QEMU_DEFAULTS.timeLimitSeconds, 'positive');
  const onTimeLimit = read.choice('on-time-limit', options.onTimeLimit, 'abort', ['abort', 'stop-and-copy'] as const);
  const seed = read.number('seed', options.seed, 1, 'non-negative');
  const failAt = read.number('fail-at-s', options.failAtS, Infinity, 'non-negative');
  const failure = read.choice('failure', options.failure, 'link', ['link', 'source', 'destination'] as const);
  const linkBackAfter = read.number('link-back-after-s', options.linkBackAfterS, Infinity, 'non-negative');
  if (options.failure !== undefined && options.failAtS === undefined) read.problems.push('--failure needs --fail-at-s');
  if (options.linkBackAfterS !== undefined && failure !== 'link') read.problems.push('--link-back-after-s applies to --failure link only');
  if (Number.isFinite(vcpus) && !Number.isInteger(vcpus)) read.problems.push(`--vcpus: expected an integer, got '${options.vcpus}'`);
  if (Number.isFinite(seed) && !Number.isSafeInteger(seed)) read.problems.push(`--seed: expected an integer, got '${options.seed}'`);
  if (strategy === 'hybrid' && switchAfterS === Infinity && switchAfterPasses === Infinity) read.problems.push('--strategy hybrid needs --switch-after-s or --switch-after-passes');
  if (hotSetMiB > ramMiB) read.problems.push(`--hot-set-mib (${hotSetMiB}) is larger than --ram-mib (${ramMiB})`);
  if (usedMiB > ramMiB) read.problems.push(`--used-mib (${usedMiB}) is larger than --ram-mib (${ramMiB})`);
  if (dirtyRate > 0 && hotSetMiB === 0) read.problems.push('--dirty-pages-per-s > 0 needs a --hot-set-mib > 0 to write in');
  read.finish();

  const memory = simpleGuestMemory({
    ramMiB,
    usedMiB,
    hotSetMiB,
    pattern,
    hotWritePercent,
    zipfExponent,
    dirtyPagesPerSecond: dirtyRate,
    touchPagesPerSecond: touchRate,
    touchLocality,
    vcpus,
  });
  const parameters: LiveMigrationParameters = {
    ...QEMU_DEFAULTS,
    strategy,
    maxBandwidthBytesPerSecond: maxBandwidth * MiB,
    postcopyMaxBandwidthBytesPerSecond: postcopyMaxBandwidth * MiB,
    downtimeLimitSeconds: downtimeMs / 1000,
    autoConverge: options.autoConverge ? QEMU_AUTO_CONVERGE : null,
    xbzrleCacheBytes: xbzrleMiB * MiB,
    precacheBytes: precacheMiB * MiB,
    switchAfterSeconds: switchAfterS,
    switchAfterPasses,
    timeLimitSeconds: timeLimit,
    onTimeLimit,
    postcopyRecovery: options.postcopyRecovery === true,
  };
  const started = performance.now();
  const failureSpec = Number.isFinite(failAt) ? { atSeconds: failAt, failure, restoredAfterSeconds: linkBackAfter } : undefined;
  const result = simulateMigration(memory, parameters, { bandwidthBytesPerSecond: (bandwidthMbit * 1e6) / 8, latencySeconds: latencyMs / 1000 }, seed, failureSpec);
  const wallSeconds = (performance.now() - started) / 1000;
  const json = migrationJson(result);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...json, wall_seconds: wallSeconds })}\n`);
    return;
  }
  printTable(`${strategy} migration of ${ramMiB} MiB over ${bandwidthMbit} Mbit/s`, [
    ['outcome', result.outcome],
    ['converged', result.converged ? 'yes' : 'no'],
    ['total', `${result.totalSeconds.toFixed(3)} s`],
    ['switch-over', Number.isNaN(result.switchoverSeconds) ? '—' : `${result.switchoverSeconds.toFixed(3)} s`],
    ['downtime', `${(result.downtimeSeconds * 1000).toFixed(1)} ms`],
    ['transferred', `${(result.transferredBytes / MiB).toFixed(1)} MiB (pre-copy ${(result.precopyBytes / MiB).toFixed(1)}, post-copy ${(result.postcopyBytes / MiB).toFixed(1)})`],
    ['passes (syncs)', String(result.passes)],
    ['remote faults', `${result.remoteFaults} (vCPUs blocked ${result.vcpuBlockedSeconds.toFixed(3)} s)`],
    ['guest throughput lost', `${(result.throughputLossDuring * 100).toFixed(1)} % until the switch, ${(result.throughputLossAfter * 100).toFixed(1)} % after`],
    ['auto-converge throttle', `${result.maxThrottlePercent} % at most`],
    ['note', result.note],
  ]);
}

/** The `--json` object: the strategy and the migration's figures. */
export function migrationJson(result: LiveMigrationResult): Record<string, number | string | boolean | null> {
  return { strategy: result.strategy, ...migrationFigures(result) };
}

function simgridMigrate(options: MigrateOptions): void {
  const read = new OptionReader();
  const ramMiB = read.number('ram-mib', options.ramMib, undefined, 'positive');
  const intensity = read.number('dirty-intensity', options.dirtyIntensity, undefined, 'percent');
  const timeLimit = read.number('time-limit-s', options.timeLimitS, SIMGRID_DEFAULTS.timeLimitSeconds, 'positive');
  for (const [flag, value] of [
    ['strategy', options.strategy],
    ['bandwidth-mbit', options.bandwidthMbit],
    ['dirty-pages-per-s', options.dirtyPagesPerS],
  ] as const) {
    if (value !== undefined) read.problems.push(`--${flag} does not apply with --compat simgrid (its set-up is fixed: see docs/models/migration-simgrid.md)`);
  }
  read.finish();
  const busy = !options.idle;
  const started = performance.now();
  const r = simulateSimGridPrecopy({ ...SIMGRID_DEFAULTS, ramMiB, dirtyIntensityPercent: intensity, busy, timeLimitSeconds: timeLimit });
  const wallSeconds = (performance.now() - started) / 1000;
  const json = {
    compat: 'simgrid-3.32',
    strategy: 'precopy',
    outcome: r.converged ? 'completed' : 'not converged',
    total_s: r.totalSeconds,
    downtime_s: r.downtimeSeconds,
    switchover_s: r.converged ? r.switchoverSeconds : null,
    transferred_mib: r.transferredBytes / MiB,
    passes: r.passes,
    remote_faults: 0,
    converged: r.converged,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...json, wall_seconds: wallSeconds })}\n`);
    return;
  }
  printTable(`SimGrid 3.32 pre-copy of ${ramMiB} MiB at ${intensity} % dirty intensity (${busy ? 'VM computing' : 'VM idle'})`, [
    ['outcome', json.outcome],
    ['total (migration time)', `${r.totalSeconds.toFixed(4)} s`],
    ['downtime (stage 3)', `${(r.downtimeSeconds * 1000).toFixed(2)} ms`],
    ['transferred', `${(r.transferredBytes / MiB).toFixed(1)} MiB`],
    ['passes', String(r.passes)],
  ]);
}

function printTable(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${title}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}
