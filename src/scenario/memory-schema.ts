/**
 * The guest-memory format (`kind: memory`): VMs whose guest kernels run file and memory workloads, watched by the
 * hypervisor's gray-box inference (Geiger), with optional experiments on top — the ablation of Geiger's
 * refinements, the true miss curve (each VM run alone at other sizes), a remote storage cache over sizes and
 * placements, and memory-manager policies against static allocation. docs/scenario-format.md ("Guest-memory
 * scenarios") explains every field. Sizes are in MiB (256 pages of 4 KiB) or blocks where a file's length is meant.
 */
import { z } from 'zod';
import { GUEST_OS_DEFAULTS } from '../model/guest-os/guest-os.js';
import { ESX_SAMPLING_DEFAULTS } from '../mechanisms/memory-inference/sampling-estimator.js';
import { MEMORY_POLICY_DEFAULTS, MEMORY_POLICY_NAMES } from '../policies/memory/memory-balloon-policy.js';
import { FILE_PHASE_DEFAULTS } from '../workload/file-workload.js';

const positive = (what: string) => z.number().positive().describe(what);
const nonNegative = (what: string) => z.number().nonnegative().describe(what);
const fraction = (what: string) => z.number().min(0).max(1).describe(what);
const count = (what: string) => z.number().int().positive().describe(what);

export const MEMORY_SCENARIO_KIND = 'memory';

const PhaseSchema = z
  .strictObject({
    kind: z.enum(['scan', 'random', 'zipf', 'database', 'churn']).describe('access pattern (see docs/models/guest-memory.md)'),
    accesses: count('steps in the phase'),
    zipfExponent: positive('Zipf exponent (zipf, database)').default(FILE_PHASE_DEFAULTS.zipfExponent),
    writeFraction: fraction('database: fraction of steps that overwrite a block').default(FILE_PHASE_DEFAULTS.writeFraction),
    logFraction: fraction('database: fraction of steps that append to the log').default(FILE_PHASE_DEFAULTS.logFraction),
    liveFiles: count('churn: temporary files kept').default(FILE_PHASE_DEFAULTS.liveFiles),
    fileBlocks: count('churn: blocks per temporary file').default(FILE_PHASE_DEFAULTS.fileBlocks),
    createEvery: count('churn: steps between file creations').default(FILE_PHASE_DEFAULTS.createEvery),
    anonymousFromMiB: nonNegative('anonymous memory at the phase start, MiB (absent: unchanged)').optional(),
    anonymousToMiB: nonNegative('anonymous memory at the phase end, MiB').optional(),
    anonymousTouchFraction: fraction('fraction of steps that touch anonymous memory').default(FILE_PHASE_DEFAULTS.anonymousTouchFraction),
  })
  .refine((p) => (p.anonymousFromMiB === undefined) === (p.anonymousToMiB === undefined), { message: 'give both anonymousFromMiB and anonymousToMiB, or neither', path: ['anonymousToMiB'] })
  .refine((p) => p.writeFraction + p.logFraction <= 1, { message: 'writeFraction + logFraction must be at most 1', path: ['logFraction'] });

const WorkloadSchema = z.strictObject({
  dataFiles: count('files in the data set (on disk before the run)'),
  dataFileBlocks: count('blocks (4 KiB) per data-set file'),
  logBlocks: z.number().int().nonnegative().default(0).describe('blocks of the log file database phases write (0: none)'),
  cpuMicrosecondsPerAccess: positive('guest CPU time per step, µs').default(20),
  phases: z.array(PhaseSchema).min(1),
});

const FileSystemSchema = z.strictObject({
  sizeMiB: positive('disk size, MiB'),
  journalMiB: nonNegative('journal size, MiB (ignored with journalMode none)').default(32),
  inodes: count('inodes (most files at once)').default(4096),
});

const KernelSchema = z.strictObject({
  journalCommitSeconds: positive('JBD commit interval, s').default(GUEST_OS_DEFAULTS.journalCommitSeconds),
  dirtyExpireSeconds: positive('dirty_expire_centisecs / 100, s').default(GUEST_OS_DEFAULTS.dirtyExpireSeconds),
  writebackIntervalSeconds: positive('dirty_writeback_centisecs / 100, s').default(GUEST_OS_DEFAULTS.writebackIntervalSeconds),
  dirtyBackgroundRatio: fraction('dirty_background_ratio / 100').default(GUEST_OS_DEFAULTS.dirtyBackgroundRatio),
  readaheadInitialPages: count('first read-ahead window, pages').default(GUEST_OS_DEFAULTS.readaheadInitialPages),
  readaheadMaxPages: count('largest read-ahead window, pages').default(GUEST_OS_DEFAULTS.readaheadMaxPages),
});

const JOURNAL_MODES = ['none', 'ordered', 'journal'] as const;

