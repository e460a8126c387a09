/**
 * A Linux-2.6-like guest kernel's memory and file I/O: a unified page cache over guest frames shared with
 * anonymous memory, replacement with inactive and active lists, read-ahead, dirty-page writeback, an ext3 journal
 * (none, ordered or full data journaling), file creation and deletion, and a balloon driver.
 *
 * Behaviour and constants, with their sources (docs/models/guest-memory.md has the full table):
 * - Replacement: a page read or written enters the inactive list's head; `mark_page_accessed` sets the referenced
 *   flag on the first access and moves a referenced inactive page to the active list on the second. Reclaim takes
 *   inactive tails; unmapped page-cache pages are evicted even when referenced (2.6's `page_mapping_inuse` is false
 *   for them), which is what keeps a used-once scan from flushing the active list. When the active list is longer
 *   than the inactive list, its tail is moved to the inactive head (2.6.28's `inactive_file_is_low`). Source:
 *   mm/swap.c and mm/vmscan.c of Linux 2.6; M. Gorman, "Understanding the Linux Virtual Memory Manager" (2004), ch. 10.
 * - Free-page watermarks: min_free_kbytes = √(16 × memory in KiB), clamped to [128, 65536]; low = min × 5/4,
 *   high = min × 3/2; reclaim runs when free frames fall to `low` and frees up to `high` (kswapd's band,
 *   modelled as running at once rather than in its own thread). Source: mm/page_alloc.c (init_per_zone_wmark_min,
 *   setup_per_zone_wmarks).
 * - Anonymous memory is never reclaimed: the guest has no swap device (a stated simplification). Growing anonymous
 *   memory therefore takes frames from the page cache, which is what a unified cache means.
 * - Read-ahead: a miss at a file's start, or continuing a sequential run, reads a window of 4 pages that doubles
 *   up to 32 (128 KiB, 2.6's default maximum); reaching the first page of the last window (PG_readahead) starts
 *   the next window asynchronously; a random miss reads one page. Source: mm/readahead.c (get_init_ra_size,
 *   ondemand_readahead), simplified.
 * - Writeback: a dirty page is written once it has been dirty 30 s (dirty_expire_centisecs = 3000), checked every
 *   5 s (dirty_writeback_centisecs = 500), and at once when dirty pages exceed 10 % of memory
 *   (dirty_background_ratio). Reclaim writes a dirty victim before evicting it.
 * - Journal (ext3): a transaction commits every 5 s (JBD's default commit interval). Ordered mode writes the new
 *   data blocks of the transaction in place first, then the descriptor block, copies of the dirty metadata
 *   blocks, and a commit block into the journal; the metadata pages stay dirty and are checkpointed to their home
 *   blocks by writeback. Full data journaling logs data pages too. Pages in the running transaction are pinned.
 *   Source: S. Tweedie, "Journaling the Linux ext2fs Filesystem" (LinuxExpo 1998), and fs/jbd.
 * - Deleting a file drops its cached pages at once (truncate_inode_pages) and frees its blocks in the bitmap; the
 *   bitmap and inode blocks become dirty metadata.
 * - Balloon: each page the driver takes is allocated like anonymous memory and given to the host; costs per page
 *   from measurement (../shared/reference/qemu/RESULTS.md §5, see `BALLOON_COSTS`).
 *
 * One guest thread issues the accesses; its clock advances by the CPU time the workload charges and by the
 * service time of synchronous reads. Writes are asynchronous.
 */
import { BLOCK_SIZE_BYTES, FileSystem, JOURNAL_COMMIT_BLOCK, JOURNAL_DESCRIPTOR_BLOCK, type FileSystemSpec } from './file-system.js';
import { CacheExit, type BlockDevice, type CacheTruthSink, type VmmEventSink } from './guest-events.js';
import {
  FLAG_DIRTY,
  FLAG_IN_TRANSACTION,
  FLAG_METADATA,
  FLAG_NEW_DATA,
  FLAG_READAHEAD_MARK,
  FLAG_REFERENCED,
  FrameUse,
  LIST_ACTIVE,
  LIST_INACTIVE,
  PageFrames,
} from './page-frames.js';

export type JournalMode = 'none' | 'ordered' | 'journal';

