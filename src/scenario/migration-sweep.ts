/**
 * Migration-sweep files: one guest and one link, a list of migration strategies (each with its QEMU knobs) and a
 * grid of dirty rates × link bandwidths, run for every seed with the page-level engine
 * (src/mechanisms/migration/live-migration.ts). This file holds the format (zod; every problem reported at once
 * with file, line and field), its expansion into points and the in-process runner; `hyperwatt migrate sweep`
 * (src/cli/migrate-sweep.ts) writes the results and src/report/migration-report.ts renders them.
 *
 * The keys mirror the options of `hyperwatt migrate` (`--ram-mib` → `ram_mib`) and default to the same values,
 * which are QEMU 7.2's defaults (see {@link QEMU_DEFAULTS}). The format is documented in docs/migration-sweeps.md.
 *
 * Every point of a seed uses the same random stream (common random numbers): the strategies see the same guest
 * writes, so differences between them come from the strategies, not from the draw.
 */
import { z } from 'zod';
import { simpleGuestMemory, type GuestMemorySpec } from '../model/memory/guest-memory.js';
import { migrationFigures, type MigrationFigures } from '../mechanisms/migration/migration-figures.js';
import {
  QEMU_AUTO_CONVERGE,
  QEMU_DEFAULTS,
  type AutoConvergeParameters,
  type LiveMigrationParameters,
  type LiveMigrationResult,
  type MigrationStrategy,
} from '../mechanisms/migration/live-migration.js';
import { simulateMigration, type LinkSpec } from '../mechanisms/migration/single-migration.js';
import { loadDocument } from './document.js';
import { parseWith } from './validate.js';

const MiB = 1024 * 1024;
/** 4 TiB: the engine indexes pages with 31-bit integers (2^31 pages of 4 KiB is 8 TiB). */
const MAX_RAM_MIB = 4 * 1024 * 1024;

export const WRITE_PATTERNS = ['uniform', 'hot-cold', 'zipf', 'sequential'] as const;

const positive = (what: string) => z.number().positive().describe(what);
const nonNegative = (what: string) => z.number().nonnegative().describe(what);
const percent = (what: string) => z.number().min(0).max(100).describe(what);

export const MigrationGuestSchema = z
  .strictObject({
    ram_mib: z.number().positive().max(MAX_RAM_MIB).describe('guest RAM, MiB'),
    used_mib: nonNegative('RAM holding data, MiB; the rest are zero pages (default: all of it)').optional(),
    hot_set_mib: nonNegative('writable working set the writes fall in, MiB (default: the whole RAM)').optional(),
    pattern: z.enum(WRITE_PATTERNS).default('uniform').describe('write pattern'),
    hot_write_percent: percent('hot-cold only: percent of the writes in the hottest eighth of the hot set (default 90)').optional(),
    zipf_exponent: positive('zipf only: exponent (default 0.99)').optional(),
    touch_pages_per_s: nonNegative('pages each vCPU accesses per second after a post-copy switch (default: the dirty rate of the point)').optional(),
    touch_locality: z.number().min(0).max(1).default(0.5).describe('probability that an access is to the next page'),
    vcpus: z.number().int().positive().max(1024).default(1).describe('vCPUs'),
  })
  .superRefine((guest, context) => {
    if (guest.used_mib !== undefined && guest.used_mib > guest.ram_mib) {
      context.addIssue({ code: 'custom', path: ['used_mib'], message: `is larger than ram_mib (${guest.used_mib} > ${guest.ram_mib})` });
    }
    if (guest.hot_set_mib !== undefined && guest.hot_set_mib > guest.ram_mib) {
      context.addIssue({ code: 'custom', path: ['hot_set_mib'], message: `is larger than ram_mib (${guest.hot_set_mib} > ${guest.ram_mib})` });
    }
    if (guest.hot_write_percent !== undefined && guest.pattern !== 'hot-cold') {
      context.addIssue({ code: 'custom', path: ['hot_write_percent'], message: `applies only to pattern "hot-cold" (the pattern is "${guest.pattern}")` });
    }
    if (guest.zipf_exponent !== undefined && guest.pattern !== 'zipf') {
      context.addIssue({ code: 'custom', path: ['zipf_exponent'], message: `applies only to pattern "zipf" (the pattern is "${guest.pattern}")` });
    }
  });

