/**
 * The host scenario format (`kind: host`): one detailed host — cores with P-states, a thermal model, a disk, a
 * hypervisor scheduler, VMs with guest threads, an optional driver VM — with the host energy manager's limits
 * and energy-aware guests. docs/scenario-format.md ("Host scenarios") explains every field; `hyperwatt run`
 * runs these files, `hyperwatt calibrate` fits their estimator weights.
 *
 * Every object is strict; cross-field checks (cores that exist, threads on vCPUs that exist, unique names,
 * limits on VMs that exist) are in {@link HostScenarioSchema}'s refinements so that all problems are reported at
 * once with their field paths.
 */
import { z } from 'zod';
import { EVENT_NAMES } from '../model/host/performance-events.js';
import { GUEST_PROFILE_NAMES } from '../workload/guest-workload.js';

const positive = (what: string) => z.number().positive().describe(what);
const nonNegative = (what: string) => z.number().nonnegative().describe(what);
const fraction = (what: string) => z.number().min(0).max(1).describe(what);

const EventRatesSchema = z.strictObject({
  instructions: nonNegative('retired instructions per cycle (at the fastest P-state)'),
  l2Misses: nonNegative('L2 misses per cycle').default(0),
  memoryAccesses: nonNegative('memory accesses per cycle').default(0),
  branchMispredictions: nonNegative('mispredicted branches per cycle').default(0),
  floatingPoint: nonNegative('floating-point operations per cycle').default(0),
});

const PhaseSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('compute'),
    seconds: positive('work, seconds of CPU time at the fastest P-state'),
    rates: EventRatesSchema,
    memoryStallFraction: fraction('share of cycles stalled on memory').default(0),
  }),
  z.strictObject({ kind: z.literal('sleep'), seconds: positive('time blocked, seconds') }),
  z.strictObject({ kind: z.literal('disk'), bytes: positive('request size, bytes') }),
]);

const ThreadSchema = z
  .strictObject({
    name: z.string().min(1).describe('application name, unique within the VM'),
    profile: z.enum(GUEST_PROFILE_NAMES as [string, ...string[]]).optional().describe('a named workload profile'),
    phases: z.array(PhaseSchema).min(1).optional().describe('an explicit program (phases repeated forever)'),
    vcpu: z.number().int().nonnegative().default(0).describe('the vCPU (index within the VM) that runs the thread'),
    tickets: positive('guest scheduler tickets').default(100),
  })
  .refine((t) => (t.profile === undefined) !== (t.phases === undefined), { message: 'give exactly one of profile or phases' });

const GuestPolicySchema = z.strictObject({
  budgetWatts: positive('the VM budget the guest splits among its applications, watts'),
  threadLimitsWatts: z.record(z.string(), positive('watts')).default({}).describe('explicit limits by application name; the others share the rest'),
  periodMs: positive('guest policy period, ms').default(50),
});

const VmSchema = z.strictObject({
  name: z.string().min(1),
  vcpus: z.number().int().positive().default(1).describe('number of vCPUs'),
  cores: z.array(z.number().int().nonnegative()).optional().describe('starting core of each vCPU (default: round robin from core 0)'),
  tickets: positive('hypervisor stride tickets per vCPU').default(100),
  threads: z.array(ThreadSchema).min(1),
  cpuPowerLimitWatts: positive('host-enforced CPU power limit, watts').optional(),
  diskPowerLimitWatts: positive('host-enforced disk power limit, watts').optional(),
  guestPolicy: GuestPolicySchema.optional().describe('an energy-aware guest'),
});

const PStateSchema = z.strictObject({ frequencyHz: positive('Hz'), voltageVolts: positive('volts') });