/** Parameters of the guest kernel. */
export interface GuestOsSpec {
  /** Guest physical memory, 4 KiB pages. */
  readonly memoryPages: number;
  /** Frames the kernel keeps for itself (code, slab, page tables); never part of the page cache. */
  readonly kernelReservedPages: number;
  readonly fileSystem: FileSystemSpec;
  /** ext3 journaling mode; 'none' is ext2. */
  readonly journalMode: JournalMode;
  /** JBD commit interval, seconds (5). */
  readonly journalCommitSeconds: number;
  /** dirty_expire_centisecs / 100 (30). */
  readonly dirtyExpireSeconds: number;
  /** dirty_writeback_centisecs / 100 (5). */
  readonly writebackIntervalSeconds: number;
  /** dirty_background_ratio / 100 (0.1). */
  readonly dirtyBackgroundRatio: number;
  /** First read-ahead window, pages (4). */
  readonly readaheadInitialPages: number;
  /** Largest read-ahead window, pages (32 = 128 KiB). */
  readonly readaheadMaxPages: number;
}

/** Linux 2.6 defaults (sources in the module comment). */
export const GUEST_OS_DEFAULTS = {
  journalMode: 'ordered' as JournalMode,
  journalCommitSeconds: 5,
  dirtyExpireSeconds: 30,
  writebackIntervalSeconds: 5,
  dirtyBackgroundRatio: 0.1,
  readaheadInitialPages: 4,
  readaheadMaxPages: 32,
} as const;

/**
 * Time the balloon takes per page, seconds, from the QEMU 7.2 measurements on this kind of machine
 * (../shared/reference/qemu/RESULTS.md §5, TCG guest with virtio-balloon): inflating 512 → 256 MiB took 0.461 s
 * (65 536 pages: 7.0 µs a page) and 256 → 128 MiB 0.206 s (6.3 µs); deflating 128 → 512 MiB took 0.257 s
 * (98 304 pages: 2.6 µs). The inflation figure is the mean of the two.
 */
export const BALLOON_COSTS = {
  inflateSecondsPerPage: 6.7e-6,
  deflateSecondsPerPage: 2.6e-6,
} as const;

/** The guest ran out of memory that replacement can free (anonymous and kernel memory fill it). */
export class GuestOutOfMemoryError extends Error {}

/** Counters of a guest run. */
export interface GuestCounters {
  reads: number;
  readHits: number;
  readMisses: number;
  writes: number;
  readaheadPages: number;
  diskReadRequests: number;
  diskReadBlocks: number;
  diskWriteBlocks: number;
  journalWriteBlocks: number;
  evictions: number;
  drops: number;
  filesCreated: number;
  filesDeleted: number;
}

/** The min/low/high free-page watermarks for a memory size (see the module comment). */
export function freePageWatermarks(usablePages: number): { minPages: number; lowPages: number; highPages: number } {
  const kib = usablePages * 4;
  const minKib = Math.min(65536, Math.max(128, Math.floor(Math.sqrt(kib * 16))));
  const minPages = Math.max(1, Math.floor(minKib / 4));
  return { minPages, lowPages: Math.floor((minPages * 5) / 4), highPages: Math.floor((minPages * 3) / 2) };
}

export class GuestOs {
  readonly spec: GuestOsSpec;
  readonly fs: FileSystem;
  readonly frames: PageFrames;
  readonly counters: GuestCounters = {
    reads: 0,
    readHits: 0,
    readMisses: 0,
    writes: 0,
    readaheadPages: 0,
    diskReadRequests: 0,
    diskReadBlocks: 0,
    diskWriteBlocks: 0,
    journalWriteBlocks: 0,
    evictions: 0,
    drops: 0,
    filesCreated: 0,
    filesDeleted: 0,
  };
  /** The guest's clock, seconds. */
  now = 0;
  private vmm: VmmEventSink;
  private truth: CacheTruthSink;
  private readonly device: BlockDevice;
  /** The frame caching each block, −1 if none. */
  private readonly blockFrame: Int32Array;
  /** Per inode: index of the last block read, the next index after the last read-ahead window, and its size. */
  private readonly lastReadIndex: Int32Array;
  private readonly readaheadNext: Int32Array;
  private readonly readaheadSize: Int32Array;
  /** Dirty pages in the order they became dirty (a growable ring of frames with the time each became dirty). */
  private dirtyFrames: Int32Array;
  private dirtyTimes: Float64Array;
  private dirtyHead = 0;
  private dirtyLength = 0;
  /** When each frame last became dirty (to skip stale ring entries). */
  private readonly dirtySince: Float64Array;
  private dirtyCount = 0;
  /** Frames in the running journal transaction (growable list; entries whose flag was cleared are stale). */
  private transaction: Int32Array;
  private transactionLength = 0;
  private readonly journaling: boolean;
  private readonly journalData: boolean;
  /** The kernel frame JBD builds descriptor and commit blocks in. */
  private readonly journalBufferFrame: number;
  private nextWriteback: number;
  private nextCommit: number;
  private readonly watermarks: { minPages: number; lowPages: number; highPages: number };
  /** Anonymous frames, as a stack (freeing returns the most recent). */
  private readonly anonymousFrames: Int32Array;
  private anonymousCount = 0;
  private readonly balloonFrames: Int32Array;
  /** Frames of the read request being built (at most one read-ahead window). */
  private readonly runFrames: Int32Array;
  private balloonCount = 0;
  /** Called on an access to a watched frame (a sampling estimator's invalidated mapping faulting). */
  private onTouch: ((frame: number) => void) | null = null;

