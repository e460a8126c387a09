/**
 * Geiger: inferring a guest's page-cache evictions from what the hypervisor sees (Jones, Arpaci-Dusseau and
 * Arpaci-Dusseau, "Geiger: Monitoring the Buffer Cache in a Virtual Machine Environment", ASPLOS 2006).
 *
 * Each guest page carries an associated disk location (ADL): the block last read into it or written from it. A
 * page-cache page holds its block until it is reused, so reuse reveals an eviction:
 * - a disk read into a page with an ADL: the old block was evicted (reads happen only on misses, so this holds even
 *   when the new block is the old one);
 * - a disk write from a page with a different ADL: the page now holds another block;
 * - a read or write of block b into a page other than the one associated with b: b had left its old page;
 * - anonymous use of a page with an ADL (unified cache handling), or the balloon driver taking it.
 *
 * The three refinements the paper names, each switchable to measure what it is worth:
 * - `journal`: journal blocks (the region named in the superblock) are not cache contents: writes into the journal
 *   leave ADLs alone; a journal copy of a bitmap block is read for liveness (its home comes from the journal's
 *   descriptor block), and a commit block tells that a transaction is on disk.
 * - `liveness`: the VMM keeps its own copy of the block-allocation bitmap, read from the disk at start, updated
 *   from every bitmap-block write it sees, and marking live any block the guest reads or writes (it does I/O only
 *   to allocated blocks). A reuse of a page whose block is dead is not an eviction: the guest freed
 *   the page when the file was deleted. The bitmap reaches the disk only at the next journal commit (or writeback
 *   without a journal), so a reuse right after a delete still shows the block live. Geiger therefore holds each
 *   inferred eviction until liveness can speak for it — until a journal commit has shown the block still
 *   allocated, or `confirmAfterSeconds` have passed with no sign of its freeing, or the block is read or written
 *   again (a live block) — and drops it if the bitmap shows the block freed meanwhile. The delay this adds is part
 *   of the reported detection delay. `report: 'immediate'` reports at once instead, and withdraws (`cancelled`)
 *   an eviction whose block is then found freed since the bitmap block's previous write.
 * - `unified`: anonymous use of a page counts as reuse. Without it only disk I/O does (a separate-cache design), so
 *   evictions by anonymous memory are found late or never.
 *
 * The paper's exact rules and figures could not be retrieved (docs/models/guest-memory.md says what was
 * reconstructed); the rules above follow its abstract and the mechanism it names. Per-page and per-block state is
 * in typed arrays and the held evictions in a ring: one call per guest I/O, no allocation.
 */
import { JOURNAL_COMMIT_BLOCK, type OnDiskLayout } from '../../model/guest-os/file-system.js';
import type { VmmEventSink } from '../../model/guest-os/guest-events.js';

/** Which of Geiger's refinements are on, and when it reports. */
export interface GeigerOptions {
  readonly journal: boolean;
  readonly liveness: boolean;
  readonly unified: boolean;
  /** 'confirmed': hold an eviction until liveness can speak for it (with `liveness`); 'immediate': report at once. */
  readonly report: 'confirmed' | 'immediate';
  /**
   * How long a held eviction waits for a sign of its block's freeing, seconds; null: 6 s with a journal (JBD's 5 s
   * commit interval and a margin), 36 s without (dirty_expire 30 s + the 5 s writeback interval and a margin).
   */
  readonly confirmAfterSeconds: number | null;
}

export const GEIGER_FULL: GeigerOptions = { journal: true, liveness: true, unified: true, report: 'confirmed', confirmAfterSeconds: null };

/** Who consumes Geiger's inferences (the scorer, the working-set estimator, a remote cache's placement). */
export interface InferenceListener {
  /**
   * `block` was inferred evicted from guest page `page`, before liveness can confirm it (a consumer that can afford
   * a mistake and not a delay — a storage cache's placement — uses this).
   */
  inferred(timeSeconds: number, page: number, block: number): void;
  /** `block` was evicted from guest page `page` (reported at `timeSeconds`, confirmed or at once). */
  eviction(timeSeconds: number, page: number, block: number): void;
  /** An inferred eviction of `block` is dropped: the block was found freed. `reported`: `eviction` had been called for it. */
  cancelled(timeSeconds: number, block: number, reported: boolean): void;
  /** `block` entered guest page `page`; `byRead` when by a disk read (a guest cache miss). */
  insertion(timeSeconds: number, page: number, block: number, byRead: boolean): void;
}

