/**
 * One live migration in expected values: the strategies, parameters, control flow and result of the page-level
 * engine ({@link LiveMigration}, QEMU 7.2 pre-copy, post-copy with faults, hybrid, stop-and-copy, failures), with
 * page counts instead of page identities, so that a data center with tens of thousands of migrations in flight can
 * afford them: O(1) memory per migration and O(1) work per pass (not per page, not per 50 ms iterate call).
 *
 * What is kept from the page-level engine, mechanism by mechanism (docs/models/migration-aggregate.md):
 * - setup + one latency before the first page; the first bitmap is every page, sent in address order: the data
 *   pages (low addresses: the read-only data, then the writable region) at 4104 B, then the zero pages at 9 B;
 * - QEMU's checks only between 50 ms `ram_save_iterate` calls (or when the bitmap empties, or at the time limit);
 *   the threshold is the last 100 ms window's bandwidth × the downtime limit; a sync only when the pending pages ×
 *   the page size (zero pages counting as full pages) are below it; the stop when what is pending after that sync
 *   is still below it (or nothing is); the rate limit lifted while stopped; stop overhead + latency at the resume;
 *   auto-converge at syncs ≥ 1 s apart; hybrid switch by passes or seconds; the time limit with abort or
 *   stop-and-copy; pre-caching; post-copy's push of every missing page exactly once; failures and recovery.
 * - whole pages: a network budget pays for whole pages in order and the remainder is carried, as there, so the
 *   figures of a guest that writes nothing are those of the page-level engine to rounding.
 *
 * What is replaced by expected values:
 * - the pages a pass dirties: the expected number of distinct pages among n writes, per class of pages that the
 *   write pattern treats alike (uniform: the writable region; hot-cold: its hot set and the rest; zipf: one class
 *   with a rank-bucket table), {@link DirtyPageModel};
 * - the overlap of new dirt with pages still pending: pending pages are a spatially random part of the bitmap as it
 *   was after the last sync, so a written page is pending in proportion (exact in expectation for uniform and
 *   hot-cold classes; for zipf the bitmap's pages are taken to be distributed like the dirt of the writes that
 *   would dirty as many pages, so that hot pages overlap more, {@link DirtyPageModel.newPages});
 * - sequential writes are not a matter of expectation: each sync adds the run of pages from where the writer
 *   stopped, and the engine keeps the pending pages of the writable region as a few runs of offsets, as the
 *   page-level engine would see them ({@link RunSet});
 * - where the cursor is: a region index (read-only data, write classes in address order, zero pages) and, per
 *   region, the pending pages ahead of the cursor and behind it (sent after it wraps around), {@link PageQueue};
 * - post-copy faults: the push goes where the faults are (QEMU restarts it after a faulted page), so each class of
 *   accessed pages (the access hot set, the rest of the used memory) is delivered in proportion to its fault rate;
 *   an access misses with the missing share of its class (a sequential step less often: the page after a faulted
 *   one is pushed next), and a vCPU stalls a fraction K·q/(1 + K·q) of the time, integrated over the push
 *   ({@link PostcopyPush}, {@link stalledFraction}).
 *
 * Not modelled: XBZRLE (the constructor rejects a cache: its hits depend on which pages are re-dirtied within the
 * cache's reach, which needs page identities); the spread of the page-level engine's random figures (one
 * deterministic expectation instead; where a figure is a threshold decision, e.g. 3 or 4 iterate calls in a pass,
 * the expectation follows one branch).
 *
 * Determinism: no random numbers; same inputs, same figures.
 *
 * This file owns the expected-value state and formulas; the decisions and bookkeeping both engines share (the
 * checks between iterate calls, auto-converge, stop, resume, failures, the result's assembly) are in
 * {@link MigrationLifecycle} (migration-lifecycle.ts).
 */
import type { GuestMemoryLayout, GuestMemorySpec } from '../../model/memory/guest-memory.js';
import { ACCOUNTING_WINDOW_SECONDS, checkParameters, PAGE_HEADER_BYTES, ZERO_PAGE_WIRE_BYTES, type LiveMigrationParameters } from './live-migration.js';
import { ITERATE_MAX_SECONDS, MigrationLifecycle, type PageFigures } from './migration-lifecycle.js';

/** Times closer than this are the same instant (a 100 ms window and the second 50 ms iterate call end together). */
const TIME_EPSILON_SECONDS = 1e-9;
/** A budget short of a page by less than this (bytes) still pays for it: `rate × time` rounding, not data. */
const BUDGET_EPSILON_BYTES = 1e-6;
/** Boundaries the planner checks one by one around its estimate before waking up just to plan again. */
const PLANNER_WALK_LIMIT = 64;

/**
 * How long after a fault the push reaches the page after the faulted one, at most, seconds: the page-level engine
 * serves faults and pushes in steps of 2 ms (its POSTCOPY_STEP_SECONDS), pushing from after the last fault of the
 * step; QEMU restarts the push right after the faulted page (0 here would model that). See {@link PostcopyPush}.
 */
const FAULT_INTERLEAVING_SECONDS = 0.002;

/** Region indices, in address order: read-only data, write class 0, write class 1, zero pages. */
const REGION_COUNT = 4;
const ZERO_REGION = 3;

export class AggregateMigration extends MigrationLifecycle {
  private readonly dataPageWireBytes: number;
  private readonly dirt: DirtyPageModel;

  /** First page and size of each region (read-only data, write class 0, write class 1, zero pages). */
  private readonly regionStart = new Float64Array(REGION_COUNT);
  private readonly regionPages = new Float64Array(REGION_COUNT);
  /** The pages still to send, in sending order. */
  private readonly queue: PageQueue;
  /** Post-copy: pages missing on the destination at the switch, per region and (pre-caching) per part of it. */
  private readonly missingLow = new Float64Array(REGION_COUNT);
  private readonly missingHigh = new Float64Array(REGION_COUNT);
  /** Pages of each region sent by pre-caching (its low part). */
  private readonly precachedPages = new Float64Array(REGION_COUNT);

  /** The next wake as planned under the current rate (NaN: plan again). */
  private plannedWake = NaN;

  // Writes.
  /** Writes since the last sync (expected, not rounded). */
  private writesSinceSync = 0;
  /** Writes since the start, and the whole writes already in the bitmap's runs at the last sync (sequential). */
  private writesTotal = 0;
  private writesSynced = 0;
  /**
   * Sequential writes only: the pending pages of the writable region (region 1) as runs of offsets, and the offset
   * after the last one sent. A sequential writer dirties a run that starts where the last one ended, so where the
   * pending pages are decides the overlap: tracked exactly (a few runs).
   */
  private runs: RunSet | undefined;
  private runCursor = 0;
  /** Per write class: the writes whose dirt looks like the bitmap's pages right after the last sync (see newPages). */
  private readonly profileWrites = new Float64Array(2).fill(Infinity);

  // Post-copy: the push and the faults, in expected values.
  private readonly push: PostcopyPush;
  private missingZeroPagesAtSwitch = 0;
  /** Zero pages pushed after the switch (expected). */
  private postcopyZeroPages = 0;