  constructor(spec: GuestOsSpec, device: BlockDevice, vmm: VmmEventSink, truth: CacheTruthSink) {
    if (!(Number.isInteger(spec.memoryPages) && spec.memoryPages >= 64)) throw new RangeError(`GuestOs: memoryPages must be an integer ≥ 64, got ${spec.memoryPages}`);
    if (!(Number.isInteger(spec.kernelReservedPages) && spec.kernelReservedPages >= 1 && spec.kernelReservedPages < spec.memoryPages / 2)) {
      throw new RangeError(`GuestOs: kernelReservedPages must be an integer in [1, memoryPages/2), got ${spec.kernelReservedPages}`);
    }
    if (spec.readaheadInitialPages < 1 || spec.readaheadMaxPages < spec.readaheadInitialPages) {
      throw new RangeError('GuestOs: read-ahead windows must satisfy 1 ≤ initial ≤ max');
    }
    if ((spec.journalMode === 'none') !== (spec.fileSystem.journalBlocks === 0)) {
      throw new RangeError(`GuestOs: journalMode '${spec.journalMode}' needs ${spec.journalMode === 'none' ? 'no journal (journalBlocks 0)' : 'a journal (journalBlocks > 0)'}`);
    }
    this.spec = spec;
    this.device = device;
    this.vmm = vmm;
    this.truth = truth;
    this.fs = new FileSystem(spec.fileSystem);
    this.frames = new PageFrames(spec.memoryPages);
    this.blockFrame = new Int32Array(this.fs.blockCount).fill(-1);
    this.lastReadIndex = new Int32Array(this.fs.inodeCount).fill(-2);
    this.readaheadNext = new Int32Array(this.fs.inodeCount);
    this.readaheadSize = new Int32Array(this.fs.inodeCount);
    this.dirtyFrames = new Int32Array(1024);
    this.dirtyTimes = new Float64Array(1024);
    this.dirtySince = new Float64Array(spec.memoryPages);
    this.transaction = new Int32Array(1024);
    this.journaling = spec.journalMode !== 'none';
    this.journalData = spec.journalMode === 'journal';
    for (let i = 0; i < spec.kernelReservedPages; i++) {
      const frame = this.frames.popFree();
      this.frames.setUse(frame, FrameUse.kernel);
    }
    this.journalBufferFrame = spec.kernelReservedPages - 1;
    this.nextWriteback = spec.writebackIntervalSeconds;
    this.nextCommit = spec.journalCommitSeconds;
    this.watermarks = freePageWatermarks(spec.memoryPages - spec.kernelReservedPages);
    this.anonymousFrames = new Int32Array(spec.memoryPages);
    this.balloonFrames = new Int32Array(spec.memoryPages);
    this.runFrames = new Int32Array(Math.max(1, spec.readaheadMaxPages));
  }

  /** Replaces the VMM sink (the inference attached after construction) and the truth sink. */
  attach(vmm: VmmEventSink, truth: CacheTruthSink): void {
    this.vmm = vmm;
    this.truth = truth;
  }

  /**
   * Where accesses to watched frames are reported: the hypervisor invalidated their mappings, so the guest's next
   * access faults. A reported frame's watch is cleared (the fault re-established the mapping).
   */
  onWatchedAccess(onTouch: (frame: number) => void): void {
    this.onTouch = onTouch;
  }

  /** Watches (or stops watching) accesses to a frame. */
  watchFrame(frame: number, watched: boolean): void {
    this.frames.setWatched(frame, watched);
  }

