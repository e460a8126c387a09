/**
 * The lifecycle that the page-level engine ({@link LiveMigration}) and the aggregate one ({@link AggregateMigration})
 * share: the {@link MigrationProcess} bookkeeping (clock, rate, phase, outcome and figures), QEMU 7.2's decisions
 * that do not depend on where pages are (the checks between `ram_save_iterate` calls, the sync's auto-converge
 * check, the hybrid switch, the time limit, the stop, the resume on the destination), failures and recovery, and
 * the result. Each engine says how pages move: page by page over bitmaps, or as expected counts; the hooks below are
 * where they differ.
 *
 * Sources (QEMU 7.2 migration/migration.c and migration/ram.c) are named at the code they justify; the model as a
 * whole is described in live-migration.ts and docs/models/migration.md.
 */
import type { MigrationProcess } from './migration-process.js';
import { memoryLayout, type GuestMemoryLayout, type GuestMemorySpec } from '../../model/memory/guest-memory.js';
import type { LiveMigrationParameters, LiveMigrationResult, MigrationFailure, MigrationOutcome, MigrationPhase } from './live-migration.js';

/** QEMU 7.2 ram.c: auto-converge looks at periods of at least one second between syncs. */
export const THROTTLE_PERIOD_SECONDS = 1;
/** QEMU 7.2 ram.c `MAX_WAIT`: one ram_save_iterate call sends for at most 50 ms before the pending check. */
export const ITERATE_MAX_SECONDS = 0.05;

/** The page counts of a result: whole pages (the aggregate engine rounds its expected values). */
export type PageFigures = Pick<LiveMigrationResult, 'remoteFaults' | 'zeroPagesSent' | 'xbzrlePages' | 'postcopyPagesDelivered' | 'pagesSent'>;

export abstract class MigrationLifecycle implements MigrationProcess {
  readonly parameters: LiveMigrationParameters;
  readonly memory: GuestMemorySpec;
  readonly layout: GuestMemoryLayout;
  protected readonly pageBytes: number;
  protected readonly latencySeconds: number;

  // Clock and rate.
  protected startSeconds = NaN;
  protected now = NaN;
  protected rateBytesPerSecond = 0;
  /** Bytes the network has carried that no whole page has used yet (carried to the next step). */
  protected budgetBytes = 0;
  protected phase: MigrationPhase = 'setup';
  protected setupEndSeconds = NaN;
  /** When the current ram_save_iterate call returns (QEMU checks what is pending between calls). */
  protected iterateEndSeconds = 0;

  // QEMU's accounting.
  protected windowStartSeconds = 0;
  protected windowBytes = 0;
  protected thresholdBytes = 0;
  protected syncs = 0;
  protected periodStartSeconds = 0;
  protected periodBytes = 0;
  private periodDirtyPages = 0;
  private dirtyRateHighCount = 0;
  protected throttlePercent = 0;

  // Stopped.
  protected stopSeconds = NaN;
  /** While stopped: when the destination will run (NaN while bytes are still in flight). */
  protected resumeAtSeconds = NaN;
  protected stoppedDeviceBytesLeft = 0;
  /** The stop is a post-copy switch: the destination runs before it has every page. */
  protected postcopyAfterStop = false;
  private pausedSince = NaN;
  private pausedByFailure = false;

  // Figures.
  private outcome: MigrationOutcome = 'running';
  private converged = true;
  protected transferred = 0;
  protected precopyBytes = 0;
  protected postcopyBytes = 0;
  protected resumeSeconds = NaN;
  private endSeconds = NaN;
  private downtime = 0;
  protected remoteFaults = 0;
  protected blockedSeconds = 0;
  protected lostDuring = 0;
  protected lostAfter = 0;
  private maxThrottle = 0;
  private maxDirtyRate = 0;
  protected zeroPagesSent = 0;
  protected pagesSent = 0;
  protected delivered = 0;
  protected missingAtSwitchCount = 0;
  protected note = '';