/** The knobs every strategy has; set once under `qemu:` and overridden per strategy. */
const sharedKnobs = {
  max_bandwidth_mib_s: positive('QEMU max-bandwidth during pre-copy, MiB/s (default 128)').optional(),
  postcopy_max_bandwidth_mib_s: positive('QEMU max-postcopy-bandwidth, MiB/s (default: unlimited)').optional(),
  downtime_limit_ms: nonNegative('QEMU downtime-limit, ms (default 300)').optional(),
  xbzrle_cache_mib: nonNegative('XBZRLE delta compression with this cache size, MiB (default 0: off)').optional(),
  time_limit_s: positive('give up on a pre-copy that has not converged after this long, s (default 600)').optional(),
  on_time_limit: z.enum(['abort', 'stop-and-copy']).optional().describe('at the time limit: abort (the VM stays on the source) or stop-and-copy'),
};

export const SharedKnobsSchema = z.strictObject(sharedKnobs);

const AutoConvergeSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      initial_percent: percent('cpu-throttle-initial, percent (default 20)').optional(),
      increment_percent: percent('cpu-throttle-increment, percent (default 10)').optional(),
      max_percent: percent('max-cpu-throttle, percent (default 99)').optional(),
      trigger_threshold_percent: percent('throttle-trigger-threshold, percent (default 50)').optional(),
    }),
  ])
  .describe('auto-converge: true for QEMU defaults, or its parameters');

/** A strategy's label: shown in legends, tables and the CSV, so kept to plain characters. */
const StrategyName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._+()-]*$/, 'expected a name of letters, digits, spaces and . _ + ( ) - (starting with a letter or digit)')
  .max(60)
  .describe('label of the strategy (default: the strategy)');

export const MigrationStrategySchema = z
  .discriminatedUnion('strategy', [
    z.strictObject({ strategy: z.literal('precopy'), name: StrategyName.optional(), auto_converge: AutoConvergeSchema.optional(), ...sharedKnobs }),
    z.strictObject({
      strategy: z.literal('postcopy'),
      name: StrategyName.optional(),
      precache_mib: nonNegative("pre-cache this much of the hot set before the switch, MiB (Hirofuchi's pre-caching)").optional(),
      ...sharedKnobs,
    }),
    z
      .strictObject({
        strategy: z.literal('hybrid'),
        name: StrategyName.optional(),
        switch_after_s: nonNegative('switch to post-copy after this many seconds of pre-copy').optional(),
        switch_after_passes: z.number().int().nonnegative().optional().describe('switch to post-copy after this many pre-copy passes'),
        auto_converge: AutoConvergeSchema.optional(),
        ...sharedKnobs,
      })
      .superRefine((hybrid, context) => {
        if (hybrid.switch_after_s === undefined && hybrid.switch_after_passes === undefined) {
          context.addIssue({ code: 'custom', path: [], message: 'hybrid needs switch_after_s or switch_after_passes (when to switch to post-copy)' });
        }
      }),
    z.strictObject({ strategy: z.literal('stop-and-copy'), name: StrategyName.optional(), ...sharedKnobs }),
  ])
  .describe('migration strategy');

/** A list of distinct numbers: a repeated value would make two identical points and a chart with a repeated x. */
const distinctNumbers = (element: z.ZodNumber, what: string) =>
  z
    .array(element)
    .min(1)
    .describe(what)
    .superRefine((values, context) => {
      values.forEach((value, index) => {
        const first = values.indexOf(value);
        if (first !== index) context.addIssue({ code: 'custom', path: [index], message: `${value} is already in the list (at index ${first}); values must differ` });
      });
    });

export const MigrationSweepSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, . _ - (it names the output directory)').max(100),
    guest: MigrationGuestSchema,
    link: z.strictObject({ latency_ms: nonNegative('one-way link latency, ms').default(0.1) }).default({ latency_ms: 0.1 }),
    /** Knobs for every strategy; a strategy's own value wins. */
    qemu: SharedKnobsSchema.default({}),
    strategies: z
      .array(MigrationStrategySchema)
      .min(1)
      .superRefine((strategies, context) => {
        const seen = new Map<string, number>();
        strategies.forEach((strategy, index) => {
          const name = strategyName(strategy);
          const first = seen.get(name);
          if (first === undefined) seen.set(name, index);
          else {
            context.addIssue({
              code: 'custom',
              path: [index, ...(strategy.name === undefined ? [] : ['name'])],
              message: `the name "${name}" is already used by strategies[${first}]; give each strategy its own name`,
            });
          }
        });
      }),
    grid: z.strictObject({
      dirty_pages_per_s: distinctNumbers(z.number().nonnegative(), 'pages the guest writes per second'),
      bandwidth_mbit: distinctNumbers(z.number().positive(), 'link bandwidth, Mbit/s'),
    }),
    /** Seeds: a list, or a count n meaning seeds 1..n. */
    seeds: z
      .union([z.array(z.number().int().min(0).max(2 ** 32 - 1)).min(1), z.number().int().positive().max(1000)])
      .default([1])
      .describe('a list of seeds, or a count n meaning 1..n'),
  })
  .superRefine((sweep, context) => {
    const hotSetMiB = sweep.guest.hot_set_mib ?? sweep.guest.ram_mib;
    if (hotSetMiB === 0 && sweep.grid.dirty_pages_per_s.some((rate) => rate > 0)) {
      context.addIssue({ code: 'custom', path: ['guest', 'hot_set_mib'], message: 'is 0, but the grid has dirty rates above 0: the writes need a hot set to fall in' });
    }
    if (Array.isArray(sweep.seeds)) {
      sweep.seeds.forEach((seed, index) => {
        const first = (sweep.seeds as number[]).indexOf(seed);
        if (first !== index) context.addIssue({ code: 'custom', path: ['seeds', index], message: `${seed} is already in the list (at index ${first}); seeds must differ` });
      });
    }
  });

