/**
 * The scenario format: plain data (YAML or JSON) describing one simulated run. This file is the single source
 * of truth for the format; `hyperwatt schema` prints it as JSON Schema and docs/scenario-format.md explains it.
 *
 * Every object is strict (unknown keys are errors) and every preset family is a discriminated union on `name`
 * or `kind`, so a typo gets a message listing the valid names. Units are in the field names.
 */
import { z } from 'zod';
import { POWER_CATALOG_NAMES } from '../model/power-catalog.js';
import { GUEST_PROFILE_NAMES } from '../workload/guest-workload.js';

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
    z.strictObject({
      model: z.literal('detailed-host'),
      /** The detailed host's curve (docs/models/host-energy.md): its cores are the host type's `cores`. */
      profile: z.enum(GUEST_PROFILE_NAMES as [string, ...string[]]).default('compute').describe('the guest workload a busy core runs'),
      otherWatts: z.number().nonnegative().default(0).describe('constant power of the rest of the platform (memory, fans, PSU losses), watts'),
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
    z.strictObject({ name: z.literal('mpc') }).describe("minimum predicted cost under the run's migration model"),
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

/**
 * How a VM's memory behaves when it migrates (realistic migration models). Rates are per vCPU; writes scale with
 * the VM's CPU utilisation when its migration starts (a guest doing nothing writes nothing). These are workload
 * assumptions to state in an experiment, not measurements: the defaults are illustrative.
 */
export const GuestMemoryBehaviourSchema = z.strictObject({
  usedFraction: fraction('share of the RAM holding data (the rest are zero pages)').default(0.9),
  writableFraction: fraction('writable working set as a share of the RAM').default(0.25),
  dirtyPagesPerSecondPerVcpu: z.number().nonnegative().default(2000).describe('4 KiB page writes per second per vCPU at 100 % CPU'),
  pattern: z.enum(['uniform', 'hot-cold', 'zipf', 'sequential']).default('uniform').describe('how writes spread over the writable set'),
  hotFraction: fraction('hot-cold: hot set as a share of the writable set').default(0.125),
  hotWriteFraction: fraction('hot-cold: share of the writes that go to the hot set').default(0.9),
  zipfExponent: positive('zipf: exponent').default(0.99),
  touchPagesPerSecondPerVcpu: z.number().nonnegative().default(10000).describe('pages a running vCPU accesses per second (post-copy faults)'),
  touchLocality: fraction('probability that an access is to the next page').default(0.5),
});

/** Fields shared by the QEMU-like migration models (QEMU 7.2 defaults). */
const qemuMigrationFields = {
  maxBandwidthMiBps: positive('QEMU max-bandwidth during pre-copy, MiB/s').default(128),
  postcopyMaxBandwidthMiBps: positive('QEMU max-postcopy-bandwidth, MiB/s (absent: unlimited)').optional(),
  downtimeLimitMs: z.number().nonnegative().default(300).describe('QEMU downtime-limit, ms'),
  autoConverge: z.boolean().default(false).describe('throttle the guest when pre-copy does not converge'),
  precacheMiB: z.number().nonnegative().default(0).describe('post-copy/hybrid: hot set pre-cached before the switch, MiB'),
  timeLimitSeconds: positive('a pre-copy that has not converged after this long is stopped and copied').default(600),
  latencyMs: z.number().nonnegative().default(0.1).describe('one-way latency of a host NIC link, ms'),
  racks: z
    .strictObject({
      hostsPerRack: positiveInt('consecutive hosts per rack'),
      uplinkMbps: positive("rack uplink bandwidth each way, Mbit/s"),
    })
    .optional()
    .describe('group hosts in racks whose uplinks migrations between racks share'),
  postcopyRecovery: z.boolean().default(false).describe('post-copy: a failed link pauses the VM instead of losing it'),
  hostFailures: z
    .array(
      z.strictObject({
        atSeconds: z.number().nonnegative().describe('when the host fails, s'),
        host: z.number().int().nonnegative().describe('host index'),
      }),
    )
    .default([])
    .describe('hosts that crash for good: their VMs are lost, their migrations fail (docs/models/migration.md)'),
  linkFailures: z
    .array(
      z.strictObject({
        atSeconds: z.number().nonnegative().describe('when the host loses its network, s'),
        host: z.number().int().nonnegative().describe('host index'),
        restoredAfterSeconds: positive('when the link is back, s after the failure (absent: never)').optional(),
      }),
    )
    .default([])
    .describe("hosts whose NIC fails: migrations through it fail (pre-copy aborts; post-copy is lost, or paused with postcopyRecovery), the host takes part in no migration until it is back"),
  vmTraffic: z.boolean().default(false).describe("each VM's bandwidth, in and out, as flows that migrations share the NICs with"),
  engine: z.enum(['aggregate', 'page']).default('aggregate').describe('aggregate (expected values, for data centers) or page (page level, small runs)'),
  guest: GuestMemoryBehaviourSchema.default(GuestMemoryBehaviourSchema.parse({})),
};

export const MigrationSchema = z
  .discriminatedUnion('model', [
    z.strictObject({
      model: z.literal('cloudsim'),
      bandwidthFraction: z.number().gt(0).max(1).default(0.5).describe('share of the link a migration uses'),
      cpuOverhead: z.number().gt(0).lt(1).default(0.1).describe('CPU share lost by a migrating VM'),
    }),
    z.strictObject({ model: z.literal('precopy'), ...qemuMigrationFields }),
    z.strictObject({ model: z.literal('postcopy'), ...qemuMigrationFields }),
    z.strictObject({
      model: z.literal('hybrid'),
      ...qemuMigrationFields,
      switchAfterPasses: z.number().int().nonnegative().default(2).describe('switch to post-copy after this many pre-copy passes'),
      switchAfterSeconds: positive('…or after this many seconds').optional(),
    }),
    z.strictObject({ model: z.literal('stop-and-copy'), ...qemuMigrationFields }),
    z.strictObject({
      model: z.literal('adaptive'),
      ...qemuMigrationFields,
      postcopyAboveDirtyShare: fraction("use post-copy when the VM's predicted dirty rate exceeds this share of its link, else pre-copy").default(0.5),
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
  /** Default mode only: facility and rack power caps, enforced at every scheduling tick (docs/models/default.md). */
  powerCap: z
    .strictObject({
      facilityWatts: positive('the cap on the whole data center’s power, watts').optional(),
      rack: z
        .strictObject({
          watts: positive('the cap on each rack’s power, watts'),
          hostsPerRack: z.number().int().positive().describe('racks are runs of this many consecutive hosts'),
          migrate: z.boolean().default(true).describe('shed a rack’s excess by migrating its highest-power VMs to racks with headroom before throttling'),
          maxMigrationsPerTick: z.number().int().positive().default(10).describe('per rack and scheduling tick'),
        })
        .optional(),
      choose: z
        .enum(['energy-intensity', 'uniform'])
        .default('energy-intensity')
        .describe('which VMs to throttle: highest accounted watts per MIPS first, or all by the same factor'),
      floorFraction: fraction('energy-intensity: throttle a VM down to this share of its demand before going lower').default(0.5),
    })
    .refine((c) => c.facilityWatts !== undefined || c.rack !== undefined, { message: 'give facilityWatts, rack, or both' })
    .optional(),
  /**
   * Default mode only: vCPU ballooning on every host at every scheduling tick, after consolidation — each VM's
   * online vCPU count follows its host's load (docs/models/vcpu-ballooning.md, "In data-center scenarios").
   */
  vcpuBallooning: z
    .strictObject({
      policy: z.enum(['flexcore', 'vscale']).describe('the ballooning preset'),
    })
    .optional(),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** JSON Schema of the scenario format (for editors: `hyperwatt schema > scenario.schema.json`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' });
}
