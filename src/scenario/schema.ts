/**
 * The scenario format: plain data (YAML or JSON) describing one simulated run. This file is the single source
 * of truth for the format; `hyperwatt schema` prints it as JSON Schema and docs/scenario-format.md explains it.
 *
 * Every object is strict (unknown keys are errors) and every preset family is a discriminated union on `name`
 * or `kind`, so a typo gets a message listing the valid names. Units are in the field names.
 */
import { z } from 'zod';
import { POWER_CATALOG_NAMES } from '../model/power-catalog.js';

const positive = (what: string) => z.number().positive().describe(what);
const positiveInt = (what: string) => z.number().int().positive().describe(what);
const fraction = (what: string) => z.number().min(0).max(1).describe(what);

export const PowerSchema = z
  .discriminatedUnion('model', [
    z.strictObject({
      model: z.literal('specpower'),
      /** A measured table from the catalogue. */
      server: z.enum(POWER_CATALOG_NAMES as [string, ...string[]]).describe('a server from the power catalogue'),
    }),
    z.strictObject({
      model: z.literal('table'),
      /** Watts at 0 %, 10 %, …, 100 % load. */
      watts: z.array(z.number().nonnegative()).length(11).describe('watts at 0 %, 10 %, …, 100 % utilisation'),
      source: z.string().min(1).describe('where the numbers come from'),
    }),
    z.strictObject({
      model: z.literal('linear'),
      idleWatts: z.number().nonnegative(),
      maxWatts: z.number().positive(),
    }),
  ])
  .describe('power model');

export const HostTypeSchema = z.strictObject({
  name: z.string().min(1),
  cores: positiveInt('physical cores (CloudSim PEs)'),
  mipsPerCore: positive('MIPS of one core'),
  ramMiB: positive('memory, MiB'),
  bandwidthMbps: positive('network bandwidth, Mbit/s'),
  storageMB: positive('local storage, MB (CloudSim: 1,000,000)').default(1_000_000),
  power: PowerSchema,
});

export const VmTypeSchema = z.strictObject({
  name: z.string().min(1),
  mips: positive('MIPS of one virtual CPU'),
  pes: positiveInt('virtual CPUs').default(1),
  ramMiB: positive('memory, MiB'),
  bandwidthMbps: positive('network bandwidth, Mbit/s'),
  sizeMB: positive('image size, MB').default(2500),
});

export const VmAssignmentSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('order-file'),
      /** Tab-separated index, VM type, trace file name; `{day}` is replaced by the workload's day. */
      file: z.string().min(1),
    }),
    z.strictObject({ kind: z.literal('blocks') }),
    z.strictObject({ kind: z.literal('random') }),
  ])
  .describe('VM type assignment');

export const WorkloadSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('planetlab'),
      /** The day, e.g. "20110303"; `{day}` in paths is replaced by it. */
      day: z.union([z.string().regex(/^\d{8}$/), z.number().int().min(10000000).max(99999999)]).transform(String),
      directory: z.string().min(1).describe('directory of trace files; {day} is replaced by the day'),
    }),
    z.strictObject({
      kind: z.literal('synthetic'),
      vms: positiveInt('number of VMs'),
      /** Samples per VM and their spacing. */
      samples: positiveInt('samples per VM').default(288),
      sampleIntervalSeconds: positive('seconds between samples').default(300),
      meanUtilisation: fraction('mean CPU utilisation').default(0.3),
      diurnalAmplitude: fraction('amplitude of the daily cycle, as a fraction of the mean').default(0.5),
      burstProbability: fraction('probability that a sample starts a burst').default(0.02),
      burstUtilisation: fraction('utilisation added during a burst').default(0.4),
      burstSamples: positiveInt('length of a burst, samples').default(3),
      noise: fraction('standard deviation of sample noise').default(0.05),
    }),
  ])
  .describe('workload');