  /**
   * Each engine checks the parameters before it calls this (`checkParameters`, then what it does not model).
   *
   * @param memory the guest's memory and behaviour.
   * @param parameters the strategy and its knobs.
   * @param latencySeconds one-way network latency between the hosts, seconds.
   */
  protected constructor(memory: GuestMemorySpec, parameters: LiveMigrationParameters, latencySeconds: number) {
    if (!(latencySeconds >= 0 && Number.isFinite(latencySeconds))) throw new RangeError(`migration: latency must be ≥ 0 s, got ${latencySeconds}`);
    this.memory = memory;
    this.parameters = parameters;
    this.layout = memoryLayout(memory);
    this.pageBytes = memory.pageBytes;
    this.latencySeconds = latencySeconds;
  }

  // ---------------------------------------------------------------------------------------------------------
  // What the engines do differently.

  /** When the migration next needs to run even if the rate does not change (Infinity when done or waiting). */
  abstract nextWakeSeconds(): number;
  /** Runs the phases from now to `untilSeconds` (or until done or paused); the arguments are checked. */
  protected abstract runTo(untilSeconds: number): void;
  /** migration_bitmap_sync's pages: the pages written since the last sync join the bitmap; returns how many are new. */
  protected abstract syncPages(): number;
  /** postcopy_start from pre-copy or pre-caching: what the destination lacks, then {@link stopForPostcopy}. */
  protected abstract switchToPostcopy(): void;
  /** The destination runs after a post-copy switch (the phase is `postcopy`): the push and the faults begin. */
  protected abstract beginPostcopy(): void;
  /** Pages in the bitmap now (QEMU's pending pages, exact as the engine keeps them). */
  protected abstract pendingPages(): number;
  /** Whole pages not yet delivered (before the switch: in the bitmap; after it: missing on the destination). */
  protected abstract remainingPages(): number;
  /** The page counts of {@link result}. */
  protected abstract pageFigures(): PageFigures;

  /** The rate or the phase changed from outside: a planned wake no longer holds (the aggregate engine plans). */
  protected replan(): void {}

  /** The link is back after a post-copy pause (the page-level engine's vCPUs run again from now). */
  protected linkRestored(_nowSeconds: number): void {}

  // ---------------------------------------------------------------------------------------------------------
  // The driving protocol.

  /** The current phase. */
  get currentPhase(): MigrationPhase {
    return this.phase;
  }

  get finished(): boolean {
    return this.phase === 'done';
  }

  /** Where the VM is now: on the source until the switch, then on the destination; nowhere if lost. */
  get location(): 'source' | 'destination' | 'nowhere' {
    if (this.outcome === 'lost') return 'nowhere';
    if (this.outcome === 'aborted') return 'source';
    return Number.isNaN(this.resumeSeconds) ? 'source' : 'destination';
  }

  /** The rate limit the migration asks of the network now, bytes/s (Infinity: none). */
  capBytesPerSecond(): number {
    switch (this.phase) {
      case 'precopy':
      case 'precache':
        return this.parameters.maxBandwidthBytesPerSecond;
      case 'postcopy':
        return this.parameters.postcopyMaxBandwidthBytesPerSecond;
      case 'stopped':
        // migration_completion and postcopy_start lift the rate limit for the final transfer.
        return this.parameters.strategy === 'stop-and-copy' ? this.parameters.maxBandwidthBytesPerSecond : Infinity;
      default:
        return Infinity;
    }
  }

  /** Starts the migration at `nowSeconds` with the network giving `rateBytesPerSecond`. */
  start(nowSeconds: number, rateBytesPerSecond: number): void {
    if (!Number.isNaN(this.startSeconds)) throw new Error('migration: already started');
    this.startSeconds = nowSeconds;
    this.now = nowSeconds;
    this.setRate(nowSeconds, rateBytesPerSecond);
    this.phase = 'setup';
    this.setupEndSeconds = nowSeconds + this.parameters.setupSeconds + this.latencySeconds;
  }

  /** The network's rate for this migration changed at `nowSeconds` (call after {@link runUntil}(nowSeconds)). */
  setRate(nowSeconds: number, rateBytesPerSecond: number): void {
    if (!(rateBytesPerSecond >= 0)) throw new RangeError(`migration: rate must be ≥ 0, got ${rateBytesPerSecond}`);
    if (nowSeconds !== this.now) throw new Error(`migration: setRate at ${nowSeconds} but the migration is at ${this.now}; call runUntil first`);
    this.rateBytesPerSecond = rateBytesPerSecond;
    this.replan();
  }

