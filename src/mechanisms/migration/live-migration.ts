/**
 * One live migration at page level: stop-and-copy, pre-copy as QEMU 7.2 does it, post-copy as QEMU's postcopy-ram
 * does it (with Hirofuchi's pre-caching as an option), and hybrid (pre-copy, then post-copy).
 *
 * Sources, all QEMU 7.2 (migration/migration.c, migration/ram.c, migration/page_cache.c, migration/xbzrle.c) and
 * the measurements in data/qemu/reference-migrations.json:
 * - the migration thread walks a bitmap of pages to send in address order, wrapping around; writes by the guest
 *   set bits in a separate dirty log; a *sync* ORs the log into the bitmap (`migration_bitmap_sync`);
 * - every 100 ms (`BUFFER_DELAY`) the bandwidth of the last window gives the threshold, bandwidth × downtime limit
 *   (`migration_update_counters`);
 * - when the bytes still in the bitmap fall below the threshold, a sync happens (`ram_save_pending`); if what is
 *   then pending is still below the threshold (or nothing is), the VM stops and the rest is sent with the rate limit
 *   lifted (`migration_completion`, which syncs once more); `passes` counts the syncs, as `dirty-sync-count` does;
 * - on the wire a zero page is an 8-byte header and one byte, a data page a header and the page
 *   (`save_zero_page_to_file`, `save_normal_page`); an XBZRLE page a header, 3 bytes and the encoding;
 * - auto-converge: at a sync at least 1 s after the previous period, if the bytes newly dirtied in the period
 *   exceed 50 % of the bytes sent in it for the second time, the vCPUs are throttled: 20 %, then +10 % steps, at
 *   most 99 % (`migration_trigger_throttle`, `mig_throttle_guest_down`, parameter defaults);
 * - XBZRLE: a direct-mapped cache of pages sent; a re-sent page found there is sent as a delta; a miss is inserted
 *   unless its slot holds a page younger than two syncs (`cache_insert`'s CACHED_PAGE_LIFETIME); only after the
 *   first complete round (`xbzrle_enabled`);
 * - post-copy: the source stops the VM, syncs, sends the device state; the destination runs at once and faults on
 *   every page not yet received; a fault costs a round trip and the page, and stalls only the faulting vCPU
 *   (userfaultfd); the source pushes the missing pages in address order and restarts the push after a faulted page
 *   (`ram_save_queue_pages` → `get_queued_page` moves the scan); the rate limit is `max-postcopy-bandwidth`
 *   (default 0: none);
 * - pre-caching (Hirofuchi et al., CCGrid 2010, §IV): before the switch, the hot set is sent once while the VM runs.
 *
 * What is not modelled (see docs/models/migration.md): QEMU's bursty 100 ms rate-limit windows (a fluid rate is
 * used: at most one window of difference), the CPU cost of scanning zero pages, TCP dynamics, compression other
 * than XBZRLE, multifd.
 *
 * Time is explicit: a driver calls {@link LiveMigration.runUntil} with the times at which something outside changes
 * (the network rate) and {@link LiveMigration.nextWakeSeconds} tells when the migration next needs to run by itself.
 * Per-page work uses bitmaps and typed arrays only (no allocation per page or per step).
 *
 * This file owns the parameters, the result and how pages move; the decisions and bookkeeping both engines share
 * (the checks between iterate calls, auto-converge, stop, resume, failures, the result's assembly) are in
 * {@link MigrationLifecycle} (migration-lifecycle.ts).
 */
import type { RandomStream } from '../../kernel/random.js';
import { PageBitmap } from '../../model/memory/page-bitmap.js';
import { TouchStream, WriteStream, type GuestMemorySpec } from '../../model/memory/guest-memory.js';
import { ITERATE_MAX_SECONDS, MigrationLifecycle, type PageFigures } from './migration-lifecycle.js';

// QEMU's iterate and auto-converge periods are defined next to the checks that use them.
export { ITERATE_MAX_SECONDS, THROTTLE_PERIOD_SECONDS } from './migration-lifecycle.js';

export const MIGRATION_STRATEGIES = ['precopy', 'postcopy', 'hybrid', 'stop-and-copy'] as const;
export type MigrationStrategy = (typeof MIGRATION_STRATEGIES)[number];

