/**
 * The double-scheduling formats: `kind: smp` (SMP VMs running parallel programs on one host, compared under
 * several hypervisor schedulers) and `kind: vcpu-experiment` (FlexCore's experiment: every profile, 1 to N
 * VMs, each scheduler). docs/scenario-format.md ("SMP scenarios") explains every field.
 */
import { z } from 'zod';
import { HOTPLUG_COSTS } from '../mechanisms/vcpu/smp-defaults.js';
import { FLEXCORE_DEFAULTS, VSCALE_DEFAULTS } from '../policies/vcpu/vcpu-balloon-policy.js';
import { PARALLEL_PROFILE_NAMES } from '../workload/parsec-profiles.js';

const positive = (what: string) => z.number().positive().describe(what);
const nonNegative = (what: string) => z.number().nonnegative().describe(what);

const SCHEDULERS = ['fair-share', 'co-scheduling', 'flexcore'] as const;

/** Overrides of a profile's knobs (the synthetic profile is the defaults plus these). */
export const ProfileOverridesSchema = z.strictObject({
  threads: z.number().int().positive().optional().describe('threads (default one per vCPU)'),
  totalWorkSeconds: positive('work of one run, summed over threads, seconds').optional(),
  grainSeconds: positive('compute between synchronisation points, seconds').optional(),
  grainVariation: nonNegative('coefficient of variation of a grain').optional(),
  barrierEvery: z.number().int().nonnegative().optional().describe('a barrier every this many grains (0: none)'),
  barrierSpinSeconds: nonNegative('spinning before a barrier waiter blocks, seconds').optional(),
  barrierLockSeconds: nonNegative("critical section of the barrier's own mutex (PARSEC's barrier), seconds; 0: none").optional(),
  locksPerGrain: nonNegative('lock acquisitions per grain').optional(),
  lockKind: z.enum(['spin', 'mutex', 'ticket']).optional(),
  lockCount: z.number().int().positive().optional().describe('distinct locks'),
  criticalSectionSeconds: nonNegative('critical section length, seconds').optional(),
  mutexSpinSeconds: nonNegative('spinning before a mutex waiter blocks, seconds').optional(),
  shootdownsPerGrain: nonNegative('TLB shootdowns per grain').optional(),
  pipelineStages: z.number().int().positive().optional(),
  queueCapacity: z.number().int().positive().optional(),
});

export const BalloonSchema = z.discriminatedUnion('policy', [
  z.strictObject({
    policy: z.literal('flexcore'),
    periodSeconds: positive('evaluation period, seconds').default(FLEXCORE_DEFAULTS.periodSeconds),
    pleSpikeExitsPerVcpuSecond: positive('pause-loop exits per online vCPU per second that trigger an evaluation').default(FLEXCORE_DEFAULTS.pleSpikeExitsPerVcpuSecond),
    offlineCostSeconds: nonNegative('guest CPU offline cost, seconds').default(HOTPLUG_COSTS.linux.offlineSeconds),
    onlineCostSeconds: nonNegative('guest CPU online cost, seconds').default(HOTPLUG_COSTS.linux.onlineSeconds),
  }),
  z.strictObject({
    policy: z.literal('vscale'),
    periodSeconds: positive('evaluation period, seconds').default(VSCALE_DEFAULTS.periodSeconds),
    offlineCostSeconds: nonNegative('fast vCPU freeze cost, seconds').default(HOTPLUG_COSTS.fast.offlineSeconds),
    onlineCostSeconds: nonNegative('fast vCPU unfreeze cost, seconds').default(HOTPLUG_COSTS.fast.onlineSeconds),
  }),
]);

const BALLOON_DEFAULT = {
  policy: 'flexcore',
  ...FLEXCORE_DEFAULTS,
  offlineCostSeconds: HOTPLUG_COSTS.linux.offlineSeconds,
  onlineCostSeconds: HOTPLUG_COSTS.linux.onlineSeconds,
} as const;
const HOST_DEFAULT = { cores: 12, clockHz: 1.6e9, pauseLoopExits: true };