  /** Advances the migration to `untilSeconds` at the current rate, through every phase change on the way. */
  runUntil(untilSeconds: number): void {
    if (Number.isNaN(this.startSeconds)) throw new Error('migration: not started');
    if (untilSeconds < this.now) throw new RangeError(`migration: cannot run back to ${untilSeconds} from ${this.now}`);
    this.runTo(untilSeconds);
    if (this.phase === 'done' || this.phase === 'paused') this.now = Math.max(this.now, untilSeconds);
  }

  /** A failure at `nowSeconds` (call after runUntil(nowSeconds)). */
  fail(nowSeconds: number, failure: MigrationFailure): void {
    if (nowSeconds !== this.now) throw new Error('migration: fail() must follow runUntil to the same time');
    if (this.phase === 'done') return;
    this.replan();
    const switched = !Number.isNaN(this.resumeSeconds);
    if (!switched) {
      if (failure === 'source') {
        this.finish('lost', `the source host failed at ${this.elapsed().toFixed(3)} s, before the switch: the VM died with it`);
      } else {
        // Pre-copy (or the stop before the switch): the source still has the VM; it resumes there.
        if (this.phase === 'stopped') this.lostDuring += (this.now - this.stopSeconds) * this.memory.vcpus;
        this.downtimeAdd();
        this.converged = false;
        this.finish('aborted', `the ${failure} failed at ${this.elapsed().toFixed(3)} s, before the switch: the VM keeps running on the source`);
      }
      return;
    }
    if (failure === 'destination') {
      this.finish('lost', `the destination failed at ${this.elapsed().toFixed(3)} s, after the switch: the VM ran there`);
    } else if (failure === 'source') {
      this.finish('lost', `the source failed at ${this.elapsed().toFixed(3)} s with ${this.remainingPages()} pages not yet delivered`);
    } else if (!this.parameters.postcopyRecovery) {
      this.finish('lost', `the link failed at ${this.elapsed().toFixed(3)} s during post-copy without recovery (${this.remainingPages()} pages missing)`);
    } else {
      // postcopy-paused: the destination VM waits (fully stalled) until the link returns.
      this.phase = 'paused';
      this.pausedByFailure = true;
      this.pausedSince = nowSeconds;
    }
  }

  /** The link is back at `nowSeconds` (after a `link` failure with post-copy recovery): resume the post-copy. */
  recover(nowSeconds: number): void {
    if (this.phase !== 'paused') return;
    if (nowSeconds < this.pausedSince) throw new RangeError('migration: recover before the failure');
    const paused = nowSeconds - this.pausedSince;
    this.lostAfter += paused * this.memory.vcpus;
    this.blockedSeconds += paused * this.memory.vcpus;
    this.now = nowSeconds;
    this.linkRestored(nowSeconds);
    this.phase = 'postcopy';
    this.replan();
    this.note = `post-copy paused ${paused.toFixed(3)} s by a link failure, then recovered`;
  }

