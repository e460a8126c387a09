/**
 * The guest's two audiences, kept apart so that inference can never read the answer:
 *
 * - `VmmEventSink` is what a hypervisor observes of a guest: disk reads and writes with the guest page each one
 *   moves data into or out of (the emulated or paravirtual disk sees the DMA address), page faults or page-table
 *   updates that put a page to anonymous use (shadow or nested paging sees them), and the balloon driver handing
 *   pages over or taking them back. Nothing from the guest's own lists.
 * - `CacheTruthSink` is the guest's real page-cache insertions, evictions and drops, for scoring only.
 *
 * Calls carry numbers only (no event objects) because they happen once per I/O or page fault, millions of times a
 * run.
 */

/** What the hypervisor sees. Times are the guest's clock, seconds. */
export interface VmmEventSink {
  /** The guest read `block` from disk into guest page `page`. */
  diskRead(timeSeconds: number, block: number, page: number): void;
  /** The guest wrote guest page `page` to disk block `block`. */
  diskWrite(timeSeconds: number, block: number, page: number): void;
  /** A page fault or page-table update put `page` to anonymous use (process memory). */
  anonymousUse(timeSeconds: number, page: number): void;
  /** The balloon driver gave `page` to the host. */
  balloonInflate(timeSeconds: number, page: number): void;
  /** The host gave `page` back to the guest's balloon driver (the guest frees it). */
  balloonDeflate(timeSeconds: number, page: number): void;
}

/** Why a page-cache page left the cache. */
export const CacheExit = {
  /** Reclaimed by replacement: a real eviction. */
  eviction: 0,
  /** Freed because its block died (file deleted): not an eviction. */
  drop: 1,
} as const;

/** The guest's real cache contents, recorded apart for scoring. */
export interface CacheTruthSink {
  /** `block` entered the page cache in `page`, by a disk read or (`byRead` false) by a full-block write. */
  insert(timeSeconds: number, page: number, block: number, byRead: boolean): void;
  /** `block` left the page cache from `page`; `exit` is a `CacheExit`. */
  remove(timeSeconds: number, page: number, block: number, exit: number): void;
  /** `page` was put to a new use (file, anonymous or balloon) after being free. */
  reuse(timeSeconds: number, page: number): void;
  /** `block` was freed (its file deleted): an earlier eviction of it no longer matters to anyone. */
  blockFreed(timeSeconds: number, block: number): void;
}

/**
 * Where the guest's disk requests go: a local disk, or a storage server with a cache. Returns the service time of
 * a synchronous read of `count` consecutive blocks from `block` on, seconds.
 */
export interface BlockDevice {
  read(timeSeconds: number, block: number, count: number): number;
  /** A write (asynchronous for the guest: it does not wait). */
  write(timeSeconds: number, block: number, count: number): void;
}

/** A sink that sees nothing (a guest run alone, for the true curve). */
export const NO_VMM_EVENTS: VmmEventSink = {
  diskRead() {},
  diskWrite() {},
  anonymousUse() {},
  balloonInflate() {},
  balloonDeflate() {},
};

/** A truth sink that records nothing. */
export const NO_CACHE_TRUTH: CacheTruthSink = {
  insert() {},
  remove() {},
  reuse() {},
  blockFreed() {},
};