  /** Reports an access to a frame if it is watched. */
  private touched(frame: number): void {
    if (this.onTouch !== null && this.frames.isWatched(frame)) {
      this.frames.setWatched(frame, false);
      this.onTouch(frame);
    }
  }

  get anonymousPages(): number {
    return this.anonymousCount;
  }

  get balloonPages(): number {
    return this.balloonCount;
  }

  /** Frames that hold page-cache pages. */
  get cachePages(): number {
    return this.frames.listLength[LIST_INACTIVE]! + this.frames.listLength[LIST_ACTIVE]!;
  }

  /** Memory the guest can use: its pages minus the balloon. */
  get availablePages(): number {
    return this.spec.memoryPages - this.balloonCount;
  }

  /** The frame caching a block, or −1 (for tests and the true-curve runs). */
  frameOf(block: number): number {
    return this.blockFrame[block]!;
  }

  /** Advances the guest's clock by CPU time and runs writeback and journal commits that fall due. */
  advance(seconds: number): void {
    this.now += seconds;
    if (this.now >= this.nextWriteback || this.now >= this.nextCommit) this.background();
  }

  // --- file operations --------------------------------------------------------------------------------------

  /** Reads block `index` of a file through the page cache. Returns true on a hit. */
  read(inode: number, index: number): boolean {
    const counters = this.counters;
    counters.reads++;
    const block = this.fs.blockOf(inode, index);
    const frame = this.blockFrame[block]!;
    const sequential = index === this.lastReadIndex[inode]! + 1;
    this.lastReadIndex[inode] = index;
    if (frame >= 0) {
      counters.readHits++;
      this.markAccessed(frame);
      const flags = this.frames.flagsOf(frame);
      if ((flags & FLAG_READAHEAD_MARK) !== 0) {
        this.frames.setFlags(frame, flags & ~FLAG_READAHEAD_MARK);
        // Asynchronous read-ahead: the next window, twice as large, with no wait.
        const size = Math.min(this.readaheadSize[inode]! * 2, this.spec.readaheadMaxPages);
        this.readWindow(inode, this.fs.fileBlocks(inode), this.readaheadNext[inode]!, size, false);
      }
      return true;
    }
    counters.readMisses++;
    let size = 1;
    if (index === 0 || (sequential && this.readaheadSize[inode]! > 0)) {
      size = index === 0 || this.readaheadSize[inode] === 0 ? this.spec.readaheadInitialPages : Math.min(this.readaheadSize[inode]! * 2, this.spec.readaheadMaxPages);
    } else if (sequential) {
      size = this.spec.readaheadInitialPages;
    }
    this.readWindow(inode, this.fs.fileBlocks(inode), index, size, true);
    if (size === 1) this.readaheadSize[inode] = 0;
    return false;
  }

  /** Overwrites block `index` of a file (a full-block write: no read needed). */
  write(inode: number, index: number): void {
    this.counters.writes++;
    const block = this.fs.blockOf(inode, index);
    let frame = this.blockFrame[block]!;
    if (frame >= 0) {
      this.markAccessed(frame);
    } else {
      frame = this.insertCachePage(block, false, false);
      this.frames.addFlags(frame, FLAG_REFERENCED);
    }
    this.markDirty(frame, false);
    // write(2) updates the file's mtime: its inode block becomes dirty metadata (journaled under ext3).
    this.dirtyMetadata(this.fs.inodeBlockOf(inode));
  }

  /**
   * Creates a file of `sizeBlocks` blocks and writes all of it. Returns the inode, or −1 when the file system is
   * full.
   */
  createFile(sizeBlocks: number): number {
    const inode = this.fs.createFile(sizeBlocks);
    if (inode < 0) return -1;
    this.counters.filesCreated++;
    this.lastReadIndex[inode] = -2;
    this.readaheadSize[inode] = 0;
    this.dirtyMetadata(this.fs.inodeBlockOf(inode));
    const blocks = this.fs.fileBlocks(inode);
    this.dirtyBitmaps(blocks);
    for (let index = 0; index < blocks.length; index++) {
      const block = blocks[index]!;
      const frame = this.insertCachePage(block, false, false);
      this.frames.addFlags(frame, FLAG_REFERENCED);
      this.markDirty(frame, true);
    }
    return inode;
  }