/** QEMU 7.2 ram.c: the be64 offset|flags word before every page. */
export const PAGE_HEADER_BYTES = 8;
/** QEMU 7.2 `save_zero_page_to_file`: header + one fill byte. */
export const ZERO_PAGE_WIRE_BYTES = PAGE_HEADER_BYTES + 1;
/** QEMU 7.2 `save_xbzrle_page`: header, ENCODING_FLAG_XBZRLE (1 byte), be16 encoded length (2 bytes). */
export const XBZRLE_OVERHEAD_BYTES = PAGE_HEADER_BYTES + 3;
/** QEMU 7.2 migration.c `BUFFER_DELAY`: the bandwidth and threshold are recomputed every 100 ms. */
export const ACCOUNTING_WINDOW_SECONDS = 0.1;

export interface AutoConvergeParameters {
  /** `cpu-throttle-initial`, percent (QEMU default 20). */
  initialPercent: number;
  /** `cpu-throttle-increment`, percent (QEMU default 10). */
  incrementPercent: number;
  /** `max-cpu-throttle`, percent (QEMU default 99). */
  maxPercent: number;
  /** `throttle-trigger-threshold`: dirtied bytes above this percent of sent bytes count as "too high" (default 50). */
  triggerThresholdPercent: number;
}

export const QEMU_AUTO_CONVERGE: AutoConvergeParameters = { initialPercent: 20, incrementPercent: 10, maxPercent: 99, triggerThresholdPercent: 50 };

export interface LiveMigrationParameters {
  strategy: MigrationStrategy;
  /** `max-bandwidth` during pre-copy, bytes/s (QEMU 7.2 default 128 MiB/s). */
  maxBandwidthBytesPerSecond: number;
  /** `max-postcopy-bandwidth` after the switch, bytes/s (QEMU default 0 = unlimited: Infinity here). */
  postcopyMaxBandwidthBytesPerSecond: number;
  /** `downtime-limit`, seconds (QEMU default 0.3). */
  downtimeLimitSeconds: number;
  /** Auto-converge, or null (QEMU default: off). */
  autoConverge: AutoConvergeParameters | null;
  /** XBZRLE cache size in bytes, or 0 for no delta compression (QEMU default: off; cache 64 MiB when on). */
  xbzrleCacheBytes: number;
  /** Post-copy and hybrid: bytes of the hot set pre-cached before the switch (Hirofuchi's pre-caching); 0: none. */
  precacheBytes: number;
  /** Hybrid: switch to post-copy after this many syncs (passes)… */
  switchAfterPasses: number;
  /** …or after this many seconds, whichever comes first (Infinity: never by time). */
  switchAfterSeconds: number;
  /** Pre-copy gives up (or forces the switch) after this long, seconds. */
  timeLimitSeconds: number;
  /** At the time limit: `abort` (the VM stays on the source, as `migrate_cancel`) or `stop-and-copy` (stop it and send the rest). */
  onTimeLimit: 'abort' | 'stop-and-copy';
  /** From `migrate` to the first page, seconds (QEMU's `setup-time`; 1–3 ms measured). */
  setupSeconds: number;
  /** Fixed part of the stop: pausing vCPUs, the final bitmap sync, loading and starting on the destination, seconds (5–8 ms measured for an idle guest). */
  stopOverheadSeconds: number;
  /** CPU and device state sent while the VM is stopped, bytes. */
  deviceStateBytes: number;
  /** Post-copy: user recovery on (QEMU `postcopy-recover`): a failed link pauses the VM instead of losing it. */
  postcopyRecovery: boolean;
}

/** QEMU 7.2's defaults, and the fixed costs measured in data/qemu/reference-migrations.json. */
export const QEMU_DEFAULTS: LiveMigrationParameters = {
  strategy: 'precopy',
  maxBandwidthBytesPerSecond: 128 * 1024 * 1024,
  postcopyMaxBandwidthBytesPerSecond: Infinity,
  downtimeLimitSeconds: 0.3,
  autoConverge: null,
  xbzrleCacheBytes: 0,
  precacheBytes: 0,
  switchAfterPasses: Infinity,
  switchAfterSeconds: Infinity,
  timeLimitSeconds: 600,
  onTimeLimit: 'abort',
  // setup-time of 1–3 ms in the QEMU runs (RESULTS.md §3a): 2 ms.
  setupSeconds: 0.002,
  // Idle-guest downtime 5 ms (10 GiB/s) and 8 ms (128 MiB/s) with almost nothing left to send: 5 ms fixed.
  stopOverheadSeconds: 0.005,
  // A q35 guest's device state is tens of KiB; 64 KiB is an order of magnitude, not a measurement.
  deviceStateBytes: 64 * 1024,
  postcopyRecovery: false,
};

