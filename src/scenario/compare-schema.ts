/**
 * The migration-comparison format (`kind: migration-compare`): cases run on QEMU and predicted by the simulator
 * (`hyperwatt compare`, src/backends/qemu/migration-compare.ts; docs/qemu-backend.md).
 */
import { z } from 'zod';

const CaseSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only (it names files)'),
    strategy: z.enum(['precopy', 'postcopy', 'hybrid']),
    workload: z.enum(['idle', 'dirty']),
    dirtyMiB: z.number().int().positive().default(32).describe("hwload's buffer, MiB (dirty)"),
    dirtyRatePagesPerSecond: z.number().positive().default(5000).describe("hwload's write rate, pages/s (dirty)"),
    maxBandwidthMiBps: z.number().positive().describe("QEMU's max-bandwidth, MiB/s (10240: a limit the testbed cannot reach)"),
    downtimeLimitMs: z.number().positive().default(300).describe("QEMU's downtime-limit, ms"),
    switchAfterSeconds: z.number().nonnegative().optional().describe('hybrid: seconds of pre-copy before post-copy'),
  })
  .refine((c) => c.strategy !== 'hybrid' || c.switchAfterSeconds !== undefined, { message: 'a hybrid case needs switchAfterSeconds', path: ['switchAfterSeconds'] });

export const MigrationCompareSchema = z
  .strictObject({
    kind: z.literal('migration-compare'),
    name: z.string().min(1),
    memoryMiB: z.number().int().min(64).max(4096).default(128).describe('guest memory, MiB'),
    cases: z.array(CaseSchema).min(1),
  })
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.cases.forEach((c, i) => {
      if (ids.has(c.id)) ctx.addIssue({ code: 'custom', message: `duplicate case id '${c.id}'`, path: ['cases', i, 'id'] });
      ids.add(c.id);
      if (c.dirtyMiB >= s.memoryMiB / 2) ctx.addIssue({ code: 'custom', message: `dirtyMiB (${c.dirtyMiB}) must be below half the guest's ${s.memoryMiB} MiB`, path: ['cases', i, 'dirtyMiB'] });
    });
    if (!s.cases.some((c) => c.workload === 'idle')) ctx.addIssue({ code: 'custom', message: 'an idle case is needed (the idle pre-copy run at ≥ 10240 MiB/s calibrates the guest\'s data)', path: ['cases'] });
    const key = (c: (typeof s.cases)[number]): string => (c.workload === 'idle' ? 'idle' : `dirty ${c.dirtyMiB} MiB at ${c.dirtyRatePagesPerSecond} pages/s`);
    for (const workload of new Set(s.cases.map(key))) {
      if (!s.cases.some((c) => key(c) === workload && c.strategy === 'precopy' && c.maxBandwidthMiBps >= 10240)) {
        ctx.addIssue({ code: 'custom', message: `workload '${workload}' needs a precopy case at maxBandwidthMiBps ≥ 10240 (it measures the path)`, path: ['cases'] });
      }
    }
  });

export type MigrationCompare = z.infer<typeof MigrationCompareSchema>;