const HostSchema = z.strictObject({
  cores: z.number().int().positive().max(1024).default(12).describe('physical cores'),
  clockHz: positive('core clock (turns PLE cycles into time), Hz').default(1.6e9),
  pauseLoopExits: z.boolean().default(true).describe('pause-loop exiting with directed yield (KVM default)'),
});

const VmSchema = z.strictObject({
  name: z.string().min(1),
  vcpus: z.number().int().positive().max(256).describe('vCPUs (the most the VM can have online)'),
  weight: positive('CFS weight of each vCPU thread (1024 = nice 0)').default(1024),
  profile: z.enum(PARALLEL_PROFILE_NAMES as unknown as [string, ...string[]]).describe('a PARSEC-like profile or synthetic'),
  params: ProfileOverridesSchema.default({}).describe('overrides of the profile'),
});

export const SmpScenarioSchema = z
  .strictObject({
    kind: z.literal('smp'),
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(1),
    host: HostSchema.default(HOST_DEFAULT),
    schedulers: z.array(z.enum(SCHEDULERS)).min(1).default(['fair-share', 'co-scheduling', 'flexcore']).describe('hypervisor schedulers to compare (the first is the baseline)'),
    balloon: BalloonSchema.default(BALLOON_DEFAULT),
    limitSeconds: positive('simulated time limit, seconds').default(600),
    seriesPeriodSeconds: positive('period of the online-vCPU series, seconds').default(0.05),
    vms: z.array(VmSchema).min(1),
  })
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    s.vms.forEach((vm, i) => {
      if (names.has(vm.name)) ctx.addIssue({ code: 'custom', path: ['vms', i, 'name'], message: `duplicate VM name "${vm.name}"` });
      names.add(vm.name);
    });
    const seen = new Set<string>();
    s.schedulers.forEach((name, i) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['schedulers', i], message: `scheduler "${name}" is listed twice` });
      seen.add(name);
    });
  });

export const VcpuExperimentSchema = z
  .strictObject({
    kind: z.literal('vcpu-experiment'),
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(1).describe('the first seed (with `repeats`: seed, seed + 1, …)'),
    repeats: z.number().int().positive().max(100).default(1).describe('runs per configuration, with consecutive seeds; completion times are averaged'),
    host: HostSchema.default(HOST_DEFAULT),
    vcpusPerVm: z.number().int().positive().max(256).default(12),
    vmCounts: z.array(z.number().int().positive().max(16)).min(1).default([1, 2, 3, 4]).describe('VMs on the host in each configuration'),
    profiles: z.array(z.enum(PARALLEL_PROFILE_NAMES as unknown as [string, ...string[]])).min(1).describe('the measured VM runs each of these'),
    coRunners: z
      .union([z.literal('same'), z.literal('next'), z.array(z.enum(PARALLEL_PROFILE_NAMES as unknown as [string, ...string[]])).min(1)])
      .default('same')
      .describe("what the other VMs run: 'same' (the measured profile), 'next' (the PARSEC profiles that follow it, a mix) or a list used round robin"),
    schedulers: z.array(z.enum(SCHEDULERS)).min(1).default(['fair-share', 'co-scheduling', 'flexcore']),
    balloon: BalloonSchema.default(BALLOON_DEFAULT),
    limitSeconds: positive('simulated time limit per run, seconds').default(600),
  })
  .superRefine((s, ctx) => {
    if (s.schedulers[0] !== 'fair-share') ctx.addIssue({ code: 'custom', path: ['schedulers', 0], message: 'the first scheduler is the baseline and must be fair-share' });
  })
  .transform((s) => ({ ...s, seeds: Array.from({ length: s.repeats }, (_, i) => s.seed + i) }));

export type SmpScenario = z.output<typeof SmpScenarioSchema>;
export type VcpuExperiment = z.output<typeof VcpuExperimentSchema>;
export type ProfileOverrides = z.output<typeof ProfileOverridesSchema>;