export const OverloadSchema = z
  .discriminatedUnion('name', [
    z.strictObject({ name: z.literal('thr'), threshold: fraction('utilisation threshold').default(0.8) }),
    z.strictObject({
      name: z.literal('mad'),
      safety: z.number().nonnegative().default(2.5),
      fallbackThreshold: fraction('static threshold while history is short').default(0.7),
      minHistory: positiveInt('history values needed').default(12),
    }),
    z.strictObject({
      name: z.literal('iqr'),
      safety: z.number().nonnegative().default(1.5),
      fallbackThreshold: fraction('static threshold while history is short').default(0.7),
      minHistory: positiveInt('history values needed').default(12),
    }),
    z.strictObject({
      name: z.literal('lr'),
      safety: z.number().positive().default(1.2),
      fallbackThreshold: fraction('static threshold while history is short').default(0.7),
      historyWindow: z.number().int().min(3).max(30).default(10),
    }),
    z.strictObject({
      name: z.literal('lrr'),
      safety: z.number().positive().default(1.2),
      fallbackThreshold: fraction('static threshold while history is short').default(0.7),
      historyWindow: z.number().int().min(3).max(30).default(10),
    }),
  ])
  .describe('overload detection');

export const SelectionSchema = z
  .discriminatedUnion('name', [
    z.strictObject({ name: z.literal('mmt') }),
    z.strictObject({ name: z.literal('mc') }),
    z.strictObject({ name: z.literal('mu') }),
    z.strictObject({ name: z.literal('rs') }),
  ])
  .describe('VM selection');

export const PlacementSchema = z.discriminatedUnion('name', [z.strictObject({ name: z.literal('pabfd') })]).describe('VM placement');

export const PolicySchema = z
  .discriminatedUnion('name', [
    z.strictObject({
      name: z.literal('consolidation'),
      overload: OverloadSchema,
      selection: SelectionSchema,
      placement: PlacementSchema.default({ name: 'pabfd' }),
    }),
    z.strictObject({ name: z.literal('dvfs') }),
    z.strictObject({ name: z.literal('npa') }),
  ])
  .describe('policy');

export const MigrationSchema = z
  .discriminatedUnion('model', [
    z.strictObject({
      model: z.literal('cloudsim'),
      bandwidthFraction: z.number().gt(0).max(1).default(0.5).describe('share of the link a migration uses'),
      cpuOverhead: z.number().gt(0).lt(1).default(0.1).describe('CPU share lost by a migrating VM'),
    }),
  ])
  .describe('migration model');

export const PowerStatesSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('instant') }),
    z.strictObject({
      kind: z.literal('realistic'),
      idleSeconds: z.number().nonnegative().describe('how long an empty host stays on before shutting down, s'),
      bootSeconds: z.number().nonnegative().describe('time to boot a host, s'),
      bootWatts: z.number().nonnegative().describe('power while booting, W'),
      shutdownSeconds: z.number().nonnegative().describe('time to shut a host down, s'),
      shutdownWatts: z.number().nonnegative().describe('power while shutting down, W'),
    }),
  ])
  .describe('host power states');

export const ScenarioSchema = z.strictObject({
  name: z.string().min(1),
  mode: z.enum(['cloudsim-3.0.3', 'default']).describe('model mode'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  durationSeconds: positive('simulated time, seconds').default(86_400),
  schedulingIntervalSeconds: positive('seconds between consolidation rounds').default(300),
  hosts: z.strictObject({
    count: positiveInt('number of hosts'),
    /** Host i gets types[i % types.length] (CloudSim's alternating G4/G5). */
    types: z.array(HostTypeSchema).min(1),
  }),
  vms: z.strictObject({
    types: z.array(VmTypeSchema).min(1),
    assignment: VmAssignmentSchema.default({ kind: 'blocks' }),
  }),
  workload: WorkloadSchema,
  policy: PolicySchema,
  migration: MigrationSchema.default({ model: 'cloudsim', bandwidthFraction: 0.5, cpuOverhead: 0.1 }),
  /**
   * Default mode only: `instant` (an empty host is off at once and wakes for free, as in CloudSim) or
   * `realistic` (idle power while on, boot and shutdown take time and energy). The cloudsim-3.0.3 mode is
   * always `instant`.
   */
  powerStates: PowerStatesSchema.default({ kind: 'instant' }),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** JSON Schema of the scenario format (for editors: `hyperwatt schema > scenario.schema.json`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' });
}