export type MigrationPhase = 'setup' | 'precopy' | 'precache' | 'stopped' | 'postcopy' | 'paused' | 'done';
export type MigrationOutcome = 'running' | 'completed' | 'aborted' | 'lost';

/** The figures of one migration. Times in seconds from the start of the migration. */
export interface LiveMigrationResult {
  strategy: MigrationStrategy;
  outcome: MigrationOutcome;
  /** Pre-copy converged (or the strategy needs no convergence). */
  converged: boolean;
  /** Start until the last byte (or the abort). */
  totalSeconds: number;
  /** Time the VM ran nowhere. */
  downtimeSeconds: number;
  /** Start until the VM runs on the destination (NaN if it never does). */
  switchoverSeconds: number;
  transferredBytes: number;
  /** Bytes sent before the switch (pre-copy and pre-caching) and after it (post-copy). */
  precopyBytes: number;
  postcopyBytes: number;
  /** Bitmap syncs, as QEMU's `dirty-sync-count`. */
  passes: number;
  /** Post-copy page faults served over the network. */
  remoteFaults: number;
  /** Total time vCPUs stalled on remote faults, vCPU-seconds. */
  vcpuBlockedSeconds: number;
  /** vCPU-seconds of guest work lost from the start to the switch (throttling and downtime) and after it (faults). */
  lostVcpuSecondsDuring: number;
  lostVcpuSecondsAfter: number;
  /** Lost work as a fraction of the vCPU time in each interval (0: the guest did not notice). */
  throughputLossDuring: number;
  throughputLossAfter: number;
  /** Highest auto-converge throttle applied, percent. */
  maxThrottlePercent: number;
  /** Highest dirty-page rate seen at a sync, pages/s (QEMU's `dirty-pages-rate`). */
  maxDirtyPagesRate: number;
  zeroPagesSent: number;
  xbzrlePages: number;
  /** Pages delivered to the destination (each at most once after the switch). */
  postcopyPagesDelivered: number;
  /** Pages sent in all (a page sent twice counts twice). */
  pagesSent: number;
  /** Pages the destination lacked when the VM resumed there after a post-copy switch (0 otherwise). */
  missingPagesAtSwitch: number;
  /** Bytes of pages still to send when the migration ended (QEMU's `remaining`: non-zero only if it did not complete). */
  remainingBytes: number;
  /** Why the migration ended the way it did, for people. */
  note: string;
}

/** A failure during the migration. */
export type MigrationFailure = 'source' | 'destination' | 'link';

export class LiveMigration extends MigrationLifecycle {
  private readonly writes: WriteStream;
  private readonly touches: TouchStream;

  // Page state (bitmaps: one bit per page).
  /** QEMU's migration bitmap: pages to send. After the switch: pages the destination still lacks. */
  private readonly toSend: PageBitmap;
  /** Pages written since the last sync (KVM's dirty log). */
  private readonly dirtyLog: PageBitmap;
  /** Pages that are zero (never written). */
  private readonly zero: PageBitmap;
  /** Pages sent at least once. */
  private readonly sentOnce: PageBitmap;
  /** XBZRLE cache: page held by each slot (−1: empty) and the sync count when inserted. */
  private readonly cachePage: Int32Array;
  private readonly cacheAge: Int32Array;
  private readonly cacheMask: number; // slots − 1 (slots are a power of two)
  private xbzrleEnabled = false;

  /** Where the migration thread's scan of the bitmap is (the next page to look at). */
  private cursor = 0;
  /** The fraction of a write carried to the next step (writes are whole). */
  private writeCarry = 0;

  // Post-copy.
  private readonly vcpuClock: Float64Array;

  // Figures only this engine has.
  private xbzrlePages = 0;