export interface GeigerCounters {
  /** Evictions reported (net of withdrawals). */
  inferredEvictions: number;
  /** Held or reported evictions dropped because their block was found freed. */
  cancelledEvictions: number;
  /** Reuses of pages whose block was known dead (not evictions). */
  deadBlockReuses: number;
  bitmapUpdates: number;
  /** Pages the VMM has seen in use (an ADL, or anonymous use) — the guest's footprint as far as it can tell. */
  usedPages: number;
  /** Of those, pages whose last observed use was anonymous. */
  anonymousPages: number;
}

export class GeigerInference implements VmmEventSink {
  readonly options: GeigerOptions;
  readonly counters: GeigerCounters = { inferredEvictions: 0, cancelledEvictions: 0, deadBlockReuses: 0, bitmapUpdates: 0, usedPages: 0, anonymousPages: 0 };
  private readonly layout: OnDiskLayout;
  private readonly listeners: InferenceListener[] = [];
  private readonly hold: boolean;
  private readonly confirmAfterSeconds: number;
  /**
   * Per guest page, two words: its ADL (−1: none) and how the VMM last saw it used (0 not or given to the balloon,
   * 1 page cache, 2 anonymous). Per block, two words: the page whose ADL it last became (−1: none) and the ring slot
   * of its held eviction (−1: none). Interleaved so that one event touches one cache line per page and per block:
   * these are random accesses over arrays of millions of entries.
   */
  private readonly pageState: Int32Array;
  private readonly blockState: Int32Array;
  /** The VMM's copy of the allocation bitmap. */
  private readonly live: Uint32Array;
  /** Time of the last observed write of each bitmap block (index: bitmap block − first bitmap block). */
  private readonly bitmapSeenAt: Float64Array;
  private readonly firstBitmapBlock: number;
  /** Time of the last reported eviction of each block (−1: none); only kept for 'immediate' reporting. */
  private readonly reportedAt: Float64Array;
  /** Held evictions, oldest first: a ring of (block, page, time); block −1 marks a slot already settled. */
  private heldBlocks: Int32Array;
  private heldPages: Int32Array;
  private heldTimes: Float64Array;
  private heldHead = 0;
  private heldLength = 0;

  constructor(layout: OnDiskLayout, pageCount: number, options: GeigerOptions = GEIGER_FULL) {
    this.layout = layout;
    this.options = options;
    this.hold = options.liveness && options.report === 'confirmed';
    this.confirmAfterSeconds = options.confirmAfterSeconds ?? (layout.hasJournal ? 6 : 36);
    this.pageState = new Int32Array(pageCount * 2);
    for (let page = 0; page < pageCount; page++) this.pageState[page * 2] = -1;
    this.blockState = new Int32Array(layout.blockCount * 2).fill(-1);
    const words = Math.ceil(layout.blockCount / 32);
    this.live = new Uint32Array(words);
    // The disk is the VMM's: it reads the bitmap once when it starts watching.
    for (let i = 0; i < words; i++) this.live[i] = layout.bitmapWord(i);
    let first = 0;
    while (first < layout.blockCount && !layout.isBitmapBlock(first)) first++;
    this.firstBitmapBlock = first;
    let bitmapBlocks = 0;
    while (first + bitmapBlocks < layout.blockCount && layout.isBitmapBlock(first + bitmapBlocks)) bitmapBlocks++;
    this.bitmapSeenAt = new Float64Array(Math.max(1, bitmapBlocks));
    this.reportedAt = new Float64Array(this.hold ? 0 : layout.blockCount).fill(-1);
    this.heldBlocks = new Int32Array(1024);
    this.heldPages = new Int32Array(1024);
    this.heldTimes = new Float64Array(1024);
  }

  addListener(listener: InferenceListener): void {
    this.listeners.push(listener);
  }

  /** The ADL of a page (−1: none). */
  associatedBlock(page: number): number {
    return this.pageState[(page) * 2]!;
  }

  diskRead(timeSeconds: number, block: number, page: number): void {
    if (this.options.journal && this.layout.isJournalBlock(block)) return;
    if (this.hold) this.settleHeld(timeSeconds, timeSeconds - this.confirmAfterSeconds);
    const old = this.pageState[(page) * 2]!;
    if (old >= 0) this.infer(timeSeconds, page, old);
    this.associate(timeSeconds, block, page, true);
  }