const VmSchema = z.strictObject({
  name: z.string().min(1),
  memoryMiB: positive('guest memory, MiB (default: guest.memoryMiB)').optional(),
  journalMode: z.enum(JOURNAL_MODES).optional().describe('ext3 journaling (default: guest.journalMode)'),
  workload: WorkloadSchema,
});

const GuestSchema = z.strictObject({
  memoryMiB: positive('guest memory, MiB').default(64),
  kernelReservedMiB: positive('memory the kernel keeps for itself, MiB').default(4),
  journalMode: z.enum(JOURNAL_MODES).default(GUEST_OS_DEFAULTS.journalMode),
  fileSystem: FileSystemSchema.default({ sizeMiB: 1024, journalMiB: 32, inodes: 4096 }),
  kernel: KernelSchema.default({ ...GUEST_OS_DEFAULTS }),
});

const InferenceSchema = z.strictObject({
  journal: z.boolean().default(true).describe('recognise journal writes'),
  liveness: z.boolean().default(true).describe('track block liveness from bitmap writes'),
  unified: z.boolean().default(true).describe('count anonymous use of a page as reuse'),
  report: z.enum(['confirmed', 'immediate']).default('confirmed').describe('hold evictions until liveness confirms them, or report at once'),
  confirmAfterSeconds: positive('how long a held eviction waits, s (default 6 with a journal, 36 without)').nullable().default(null),
});

const SamplingSchema = z.strictObject({
  samplePages: count('pages sampled per period').default(ESX_SAMPLING_DEFAULTS.samplePages),
  periodSeconds: positive('sampling period, s').default(ESX_SAMPLING_DEFAULTS.periodSeconds),
  slowGain: fraction('gain of the slow moving average').default(ESX_SAMPLING_DEFAULTS.slowGain),
  fastGain: fraction('gain of the fast moving average').default(ESX_SAMPLING_DEFAULTS.fastGain),
});

const EstimatorsSchema = z.strictObject({
  ghostCapacityFactor: positive("ghost-list capacity, multiples of the VM's memory").default(4),
  workingSetTolerance: z.number().gt(0).lt(1).default(0.1).describe('working set: the size leaving at most this fraction of the avoidable disk reads'),
  sampling: SamplingSchema.default({ ...ESX_SAMPLING_DEFAULTS }),
});

const DiskSchema = z.strictObject({
  positioningMilliseconds: nonNegative('seek plus rotation of a non-sequential request, ms').default(12.5),
  transferMBPerSecond: positive('sustained transfer rate, MB/s').default(50),
});

const StorageSchema = z.strictObject({
  cacheMiB: nonNegative('server cache, MiB').default(0),
  placement: z.enum(['inclusive', 'eviction-based']).default('eviction-based'),
  networkRoundTripMicroseconds: nonNegative('network round trip, µs').default(100),
  networkMBPerSecond: positive('network bandwidth, MB/s').default(125),
});

const ManagerSchema = z.strictObject({
  policy: z.enum(MEMORY_POLICY_NAMES).default('max-hits'),
  hostMemoryMiB: positive('memory the VMs share, MiB'),
  epochSeconds: positive('time between balloon decisions, s').default(60),
  reserveFraction: fraction("floor a VM keeps besides its anonymous memory, fraction of its memory").default(0.05),
  headroom: nonNegative('margin over the sampling estimate').default(MEMORY_POLICY_DEFAULTS.headroom),
  tolerance: z.number().gt(0).lt(1).default(MEMORY_POLICY_DEFAULTS.tolerance).describe('miss-target: fraction of avoidable reads allowed'),
  hysteresisFraction: fraction('changes below this fraction of a VM are skipped').default(MEMORY_POLICY_DEFAULTS.hysteresisFraction),
});

const ExperimentsSchema = z.strictObject({
  ablation: z.boolean().default(false).describe("also run with each of Geiger's refinements switched off, and with immediate reporting"),
  trueCurve: z
    .strictObject({
      memoryMiB: z.array(positive('a memory size, MiB')).min(2).describe('sizes to run each VM alone at'),
    })
    .optional(),
  remoteCache: z
    .strictObject({
      cacheMiB: z.array(nonNegative('a server cache size, MiB')).min(1),
      placements: z.array(z.enum(['inclusive', 'eviction-based'])).min(1).default(['inclusive', 'eviction-based']),
    })
    .optional(),
  memoryPolicies: z.array(z.enum(MEMORY_POLICY_NAMES)).min(1).optional().describe('policies to compare (needs memoryManager)'),
});

