/**
 * The realistic migration models of a scenario (`precopy`, `postcopy`, `hybrid`, `stop-and-copy`, `adaptive`)
 * turned into what the data-center engine needs: a factory that makes one migration engine per migration, with
 * the VM's memory behaviour at that moment, and a planner's estimate of a migration's duration.
 *
 * The planner's estimate (used by LR's horizon and by the `mpc` VM selection) is a closed form, not a simulation,
 * because planning asks for it thousands of times per round: pre-copy passes as a geometric series — pass k+1
 * sends what pass k's duration let the guest dirty, capped at the writable set — until a pass fits the downtime
 * limit, at the host's NIC rate under max-bandwidth; a series that stops shrinking is the time limit plus a final
 * stop-and-copy of the writable set. Post-copy: all data pages once. docs/models/migration.md compares it with
 * the engines.
 */
import { RandomStream } from '../../kernel/random.js';
import type { GuestMemorySpec, WritePattern } from '../../model/memory/guest-memory.js';
import { AggregateMigration } from '../../mechanisms/migration/aggregate-migration.js';
import { LiveMigration, PAGE_HEADER_BYTES, QEMU_AUTO_CONVERGE, QEMU_DEFAULTS, type LiveMigrationParameters, type MigrationStrategy } from '../../mechanisms/migration/live-migration.js';
import type { MigrationProcess } from '../../mechanisms/migration/migration-process.js';
import type { Scenario } from '../../scenario/schema.js';

const MiB = 1024 * 1024;
const PAGE_BYTES = 4096;

type RealisticMigration = Exclude<Scenario['migration'], { model: 'cloudsim' }>;

/** What the fluid data center needs to run realistic migrations. */
export interface MigrationEngineConfig {
  /** Scenario model name, for the summary. */
  readonly modelName: string;
  /** One-way latency of a NIC link, seconds. */
  readonly nicLatencySeconds: number;
  /** Whether each VM's own traffic (its bandwidth, in and out) shares the NICs with the migrations. */
  readonly vmTraffic: boolean;
  /** Hosts that crash for good, and when. */
  readonly hostFailures: readonly { atSeconds: number; host: number }[];
  /** Hosts whose NIC fails, when, and for how long (undefined: for good). */
  readonly linkFailures: readonly { atSeconds: number; host: number; restoredAfterSeconds?: number }[];
  readonly racks: { hostsPerRack: number; uplinkBytesPerSecond: number } | undefined;
  /** The engine for one migration; `utilisation` is the VM's CPU utilisation (0..1) when it starts. */
  create(vm: number, latencySeconds: number, utilisation: number, linkBytesPerSecond: number): MigrationProcess;
  /** Planner's estimate of the migration's duration at `linkBytesPerSecond`, seconds. */
  predictSeconds(vm: number, utilisation: number, linkBytesPerSecond: number): number;
  /** The strategy a migration of this VM would use now (differs from the model only for `adaptive`). */
  strategyFor(vm: number, utilisation: number, linkBytesPerSecond: number): MigrationStrategy;
}

export interface VmMemorySizes {
  ramMiB: number;
  pes: number;
}