const HostSchema = z.strictObject({
  cores: z.number().int().positive().max(256).describe('processor cores'),
  sliceMs: positive('hypervisor time slice, ms').default(1),
  allocationPeriodMs: positive('period over which vCPU allocations are enforced, ms').default(10),
  scheduler: z.enum(['stride', 'fair-share']).default('stride'),
  pStates: z.array(PStateSchema).min(1).optional().describe('operating points, fastest first (default: Intel Pentium M 1.6 GHz)'),
  corePower: z
    .strictObject({
      cycleEnergyJoules: nonNegative('J per unhalted cycle at the nominal voltage').optional(),
      eventEnergyJoules: z
        .strictObject({
          instructions: nonNegative('J').optional(),
          l2Misses: nonNegative('J').optional(),
          memoryAccesses: nonNegative('J').optional(),
          branchMispredictions: nonNegative('J').optional(),
          floatingPoint: nonNegative('J').optional(),
        })
        .optional(),
      haltPowerWatts: nonNegative('W').optional(),
      leakagePowerWatts: nonNegative('W').optional(),
      leakageReferenceCelsius: z.number().optional(),
      leakageTemperatureCoefficientPerKelvin: nonNegative('1/K').optional(),
    })
    .default({})
    .describe('ground-truth core power (overrides of the defaults)'),
  thermal: z
    .strictObject({
      coreResistanceKelvinPerWatt: positive('K/W').optional(),
      coreCapacitanceJoulesPerKelvin: positive('J/K').optional(),
      packageResistanceKelvinPerWatt: positive('K/W').optional(),
      packageCapacitanceJoulesPerKelvin: positive('J/K').optional(),
      ambientCelsius: z.number().optional(),
    })
    .default({}),
  disk: z
    .strictObject({
      idlePowerWatts: nonNegative('W').optional(),
      activePowerWatts: nonNegative('W').optional(),
      standbyPowerWatts: nonNegative('W').optional(),
      transferMBps: positive('sustained transfer rate, MB/s (10^6 bytes)').optional(),
      positioningMs: nonNegative('seek and rotation per request, ms').optional(),
      standbyAfterIdleSeconds: positive('spin down after this idle time, s').optional(),
      spinUpSeconds: nonNegative('s').optional(),
      spinUpPowerWatts: nonNegative('W').optional(),
    })
    .default({}),
  governor: z.enum(['performance', 'powersave', 'ondemand']).default('performance'),
  counters: z
    .array(z.enum(EVENT_NAMES))
    .min(1)
    .max(EVENT_NAMES.length)
    .default(['unhaltedCycles', 'instructions', 'l2Misses', 'floatingPoint'])
    .describe('events the estimator counts (the PMU configuration)'),
  weights: z.string().min(1).default('calibrate').describe("estimator weights: 'calibrate' (fit on this host at start) or a JSON file from `hyperwatt calibrate`"),
});

const DriverSchema = z.strictObject({
  core: z.number().int().nonnegative().describe('core of the driver VM vCPU'),
  cyclesPerRequest: nonNegative('driver cycles per disk request').default(40_000),
  cyclesPerByte: nonNegative('driver cycles per byte').default(0.5),
});

const ManagerSchema = z.strictObject({
  periodMs: positive('host energy manager period, ms (10–100)').default(50),
  coreLimit: z
    .strictObject({
      temperatureCelsius: positive('°C').optional(),
      powerWatts: positive('W per core').optional(),
      balancing: z.boolean().default(true).describe('move hot vCPUs to cooler cores before throttling'),
      throttle: z.enum(['halt', 'dvfs']).default('halt'),
    })
    .refine((l) => (l.temperatureCelsius === undefined) !== (l.powerWatts === undefined), { message: 'give exactly one of temperatureCelsius or powerWatts' })
    .optional(),
});