  /**
   * @param memory the guest's memory and behaviour.
   * @param parameters the strategy and its knobs (start from {@link QEMU_DEFAULTS}).
   * @param latencySeconds one-way network latency between the hosts.
   * @param random the stream for the guest's writes and accesses.
   */
  constructor(memory: GuestMemorySpec, parameters: LiveMigrationParameters, latencySeconds: number, random: RandomStream) {
    checkParameters(parameters);
    super(memory, parameters, latencySeconds);
    this.writes = new WriteStream(memory, this.layout, random);
    this.touches = new TouchStream(memory, this.layout, random);
    const pages = this.layout.pageCount;
    this.toSend = new PageBitmap(pages);
    this.dirtyLog = new PageBitmap(pages);
    this.zero = new PageBitmap(pages);
    this.sentOnce = new PageBitmap(pages);
    this.zero.addRange(this.layout.usedPages, pages);
    // QEMU's page cache holds a power of two of pages (cache_init rounds down).
    const slots = parameters.xbzrleCacheBytes > 0 ? 2 ** Math.floor(Math.log2(Math.max(1, parameters.xbzrleCacheBytes / memory.pageBytes))) : 0;
    this.cachePage = new Int32Array(slots).fill(-1);
    this.cacheAge = new Int32Array(slots);
    this.cacheMask = slots - 1;
    this.vcpuClock = new Float64Array(memory.vcpus);
  }

  /** When the migration next needs to run even if the rate does not change (Infinity when done or waiting). */
  nextWakeSeconds(): number {
    switch (this.phase) {
      case 'done':
      case 'paused':
        return Infinity;
      case 'setup':
        return this.setupEndSeconds;
      case 'precopy':
      case 'precache':
        // Also when the bitmap will be empty (an iterate call returns then, and the stop may follow at once).
        return Math.min(this.windowStartSeconds + ACCOUNTING_WINDOW_SECONDS, this.iterateEndSeconds, this.startSeconds + this.parameters.timeLimitSeconds, this.emptySeconds());
      case 'stopped':
        return this.stoppedWakeSeconds(this.stoppedPageBytesLeft);
      case 'postcopy':
        // Faults stall vCPUs for about a round trip: steps of a few milliseconds keep their order with the push.
        return Math.min(this.now + POSTCOPY_STEP_SECONDS, this.emptySeconds());
    }
  }

  /** Bytes a budget may be short of a page by rounding alone: a milli-byte, or 8 ulps of the clock at the rate. */
  private slackBytes(end: number): number {
    return 1e-3 + 8 * Number.EPSILON * Math.max(1, Math.abs(end)) * this.rateBytesPerSecond;
  }

  /** When the pages still to send will all be through at the current rate (Infinity at rate 0). */
  private emptySeconds(): number {
    return this.sentBySeconds(this.pendingWireBytes());
  }

  protected runTo(untilSeconds: number): void {
    let guard = 0;
    while (this.phase !== 'done' && this.phase !== 'paused') {
      const due = this.nextWakeSeconds();
      // Past `untilSeconds` only for what is due at this very instant (a phase that lasts no time).
      if (this.now >= untilSeconds && due > this.now) break;
      const wake = Math.min(untilSeconds, due);
      this.step(Math.max(wake, this.now));
      if (++guard > 1e8) throw new Error(`internal: migration makes no progress (${this.phase} at ${this.now}, wake ${wake}, ${this.toSend.count} pages to send)`);
    }
  }

  /** The vCPUs on the destination run again from the end of a post-copy pause. */
  protected override linkRestored(nowSeconds: number): void {
    for (let v = 0; v < this.vcpuClock.length; v++) this.vcpuClock[v] = Math.max(this.vcpuClock[v], nowSeconds);
  }

  protected pendingPages(): number {
    return this.toSend.count;
  }

  protected remainingPages(): number {
    return this.toSend.count;
  }