  /**
   * @param memory the guest's memory and behaviour.
   * @param parameters the strategy and its knobs (start from `QEMU_DEFAULTS`); `xbzrleCacheBytes` must be 0.
   * @param latencySeconds one-way network latency between the hosts, seconds.
   */
  constructor(memory: GuestMemorySpec, parameters: LiveMigrationParameters, latencySeconds: number) {
    checkParameters(parameters);
    if (parameters.xbzrleCacheBytes > 0) {
      throw new RangeError(`migration: the aggregate engine does not model XBZRLE (xbzrleCacheBytes ${parameters.xbzrleCacheBytes}): use the page-level engine, or set it to 0`);
    }
    super(memory, parameters, latencySeconds);
    this.dataPageWireBytes = PAGE_HEADER_BYTES + memory.pageBytes;
    this.dirt = new DirtyPageModel(memory, this.layout);
    const { writableStart, usedPages, pageCount } = this.layout;
    const class0 = this.dirt.classPages[0];
    this.regionStart.set([0, writableStart, writableStart + class0, usedPages]);
    this.regionPages.set([writableStart, class0, this.dirt.classPages[1], pageCount - usedPages]);
    const cost = new Float64Array(REGION_COUNT).fill(this.dataPageWireBytes);
    cost[ZERO_REGION] = ZERO_PAGE_WIRE_BYTES;
    this.queue = new PageQueue(cost, this.regionPages);
    this.push = new PostcopyPush(this.dataPageWireBytes, memory);
  }

  /** When the migration next needs to run even if the rate does not change (Infinity when done or waiting). */
  nextWakeSeconds(): number {
    if (Number.isNaN(this.plannedWake)) this.plannedWake = this.planWake();
    return this.plannedWake;
  }

  protected override replan(): void {
    this.plannedWake = NaN;
  }

  protected runTo(untilSeconds: number): void {
    let idle = 0;
    while (this.phase !== 'done' && this.phase !== 'paused') {
      const wake = this.nextWakeSeconds();
      if (wake > untilSeconds) {
        if (untilSeconds > this.now) this.advance(untilSeconds);
        break;
      }
      const before = this.now;
      this.advance(wake);
      this.handleWake();
      this.plannedWake = NaN;
      // Every wake changes the state (a check moves the next iterate boundary on); many in one instant is a bug.
      idle = this.now > before ? 0 : idle + 1;
      if (idle > 1000) throw new Error(`internal: aggregate migration makes no progress (${this.phase} at ${this.now})`);
    }
  }

  protected pendingPages(): number {
    return this.queue.pages();
  }

  /** Whole pages not delivered: in the bitmap, or after a post-copy switch missing on the destination. */
  protected remainingPages(): number {
    if (this.phase === 'postcopy' || this.phase === 'paused' || (this.phase === 'done' && !Number.isNaN(this.resumeSeconds) && this.postcopyAfterStop)) {
      return Math.round(this.push.pagesLeft());
    }
    return Math.round(this.queue.pages());
  }