export const HostScenarioSchema = z
  .strictObject({
    kind: z.literal('host'),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only (it names the output directory)'),
    description: z.string().optional(),
    durationSeconds: positive('simulated time, seconds'),
    host: HostSchema,
    driver: DriverSchema.optional().describe('a driver VM that serves the disk requests (omit: requests go straight to the disk)'),
    vms: z.array(VmSchema).min(1),
    manager: ManagerSchema.default({ periodMs: 50 }),
    accounting: z
      .strictObject({
        periodMs: positive('accounting period, ms').default(10),
        idleRule: z.enum(['equal', 'by-vcpus', 'by-cpu-time']).default('equal'),
      })
      .default({ periodMs: 10, idleRule: 'equal' }),
    output: z.strictObject({ sampleMs: positive('time-series sample period, ms').default(100) }).default({ sampleMs: 100 }),
  })
  // Cross-field checks run even when other fields are invalid (`when: () => true`), so that one run reports every
  // problem; the data may then be partly unparsed, hence the guards: a check runs only on fields that are valid.
  .superRefine(
    (input, ctx) => {
      const s = input as unknown as Record<string, unknown>;
      const host = record(s.host);
      const cores = positiveInteger(host?.cores);
      const names = new Set<string>();
      const vms = Array.isArray(s.vms) ? s.vms : [];
      vms.forEach((raw, i) => {
        const vm = record(raw);
        if (!vm) return;
        const name = typeof vm.name === 'string' ? vm.name : undefined;
        if (name !== undefined) {
          if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['vms', i, 'name'], message: `duplicate VM name "${name}"` });
          names.add(name);
        }
        const vcpus = vm.vcpus === undefined ? 1 : positiveInteger(vm.vcpus);
        const vmCores = Array.isArray(vm.cores) ? vm.cores : undefined;
        if (vmCores && vcpus !== undefined && vmCores.length !== vcpus) ctx.addIssue({ code: 'custom', path: ['vms', i, 'cores'], message: `expected ${vcpus} cores (one per vCPU), got ${vmCores.length}` });
        vmCores?.forEach((c, k) => {
          if (cores !== undefined && typeof c === 'number' && c >= cores) ctx.addIssue({ code: 'custom', path: ['vms', i, 'cores', k], message: `core ${c} does not exist (the host has ${cores})` });
        });
        const threads = Array.isArray(vm.threads) ? vm.threads.map(record) : [];
        const threadNames = new Set<string>();
        threads.forEach((t, k) => {
          if (!t) return;
          const vcpu = t.vcpu === undefined ? 0 : t.vcpu;
          if (typeof vcpu === 'number' && vcpus !== undefined && vcpu >= vcpus) ctx.addIssue({ code: 'custom', path: ['vms', i, 'threads', k, 'vcpu'], message: `vCPU ${vcpu} does not exist (the VM has ${vcpus})` });
          if (typeof t.name === 'string') {
            if (threadNames.has(t.name)) ctx.addIssue({ code: 'custom', path: ['vms', i, 'threads', k, 'name'], message: `duplicate thread name "${t.name}"` });
            threadNames.add(t.name);
          }
          if (Array.isArray(t.phases) && !t.phases.some((p) => record(p)?.kind === 'compute')) ctx.addIssue({ code: 'custom', path: ['vms', i, 'threads', k, 'phases'], message: 'a program needs at least one compute phase' });
        });
        if (vcpus !== undefined && threads.length > 0 && threads.every((t) => t !== undefined)) {
          for (let v = 0; v < vcpus; v++) {
            if (!threads.some((t) => (t!.vcpu === undefined ? 0 : t!.vcpu) === v)) ctx.addIssue({ code: 'custom', path: ['vms', i, 'threads'], message: `vCPU ${v} runs no thread` });
          }
        }
        const limits = record(record(vm.guestPolicy)?.threadLimitsWatts);
        for (const app of Object.keys(limits ?? {})) {
          if (threads.length > 0 && !threadNames.has(app)) ctx.addIssue({ code: 'custom', path: ['vms', i, 'guestPolicy', 'threadLimitsWatts', app], message: `no thread named "${app}" in VM ${name ?? i}` });
        }
      });
      const driverCore = record(s.driver)?.core;
      if (cores !== undefined && typeof driverCore === 'number' && driverCore >= cores) ctx.addIssue({ code: 'custom', path: ['driver', 'core'], message: `core ${driverCore} does not exist (the host has ${cores})` });
      const slice = host?.sliceMs === undefined ? 1 : host.sliceMs;
      if (typeof slice !== 'number' || !(slice > 0)) return;
      const multiple = (value: unknown, path: (string | number)[]): void => {
        if (typeof value === 'number' && Math.abs(value / slice - Math.round(value / slice)) >= 1e-9) ctx.addIssue({ code: 'custom', path, message: `must be a multiple of the slice (${slice} ms)` });
      };
      multiple(host?.allocationPeriodMs, ['host', 'allocationPeriodMs']);
      multiple(record(s.manager)?.periodMs, ['manager', 'periodMs']);
      multiple(record(s.accounting)?.periodMs, ['accounting', 'periodMs']);
      multiple(record(s.output)?.sampleMs, ['output', 'sampleMs']);
    },
    { when: () => true },
  );

/** The value as a plain object, or undefined. */
function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export type HostScenario = z.output<typeof HostScenarioSchema>;
export type HostScenarioInput = z.input<typeof HostScenarioSchema>;