  /** Deletes a file: drops its cached pages and frees its blocks and inode. */
  deleteFile(inode: number): void {
    const blocks = this.fs.fileBlocks(inode);
    const frames = this.frames;
    this.dirtyBitmaps(blocks);
    for (let index = 0; index < blocks.length; index++) {
      const block = blocks[index]!;
      this.truth.blockFreed(this.now, block);
      const frame = this.blockFrame[block]!;
      if (frame < 0) continue;
      frames.remove(frame);
      this.blockFrame[block] = -1;
      if ((frames.flagsOf(frame) & FLAG_DIRTY) !== 0) this.dirtyCount--;
      this.counters.drops++;
      this.truth.remove(this.now, frame, block, CacheExit.drop);
      frames.pushFree(frame);
    }
    this.dirtyMetadata(this.fs.inodeBlockOf(inode));
    this.fs.deleteFile(inode);
    this.counters.filesDeleted++;
  }

  /** Dirties the bitmap blocks covering a file's blocks (once each run of blocks under one bitmap block). */
  private dirtyBitmaps(blocks: Int32Array): void {
    let lastBitmap = -1;
    for (let index = 0; index < blocks.length; index++) {
      const bitmap = this.fs.bitmapBlockOf(blocks[index]!);
      if (bitmap !== lastBitmap) {
        this.dirtyMetadata(bitmap);
        lastBitmap = bitmap;
      }
    }
  }

  // --- anonymous memory and the balloon ---------------------------------------------------------------------

  /** Faults in `pages` anonymous pages (the process touches new memory). */
  allocateAnonymous(pages: number): void {
    for (let i = 0; i < pages; i++) {
      const frame = this.allocateFrame();
      this.frames.setUse(frame, FrameUse.anonymous);
      this.truth.reuse(this.now, frame);
      this.vmm.anonymousUse(this.now, frame);
      this.anonymousFrames[this.anonymousCount++] = frame;
    }
  }

  /** Frees the `pages` most recently allocated anonymous pages (the guest frees them silently). */
  freeAnonymous(pages: number): void {
    const count = Math.min(pages, this.anonymousCount);
    for (let i = 0; i < count; i++) this.frames.pushFree(this.anonymousFrames[--this.anonymousCount]!);
  }

  /** Touches anonymous page number `index` (0 … anonymousPages − 1). */
  touchAnonymous(index: number): void {
    const frame = this.anonymousFrames[index]!;
    this.touched(frame);
  }

  /**
   * Moves the balloon to `targetPages` (pages held by the host). Inflating allocates frames (reclaiming the page
   * cache as needed) and hands them over; deflating returns them. Returns the time it took, seconds, which the
   * guest's clock also advances by.
   */
  setBalloon(targetPages: number): number {
    const limit = this.spec.memoryPages - this.spec.kernelReservedPages - this.anonymousCount - this.watermarks.highPages * 2;
    const target = Math.max(0, Math.min(Math.floor(targetPages), limit));
    let seconds = 0;
    while (this.balloonCount < target) {
      const frame = this.allocateFrame();
      this.frames.setUse(frame, FrameUse.balloon);
      this.truth.reuse(this.now, frame);
      this.vmm.balloonInflate(this.now, frame);
      this.balloonFrames[this.balloonCount++] = frame;
      seconds += BALLOON_COSTS.inflateSecondsPerPage;
    }
    while (this.balloonCount > target) {
      const frame = this.balloonFrames[--this.balloonCount]!;
      this.vmm.balloonDeflate(this.now, frame);
      this.frames.pushFree(frame);
      seconds += BALLOON_COSTS.deflateSecondsPerPage;
    }
    if (seconds > 0) this.advance(seconds);
    return seconds;
  }

  /** `sync`: commits the journal and writes every dirty page (the end of a run, before scoring). */
  sync(): void {
    if (this.journaling) this.commit();
    this.writeExpired(Infinity);
  }

  // --- background work ---------------------------------------------------------------------------------------

  /** Runs what falls due at the current time: journal commit, then expired-page writeback. */
  private background(): void {
    if (this.now >= this.nextCommit) {
      if (this.journaling) this.commit();
      this.nextCommit = (Math.floor(this.now / this.spec.journalCommitSeconds) + 1) * this.spec.journalCommitSeconds;
    }
    if (this.now >= this.nextWriteback) {
      this.writeExpired(this.now - this.spec.dirtyExpireSeconds);
      this.nextWriteback = (Math.floor(this.now / this.spec.writebackIntervalSeconds) + 1) * this.spec.writebackIntervalSeconds;
    }
  }