  protected pageFigures(): PageFigures {
    return { remoteFaults: this.remoteFaults, zeroPagesSent: this.zeroPagesSent, xbzrlePages: this.xbzrlePages, postcopyPagesDelivered: this.delivered, pagesSent: this.pagesSent };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Steps.

  /** Runs from `now` to at most `end`; may stop earlier at a phase change. */
  private step(end: number): void {
    switch (this.phase) {
      case 'setup':
        if (end >= this.setupEndSeconds) {
          this.now = this.setupEndSeconds;
          this.beginTransfer();
        } else {
          this.now = end;
        }
        return;
      case 'precopy':
      case 'precache':
        this.precopyStep(end);
        return;
      case 'stopped':
        this.stoppedStep(end);
        return;
      case 'postcopy':
        this.postcopyStep(end);
        return;
      default:
        this.now = end;
    }
  }

  /** After setup: the first bitmap is every page (ram_init_bitmaps + the first sync). */
  private beginTransfer(): void {
    this.windowStartSeconds = this.now;
    this.periodStartSeconds = this.now;
    const strategy = this.parameters.strategy;
    if (strategy === 'stop-and-copy') {
      this.addToSend(0, this.layout.pageCount);
      this.syncs = 1;
      this.stop();
      return;
    }
    if (strategy === 'postcopy') {
      if (this.parameters.precacheBytes > 0) {
        this.beginPrecache();
      } else {
        this.addToSend(0, this.layout.pageCount);
        this.syncs = 1;
        this.switchToPostcopy();
      }
      return;
    }
    this.addToSend(0, this.layout.pageCount);
    this.syncs = 1;
    this.phase = 'precopy';
    this.iterateEndSeconds = this.now + ITERATE_MAX_SECONDS;
  }

  /** Pre-caching: the hot set (from the start of the writable region) is sent once, the VM still running. */
  private beginPrecache(): void {
    const { writableStart, pageCount } = this.layout;
    const pages = Math.min(pageCount - writableStart, Math.ceil(this.parameters.precacheBytes / this.pageBytes));
    this.addToSend(writableStart, writableStart + pages);
    this.cursor = writableStart;
    this.syncs = 1;
    this.phase = 'precache';
    this.iterateEndSeconds = this.now + ITERATE_MAX_SECONDS;
  }

  private precopyStep(end: number): void {
    const p = this.parameters;
    const limit = this.startSeconds + p.timeLimitSeconds;
    const rate = this.rateBytesPerSecond;
    // Bytes the network can carry until `end`, plus what was left over from the last step (less than a page).
    const carried = this.budgetBytes;
    let budget = carried + rate * (end - this.now);
    const slack = this.slackBytes(end);
    const start = this.now;
    const toSend = this.toSend;
    const precache = this.phase === 'precache';
    budget = this.sendInOrder(budget, slack, false);
    const sentBytes = this.sentInOrder;
    // An iterate call returns early when nothing is left to send; it then lasts as long as its bytes took.
    const empty = toSend.count === 0;
    const stepEnd = empty && rate > 0 ? Math.min(end, start + Math.max(0, sentBytes - carried) / rate) : end;
    this.budgetBytes = empty ? 0 : budget;
    this.precopyBytes += sentBytes;
    this.windowBytes += sentBytes;
    this.periodBytes += sentBytes;
    this.guestRuns(start, stepEnd);
    this.now = stepEnd;
    if (this.now >= this.windowStartSeconds + ACCOUNTING_WINDOW_SECONDS) this.closeWindow();
    if (precache) {
      if (this.now >= this.iterateEndSeconds) this.iterateEndSeconds = this.now + ITERATE_MAX_SECONDS;
      this.precacheCheck();
      return;
    }
    // QEMU looks at what is pending only between calls of ram_save_iterate (each at most MAX_WAIT long).
    if (!empty && this.now < this.iterateEndSeconds && this.now < limit) return;
    this.iterateCheck();
  }

  /** QEMU's migration_update_counters: the window's bandwidth sets the threshold. */
  private closeWindow(): void {
    const seconds = this.now - this.windowStartSeconds;
    if (seconds > 0) {
      const bandwidth = this.windowBytes / seconds;
      this.thresholdBytes = bandwidth * this.parameters.downtimeLimitSeconds;
    }
    this.windowStartSeconds = this.now;
    this.windowBytes = 0;
  }

  /** migration_bitmap_sync's pages: the dirty log joins the bitmap. */
  protected syncPages(): number {
    const before = this.toSend.count;
    this.toSend.unionWith(this.dirtyLog);
    const added = this.toSend.count - before;
    // Written pages are data pages (a write clears the zero bit).
    this.pendingData += added;
    this.dirtyLog.clear();
    return added;
  }

  /** The stop; then the scan restarts at page 0, and the bytes left are counted. */
  protected override stop(): void {
    super.stop();
    this.cursor = 0;
    // The exact bytes of what is left, so that the wake-up falls on the last byte and not after it (a driver
    // learns of the switch-over only when the migration wakes).
    let bytes = 0;
    for (let page = this.toSend.nextSet(0); page >= 0; page = this.toSend.nextSet(page + 1)) bytes += this.wireBytes(page, true);
    this.stoppedPageBytesLeft = bytes;
  }

  /** Bytes of the pages still to send while stopped. */
  private stoppedPageBytesLeft = 0;

  private stoppedStep(end: number): void {
    if (!Number.isNaN(this.resumeAtSeconds)) {
      if (end >= this.resumeAtSeconds) this.resume();
      else this.now = end;
      return;
    }
    const rate = this.rateBytesPerSecond;
    const carried = this.budgetBytes;
    let budget = carried + rate * (end - this.now);
    const slack = this.slackBytes(end);
    const start = this.now;
    const toSend = this.toSend;
    budget = this.sendInOrder(budget, slack, true);
    let sentBytes = this.sentInOrder;
    this.stoppedPageBytesLeft -= sentBytes;
    let done = false;
    if (toSend.count === 0) {
      const device = this.sendDeviceState(budget);
      budget -= device;
      sentBytes += device;
      done = this.stoppedDeviceBytesLeft <= 0;
    }
    this.precopyBytes += sentBytes;
    this.budgetBytes = done ? 0 : budget;
    this.now = done && rate > 0 ? Math.min(end, start + Math.max(0, sentBytes - carried) / rate) : end;
    if (done) this.scheduleResume(this.now);
  }

  /** After a post-copy switch the destination runs: the push starts at page 0, the vCPUs now. */
  protected beginPostcopy(): void {
    this.cursor = 0;
    for (let v = 0; v < this.vcpuClock.length; v++) this.vcpuClock[v] = this.now;
  }

  /**
   * postcopy_start: stop, sync, send the device state (and the list of pages to discard), resume on the
   * destination; every page still in the bitmap is missing there.
   */
  protected switchToPostcopy(): void {
    if (this.phase === 'precache' || this.phase === 'precopy') {
      // Pages pre-cached or pre-copied and not dirtied since are present; the rest must come later.
      this.sync();
      if (this.phase === 'precache') {
        // Everything not sent during pre-caching (and everything dirtied) is missing.
        for (let page = 0; page < this.layout.pageCount; page++) {
          if (!this.sentOnce.has(page) && this.toSend.add(page)) {
            if (this.zero.has(page)) this.pendingZero++;
            else this.pendingData++;
          }
        }
      }
    }
    this.stopForPostcopy();
    this.stoppedPageBytesLeft = 0;
    // Only the device state goes while stopped: move the missing pages aside until the VM runs.
    this.missingAtSwitch.copyFrom(this.toSend);
    this.toSend.clear();
    this.stoppedSwitch = true;
  }

  private stoppedSwitch = false;
  private readonly missingAtSwitch = new LazyBitmap();

  private postcopyStep(end: number): void {
    if (this.stoppedSwitch) {
      this.toSend.copyFrom(this.missingAtSwitch.get(this.layout.pageCount));
      this.missingAtSwitchCount = this.toSend.count;
      this.stoppedSwitch = false;
      if (this.toSend.count === 0) {
        this.finish('completed', this.note);
        return;
      }
    }
    const start = this.now;
    const rate = this.rateBytesPerSecond;
    const rtt = 2 * this.latencySeconds;
    const toSend = this.toSend;
    // 1. The vCPUs run on the destination until `end`; an access to a missing page stalls its vCPU for a round
    //    trip and the page's transfer, and the page is sent before the background push (QEMU queues it first).
    const touchRate = this.memory.touchRatePagesPerSecond;
    let faultBytes = 0;
    if (touchRate > 0 && rate > 0) {
      const gap = 1 / touchRate;
      for (let v = 0; v < this.vcpuClock.length; v++) {
        let clock = this.vcpuClock[v];
        while (clock < end && toSend.count > 0) {
          const page = this.touches.next(v);
          if (toSend.has(page)) {
            const cost = this.wireBytes(page, true);
            const stall = rtt + cost / rate;
            faultBytes += cost;
            this.sendPage(page, cost);
            this.remoteFaults++;
            this.blockedSeconds += stall;
            this.lostAfter += stall;
            clock += stall;
            // QEMU continues the background scan after the requested page.
            this.cursor = page + 1;
          }
          clock += gap;
        }
        this.vcpuClock[v] = Math.max(clock, end);
      }
    } else {
      for (let v = 0; v < this.vcpuClock.length; v++) this.vcpuClock[v] = end;
    }
    // 2. The background push fills what is left of the link.
    const carried = this.budgetBytes;
    // Fault pages share the link with the push; a step whose faults took more than its share leaves a debt.
    let budget = carried + rate * (end - start) - faultBytes;
    const slack = this.slackBytes(end);
    budget = this.sendInOrder(budget, slack, true);
    const pushBytes = this.sentInOrder;
    this.postcopyBytes += faultBytes + pushBytes;
    this.budgetBytes = budget;
    if (toSend.count === 0) {
      // The last page arrives when the link has carried everything, one latency later.
      const used = faultBytes + pushBytes - carried;
      this.now = rate > 0 ? Math.max(start, Math.min(end, start + used / rate)) : end;
      this.finish('completed', this.note, this.now + this.latencySeconds);
      return;
    }
    this.now = end;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Pages.

  /** Bytes a page costs on the wire now (`final`: the last stage, where XBZRLE misses are not inserted). */
  private wireBytes(page: number, final: boolean): number {
    if (this.zero.has(page)) return ZERO_PAGE_WIRE_BYTES;
    // XBZRLE works in pre-copy and its final stage, never after a post-copy switch (QEMU: !migration_in_postcopy()).
    if (this.xbzrleEnabled && (this.phase === 'precopy' || (final && this.phase === 'stopped' && !this.postcopyAfterStop))) {
      const slot = page & this.cacheMask;
      if (this.cachePage[slot] === page) {
        const encoded = XBZRLE_OVERHEAD_BYTES + 3 + this.memory.changedBytesPerWrite;
        if (encoded < this.pageBytes) return encoded;
      }
    }
    return PAGE_HEADER_BYTES + this.pageBytes;
  }

  /**
   * Sends pages in address order from the cursor, wrapping around, while each fits in `budget` (QEMU's linear
   * scan of the migration bitmap); returns what is left of the budget, and leaves the bytes sent in
   * {@link sentInOrder} (no allocation per call). `final`: the last stage, where XBZRLE misses are not cached.
   */
  private sendInOrder(budget: number, slack: number, final: boolean): number {
    const toSend = this.toSend;
    let sent = 0;
    while (toSend.count > 0) {
      let page = toSend.nextSet(this.cursor);
      if (page < 0) {
        // A complete round: from now on XBZRLE applies (rs->xbzrle_enabled), if it is on.
        if (!final) this.xbzrleEnabled = this.cachePage.length > 0;
        page = toSend.nextSet(0);
      }
      const cost = this.wireBytes(page, final);
      if (!fits(cost, budget, slack)) break;
      budget -= cost;
      sent += cost;
      this.sendPage(page, cost);
      this.cursor = page + 1;
    }
    this.sentInOrder = sent;
    return budget;
  }

  /** Bytes the last {@link sendInOrder} sent. */
  private sentInOrder = 0;

  /** Adds pages [from, to) to the bitmap, keeping the zero/data counts of pending pages. */
  private addToSend(from: number, to: number): void {
    for (let page = from; page < to; page++) {
      if (!this.toSend.add(page)) continue;
      if (this.zero.has(page)) this.pendingZero++;
      else this.pendingData++;
    }
  }

  /** Pages to send that are zero, and data pages: their exact wire bytes tell when the bitmap will be empty. */
  private pendingZero = 0;
  private pendingData = 0;

  /** Bytes the pages still to send cost on the wire (exact without XBZRLE; an upper bound with it). */
  private pendingWireBytes(): number {
    return this.pendingZero * ZERO_PAGE_WIRE_BYTES + this.pendingData * (PAGE_HEADER_BYTES + this.pageBytes);
  }

  /** A write made a pending zero page a data page. */
  private zeroWritten(page: number): void {
    if (this.zero.delete(page) && this.toSend.has(page)) {
      this.pendingZero--;
      this.pendingData++;
    }
  }

  private sendPage(page: number, cost: number): void {
    if (this.zero.has(page)) this.pendingZero--;
    else this.pendingData--;
    this.toSend.delete(page);
    this.pagesSent++;
    this.transferred += cost;
    if (cost === ZERO_PAGE_WIRE_BYTES) this.zeroPagesSent++;
    else if (cost < PAGE_HEADER_BYTES + this.pageBytes) this.xbzrlePages++;
    if (!Number.isNaN(this.resumeSeconds)) this.delivered++;
    this.sentOnce.add(page);
    // The final stage (last_stage) sends misses without inserting them.
    if (this.xbzrleEnabled && this.phase === 'precopy' && !this.zero.has(page)) {
      const slot = page & this.cacheMask;
      const holder = this.cachePage[slot];
      // cache_insert: a different page younger than two syncs keeps its slot.
      if (holder === -1 || holder === page || this.cacheAge[slot] + 2 <= this.syncs) {
        this.cachePage[slot] = page;
        this.cacheAge[slot] = this.syncs;
      }
    }
  }

  /** The guest runs on the source from `from` to `to`: it writes pages (fewer when throttled). */
  private guestRuns(from: number, to: number): void {
    const seconds = to - from;
    if (seconds <= 0) return;
    const exact = this.throttledWrites(seconds) + this.writeCarry;
    const writes = Math.floor(exact);
    this.writeCarry = exact - writes;
    if (writes === 0) return;
    const { writableStart, writablePages } = this.layout;
    if (this.writes.saturates(writes)) {
      this.dirtyLog.addRange(writableStart, writableStart + writablePages);
      this.zeroDeleteRange(writableStart, writableStart + writablePages);
      // A sequential writer keeps its position: advance it as if each write had been drawn.
      if (this.memory.writePattern.kind === 'sequential') for (let i = 0; i < writes % writablePages; i++) this.writes.next();
      return;
    }
    for (let i = 0; i < writes; i++) {
      const page = this.writes.next();
      this.dirtyLog.add(page);
      if (this.zero.count > 0) this.zeroWritten(page);
    }
  }

  private zeroDeleteRange(from: number, to: number): void {
    if (this.zero.count === 0) return;
    for (let page = this.zero.nextSet(from); page >= 0 && page < to; page = this.zero.nextSet(page + 1)) this.zeroWritten(page);
  }
}

/**
 * Whether a page of `cost` bytes fits in `budget`: budgets are rate × time, so a page that fits exactly can miss by
 * a rounding error (a few ulps of the clock times the rate); without the slack the migration would wait for it in
 * steps too short to change the clock.
 */
function fits(cost: number, budget: number, slackBytes: number): boolean {
  return cost <= budget + slackBytes;
}

/** Post-copy steps: short enough that faults and the background push interleave in time order. */
const POSTCOPY_STEP_SECONDS = 0.002;

/** A bitmap made on first use (only post-copy needs the copy of the missing pages). */
class LazyBitmap {
  private bitmap: PageBitmap | undefined;
  get(pageCount: number): PageBitmap {
    return (this.bitmap ??= new PageBitmap(pageCount));
  }
  copyFrom(other: PageBitmap): void {
    this.get(other.pageCount).copyFrom(other);
  }
}

/** Checks the parameters both engines take; throws RangeError naming the first bad one. */
export function checkParameters(p: LiveMigrationParameters): void {
  const positive = (name: string, value: number): void => {
    if (!(value > 0)) throw new RangeError(`migration: ${name} must be positive, got ${value}`);
  };
  const nonNegative = (name: string, value: number): void => {
    if (!(value >= 0)) throw new RangeError(`migration: ${name} must be ≥ 0, got ${value}`);
  };
  if (!MIGRATION_STRATEGIES.includes(p.strategy)) throw new RangeError(`migration: unknown strategy '${p.strategy}' (valid: ${MIGRATION_STRATEGIES.join(', ')})`);
  positive('maxBandwidthBytesPerSecond', p.maxBandwidthBytesPerSecond);
  positive('postcopyMaxBandwidthBytesPerSecond', p.postcopyMaxBandwidthBytesPerSecond);
  nonNegative('downtimeLimitSeconds', p.downtimeLimitSeconds);
  nonNegative('xbzrleCacheBytes', p.xbzrleCacheBytes);
  nonNegative('precacheBytes', p.precacheBytes);
  nonNegative('switchAfterPasses', p.switchAfterPasses);
  nonNegative('switchAfterSeconds', p.switchAfterSeconds);
  positive('timeLimitSeconds', p.timeLimitSeconds);
  nonNegative('setupSeconds', p.setupSeconds);
  nonNegative('stopOverheadSeconds', p.stopOverheadSeconds);
  nonNegative('deviceStateBytes', p.deviceStateBytes);
  const ac = p.autoConverge;
  if (ac) {
    for (const key of ['initialPercent', 'incrementPercent', 'maxPercent', 'triggerThresholdPercent'] as const) {
      if (!(ac[key] >= 0 && ac[key] <= 100)) throw new RangeError(`migration: autoConverge.${key} must be in [0, 100], got ${ac[key]}`);
    }
  }
}