export type MigrationSweep = z.output<typeof MigrationSweepSchema>;
export type MigrationSweepInput = z.input<typeof MigrationSweepSchema>;
export type MigrationStrategySpec = z.output<typeof MigrationStrategySchema>;

/** The label of a strategy: its `name`, or the strategy itself. */
export function strategyName(strategy: MigrationStrategySpec): string {
  return strategy.name ?? strategy.strategy;
}

/**
 * Reads and validates a migration-sweep file.
 *
 * @throws UserError listing every problem as `file:line:column: field: message`.
 * @example const sweep = loadMigrationSweep('examples/migration/dirty-rate-sweep.yaml');
 */
export function loadMigrationSweep(file: string): MigrationSweep {
  return parseWith(MigrationSweepSchema, loadDocument(file), file);
}

/** The seeds of a sweep as a list (a count n means 1..n). */
export function sweepSeeds(sweep: MigrationSweep): number[] {
  return typeof sweep.seeds === 'number' ? Array.from({ length: sweep.seeds }, (_, index) => index + 1) : sweep.seeds;
}

/** One migration of a sweep. */
export interface MigrationSweepPoint {
  /** Position in the point list (0-based). */
  index: number;
  /** Position of the strategy in the file's list. */
  strategyIndex: number;
  /** The strategy's label. */
  strategy: string;
  /** What the engine runs. */
  mechanism: MigrationStrategy;
  bandwidthMbit: number;
  dirtyPagesPerSecond: number;
  seed: number;
}

/**
 * Expands a sweep into its points, in the order strategy × bandwidth × dirty rate × seed, each list in the order
 * of the file.
 */
export function expandMigrationSweep(sweep: MigrationSweep): MigrationSweepPoint[] {
  const points: MigrationSweepPoint[] = [];
  const seeds = sweepSeeds(sweep);
  sweep.strategies.forEach((strategy, strategyIndex) => {
    for (const bandwidthMbit of sweep.grid.bandwidth_mbit) {
      for (const dirtyPagesPerSecond of sweep.grid.dirty_pages_per_s) {
        for (const seed of seeds) {
          points.push({ index: points.length, strategyIndex, strategy: strategyName(strategy), mechanism: strategy.strategy, bandwidthMbit, dirtyPagesPerSecond, seed });
        }
      }
    }
  });
  return points;
}

/** What the engine needs for one point. */
export interface MigrationPointInputs {
  memory: GuestMemorySpec;
  parameters: LiveMigrationParameters;
  link: LinkSpec;
}

/**
 * The engine's inputs for one point: the guest, the strategy's parameters (strategy value, else the `qemu:`
 * value, else QEMU's default) and the link. Mirrors what `hyperwatt migrate` builds from its options.
 */