export function migrationEngineConfig(migration: RealisticMigration, vms: readonly VmMemorySizes[], seed: number): MigrationEngineConfig {
  const guest = migration.guest;
  const parameters = (strategy: MigrationStrategy): LiveMigrationParameters => ({
    ...QEMU_DEFAULTS,
    strategy,
    maxBandwidthBytesPerSecond: migration.maxBandwidthMiBps * MiB,
    postcopyMaxBandwidthBytesPerSecond: migration.postcopyMaxBandwidthMiBps === undefined ? Infinity : migration.postcopyMaxBandwidthMiBps * MiB,
    downtimeLimitSeconds: migration.downtimeLimitMs / 1000,
    autoConverge: migration.autoConverge ? QEMU_AUTO_CONVERGE : null,
    precacheBytes: migration.precacheMiB * MiB,
    switchAfterPasses: migration.model === 'hybrid' ? migration.switchAfterPasses : Infinity,
    switchAfterSeconds: migration.model === 'hybrid' ? (migration.switchAfterSeconds ?? Infinity) : Infinity,
    timeLimitSeconds: migration.timeLimitSeconds,
    // A data center cannot leave a VM half-moved: at the time limit the rest is copied with the VM stopped.
    onTimeLimit: 'stop-and-copy',
    postcopyRecovery: migration.postcopyRecovery,
  });
  const byStrategy = new Map<MigrationStrategy, LiveMigrationParameters>();
  const parametersFor = (strategy: MigrationStrategy): LiveMigrationParameters => {
    let p = byStrategy.get(strategy);
    if (!p) byStrategy.set(strategy, (p = parameters(strategy)));
    return p;
  };
  const memoryOf = (vm: number, utilisation: number): GuestMemorySpec => {
    const { ramMiB, pes } = vms[vm];
    const ramBytes = ramMiB * MiB;
    const writableBytes = guest.writableFraction * ramBytes;
    const pattern: WritePattern =
      guest.pattern === 'hot-cold'
        ? { kind: 'hot-cold', hotBytes: guest.hotFraction * writableBytes, hotWriteFraction: guest.hotWriteFraction }
        : guest.pattern === 'zipf'
          ? { kind: 'zipf', exponent: guest.zipfExponent }
          : { kind: guest.pattern };
    return {
      ramBytes,
      pageBytes: PAGE_BYTES,
      usedBytes: guest.usedFraction * ramBytes,
      writableBytes,
      writeRatePagesPerSecond: guest.dirtyPagesPerSecondPerVcpu * pes * Math.max(0, Math.min(1, utilisation)),
      writePattern: pattern,
      // Only XBZRLE reads it, and data-center runs do not offer XBZRLE: a placeholder (one cache line), not a figure.
      changedBytesPerWrite: 64,
      touchRatePagesPerSecond: guest.touchPagesPerSecondPerVcpu,
      touchSequentialProbability: guest.touchLocality,
      // Assumption, as in simpleGuestMemory: 90 % of the access jumps land in the writable set.
      touchHotFraction: 0.9,
      touchHotBytes: 0,
      vcpus: pes,
    };
  };
  const strategyFor = (vm: number, utilisation: number, link: number): MigrationStrategy => {
    if (migration.model !== 'adaptive') return migration.model;
    const { pes } = vms[vm];
    const dirtyBytesPerSecond = guest.dirtyPagesPerSecondPerVcpu * pes * utilisation * PAGE_BYTES;
    const rate = Math.min(link, migration.maxBandwidthMiBps * MiB);
    return dirtyBytesPerSecond > migration.postcopyAboveDirtyShare * rate ? 'postcopy' : 'precopy';
  };
  // Page-level guests draw their writes from one stream per run, in migration order (deterministic).
  const random = migration.engine === 'page' ? new RandomStream(seed, 'migration-guest') : undefined;
  return {
    modelName: migration.model,
    nicLatencySeconds: migration.latencyMs / 1000,
    vmTraffic: migration.vmTraffic,
    hostFailures: migration.hostFailures,
    linkFailures: migration.linkFailures,
    racks: migration.racks ? { hostsPerRack: migration.racks.hostsPerRack, uplinkBytesPerSecond: (migration.racks.uplinkMbps * 1e6) / 8 } : undefined,
    strategyFor,
    create(vm, latencySeconds, utilisation, link) {
      const memory = memoryOf(vm, utilisation);
      const p = parametersFor(strategyFor(vm, utilisation, link));
      return random ? new LiveMigration(memory, p, latencySeconds, random) : new AggregateMigration(memory, p, latencySeconds);
    },
    predictSeconds(vm, utilisation, link) {
      const memory = memoryOf(vm, utilisation);
      const p = parametersFor(strategyFor(vm, utilisation, link));
      return predictMigrationSeconds(memory, p, link);
    },
  };
}

/** The planner's closed-form estimate (see the module comment). */
export function predictMigrationSeconds(memory: GuestMemorySpec, p: LiveMigrationParameters, linkBytesPerSecond: number): number {
  const rate = Math.min(linkBytesPerSecond, p.maxBandwidthBytesPerSecond);
  const wire = (PAGE_HEADER_BYTES + memory.pageBytes) / memory.pageBytes;
  const used = memory.usedBytes * wire;
  const fixed = p.setupSeconds + p.stopOverheadSeconds;
  if (p.strategy === 'postcopy' || p.strategy === 'stop-and-copy') return fixed + used / Math.min(linkBytesPerSecond, p.strategy === 'stop-and-copy' ? rate : p.postcopyMaxBandwidthBytesPerSecond);
  const dirtyBytesPerSecond = memory.writeRatePagesPerSecond * memory.pageBytes * wire;
  const writable = memory.writableBytes * wire;
  const threshold = rate * p.downtimeLimitSeconds;
  let pass = used;
  let total = 0;
  for (let k = 0; k < 64; k++) {
    const seconds = pass / rate;
    total += seconds;
    if (p.strategy === 'hybrid' && (k + 1 >= p.switchAfterPasses || total >= p.switchAfterSeconds)) return fixed + total + used / linkBytesPerSecond;
    const next = Math.min(writable, dirtyBytesPerSecond * seconds);
    if (next < threshold) return fixed + total + next / linkBytesPerSecond;
    if (next >= pass || total >= p.timeLimitSeconds) return fixed + Math.max(total, p.timeLimitSeconds) + writable / linkBytesPerSecond;
    pass = next;
  }
  return fixed + total;
}