  /** Writes, oldest first, the dirty pages that became dirty at or before `cutoff` (and more if over the background ratio). */
  private writeExpired(cutoff: number): void {
    const backgroundLimit = this.spec.dirtyBackgroundRatio * this.spec.memoryPages;
    const frames = this.frames;
    while (this.dirtyLength > 0) {
      const slot = this.dirtyHead;
      const frame = this.dirtyFrames[slot]!;
      const time = this.dirtyTimes[slot]!;
      const live = (frames.flagsOf(frame) & FLAG_DIRTY) !== 0 && this.dirtySince[frame] === time && (frames.flagsOf(frame) & FLAG_IN_TRANSACTION) === 0;
      if (live && time > cutoff && this.dirtyCount <= backgroundLimit) break;
      this.dirtyHead = slot + 1 === this.dirtyFrames.length ? 0 : slot + 1;
      this.dirtyLength--;
      if (live) this.writePage(frame);
    }
  }

  /** Writes a dirty page to its home block. */
  private writePage(frame: number): void {
    const frames = this.frames;
    const block = frames.blockOf(frame);
    this.device.write(this.now, block, 1);
    this.counters.diskWriteBlocks++;
    this.vmm.diskWrite(this.now, block, frame);
    frames.clearFlags(frame, (FLAG_DIRTY | FLAG_NEW_DATA));
    this.dirtyCount--;
  }

  /** Commits the running journal transaction (see the module comment). */
  private commit(): void {
    if (this.transactionLength === 0) return;
    const frames = this.frames;
    const vmm = this.vmm;
    const now = this.now;
    // Ordered mode: new data blocks go home before the metadata that points at them is committed.
    if (!this.journalData) {
      for (let i = 0; i < this.transactionLength; i++) {
        const frame = this.transaction[i]!;
        if ((frames.flagsOf(frame) & (FLAG_NEW_DATA | FLAG_DIRTY)) === (FLAG_NEW_DATA | FLAG_DIRTY)) this.writePage(frame);
      }
    }
    const descriptor = this.fs.nextJournalBlock(JOURNAL_DESCRIPTOR_BLOCK);
    this.device.write(now, descriptor, 1);
    vmm.diskWrite(now, descriptor, this.journalBufferFrame);
    let logged = 1;
    for (let i = 0; i < this.transactionLength; i++) {
      const frame = this.transaction[i]!;
      const flags = frames.flagsOf(frame);
      if ((flags & FLAG_IN_TRANSACTION) === 0) continue;
      const journalBlock = this.fs.nextJournalBlock(frames.blockOf(frame));
      this.device.write(now, journalBlock, 1);
      vmm.diskWrite(now, journalBlock, frame);
      logged++;
      frames.setFlags(frame, flags & ~FLAG_IN_TRANSACTION);
      // The page stays dirty: writeback checkpoints it to its home block later.
      if ((flags & FLAG_DIRTY) !== 0) this.queueDirty(frame);
    }
    const commitBlock = this.fs.nextJournalBlock(JOURNAL_COMMIT_BLOCK);
    this.device.write(now, commitBlock, 1);
    vmm.diskWrite(now, commitBlock, this.journalBufferFrame);
    logged++;
    this.counters.journalWriteBlocks += logged;
    this.counters.diskWriteBlocks += logged;
    this.transactionLength = 0;
  }

  // --- page cache internals ------------------------------------------------------------------------------------

  /**
   * Reads `size` blocks of a file from `start` (those not cached), in runs of contiguous disk blocks. Each run is
   * one request: frames are allocated first (reclaim happens then), the device serves the request, and only then
   * does the VMM see the reads into the run's pages — the order of a real request, so that a storage server never
   * learns of an eviction before the read that caused it.
   */
  private readWindow(inode: number, blocks: Int32Array, start: number, size: number, synchronous: boolean): void {
    const end = Math.min(blocks.length, start + size);
    if (start >= end) return;
    const frames = this.frames;
    const run = this.runFrames;
    let runLength = 0;
    let previousBlock = -2;
    let seconds = 0;
    for (let index = start; index < end; index++) {
      const block = blocks[index]!;
      if (this.blockFrame[block]! >= 0) continue;
      if (block !== previousBlock + 1 && runLength > 0) {
        seconds += this.issueRead(run, runLength);
        runLength = 0;
      }
      previousBlock = block;
      const frame = this.insertCachePage(block, false, true);
      run[runLength++] = frame;
      this.counters.diskReadBlocks++;
      if (index !== start || !synchronous) this.counters.readaheadPages++;
      else frames.addFlags(frame, FLAG_REFERENCED);
    }
    if (runLength > 0) seconds += this.issueRead(run, runLength);
    if (end - start > 1) {
      const markIndex = synchronous ? start + 1 : start;
      const markFrame = this.blockFrame[blocks[Math.min(markIndex, end - 1)]!]!;
      if (markFrame >= 0) frames.addFlags(markFrame, FLAG_READAHEAD_MARK);
      this.readaheadNext[inode] = end;
      this.readaheadSize[inode] = end - start;
    }
    if (synchronous && seconds > 0) this.advance(seconds);
  }