export function migrationPointInputs(sweep: MigrationSweep, point: MigrationSweepPoint): MigrationPointInputs {
  const guest = sweep.guest;
  const strategy = sweep.strategies[point.strategyIndex];
  const memory = simpleGuestMemory({
    ramMiB: guest.ram_mib,
    usedMiB: guest.used_mib,
    hotSetMiB: guest.hot_set_mib,
    pattern: guest.pattern,
    hotWritePercent: guest.hot_write_percent,
    zipfExponent: guest.zipf_exponent,
    dirtyPagesPerSecond: point.dirtyPagesPerSecond,
    touchPagesPerSecond: guest.touch_pages_per_s,
    touchLocality: guest.touch_locality,
    vcpus: guest.vcpus,
  });
  const knob = <K extends keyof typeof sharedKnobs>(key: K): MigrationSweep['qemu'][K] => strategy[key] ?? sweep.qemu[key];
  const mib = (value: number | undefined, fallbackBytes: number): number => (value === undefined ? fallbackBytes : value * MiB);
  const autoConverge = 'auto_converge' in strategy ? strategy.auto_converge : undefined;
  const parameters: LiveMigrationParameters = {
    ...QEMU_DEFAULTS,
    strategy: strategy.strategy,
    maxBandwidthBytesPerSecond: mib(knob('max_bandwidth_mib_s'), QEMU_DEFAULTS.maxBandwidthBytesPerSecond),
    postcopyMaxBandwidthBytesPerSecond: mib(knob('postcopy_max_bandwidth_mib_s'), QEMU_DEFAULTS.postcopyMaxBandwidthBytesPerSecond),
    downtimeLimitSeconds: (knob('downtime_limit_ms') ?? QEMU_DEFAULTS.downtimeLimitSeconds * 1000) / 1000,
    autoConverge: autoConvergeParameters(autoConverge),
    xbzrleCacheBytes: mib(knob('xbzrle_cache_mib'), QEMU_DEFAULTS.xbzrleCacheBytes),
    precacheBytes: strategy.strategy === 'postcopy' ? mib(strategy.precache_mib, 0) : 0,
    switchAfterSeconds: strategy.strategy === 'hybrid' ? (strategy.switch_after_s ?? Infinity) : Infinity,
    switchAfterPasses: strategy.strategy === 'hybrid' ? (strategy.switch_after_passes ?? Infinity) : Infinity,
    timeLimitSeconds: knob('time_limit_s') ?? QEMU_DEFAULTS.timeLimitSeconds,
    onTimeLimit: knob('on_time_limit') ?? QEMU_DEFAULTS.onTimeLimit,
  };
  const link: LinkSpec = { bandwidthBytesPerSecond: (point.bandwidthMbit * 1e6) / 8, latencySeconds: sweep.link.latency_ms / 1000 };
  return { memory, parameters, link };
}

function autoConvergeParameters(value: z.output<typeof AutoConvergeSchema> | undefined): AutoConvergeParameters | null {
  if (value === undefined || value === false) return null;
  if (value === true) return QEMU_AUTO_CONVERGE;
  return {
    initialPercent: value.initial_percent ?? QEMU_AUTO_CONVERGE.initialPercent,
    incrementPercent: value.increment_percent ?? QEMU_AUTO_CONVERGE.incrementPercent,
    maxPercent: value.max_percent ?? QEMU_AUTO_CONVERGE.maxPercent,
    triggerThresholdPercent: value.trigger_threshold_percent ?? QEMU_AUTO_CONVERGE.triggerThresholdPercent,
  };
}

/**
 * The figures of one point, with the keys (and units) of `hyperwatt migrate --json`. Times in seconds, sizes in
 * MiB, fractions as fractions; `switchover_s` is null when the VM never ran on the destination.
 */
export interface MigrationSweepRow extends MigrationFigures {
  point: number;
  strategy: string;
  mechanism: MigrationStrategy;
  bandwidth_mbit: number;
  dirty_pages_per_s: number;
  seed: number;
}

/** A finished sweep: what results.json holds. Deterministic (no wall-clock figures). */
export interface MigrationSweepResults {
  sweep: string;
  /** The validated file with its defaults filled in, so the results say what they are results of. */
  definition: MigrationSweep;
  points: number;
  rows: MigrationSweepRow[];
}

/** The row of a finished point. */
export function migrationSweepRow(point: MigrationSweepPoint, result: LiveMigrationResult): MigrationSweepRow {
  return {
    point: point.index,
    strategy: point.strategy,
    mechanism: point.mechanism,
    bandwidth_mbit: point.bandwidthMbit,
    dirty_pages_per_s: point.dirtyPagesPerSecond,
    seed: point.seed,
    ...migrationFigures(result),
  };
}

/**
 * Runs every point of a sweep, one after the other in this thread (a point takes milliseconds to a few tenths of
 * a second: a pre-copy that never converges runs until its time limit). Deterministic: the same sweep gives the
 * same rows.
 *
 * @param onPoint called after each point with the number done and the total, for progress displays.
 */
export function runMigrationSweep(sweep: MigrationSweep, onPoint?: (done: number, total: number) => void): MigrationSweepResults {
  const points = expandMigrationSweep(sweep);
  const rows = points.map((point, done) => {
    const { memory, parameters, link } = migrationPointInputs(sweep, point);
    const row = migrationSweepRow(point, simulateMigration(memory, parameters, link, point.seed));
    onPoint?.(done + 1, points.length);
    return row;
  });
  return { sweep: sweep.name, definition: sweep, points: points.length, rows };
}