  result(): LiveMigrationResult {
    const end = this.phase === 'done' ? this.endSeconds : this.now;
    const switchAt = Number.isNaN(this.resumeSeconds) ? NaN : this.resumeSeconds - this.startSeconds;
    const during = (Number.isNaN(this.resumeSeconds) ? end : this.resumeSeconds) - this.startSeconds;
    const after = Number.isNaN(this.resumeSeconds) ? 0 : end - this.resumeSeconds;
    const vcpus = this.memory.vcpus;
    const pages = this.pageFigures();
    return {
      strategy: this.parameters.strategy,
      outcome: this.outcome,
      converged: this.converged,
      totalSeconds: end - this.startSeconds,
      downtimeSeconds: this.downtime,
      switchoverSeconds: switchAt,
      transferredBytes: this.transferred,
      precopyBytes: this.precopyBytes,
      postcopyBytes: this.postcopyBytes,
      passes: this.syncs,
      remoteFaults: pages.remoteFaults,
      vcpuBlockedSeconds: this.blockedSeconds,
      lostVcpuSecondsDuring: this.lostDuring,
      lostVcpuSecondsAfter: this.lostAfter,
      throughputLossDuring: during > 0 ? this.lostDuring / (during * vcpus) : 0,
      throughputLossAfter: after > 0 ? this.lostAfter / (after * vcpus) : 0,
      maxThrottlePercent: this.maxThrottle,
      maxDirtyPagesRate: this.maxDirtyRate,
      zeroPagesSent: pages.zeroPagesSent,
      xbzrlePages: pages.xbzrlePages,
      postcopyPagesDelivered: pages.postcopyPagesDelivered,
      pagesSent: pages.pagesSent,
      missingPagesAtSwitch: this.missingAtSwitchCount,
      remainingBytes: this.outcome === 'completed' ? 0 : this.remainingPages() * this.pageBytes,
      note: this.note,
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // QEMU's decisions.

  /**
   * QEMU's checks between ram_save_iterate calls (each at most MAX_WAIT long; also when the bitmap empties and at
   * the time limit): ram_save_pending syncs only when what is left is below the threshold; if what is then pending
   * is still below it (or nothing is), the VM stops (migration_completion); else the hybrid switch, the time limit.
   */
  protected iterateCheck(): void {
    this.iterateEndSeconds = this.now + ITERATE_MAX_SECONDS;
    // ram_save_pending: a sync only when what is left is below the threshold.
    let pendingBytes = this.pendingPages() * this.pageBytes;
    if (pendingBytes < this.thresholdBytes) {
      this.sync();
      pendingBytes = this.pendingPages() * this.pageBytes;
    }
    if (pendingBytes === 0 || pendingBytes < this.thresholdBytes) {
      this.stop();
      return;
    }
    if (this.parameters.strategy === 'hybrid' && this.hybridSwitchDue()) {
      this.switchToPostcopy();
      return;
    }
    if (this.now >= this.startSeconds + this.parameters.timeLimitSeconds) this.timeLimitReached();
  }

  /** Pre-caching: the switch once the hot set is sent, or the time limit. */
  protected precacheCheck(): void {
    if (this.pendingPages() === 0) this.switchToPostcopy();
    else if (this.now >= this.startSeconds + this.parameters.timeLimitSeconds) this.timeLimitReached();
  }

  private hybridSwitchDue(): boolean {
    const p = this.parameters;
    // Passes of pre-copy: syncs after the initial one.
    return this.syncs - 1 >= p.switchAfterPasses || this.now - this.startSeconds >= p.switchAfterSeconds;
  }

  protected timeLimitReached(): void {
    this.converged = false;
    if (this.parameters.onTimeLimit === 'stop-and-copy') {
      this.note = `pre-copy did not converge within ${this.parameters.timeLimitSeconds} s: stopped and copied the rest`;
      this.stop();
    } else {
      this.finish('aborted', `pre-copy did not converge within ${this.parameters.timeLimitSeconds} s (${this.remainingPages()} pages still dirty): cancelled, the VM stays on the source`);
    }
  }

  /**
   * migration_bitmap_sync: the pages written since the last sync join the bitmap ({@link syncPages}); at a sync at
   * least a period after the last check, the dirty-page rate, and auto-converge's check: when the bytes dirtied in
   * the period exceed throttle-trigger-threshold percent of the bytes sent in it for the second time, the vCPUs are
   * throttled at cpu-throttle-initial, then cpu-throttle-increment more each time, at most max-cpu-throttle
   * (`migration_trigger_throttle`, `mig_throttle_guest_down`).
   */
  protected sync(): void {
    this.syncs++;
    this.periodDirtyPages += this.syncPages();
    const period = this.now - this.periodStartSeconds;
    if (period >= THROTTLE_PERIOD_SECONDS) {
      this.maxDirtyRate = Math.max(this.maxDirtyRate, this.periodDirtyPages / period);
      const ac = this.parameters.autoConverge;
      if (ac) {
        const dirtyBytes = this.periodDirtyPages * this.pageBytes;
        if (dirtyBytes > (this.periodBytes * ac.triggerThresholdPercent) / 100 && ++this.dirtyRateHighCount >= 2) {
          this.dirtyRateHighCount = 0;
          this.throttlePercent = this.throttlePercent === 0 ? ac.initialPercent : Math.min(ac.maxPercent, this.throttlePercent + ac.incrementPercent);
          this.maxThrottle = Math.max(this.maxThrottle, this.throttlePercent);
        }
      }
      this.periodStartSeconds = this.now;
      this.periodBytes = 0;
      this.periodDirtyPages = 0;
    }
  }

  /**
   * The guest runs on the source for `seconds`, throttled by auto-converge (its vCPUs run 1 − throttle of the time:
   * the rest is lost work); returns the page writes it makes meanwhile (expected, not rounded).
   */
  protected throttledWrites(seconds: number): number {
    const running = 1 - this.throttlePercent / 100;
    this.lostDuring += (1 - running) * seconds * this.memory.vcpus;
    return this.memory.writeRatePagesPerSecond * running * seconds;
  }

  /** The VM stops on the source: a last sync, then the rest and the device state (rate limit lifted). */
  protected stop(): void {
    if (this.parameters.strategy !== 'stop-and-copy' || this.syncs > 1) this.sync();
    this.enterStopped();
  }

  /** The stop of a post-copy switch (postcopy_start): only the device state goes while stopped. */
  protected stopForPostcopy(): void {
    this.postcopyAfterStop = true;
    this.enterStopped();
  }

  /** The VM runs nowhere from now until the destination resumes it. */
  private enterStopped(): void {
    this.phase = 'stopped';
    this.stopSeconds = this.now;
    this.budgetBytes = 0;
    this.stoppedDeviceBytesLeft = this.parameters.deviceStateBytes;
  }

  /** While stopped, after the last page: sends what `budgetBytes` pays of the device state; returns its bytes. */
  protected sendDeviceState(budgetBytes: number): number {
    const device = Math.min(budgetBytes, this.stoppedDeviceBytesLeft);
    this.stoppedDeviceBytesLeft -= device;
    // Less than a byte left is rounding in `rate × time`, not data.
    if (this.stoppedDeviceBytesLeft < 1) this.stoppedDeviceBytesLeft = 0;
    this.transferred += device;
    return device;
  }

  /** The last byte left the source at `lastByteSeconds`: it arrives one latency later; then the destination loads the state and runs. */
  protected scheduleResume(lastByteSeconds: number): void {
    this.resumeAtSeconds = lastByteSeconds + this.latencySeconds + this.parameters.stopOverheadSeconds;
  }

  /** The destination runs (at the time {@link scheduleResume} set): done, or post-copy begins. */
  protected resume(): void {
    const resume = this.resumeAtSeconds;
    this.resumeAtSeconds = NaN;
    this.now = resume;
    this.resumeSeconds = resume;
    this.downtimeAdd();
    this.lostDuring += (resume - this.stopSeconds) * this.memory.vcpus;
    if (!this.postcopyAfterStop) {
      this.finish('completed', this.note);
      return;
    }
    this.phase = 'postcopy';
    this.beginPostcopy();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Time.

  /** When `bytes` more are through at the current rate, the budget carried counted (Infinity at rate 0). */
  protected sentBySeconds(bytes: number): number {
    const rate = this.rateBytesPerSecond;
    return rate > 0 ? this.now + Math.max(0, bytes - this.budgetBytes) / rate : Infinity;
  }

  /** While stopped: when the destination runs, or else when the pages' `pageBytesLeft` and the device state are sent. */
  protected stoppedWakeSeconds(pageBytesLeft: number): number {
    if (!Number.isNaN(this.resumeAtSeconds)) return this.resumeAtSeconds;
    return this.sentBySeconds(pageBytesLeft + this.stoppedDeviceBytesLeft);
  }

  private elapsed(): number {
    return this.now - this.startSeconds;
  }

  private downtimeAdd(): void {
    if (!Number.isNaN(this.stopSeconds)) this.downtime = this.now - this.stopSeconds;
  }

  protected finish(outcome: MigrationOutcome, note: string, endSeconds = this.now): void {
    this.outcome = outcome;
    this.note = note;
    this.phase = 'done';
    this.endSeconds = endSeconds;
    if (outcome === 'completed' && !this.pausedByFailure && this.note === '') this.note = 'completed';
  }
}