export const MemoryScenarioSchema = z
  .strictObject({
    kind: z.literal(MEMORY_SCENARIO_KIND),
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(1),
    guest: GuestSchema.default({ memoryMiB: 64, kernelReservedMiB: 4, journalMode: 'ordered', fileSystem: { sizeMiB: 1024, journalMiB: 32, inodes: 4096 }, kernel: { ...GUEST_OS_DEFAULTS } }),
    disk: DiskSchema.default({ positioningMilliseconds: 12.5, transferMBPerSecond: 50 }),
    inference: InferenceSchema.default({ journal: true, liveness: true, unified: true, report: 'confirmed', confirmAfterSeconds: null }),
    estimators: EstimatorsSchema.default({ ghostCapacityFactor: 4, workingSetTolerance: 0.1, sampling: { ...ESX_SAMPLING_DEFAULTS } }),
    vms: z.array(VmSchema).min(1).max(64),
    storage: StorageSchema.optional().describe('a shared storage server instead of local disks'),
    memoryManager: ManagerSchema.optional(),
    experiments: ExperimentsSchema.default({ ablation: false }),
  })
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    s.vms.forEach((vm, i) => {
      if (names.has(vm.name)) ctx.addIssue({ code: 'custom', message: `duplicate VM name '${vm.name}'`, path: ['vms', i, 'name'] });
      names.add(vm.name);
      const memoryMiB = vm.memoryMiB ?? s.guest.memoryMiB;
      if (s.guest.kernelReservedMiB * 2 >= memoryMiB) ctx.addIssue({ code: 'custom', message: `guest.kernelReservedMiB (${s.guest.kernelReservedMiB}) must be less than half of the VM's ${memoryMiB} MiB`, path: ['vms', i, 'memoryMiB'] });
      const dataMiB = (vm.workload.dataFiles * vm.workload.dataFileBlocks + vm.workload.logBlocks) / 256;
      const churnMiB = Math.max(0, ...vm.workload.phases.filter((p) => p.kind === 'churn').map((p) => ((p.liveFiles + 1) * p.fileBlocks) / 256));
      const journalMiB = (vm.journalMode ?? s.guest.journalMode) === 'none' ? 0 : s.guest.fileSystem.journalMiB;
      if (dataMiB + churnMiB + journalMiB + 8 > s.guest.fileSystem.sizeMiB) {
        ctx.addIssue({ code: 'custom', message: `the workload needs about ${Math.ceil(dataMiB + churnMiB)} MiB of files; guest.fileSystem.sizeMiB (${s.guest.fileSystem.sizeMiB}) is too small`, path: ['vms', i, 'workload'] });
      }
      const dataBlocks = vm.workload.dataFiles * vm.workload.dataFileBlocks;
      if (dataBlocks >= 2 ** 26) ctx.addIssue({ code: 'custom', message: `the data set (${dataBlocks} blocks) must be below 2^26 blocks (256 GiB)`, path: ['vms', i, 'workload', 'dataFiles'] });
      const files = vm.workload.dataFiles + (vm.workload.logBlocks > 0 ? 1 : 0) + Math.max(0, ...vm.workload.phases.filter((p) => p.kind === 'churn').map((p) => p.liveFiles + 1));
      if (files > s.guest.fileSystem.inodes) ctx.addIssue({ code: 'custom', message: `the workload needs ${files} files; guest.fileSystem.inodes is ${s.guest.fileSystem.inodes}`, path: ['vms', i, 'workload'] });
      if (memoryMiB * 256 < 64) ctx.addIssue({ code: 'custom', message: `memoryMiB must be at least 0.25 (64 pages), got ${memoryMiB}`, path: ['vms', i, 'memoryMiB'] });
      vm.workload.phases.forEach((p, j) => {
        const anonymousMiB = Math.max(p.anonymousFromMiB ?? 0, p.anonymousToMiB ?? 0);
        if (anonymousMiB + s.guest.kernelReservedMiB >= memoryMiB * 0.9) {
          ctx.addIssue({ code: 'custom', message: `anonymous memory (${anonymousMiB} MiB) and the kernel's leave too little of the VM's ${memoryMiB} MiB (the guest has no swap)`, path: ['vms', i, 'workload', 'phases', j, 'anonymousToMiB'] });
        }
        if (p.kind === 'database' && p.logFraction > 0 && vm.workload.logBlocks === 0) ctx.addIssue({ code: 'custom', message: 'logFraction > 0 needs workload.logBlocks > 0', path: ['vms', i, 'workload', 'logBlocks'] });
      });
    });
    if (s.guest.kernel.readaheadInitialPages > s.guest.kernel.readaheadMaxPages) ctx.addIssue({ code: 'custom', message: 'readaheadInitialPages must not exceed readaheadMaxPages', path: ['guest', 'kernel', 'readaheadInitialPages'] });
    if (s.experiments.memoryPolicies && !s.memoryManager) ctx.addIssue({ code: 'custom', message: 'experiments.memoryPolicies needs a memoryManager', path: ['experiments', 'memoryPolicies'] });
    if (s.memoryManager && s.vms.length < 2) ctx.addIssue({ code: 'custom', message: 'a memoryManager needs at least two VMs', path: ['memoryManager'] });
  });

export type MemoryScenario = z.infer<typeof MemoryScenarioSchema>;