  diskWrite(timeSeconds: number, block: number, page: number): void {
    const layout = this.layout;
    if (this.hold) this.settleHeld(timeSeconds, timeSeconds - this.confirmAfterSeconds);
    if (this.options.journal && layout.isJournalBlock(block)) {
      if (this.options.liveness) {
        const home = layout.journalHome(block);
        if (home >= 0 && layout.isBitmapBlock(home)) this.bitmapWritten(timeSeconds, home);
        // A commit block: the transaction's bitmaps are on disk, so every eviction held so far is confirmed.
        else if (home === JOURNAL_COMMIT_BLOCK && this.hold) this.settleHeld(timeSeconds, timeSeconds);
      }
      return;
    }
    if (this.options.liveness && layout.isBitmapBlock(block)) this.bitmapWritten(timeSeconds, block);
    const old = this.pageState[(page) * 2]!;
    if (old === block) return; // writeback of a cached page
    if (old >= 0) this.infer(timeSeconds, page, old);
    this.associate(timeSeconds, block, page, false);
  }

  anonymousUse(timeSeconds: number, page: number): void {
    this.markUsed(page, 2);
    if (!this.options.unified) return;
    this.reused(timeSeconds, page);
  }

  balloonInflate(timeSeconds: number, page: number): void {
    this.markUsed(page, 0);
    this.reused(timeSeconds, page);
  }

  balloonDeflate(): void {}

  /** Reports every held eviction (the end of a run: nothing more will be learnt). */
  flush(timeSeconds: number): void {
    this.settleHeld(timeSeconds, Infinity);
  }

  private markUsed(page: number, use: number): void {
    const previous = this.pageState[(page) * 2 + 1]!;
    if (previous === use) return;
    const counters = this.counters;
    if (previous === 0) counters.usedPages++;
    else if (use === 0) counters.usedPages--;
    if (previous === 2) counters.anonymousPages--;
    if (use === 2) counters.anonymousPages++;
    this.pageState[(page) * 2 + 1] = use;
  }

  private reused(timeSeconds: number, page: number): void {
    const old = this.pageState[(page) * 2]!;
    if (old < 0) return;
    this.infer(timeSeconds, page, old);
    this.pageState[(page) * 2] = -1;
    if (this.blockState[(old) * 2] === page) this.blockState[(old) * 2] = -1;
  }

  /** Makes `block` the ADL of `page`; a page still associated with the block had lost it. */
  private associate(timeSeconds: number, block: number, page: number, byRead: boolean): void {
    // The block is read or written: it is live, so a held eviction of it stands.
    const slot = this.blockState[(block) * 2 + 1]!;
    if (slot >= 0) this.report(slot, timeSeconds);
    const previousOwner = this.blockState[(block) * 2]!;
    if (previousOwner >= 0 && previousOwner !== page && this.pageState[(previousOwner) * 2] === block) {
      this.infer(timeSeconds, previousOwner, block);
      this.pageState[(previousOwner) * 2] = -1;
      const held = this.blockState[(block) * 2 + 1]!;
      if (held >= 0) this.report(held, timeSeconds);
    }
    this.pageState[(page) * 2] = block;
    this.blockState[(block) * 2] = page;
    this.markUsed(page, 1);
    // A guest reads and writes only allocated blocks: the I/O proves the block live before the bitmap says so
    // (a block allocated and evicted within one commit interval would otherwise look dead).
    if (this.options.liveness) this.live[block >>> 5]! |= 1 << (block & 31);
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.insertion(timeSeconds, page, block, byRead);
  }

  private infer(timeSeconds: number, page: number, block: number): void {
    if (this.options.liveness && ((this.live[block >>> 5]! >>> (block & 31)) & 1) === 0) {
      this.counters.deadBlockReuses++;
      return;
    }
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.inferred(timeSeconds, page, block);
    if (!this.hold) {
      this.emit(timeSeconds, page, block);
      return;
    }
    if (this.blockState[(block) * 2 + 1]! >= 0) return; // already held
    if (this.heldLength === this.heldBlocks.length) this.growHeld();
    const slot = (this.heldHead + this.heldLength) % this.heldBlocks.length;
    this.heldBlocks[slot] = block;
    this.heldPages[slot] = page;
    this.heldTimes[slot] = timeSeconds;
    this.blockState[(block) * 2 + 1] = slot;
    this.heldLength++;
  }