  /** Sends one read request for the frames of a run (consecutive blocks); returns its service time. */
  private issueRead(run: Int32Array, length: number): number {
    const frames = this.frames;
    const seconds = this.device.read(this.now, frames.blockOf(run[0]!), length);
    this.counters.diskReadRequests++;
    for (let i = 0; i < length; i++) {
      const frame = run[i]!;
      const block = frames.blockOf(frame);
      this.vmm.diskRead(this.now, block, frame);
      this.truth.insert(this.now, frame, block, true);
    }
    return seconds;
  }

  /**
   * Puts a block into a newly allocated frame at the inactive head. `pendingRead`: the caller issues the read and
   * reports the insertion after the VMM has seen it; otherwise (a full-block write) the insertion is recorded now.
   */
  private insertCachePage(block: number, metadata: boolean, pendingRead: boolean): number {
    const frame = this.allocateFrame();
    const frames = this.frames;
    frames.setUse(frame, FrameUse.file);
    frames.setBlock(frame, block);
    if (metadata) frames.addFlags(frame, FLAG_METADATA);
    frames.addHead(LIST_INACTIVE, frame);
    this.blockFrame[block] = frame;
    this.truth.reuse(this.now, frame);
    if (!pendingRead) this.truth.insert(this.now, frame, block, false);
    this.touched(frame);
    return frame;
  }

  /** Reads a metadata block through the cache (a synchronous read on a miss) and returns its frame. */
  private metadataFrame(block: number): number {
    let frame = this.blockFrame[block]!;
    if (frame >= 0) {
      this.markAccessed(frame);
      return frame;
    }
    frame = this.insertCachePage(block, true, true);
    this.counters.diskReadBlocks++;
    this.frames.addFlags(frame, FLAG_REFERENCED);
    this.runFrames[0] = frame;
    const seconds = this.issueRead(this.runFrames, 1);
    if (seconds > 0) this.advance(seconds);
    return frame;
  }

  /** Dirties a metadata block: into the running transaction when journaling, onto the writeback queue otherwise. */
  private dirtyMetadata(block: number): void {
    const frame = this.metadataFrame(block);
    this.markDirty(frame, false);
  }

  /** `mark_page_accessed`, plus the sampling estimator's watch. */
  private markAccessed(frame: number): void {
    const frames = this.frames;
    const flags = frames.flagsOf(frame);
    if (frames.listOf(frame) === LIST_INACTIVE && (flags & FLAG_REFERENCED) !== 0) {
      frames.setFlags(frame, flags & ~FLAG_REFERENCED);
      frames.moveToHead(LIST_ACTIVE, frame);
    } else if ((flags & FLAG_REFERENCED) === 0) {
      frames.setFlags(frame, flags | FLAG_REFERENCED);
    }
    this.touched(frame);
  }

  /** Marks a cache page dirty; `newData` says its block was allocated in this transaction. */
  private markDirty(frame: number, newData: boolean): void {
    const frames = this.frames;
    let flags = frames.flagsOf(frame);
    const metadata = (flags & FLAG_METADATA) !== 0;
    const logged = this.journaling && (metadata || this.journalData);
    if ((flags & FLAG_DIRTY) === 0) {
      flags |= FLAG_DIRTY;
      this.dirtyCount++;
      if (!logged) {
        frames.setFlags(frame, flags);
        this.queueDirty(frame);
      }
    }
    if (newData) flags |= FLAG_NEW_DATA;
    if ((logged || (newData && this.journaling)) && (flags & FLAG_IN_TRANSACTION) === 0) {
      // Logged pages are pinned in the transaction; ordered mode lists new data so the commit writes it first.
      if (logged) flags |= FLAG_IN_TRANSACTION;
      this.pushTransaction(frame);
    }
    frames.setFlags(frame, flags);
  }