  /** Expected counts, rounded; the pages the push delivered count as sent. */
  protected pageFigures(): PageFigures {
    return {
      remoteFaults: Math.round(this.remoteFaults),
      zeroPagesSent: this.zeroPagesSent + Math.round(this.postcopyZeroPages),
      xbzrlePages: 0,
      postcopyPagesDelivered: Math.round(this.delivered),
      pagesSent: this.pagesSent + Math.round(this.delivered),
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Planning: when the next thing that matters happens, under the current rate.

  private planWake(): number {
    switch (this.phase) {
      case 'done':
      case 'paused':
        return Infinity;
      case 'setup':
        return this.setupEndSeconds;
      case 'precache':
        return Math.min(this.emptySeconds(), this.startSeconds + this.parameters.timeLimitSeconds);
      case 'precopy':
        return this.planPrecopyWake();
      case 'stopped':
        return this.stoppedWakeSeconds(this.queue.bytes());
      case 'postcopy':
        return this.rateBytesPerSecond > 0 ? this.now + this.push.bytesLeft() / this.rateBytesPerSecond : Infinity;
    }
  }

  /** When the bitmap empties at the current rate (Infinity at rate 0). */
  private emptySeconds(): number {
    return this.sentBySeconds(this.queue.bytes());
  }

  /** The time of iterate boundary k (k = 0: the first one not before now). */
  private boundarySeconds(first: number, k: number): number {
    return this.iterateEndSeconds + (first + k) * ITERATE_MAX_SECONDS;
  }

  /**
   * Pre-copy: the earliest of the bitmap emptying, the time limit and the first iterate boundary at which something
   * happens (the sync condition holds or the hybrid switch is due). Iterate boundaries where nothing happens are
   * skipped: pending bytes fall linearly (in whole pages) and the threshold is set by windows whose bytes follow
   * from the same rate, so the first boundary where pending × page size < threshold is estimated directly and then
   * confirmed by the exact test at the boundaries around it.
   */
  private planPrecopyWake(): number {
    const p = this.parameters;
    const horizon = Math.min(this.emptySeconds(), this.startSeconds + p.timeLimitSeconds);
    // First boundary not before now (boundaries passed without a check were ones where nothing happened).
    const first = Math.max(0, Math.ceil((this.now - this.iterateEndSeconds) / ITERATE_MAX_SECONDS - 1e-7));
    let best = horizon;
    if (p.strategy === 'hybrid') {
      if (this.syncs - 1 >= p.switchAfterPasses) return Math.min(best, this.boundarySeconds(first, 0));
      if (Number.isFinite(p.switchAfterSeconds)) {
        const due = this.startSeconds + p.switchAfterSeconds;
        let k = Math.max(0, Math.ceil((due - this.boundarySeconds(first, 0)) / ITERATE_MAX_SECONDS - 1e-7));
        while (k > 0 && this.boundarySeconds(first, k - 1) - this.startSeconds >= p.switchAfterSeconds) k--;
        while (this.boundarySeconds(first, k) - this.startSeconds < p.switchAfterSeconds) k++;
        best = Math.min(best, this.boundarySeconds(first, k));
      }
    }
    return Math.min(best, this.firstSyncBoundary(first, best));
  }

  /** The first iterate boundary before `horizon` where pending × page size < threshold (Infinity if none). */
  private firstSyncBoundary(first: number, horizon: number): number {
    const rate = this.rateBytesPerSecond;
    // The boundaries in the current window and the next one see thresholds set by what was sent before now:
    // test them one by one (at most five).
    const secondClose = this.windowStartSeconds + 2 * ACCOUNTING_WINDOW_SECONDS + TIME_EPSILON_SECONDS;
    let k = 0;
    for (; this.boundarySeconds(first, k) < Math.min(horizon, secondClose); k++) {
      if (this.syncConditionAt(this.boundarySeconds(first, k))) return this.boundarySeconds(first, k);
    }
    if (!(rate > 0) || this.boundarySeconds(first, k) >= horizon) return Infinity;
    // Later windows carry `rate × 100 ms`, so the threshold is about rate × downtime limit: the pending pages
    // must fall to m, the largest count with m × page size below it.
    const estimate = rate * this.parameters.downtimeLimitSeconds;
    const target = Math.max(0, Math.ceil(estimate / this.pageBytes) - 1);
    const pending = this.queue.pages();
    if (target < pending) {
      const need = this.queue.budgetToLeave(target);
      const at = this.now + Math.max(0, need - this.budgetBytes) / rate;
      k = Math.max(k, Math.ceil((at - this.boundarySeconds(first, 0)) / ITERATE_MAX_SECONDS) - 2);
    }
    for (let walked = 0; this.boundarySeconds(first, k) < horizon; k++, walked++) {
      const t = this.boundarySeconds(first, k);
      // A wake that only plans again: the threshold did not follow the estimate (a very slow link).
      if (walked >= PLANNER_WALK_LIMIT || this.syncConditionAt(t)) return t;
    }
    return Infinity;
  }

  /** Bytes of whole pages sent from now until `t` at the current rate (no state change). */
  private bytesSentBy(t: number): number {
    return this.queue.bytesFor(this.budgetBytes + this.rateBytesPerSecond * Math.max(0, t - this.now));
  }

  /** QEMU's test at a check at time t: pending pages × page size < threshold (the window closing at t counts). */
  private syncConditionAt(t: number): boolean {
    const budget = this.budgetBytes + this.rateBytesPerSecond * (t - this.now);
    const pendingBytes = this.queue.pagesLeftAfter(budget) * this.pageBytes;
    return pendingBytes < this.thresholdAt(t);
  }

  /** The threshold in force at time t (set by the last window that closed at or before t). */
  private thresholdAt(t: number): number {
    const closes = Math.floor((t - this.windowStartSeconds + TIME_EPSILON_SECONDS) / ACCOUNTING_WINDOW_SECONDS);
    if (closes < 1) return this.thresholdBytes;
    const end = Math.min(t, this.windowStartSeconds + closes * ACCOUNTING_WINDOW_SECONDS);
    const begin = this.windowStartSeconds + (closes - 1) * ACCOUNTING_WINDOW_SECONDS;
    const bytes = closes === 1 ? this.windowBytes + this.bytesSentBy(end) : this.bytesSentBy(end) - this.bytesSentBy(begin);
    const seconds = closes === 1 ? end - this.windowStartSeconds : end - begin;
    return seconds > 0 ? (bytes / seconds) * this.parameters.downtimeLimitSeconds : this.thresholdBytes;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Advancing the state (no decisions) and handling wakes (QEMU's decisions).

  /** Moves the state from now to `t` (≤ the planned wake) at the current rate. */
  private advance(t: number): void {
    if (t <= this.now) return;
    switch (this.phase) {
      case 'precopy':
      case 'precache':
        this.advanceSending(t);
        break;
      case 'stopped':
        this.advanceStopped(t);
        break;
      case 'postcopy':
        this.advancePostcopy(t);
        break;
      default:
        this.now = t;
    }
  }

  private advanceSending(t: number): void {
    const rate = this.rateBytesPerSecond;
    const seconds = t - this.now;
    const budget = this.budgetBytes + rate * seconds;
    // 100 ms windows that closed on the way: the last one sets the threshold.
    const closes = Math.floor((t - this.windowStartSeconds + TIME_EPSILON_SECONDS) / ACCOUNTING_WINDOW_SECONDS);
    if (closes >= 1) {
      this.thresholdBytes = this.thresholdAt(t);
      const lastClose = Math.min(t, this.windowStartSeconds + closes * ACCOUNTING_WINDOW_SECONDS);
      const beforeClose = this.bytesSentBy(lastClose);
      const sent = this.consume(budget);
      this.windowStartSeconds = lastClose;
      this.windowBytes = sent - beforeClose;
      this.sentWhileSending(sent);
    } else {
      const sent = this.consume(budget);
      this.windowBytes += sent;
      this.sentWhileSending(sent);
    }
    // The guest runs on the source: it writes pages (fewer when throttled).
    const writes = this.throttledWrites(seconds);
    this.writesSinceSync += writes;
    this.writesTotal += writes;
    this.now = t;
  }

  /** Sends whole pages for `budget` bytes; returns the bytes sent and keeps the rest (none once empty). */
  private consume(budget: number): number {
    const queue = this.queue;
    const writableBefore = queue.ahead[1] + queue.behind[1];
    const offset = this.runOffset();
    const sent = queue.consume(budget);
    const writableSent = writableBefore - queue.ahead[1] - queue.behind[1];
    // Sequential writes: the pages of the writable region go in address order from the cursor, wrapping around.
    if (this.runs && writableSent > 0) this.runCursor = this.runs.removeFrom(writableSent, offset, this.regionPages[1]);
    this.budgetBytes = queue.pages() === 0 ? 0 : budget - sent;
    this.transferred += sent;
    this.pagesSent += queue.lastPages;
    this.zeroPagesSent += queue.lastZeroPages;
    return sent;
  }

  /** Where the cursor is in the writable region: 0 before it, its size past it (sequential writes). */
  private runOffset(): number {
    const cursor = this.queue.cursor;
    return cursor < 1 ? 0 : cursor > 1 ? this.regionPages[1] : this.runCursor;
  }

  private sentWhileSending(bytes: number): void {
    this.precopyBytes += bytes;
    this.periodBytes += bytes;
  }

  private advanceStopped(t: number): void {
    if (!Number.isNaN(this.resumeAtSeconds)) {
      this.now = t;
      return;
    }
    const rate = this.rateBytesPerSecond;
    const carried = this.budgetBytes;
    const budget = carried + rate * (t - this.now);
    const pages = this.consume(budget);
    let rest = budget - pages;
    let device = 0;
    if (this.queue.pages() === 0) {
      device = this.sendDeviceState(Math.max(0, rest));
      rest -= device;
    }
    this.precopyBytes += pages + device;
    const done = this.queue.pages() === 0 && this.stoppedDeviceBytesLeft <= 0;
    this.budgetBytes = done ? 0 : rest;
    const end = done && rate > 0 ? Math.min(t, this.now + Math.max(0, pages + device - carried) / rate) : t;
    if (done) this.scheduleResume(end);
    this.now = t;
  }

  private advancePostcopy(t: number): void {
    const rate = this.rateBytesPerSecond;
    const seconds = t - this.now;
    this.now = t;
    if (!(rate > 0)) return; // nothing moves; like the page-level engine, no fault is served either
    // A fault stalls its vCPU for a round trip and a page at the current rate.
    const stall = 2 * this.latencySeconds + this.dataPageWireBytes / rate;
    const push = this.push;
    const pushed = push.advance(rate * seconds, rate, stall);
    const lost = push.lastLostSecondsPerVcpu * this.memory.vcpus;
    this.blockedSeconds += lost;
    this.lostAfter += lost;
    this.remoteFaults += lost / stall;
    this.postcopyBytes += pushed;
    this.transferred += pushed;
    this.delivered = this.missingAtSwitchCount - push.pagesLeft();
    this.postcopyZeroPages = this.missingZeroPagesAtSwitch - push.zeroPagesLeft;
  }

  /** What happens at a planned wake (the state has been advanced to it). */
  private handleWake(): void {
    switch (this.phase) {
      case 'setup':
        this.now = this.setupEndSeconds;
        this.beginTransfer();
        return;
      case 'precache':
        this.precacheCheck();
        return;
      case 'precopy':
        this.iterateCheck();
        return;
      case 'stopped':
        if (!Number.isNaN(this.resumeAtSeconds) && this.now >= this.resumeAtSeconds) this.resume();
        return;
      case 'postcopy':
        // Less than the link carries in a few ulps of the clock is rounding, not pages: the push is over.
        if (this.push.pagesLeft() > 0 && this.push.bytesLeft() <= 1e-3 + 8 * Number.EPSILON * Math.max(1, this.now) * this.rateBytesPerSecond) this.push.clear();
        if (this.push.pagesLeft() === 0) {
          // The last page arrives one latency after it was sent.
          this.delivered = this.missingAtSwitchCount;
          this.postcopyZeroPages = this.missingZeroPagesAtSwitch;
          this.finish('completed', this.note, this.now + this.latencySeconds);
        }
        return;
      default:
    }
  }

  /** After setup: the first bitmap is every page (ram_init_bitmaps + the first sync). */
  private beginTransfer(): void {
    this.windowStartSeconds = this.now;
    this.periodStartSeconds = this.now;
    const strategy = this.parameters.strategy;
    const queue = this.queue;
    if (strategy === 'postcopy' && this.parameters.precacheBytes > 0) {
      this.beginPrecache();
      return;
    }
    queue.reset();
    for (let r = 0; r < REGION_COUNT; r++) queue.ahead[r] = this.regionPages[r];
    this.syncs = 1;
    if (strategy !== 'stop-and-copy' && strategy !== 'postcopy') this.trackRuns(this.regionPages[1]);
    if (strategy === 'stop-and-copy') {
      this.stop();
    } else if (strategy === 'postcopy') {
      for (let r = 0; r < REGION_COUNT; r++) {
        this.missingLow[r] = 0;
        this.missingHigh[r] = this.regionPages[r];
      }
      queue.reset();
      this.stopForPostcopy();
    } else {
      this.phase = 'precopy';
      this.iterateEndSeconds = this.now + ITERATE_MAX_SECONDS;
    }
  }

  /** Pre-caching: the hot set (from the start of the writable region) is sent once, the VM still running. */
  private beginPrecache(): void {
    const { writableStart, pageCount } = this.layout;
    let left = Math.min(pageCount - writableStart, Math.ceil(this.parameters.precacheBytes / this.pageBytes));
    const queue = this.queue;
    queue.reset();
    // The range starts at the writable region: regions 1, 2, then the zero pages (region 0 is below it).
    for (let r = 1; r < REGION_COUNT; r++) {
      const pages = Math.min(left, this.regionPages[r]);
      queue.ahead[r] = pages;
      this.precachedPages[r] = pages;
      left -= pages;
    }
    queue.cursor = 1;
    this.trackRuns(this.precachedPages[1]);
    this.syncs = 1;
    this.phase = 'precache';
  }

  /** Sequential writes: the runs start as the first `pages` pages of the writable region (all pending). */
  private trackRuns(pages: number): void {
    if (this.memory.writePattern.kind !== 'sequential' || this.regionPages[1] === 0) return;
    this.runs = new RunSet();
    this.runs.add(0, pages);
    this.runCursor = 0;
  }

  /**
   * migration_bitmap_sync's pages: the pages written since the last sync join the bitmap. Per write class: the
   * expected distinct pages written, less those still pending (the overlap, {@link DirtyPageModel.newPages}),
   * rounded to whole pages; they are sent in this round if their addresses are ahead of the cursor (all of them if
   * it has not reached their region yet, a share of the addresses left if it is in it), else after it wraps around.
   */
  protected syncPages(): number {
    const writes = this.writesSinceSync;
    this.writesSinceSync = 0;
    let added = 0;
    if (this.runs) {
      added = this.syncRuns(this.runs);
    } else if (writes > 0) {
      const queue = this.queue;
      for (let c = 0; c < 2; c++) {
        const r = c + 1;
        const size = this.regionPages[r];
        if (size === 0) continue;
        const pending = queue.ahead[r] + queue.behind[r];
        const fresh = Math.max(0, Math.min(size - pending, Math.round(this.dirt.newPages(c, writes, pending, this.profileWrites[c]))));
        this.profileWrites[c] = this.dirt.profileWrites(c, pending + fresh);
        if (fresh <= 0) continue;
        // Ahead of the cursor (sent in this round) or behind it (after it wraps around), as their addresses are.
        const ahead = r > queue.cursor ? fresh : r < queue.cursor ? 0 : Math.round((fresh * (size - queue.cursorOffset)) / size);
        queue.ahead[r] += ahead;
        queue.behind[r] += fresh - ahead;
        added += fresh;
      }
    }
    return added;
  }

  /**
   * Sequential writes: the whole writes since the last sync are a run from where the writer was (cyclic in the
   * writable region, all of it if the writes go round); the pages of it not pending are added, ahead of the cursor
   * or behind it as their offsets say. The writer starts at the region's first page, as WriteStream's does.
   */
  private syncRuns(runs: RunSet): number {
    const size = this.regionPages[1];
    const total = Math.floor(this.writesTotal);
    const writes = total - this.writesSynced;
    const from = this.writesSynced % size;
    this.writesSynced = total;
    if (writes <= 0) return 0;
    const offset = this.runOffset();
    const aheadBefore = runs.countIn(offset, size);
    let added: number;
    if (writes >= size) added = runs.add(0, size);
    else if (from + writes <= size) added = runs.add(from, from + writes);
    else added = runs.add(from, size) + runs.add(0, from + writes - size);
    const ahead = runs.countIn(offset, size) - aheadBefore;
    this.queue.ahead[1] += ahead;
    this.queue.behind[1] += added - ahead;
    return added;
  }

  /**
   * postcopy_start: stop, sync, send the device state, resume on the destination; every page still in the bitmap
   * (after pre-caching: every page not pre-cached, and the pre-cached ones written since) is missing there.
   */
  protected switchToPostcopy(): void {
    const queue = this.queue;
    if (this.phase === 'precache') {
      // The bitmap is empty (pre-caching ended) or holds what it did not send (the time limit forced the switch).
      const writes = this.writesSinceSync;
      const sent = new Float64Array(REGION_COUNT);
      for (let r = 0; r < REGION_COUNT; r++) sent[r] = this.precachedPages[r] - queue.ahead[r] - queue.behind[r];
      this.sync();
      for (let r = 0; r < REGION_COUNT; r++) {
        const size = this.regionPages[r];
        // Pre-cached pages written during pre-caching are missing again.
        const written = r === 1 || r === 2 ? this.dirt.writtenIn(r - 1, writes, sent[r]) : 0;
        this.missingLow[r] = Math.min(sent[r], Math.round(written)) + (this.precachedPages[r] - sent[r]);
        this.missingHigh[r] = size - this.precachedPages[r];
      }
      // Sequential writes: the runs now hold the pre-cached pages written again; the pages never sent join them.
      if (this.runs) this.runs.add(this.precachedPages[1], this.regionPages[1]);
    } else if (this.phase === 'precopy') {
      this.sync();
      for (let r = 0; r < REGION_COUNT; r++) {
        this.missingLow[r] = 0;
        this.precachedPages[r] = 0;
        this.missingHigh[r] = queue.ahead[r] + queue.behind[r];
      }
    }
    queue.reset();
    this.stopForPostcopy();
  }

  /** After a post-copy switch the destination runs: the missing pages per class of accesses, and the push. */
  protected beginPostcopy(): void {
    let data = 0;
    let zero = 0;
    for (let r = 0; r < REGION_COUNT; r++) {
      const missing = this.missingLow[r] + this.missingHigh[r];
      if (r === ZERO_REGION) zero += missing;
      else data += missing;
    }
    this.missingAtSwitchCount = data + zero;
    this.missingZeroPagesAtSwitch = zero;
    // Accesses: a jump lands in the access hot set with probability h (uniform in it), else uniform over the used
    // memory; a sequential step lands next to its walk's jump, so the classes are the hot set and the rest of the
    // used memory, each with its per-page access probability.
    const { writableStart, usedPages, touchHotPages } = this.layout;
    const used = Math.max(1, usedPages);
    const hot = touchHotPages > 0 ? this.memory.touchHotFraction : 0;
    const hotMissing = touchHotPages > 0 ? this.missingIn(writableStart, writableStart + touchHotPages) : 0;
    const restMissing = this.missingIn(0, used) - hotMissing;
    const hotPerPage = touchHotPages > 0 ? hot / touchHotPages + (1 - hot) / used : 0;
    const restPerPage = (1 - hot) / used;
    this.push.reset(hotMissing, hotPerPage, restMissing, restPerPage, data - hotMissing - restMissing, zero);
    if (this.missingAtSwitchCount === 0) this.finish('completed', this.note);
  }

  /** Missing pages in [from, to), each region's missing pages spread evenly over its pre-cached and other part. */
  private missingIn(from: number, to: number): number {
    let sum = 0;
    for (let r = 0; r < REGION_COUNT; r++) {
      const start = this.regionStart[r];
      const split = start + this.precachedPages[r];
      const end = start + this.regionPages[r];
      if (r === 1 && this.runs) {
        sum += this.runs.countIn(Math.max(0, from - start), Math.min(end, to) - start);
        continue;
      }
      sum += share(this.missingLow[r], start, split, from, to) + share(this.missingHigh[r], split, end, from, to);
    }
    return sum;
  }
}

/**
 * The fraction of its time a vCPU stalls while its miss probability falls linearly, from k₁/(a·s) to k₂/(a·s)
 * (k = a·q·s: accesses per second a, miss probability q, stall s per miss).
 *
 * At a constant q the vCPU alternates 1/a of running per access and, with probability q, a stall s: it stalls a
 * fraction a·q·s / (1 + a·q·s) = k/(1 + k) of the time. With k falling linearly in time from k₁ to k₂ the mean is
 * 1/(k₁ − k₂) ∫_{k₂}^{k₁} k/(1 + k) dk = 1 − ln((1 + k₁)/(1 + k₂)) / (k₁ − k₂); from k to 0: 1 − ln(1 + k)/k.
 * Computed with log1p so that k₁ → k₂ gives k₂/(1 + k₂) without cancellation.
 */
export function stalledFraction(k1: number, k2: number): number {
  const x = (k1 - k2) / (1 + k2);
  const log1pOverX = Math.abs(x) > 1e-6 ? Math.log1p(x) / x : 1 - x / 2 + (x * x) / 3;
  return 1 - log1pOverX / (1 + k2);
}

/**
 * Post-copy after the switch in expected values: the missing pages, the push and the faults.
 *
 * The pages the guest accesses form up to two classes (the access hot set; the rest of the used memory), class c
 * with M_c missing pages, each accessed with probability w_c per access. QEMU restarts the push after every
 * faulted page (`ram_save_queue_pages` → `get_queued_page` moves the scan), so the push goes where the faults are:
 * the pages delivered (faulted or pushed) go to the classes in proportion to their fault rates, w_c·M_c. Then
 * d ln M_c / d ln M_d = w_c / w_d, so M_c = M_c⁰·θ^(w_c / w_min) for one parameter θ that falls from 1 to 0 while
 * Σ M_c falls at the link's page rate. An access misses with probability q(θ) = Σ_c w_c·M_c(θ) (× the sequential
 * factor), and a vCPU stalls a fraction K·q / (1 + K·q) of the time, K = accesses per second × stall. With one
 * class and no sequential steps q falls linearly with the pages delivered and the lost time is
 * {@link stalledFraction}; otherwise it is ∫ K·q/(1 + K·q) dA over the accessed pages A delivered,
 * = Σ_c M_c⁰ ∫ (…) d(θ^e_c), each by adaptive Simpson (a bounded amount of work per rate change). Pages nobody
 * accesses follow, then the zero pages (address order).
 *
 * Sequential steps (probability σ per access) land next to the previous access, in the same class. A step misses
 * only if the step before it missed and the page after that one is still missing, with probability β: a walk of
 * 1/(1 − σ) accesses misses q/(1 − σβ) times instead of q/(1 − σ), so the miss probability is q·(1 − σ)/(1 − σβ).
 * The push goes to the page after a fault once the faults of the moment are served (within Δ =
 * FAULT_INTERLEAVING_SECONDS, the fault at a uniform time within it), so that page is still missing when (a) the
 * vCPU's next access comes before then, probability P_A = max(0, 1 − (s + 1/a)/Δ) (s: the stall, 1/a: the access
 * gap), or (b) another vCPU faults before then and the push goes there instead: with V vCPUs faulting f times a
 * second each and the last fault winning, the page is next with probability P = (1 − x^V)/(V·(1 − x)),
 * x = e^(−f·Δ). So β = P_A + (1 − P_A)(1 − P), with f = a·q'/(1 + a·q'·s) for the miss probability q' it gives: a
 * fixed point, found by iteration. With Δ = 0 (QEMU), β = 0.
 */
class PostcopyPush {
  /** Pages not yet delivered: accessed (all classes), accessed by nobody (data), zero pages. */
  accessedLeft = 0;
  unaccessedLeft = 0;
  zeroPagesLeft = 0;
  /** vCPU-seconds each vCPU lost to faults in the last {@link advance}. */
  lastLostSecondsPerVcpu = 0;
  private readonly dataPageWireBytes: number;
  private readonly accessesPerSecond: number;
  private readonly sequential: number;
  private readonly vcpus: number;
  private classCount = 0;
  private readonly missing0 = new Float64Array(2);
  private readonly perPage = new Float64Array(2);
  private readonly exponent = new Float64Array(2);
  private theta = 1;
  /** The stall of the current {@link advance} (read by the integrand), seconds. */
  private stallSeconds = 0;

  constructor(dataPageWireBytes: number, memory: GuestMemorySpec) {
    this.dataPageWireBytes = dataPageWireBytes;
    this.accessesPerSecond = memory.touchRatePagesPerSecond;
    this.sequential = memory.touchSequentialProbability;
    this.vcpus = memory.vcpus;
  }

  /** The state at the switch: missing pages and per-page access probabilities of the hot set and the rest. */
  reset(hotMissing: number, hotPerPage: number, restMissing: number, restPerPage: number, otherDataPages: number, zeroPages: number): void {
    this.classCount = 0;
    this.theta = 1;
    this.unaccessedLeft = Math.max(0, otherDataPages);
    this.zeroPagesLeft = zeroPages;
    for (const [missing, perPage] of [[hotMissing, hotPerPage], [restMissing, restPerPage]] as const) {
      if (!(missing > 0)) continue;
      if (!(perPage > 0)) {
        this.unaccessedLeft += missing;
        continue;
      }
      this.missing0[this.classCount] = missing;
      this.perPage[this.classCount] = perPage;
      this.classCount++;
    }
    let least = Infinity;
    for (let c = 0; c < this.classCount; c++) least = Math.min(least, this.perPage[c]);
    this.accessedLeft = 0;
    for (let c = 0; c < this.classCount; c++) {
      this.exponent[c] = this.perPage[c] / least;
      this.accessedLeft += this.missing0[c];
    }
  }

  pagesLeft(): number {
    return this.accessedLeft + this.unaccessedLeft + this.zeroPagesLeft;
  }

  /** Drops what is left (a rounding residue). */
  clear(): void {
    this.accessedLeft = 0;
    this.unaccessedLeft = 0;
    this.zeroPagesLeft = 0;
  }

  bytesLeft(): number {
    return (this.accessedLeft + this.unaccessedLeft) * this.dataPageWireBytes + this.zeroPagesLeft * ZERO_PAGE_WIRE_BYTES;
  }

  /**
   * Delivers `bytes` at `rate` bytes/s: accessed pages first, then the others, then the zero pages; a fault stalls
   * its vCPU `stallSeconds`. Returns the bytes delivered.
   */
  advance(bytes: number, rate: number, stallSeconds: number): number {
    this.lastLostSecondsPerVcpu = 0;
    const data = this.dataPageWireBytes;
    let left = bytes;
    if (this.accessedLeft > 0 && left > 0) {
      const pages = Math.min(this.accessedLeft, left / data);
      let target = this.accessedLeft - pages;
      // Below a millionth of a page left is `rate × time` rounding.
      if (target < 1e-6) target = 0;
      const theta = target === 0 ? 0 : this.thetaFor(target);
      if (this.accessesPerSecond > 0) this.lastLostSecondsPerVcpu = this.lostPages(this.theta, theta, stallSeconds) / (rate / data);
      this.theta = theta;
      this.accessedLeft = target;
      left -= pages * data;
    }
    if (this.unaccessedLeft > 0 && left > 0) {
      const pages = Math.min(this.unaccessedLeft, left / data);
      this.unaccessedLeft = this.unaccessedLeft - pages < 1e-6 ? 0 : this.unaccessedLeft - pages;
      left -= pages * data;
    }
    if (this.zeroPagesLeft > 0 && left > 0) {
      const pages = Math.min(this.zeroPagesLeft, left / ZERO_PAGE_WIRE_BYTES);
      this.zeroPagesLeft = this.zeroPagesLeft - pages < 1e-6 ? 0 : this.zeroPagesLeft - pages;
      left -= pages * ZERO_PAGE_WIRE_BYTES;
    }
    return bytes - Math.max(0, left);
  }

  /** Accessed pages still missing at θ. */
  private accessedAt(theta: number): number {
    let sum = 0;
    for (let c = 0; c < this.classCount; c++) sum += this.missing0[c] * Math.pow(theta, this.exponent[c]);
    return sum;
  }

  /** θ at which `pages` accessed pages are still missing (bisection: the function is increasing). */
  private thetaFor(pages: number): number {
    if (this.classCount === 1) return pages / this.missing0[0];
    let low = 0;
    let high = this.theta;
    for (let i = 0; i < 64 && high - low > 1e-15; i++) {
      const mid = (low + high) / 2;
      if (this.accessedAt(mid) > pages) high = mid;
      else low = mid;
    }
    return (low + high) / 2;
  }

  /** ∫ K·q/(1 + K·q) dA over the accessed pages delivered while θ falls from θ₁ to θ₂ (pages; ÷ page rate = seconds). */
  private lostPages(theta1: number, theta2: number, stallSeconds: number): number {
    if (this.classCount === 1 && this.sequential === 0) {
      const missing = this.missing0[0];
      const k = this.accessesPerSecond * stallSeconds * this.perPage[0] * missing;
      return missing * (theta1 - theta2) * stalledFraction(k * theta1, k * theta2);
    }
    this.stallSeconds = stallSeconds;
    let sum = 0;
    for (let c = 0; c < this.classCount; c++) {
      const e = this.exponent[c];
      const from = Math.pow(theta2, e);
      const to = Math.pow(theta1, e);
      if (to > from) sum += this.missing0[c] * integrate((v) => this.stalledAt(e === 1 ? v : Math.pow(v, 1 / e)), from, to, 1e-7 * (to - from));
    }
    return sum;
  }

  /** K·q / (1 + K·q) at θ, q the miss probability of an access. */
  private stalledAt(theta: number): number {
    let jump = 0;
    for (let c = 0; c < this.classCount; c++) jump += this.perPage[c] * this.missing0[c] * Math.pow(theta, this.exponent[c]);
    const k = this.accessesPerSecond * this.stallSeconds * jump * this.sequentialFactor(jump);
    return k / (1 + k);
  }

  /** (1 − σ)/(1 − σβ) for a jump's miss probability `jump` (see the class comment). */
  private sequentialFactor(jump: number): number {
    const sigma = this.sequential;
    if (sigma === 0) return 1;
    if (sigma >= 1) return 0;
    const a = this.accessesPerSecond;
    const s = this.stallSeconds;
    const window = FAULT_INTERLEAVING_SECONDS;
    const sameStep = window > 0 ? Math.max(0, 1 - (s + 1 / a) / window) : 0;
    let factor = 1 - sigma;
    // A contraction (β is bounded and smooth in the factor): a few iterations settle it to 1e−9.
    for (let i = 0; i < 12; i++) {
      const miss = jump * factor;
      const faultsPerSecond = (a * miss) / (1 + a * miss * s);
      const x = Math.exp(-faultsPerSecond * window);
      const next = this.vcpus === 1 || x === 1 ? 1 : -Math.expm1(this.vcpus * Math.log(x)) / (this.vcpus * -Math.expm1(Math.log(x)));
      const beta = sameStep + (1 - sameStep) * (1 - next);
      const updated = (1 - sigma) / (1 - sigma * beta);
      if (Math.abs(updated - factor) < 1e-9 * factor) return updated;
      factor = updated;
    }
    return factor;
  }
}

/** ∫ f over [a, b] by adaptive Simpson (tolerance `tolerance`, at most 2^20 pieces). */
function integrate(f: (x: number) => number, a: number, b: number, tolerance: number): number {
  const fa = f(a);
  const fb = f(b);
  const m = (a + b) / 2;
  const fm = f(m);
  return simpsonStep(f, a, b, fa, fm, fb, ((b - a) / 6) * (fa + 4 * fm + fb), tolerance, 20);
}

function simpsonStep(f: (x: number) => number, a: number, b: number, fa: number, fm: number, fb: number, whole: number, tolerance: number, depth: number): number {
  const m = (a + b) / 2;
  const lm = (a + m) / 2;
  const rm = (m + b) / 2;
  const flm = f(lm);
  const frm = f(rm);
  const left = ((m - a) / 6) * (fa + 4 * flm + fm);
  const right = ((b - m) / 6) * (fm + 4 * frm + fb);
  const delta = left + right - whole;
  if (depth <= 0 || Math.abs(delta) <= 15 * tolerance) return left + right + delta / 15;
  return simpsonStep(f, a, m, fa, flm, fm, left, tolerance / 2, depth - 1) + simpsonStep(f, m, b, fm, frm, fb, right, tolerance / 2, depth - 1);
}

/**
 * A set of pages of one region as sorted disjoint runs of offsets [start, end): for the sequential writer, whose
 * dirt is one run per sync, a handful of runs at any time (the engine's memory stays O(1)).
 */
class RunSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  count(): number {
    let sum = 0;
    for (let i = 0; i < this.starts.length; i++) sum += this.ends[i] - this.starts[i];
    return sum;
  }

  /** Pages of the set in [from, to). */
  countIn(from: number, to: number): number {
    let sum = 0;
    for (let i = 0; i < this.starts.length; i++) sum += Math.max(0, Math.min(this.ends[i], to) - Math.max(this.starts[i], from));
    return sum;
  }

  /** Adds [from, to); returns the pages that were not in the set. */
  add(from: number, to: number): number {
    if (!(to > from)) return 0;
    const before = this.count();
    const starts = this.starts;
    const ends = this.ends;
    let i = 0;
    while (i < starts.length && ends[i] < from) i++;
    let j = i;
    let start = from;
    let end = to;
    while (j < starts.length && starts[j] <= to) {
      start = Math.min(start, starts[j]);
      end = Math.max(end, ends[j]);
      j++;
    }
    starts.splice(i, j - i, start);
    ends.splice(i, j - i, end);
    return this.count() - before;
  }

  /**
   * Removes the first `pages` pages at or after offset `from`, wrapping around to offset 0 (the cursor's order);
   * returns the offset after the last page removed.
   */
  removeFrom(pages: number, from: number, size: number): number {
    const starts = this.starts;
    const ends = this.ends;
    let left = pages;
    let at = Math.min(from, size);
    for (let round = 0; round < 2 && left > 0; round++) {
      let i = 0;
      while (i < starts.length && ends[i] <= at) i++;
      while (left > 0 && i < starts.length) {
        const start = Math.max(starts[i], at);
        const end = ends[i];
        const take = Math.min(left, end - start);
        if (start === starts[i] && take === end - start) {
          starts.splice(i, 1);
          ends.splice(i, 1);
        } else if (start === starts[i]) {
          starts[i] += take;
        } else if (start + take === end) {
          ends[i] = start;
          i++;
        } else {
          starts.splice(i + 1, 0, start + take);
          ends.splice(i + 1, 0, end);
          ends[i] = start;
          i++;
        }
        left -= take;
        at = start + take;
      }
      if (left > 0) at = 0;
    }
    return at;
  }
}

/** Part of `count` pages spread evenly over [start, end) that lies in [from, to). */
function share(count: number, start: number, end: number, from: number, to: number): number {
  if (count === 0 || end <= start) return 0;
  const overlap = Math.min(end, to) - Math.max(start, from);
  return overlap > 0 ? (count * overlap) / (end - start) : 0;
}

/**
 * The pages still to send, in QEMU's order, as counts: per region, the pages ahead of the cursor (sent in this
 * round) and behind it (sent after the cursor wraps around to page 0). The cursor is in region `cursor`; regions
 * below it have only pages behind, regions above it only pages ahead, so the sending order is simply ahead[0..3]
 * then behind[0..3]. Counts stay whole numbers (syncs add rounded counts), so a budget pays for whole pages as in
 * the page-level engine: in order, stopping at the first page that does not fit. Within its region the cursor has
 * passed `cursorOffset` addresses; the pages ahead of it are taken to be spread evenly over the addresses left, so
 * sending n of the `ahead` pages moves it n·(size − offset)/ahead addresses on.
 */
class PageQueue {
  readonly ahead = new Float64Array(REGION_COUNT);
  readonly behind = new Float64Array(REGION_COUNT);
  /** The region of the last page sent (−1: the cursor has just wrapped around to page 0). */
  cursor = 0;
  /** Addresses (pages) of region `cursor` the cursor has passed. */
  cursorOffset = 0;
  /** Pages (and zero pages among them) sent by the last {@link consume}. */
  lastPages = 0;
  lastZeroPages = 0;
  private readonly cost: Float64Array;
  private readonly size: Float64Array;

  /**
   * @param cost wire bytes of a page of each region.
   * @param size pages (addresses) of each region.
   */
  constructor(cost: Float64Array, size: Float64Array) {
    this.cost = cost;
    this.size = size;
  }

  reset(): void {
    this.ahead.fill(0);
    this.behind.fill(0);
    this.cursor = 0;
    this.cursorOffset = 0;
  }

  pages(): number {
    let sum = 0;
    for (let r = 0; r < REGION_COUNT; r++) sum += this.ahead[r] + this.behind[r];
    return sum;
  }

  bytes(): number {
    let sum = 0;
    for (let r = 0; r < REGION_COUNT; r++) sum += (this.ahead[r] + this.behind[r]) * this.cost[r];
    return sum;
  }

  /** Bytes of the whole pages that `budget` pays for, in order (no state change). */
  bytesFor(budget: number): number {
    let left = budget + BUDGET_EPSILON_BYTES;
    let bytes = 0;
    for (let i = 0; i < 2 * REGION_COUNT; i++) {
      const r = i % REGION_COUNT;
      const count = i < REGION_COUNT ? this.ahead[r] : this.behind[r];
      if (count === 0) continue;
      const cost = this.cost[r];
      const n = Math.min(count, Math.floor(left / cost));
      bytes += n * cost;
      left -= n * cost;
      if (n < count) break;
    }
    return bytes;
  }

  /** Pages left after `budget` bytes were spent (no state change). */
  pagesLeftAfter(budget: number): number {
    let left = budget + BUDGET_EPSILON_BYTES;
    let pending = this.pages();
    for (let i = 0; i < 2 * REGION_COUNT; i++) {
      const r = i % REGION_COUNT;
      const count = i < REGION_COUNT ? this.ahead[r] : this.behind[r];
      if (count === 0) continue;
      const cost = this.cost[r];
      const n = Math.min(count, Math.floor(left / cost));
      pending -= n;
      left -= n * cost;
      if (n < count) break;
    }
    return pending;
  }

  /** The budget that sends every page but the last `keep` ones. */
  budgetToLeave(keep: number): number {
    let toSend = this.pages() - keep;
    let budget = 0;
    for (let i = 0; i < 2 * REGION_COUNT && toSend > 0; i++) {
      const r = i % REGION_COUNT;
      const count = i < REGION_COUNT ? this.ahead[r] : this.behind[r];
      const n = Math.min(count, toSend);
      budget += n * this.cost[r];
      toSend -= n;
    }
    return budget;
  }

  /** Sends the whole pages `budget` pays for; returns their bytes. */
  consume(budget: number): number {
    let left = budget + BUDGET_EPSILON_BYTES;
    let bytes = 0;
    this.lastPages = 0;
    this.lastZeroPages = 0;
    for (let round = 0; round < 2; round++) {
      for (let r = 0; r < REGION_COUNT; r++) {
        const count = this.ahead[r];
        if (count === 0) continue;
        const cost = this.cost[r];
        const n = Math.min(count, Math.floor(left / cost));
        if (n > 0) {
          if (r !== this.cursor) {
            this.cursor = r;
            this.cursorOffset = 0;
          }
          this.cursorOffset += (n * (this.size[r] - this.cursorOffset)) / count;
          this.ahead[r] -= n;
          bytes += n * cost;
          left -= n * cost;
          this.lastPages += n;
          if (r === ZERO_REGION) this.lastZeroPages += n;
        }
        if (n < count) return bytes;
      }
      // Everything ahead of the cursor is sent: it wraps around if the first page behind it fits.
      const next = firstNonZero(this.behind);
      if (next === REGION_COUNT || this.cost[next] > left) return bytes;
      for (let r = 0; r < REGION_COUNT; r++) {
        this.ahead[r] += this.behind[r];
        this.behind[r] = 0;
      }
      this.cursor = -1;
    }
    return bytes;
  }
}

function firstNonZero(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return i;
  return values.length;
}

/**
 * Expected distinct pages written, per class of writable pages that the write pattern treats alike. Class 0 is
 * the low part of the writable region, class 1 the rest (empty except for hot-cold writes).
 *
 * - uniform over W pages: each write hits a given page with p = 1/W, so n writes dirty W·(1 − (1 − p)ⁿ) distinct
 *   pages, computed as −W·expm1(n·log1p(−p)) (no cancellation for small p or n);
 * - hot-cold (as WriteStream draws: a fraction f of the writes uniform in the H hot pages, the rest uniform over
 *   the whole region): a hot page is hit with p = f/H + (1 − f)/W per write, another with (1 − f)/W;
 * - sequential: a run of min(W, n) pages from where the writer stopped;
 * - zipf: Σ_k (1 − (1 − p_k)ⁿ) over the ranks, from a table ({@link ZipfDistinctTable}).
 */
export class DirtyPageModel {
  /** Pages of class 0 and class 1. */
  readonly classPages: [number, number];
  private readonly classProbability: [number, number];
  private readonly sequential: boolean;
  private readonly zipf: ZipfDistinctTable | undefined;

  constructor(memory: GuestMemorySpec, layout: GuestMemoryLayout) {
    const writable = layout.writablePages;
    const pattern = memory.writePattern;
    this.sequential = pattern.kind === 'sequential';
    this.zipf = pattern.kind === 'zipf' && writable > 0 ? ZipfDistinctTable.get(writable, pattern.exponent) : undefined;
    const hot = layout.writeHotPages;
    if (pattern.kind === 'hot-cold' && hot > 0 && hot < writable) {
      const f = pattern.hotWriteFraction;
      this.classPages = [hot, writable - hot];
      this.classProbability = [f / hot + (1 - f) / writable, (1 - f) / writable];
    } else {
      this.classPages = [writable, 0];
      this.classProbability = [writable > 0 ? 1 / writable : 0, 0];
    }
  }

  /** Expected distinct pages of class `c` among `writes` writes to the guest. */
  distinct(c: number, writes: number): number {
    const pages = this.classPages[c];
    if (!(writes > 0) || pages === 0) return 0;
    if (this.sequential) return Math.min(pages, writes);
    if (this.zipf) return this.zipf.distinct(writes);
    const p = this.classProbability[c];
    if (p >= 1) return pages;
    return -pages * Math.expm1(writes * Math.log1p(-p));
  }

  /**
   * Pages of class `c` that `writes` writes add to a bitmap that already holds `pending` of the class's pages.
   *
   * The pending pages are taken as a spatially random subset (the cursor sends in address order, which has nothing
   * to do with how often a page is written) of a set distributed like the dirt of `profileWrites` writes: the
   * bitmap's content right after the last sync, whose size gives `profileWrites` = D⁻¹(size) (Infinity: the whole
   * class, as in the first pass). A page is then pending with probability (pending / D(m))·d_k(m), and the
   * expected overlap with the new dirt is (pending / D(m))·Σ_k d_k(m)·d_k(n) = (pending / D(m))·(D(m) + D(n) −
   * D(m + n)), since Σ_k (1 − (1 − p_k)^m)(1 − (1 − p_k)^n) = D(m) + D(n) − D(m + n). When the class's pages are
   * alike (uniform, each hot-cold class) this is pending·D(n)/size, whatever m: exact in expectation. For zipf it
   * counts that pending pages are hot ones, which new dirt hits again.
   */
  newPages(c: number, writes: number, pending: number, profileWrites: number): number {
    const pages = this.classPages[c];
    if (pages === 0) return 0;
    const fresh = this.distinct(c, writes);
    if (!this.zipf || !Number.isFinite(profileWrites)) return fresh * (1 - pending / pages);
    const profile = this.distinct(c, profileWrites);
    if (!(profile > 0)) return fresh;
    const both = profile + fresh - this.distinct(c, profileWrites + writes);
    return Math.max(0, fresh - (pending / profile) * both);
  }

  /** The writes m whose expected dirt D(m) has `pages` pages of class `c` (Infinity: all of them, or not zipf). */
  profileWrites(c: number, pages: number): number {
    return this.zipf && c === 0 ? this.zipf.writesFor(pages) : Infinity;
  }

  /**
   * Pages among the first `low` pages of class `c` that `writes` writes (the first since the migration began)
   * dirty: a share low / size of the distinct ones, or, for the sequential writer that starts at the region's
   * first page, min(n, low).
   */
  writtenIn(c: number, writes: number, low: number): number {
    const pages = this.classPages[c];
    if (pages === 0 || low <= 0) return 0;
    if (this.sequential) return Math.min(low, Math.max(0, writes));
    return (this.distinct(c, writes) * low) / pages;
  }
}

/**
 * Expected distinct pages among n Zipf-distributed writes over W ranks, D(n) = Σ_k (1 − (1 − p_k)ⁿ) with
 * p_k = k^−s / Σ_j j^−s (exactly what ZipfSampler draws). The first 64 ranks are summed one by one; the others in
 * geometric buckets (each 5 % wider than the last: 139 buckets for 2¹⁶ ranks, 310 for 2²⁸) by Simpson's rule over
 * the bucket's rank interval, and the normaliser by the midpoint rule (∫ x^−s). D is tabulated at n = 1.1^i (from
 * 1.1^−50 until every page is dirty with near certainty) and interpolated linearly in (log n, log D). Tables are
 * shared by engines with the same W and s (built once, a few milliseconds). Measured error against the exact sum
 * over every rank: docs/models/migration-aggregate.md.
 */
export class ZipfDistinctTable {
  private static readonly cache = new Map<string, ZipfDistinctTable>();
  private static readonly CACHE_LIMIT = 64;

  /** The table for W ranks and exponent s (shared). */
  static get(pages: number, exponent: number): ZipfDistinctTable {
    const key = `${pages}:${exponent}`;
    let table = ZipfDistinctTable.cache.get(key);
    if (!table) {
      if (ZipfDistinctTable.cache.size >= ZipfDistinctTable.CACHE_LIMIT) ZipfDistinctTable.cache.clear();
      table = new ZipfDistinctTable(pages, exponent);
      ZipfDistinctTable.cache.set(key, table);
    }
    return table;
  }

  readonly pages: number;
  /** Simpson / single-rank nodes: log(1 − p) at each node and its weight (ranks it stands for). */
  private readonly nodeLog1pMinusP: Float64Array;
  private readonly nodeWeight: Float64Array;
  /** D at n = GRID_RATIO^i. */
  private readonly grid: Float64Array;
  private static readonly GRID_RATIO = 1.1;
  /** The table starts at n = 1.1^−50 ≈ 0.0085 writes. */
  private static readonly GRID_FIRST = -50;

  constructor(pages: number, exponent: number) {
    if (!(Number.isInteger(pages) && pages >= 1)) throw new RangeError(`zipf table: pages must be a positive integer, got ${pages}`);
    this.pages = pages;
    const single = Math.min(pages, 64);
    const probabilities: number[] = [];
    const weights: number[] = [];
    // Unnormalised k^−s at the nodes, and the normaliser.
    let normaliser = 0;
    for (let k = 1; k <= single; k++) {
      const h = Math.exp(-exponent * Math.log(k));
      probabilities.push(h);
      weights.push(1);
      normaliser += h;
    }
    for (let a = single + 1; a <= pages; ) {
      const b = Math.min(pages, Math.max(a, Math.floor(a * 1.05)));
      const lo = a - 0.5;
      const hi = b + 0.5;
      const width = hi - lo;
      // Σ_{k=a}^{b} k^−s ≈ ∫_{a−½}^{b+½} x^−s dx.
      normaliser += exponent === 1 ? Math.log(hi / lo) : (Math.pow(hi, 1 - exponent) - Math.pow(lo, 1 - exponent)) / (1 - exponent);
      for (const [x, w] of [[lo, width / 6], [(lo + hi) / 2, (4 * width) / 6], [hi, width / 6]] as const) {
        probabilities.push(Math.exp(-exponent * Math.log(x)));
        weights.push(w);
      }
      a = b + 1;
    }
    this.nodeLog1pMinusP = new Float64Array(probabilities.map((h) => Math.log1p(-Math.min(1, h / normaliser))));
    this.nodeWeight = new Float64Array(weights);
    const grid: number[] = [];
    for (let i = ZipfDistinctTable.GRID_FIRST; ; i++) {
      const n = Math.pow(ZipfDistinctTable.GRID_RATIO, i);
      const d = this.sum(n);
      grid.push(d);
      if (d >= pages - 1e-3 || n > 1e15) break;
    }
    this.grid = new Float64Array(grid);
  }

  /** Expected distinct pages among `writes` writes. */
  distinct(writes: number): number {
    if (!(writes > 0)) return 0;
    const grid = this.grid;
    const x = Math.log(writes) / Math.log(ZipfDistinctTable.GRID_RATIO) - ZipfDistinctTable.GRID_FIRST;
    // Below the table D(n) = n·D(n₀)/n₀ (D(n) → n as n → 0); past it every page is dirty to within a thousandth
    // of a page, summed directly all the same.
    if (x <= 0) return (writes * grid[0]) / Math.pow(ZipfDistinctTable.GRID_RATIO, ZipfDistinctTable.GRID_FIRST);
    const i = Math.floor(x);
    if (i + 1 >= grid.length) return this.sum(writes);
    // D follows a power of n between grid points much better than a line: interpolate log D in log n.
    const low = Math.log(grid[i]);
    return Math.min(this.pages, Math.exp(low + (Math.log(grid[i + 1]) - low) * (x - i)));
  }

  /** The writes n with D(n) = `pages` (Infinity when that is every page, to the table's precision). */
  writesFor(pages: number): number {
    const grid = this.grid;
    if (!(pages > 0)) return 0;
    if (pages >= grid[grid.length - 1]) return Infinity;
    if (pages <= grid[0]) return (pages / grid[0]) * Math.pow(ZipfDistinctTable.GRID_RATIO, ZipfDistinctTable.GRID_FIRST);
    let low = 0;
    let high = grid.length - 1;
    while (high - low > 1) {
      const mid = (low + high) >> 1;
      if (grid[mid] <= pages) low = mid;
      else high = mid;
    }
    const fraction = (Math.log(pages) - Math.log(grid[low])) / (Math.log(grid[high]) - Math.log(grid[low]));
    return Math.pow(ZipfDistinctTable.GRID_RATIO, ZipfDistinctTable.GRID_FIRST + low + fraction);
  }

  /** The bucket sum at n (what the grid holds; exposed for tests of the interpolation). */
  sum(writes: number): number {
    let d = 0;
    for (let i = 0; i < this.nodeWeight.length; i++) d -= this.nodeWeight[i] * Math.expm1(writes * this.nodeLog1pMinusP[i]);
    return Math.min(this.pages, d);
  }
}