  private emit(timeSeconds: number, page: number, block: number): void {
    this.counters.inferredEvictions++;
    if (!this.hold) this.reportedAt[block] = timeSeconds;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.eviction(timeSeconds, page, block);
  }

  /** Reports the held eviction in `slot` now. */
  private report(slot: number, timeSeconds: number): void {
    const block = this.heldBlocks[slot]!;
    this.heldBlocks[slot] = -1;
    this.blockState[(block) * 2 + 1] = -1;
    this.emit(timeSeconds, this.heldPages[slot]!, block);
  }

  /** Reports held evictions inferred at or before `cutoff`, oldest first, and drops settled slots off the ring. */
  private settleHeld(timeSeconds: number, cutoff: number): void {
    const size = this.heldBlocks.length;
    while (this.heldLength > 0) {
      const slot = this.heldHead;
      if (this.heldBlocks[slot]! >= 0) {
        if (this.heldTimes[slot]! > cutoff) return;
        this.report(slot, timeSeconds);
      }
      this.heldHead = slot + 1 === size ? 0 : slot + 1;
      this.heldLength--;
    }
  }

  private growHeld(): void {
    const size = this.heldBlocks.length;
    const blocks = new Int32Array(size * 2);
    const pages = new Int32Array(size * 2);
    const times = new Float64Array(size * 2);
    for (let i = 0; i < size; i++) {
      const from = (this.heldHead + i) % size;
      blocks[i] = this.heldBlocks[from]!;
      pages[i] = this.heldPages[from]!;
      times[i] = this.heldTimes[from]!;
      if (blocks[i]! >= 0) this.blockState[(blocks[i]!) * 2 + 1] = i;
    }
    this.heldBlocks = blocks;
    this.heldPages = pages;
    this.heldTimes = times;
    this.heldHead = 0;
  }

  /** A bitmap block's content reached the disk: compare it with the VMM's copy (see the module comment). */
  private bitmapWritten(timeSeconds: number, bitmapBlock: number): void {
    this.counters.bitmapUpdates++;
    const layout = this.layout;
    const index = bitmapBlock - this.firstBitmapBlock;
    const seenBefore = this.bitmapSeenAt[index]!;
    const firstBlock = layout.firstBlockCoveredBy(bitmapBlock);
    const firstWord = firstBlock >>> 5;
    const endWord = Math.min(this.live.length, firstWord + 1024);
    for (let word = firstWord; word < endWord; word++) {
      const fresh = layout.bitmapWord(word) >>> 0;
      const old = this.live[word]!;
      let died = (old & ~fresh) >>> 0;
      this.live[word] = fresh;
      while (died !== 0) {
        const bit = 31 - Math.clz32(died);
        died = (died & ~(1 << bit)) >>> 0;
        this.blockDied(timeSeconds, (word << 5) + bit, seenBefore);
      }
    }
    this.bitmapSeenAt[index] = timeSeconds;
  }

  private blockDied(timeSeconds: number, block: number, seenBefore: number): void {
    const owner = this.blockState[(block) * 2]!;
    if (owner >= 0 && this.pageState[(owner) * 2] === block) this.pageState[(owner) * 2] = -1;
    this.blockState[(block) * 2] = -1;
    const slot = this.blockState[(block) * 2 + 1]!;
    if (slot >= 0) {
      // Held, and the block turned out freed: the page was dropped by a delete, not evicted.
      this.heldBlocks[slot] = -1;
      this.blockState[(block) * 2 + 1] = -1;
      this.counters.cancelledEvictions++;
      const listeners = this.listeners;
      for (let i = 0; i < listeners.length; i++) listeners[i]!.cancelled(timeSeconds, block, false);
      return;
    }
    if (this.hold) return;
    const reportedAt = this.reportedAt[block]!;
    if (reportedAt >= 0 && reportedAt > seenBefore) {
      // Reported at once, and the reuse may have followed the delete: withdraw it.
      this.counters.cancelledEvictions++;
      this.counters.inferredEvictions--;
      const listeners = this.listeners;
      for (let i = 0; i < listeners.length; i++) listeners[i]!.cancelled(timeSeconds, block, true);
    }
    this.reportedAt[block] = -1;
  }
}