  private queueDirty(frame: number): void {
    if (this.dirtyLength === this.dirtyFrames.length) {
      // Grow the ring (rare: stale entries are what fill it). Unroll it so the head is at 0.
      const size = this.dirtyFrames.length;
      const frames = new Int32Array(size * 2);
      const times = new Float64Array(size * 2);
      for (let i = 0; i < size; i++) {
        const slot = (this.dirtyHead + i) % size;
        frames[i] = this.dirtyFrames[slot]!;
        times[i] = this.dirtyTimes[slot]!;
      }
      this.dirtyFrames = frames;
      this.dirtyTimes = times;
      this.dirtyHead = 0;
    }
    const slot = (this.dirtyHead + this.dirtyLength) % this.dirtyFrames.length;
    this.dirtyFrames[slot] = frame;
    this.dirtyTimes[slot] = this.now;
    this.dirtySince[frame] = this.now;
    this.dirtyLength++;
  }

  private pushTransaction(frame: number): void {
    if (this.transactionLength === this.transaction.length) {
      const grown = new Int32Array(this.transaction.length * 2);
      grown.set(this.transaction);
      this.transaction = grown;
    }
    this.transaction[this.transactionLength++] = frame;
  }

  /** A free frame, reclaiming the page cache between the watermarks when free frames run low. */
  private allocateFrame(): number {
    const frames = this.frames;
    if (frames.freeCount <= this.watermarks.lowPages) {
      this.reclaim(this.watermarks.highPages - frames.freeCount);
      if (frames.freeCount === 0) {
        // Pinned transaction pages can block reclaim: commit, then try again.
        if (this.journaling) this.commit();
        this.reclaim(32);
      }
      if (frames.freeCount === 0) {
        throw new GuestOutOfMemoryError(
          `guest out of memory: ${this.anonymousCount} anonymous, ${this.balloonCount} balloon and ${this.spec.kernelReservedPages} kernel pages of ${this.spec.memoryPages} leave nothing to reclaim`,
        );
      }
    }
    return frames.popFree();
  }

  /** Frees up to `target` frames from the inactive tail, refilling the inactive list from the active tail. */
  private reclaim(target: number): void {
    const frames = this.frames;
    const lengths = frames.listLength;
    let freed = 0;
    let scanned = 0;
    const scanLimit = 2 * (lengths[LIST_INACTIVE]! + lengths[LIST_ACTIVE]!) + 64;
    while (freed < target && scanned < scanLimit) {
      while (lengths[LIST_ACTIVE]! > lengths[LIST_INACTIVE]!) {
        const demoted = frames.tail(LIST_ACTIVE);
        frames.clearFlags(demoted, FLAG_REFERENCED);
        frames.moveToHead(LIST_INACTIVE, demoted);
      }
      const frame = frames.tail(LIST_INACTIVE);
      if (frame < 0) break;
      scanned++;
      const flags = frames.flagsOf(frame);
      if ((flags & FLAG_IN_TRANSACTION) !== 0) {
        frames.moveToHead(LIST_INACTIVE, frame);
        continue;
      }
      if ((flags & FLAG_DIRTY) !== 0) this.writePage(frame);
      frames.remove(frame);
      const block = frames.blockOf(frame);
      this.blockFrame[block] = -1;
      this.counters.evictions++;
      this.truth.remove(this.now, frame, block, CacheExit.eviction);
      frames.pushFree(frame);
      freed++;
    }
  }
}

/** A disk seen by one guest: positioning on non-sequential requests plus transfer time. */
export class LocalDisk implements BlockDevice {
  private lastBlockEnd = -1;
  /**
   * @param positioningSeconds seek plus rotation for a request that does not continue the previous one.
   * @param transferBytesPerSecond sustained transfer rate.
   */
  constructor(
    readonly positioningSeconds: number,
    readonly transferBytesPerSecond: number,
  ) {}

  read(_timeSeconds: number, block: number, count: number): number {
    const positioning = block === this.lastBlockEnd ? 0 : this.positioningSeconds;
    this.lastBlockEnd = block + count;
    return positioning + (count * BLOCK_SIZE_BYTES) / this.transferBytesPerSecond;
  }

  write(): void {}
}
