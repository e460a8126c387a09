/**
 * The guest's physical page frames: what each frame is used for, the block a page-cache frame holds, the
 * reclaim flags, and the lists replacement works on — Linux 2.6's inactive and active lists of page-cache pages
 * and a free list.
 *
 * Everything is in one typed array, four 32-bit words per frame — next, previous, block, state (flags, list, use) —
 * indexed by frame number. A 4 GiB guest has 1 Mi frames: an object per frame would cost more memory than the model
 * and make every list move a pointer chase, and separate arrays per field would cost a cache miss per field on a
 * random page (the page cache's accesses are random by nature); interleaved, a frame is one cache line. The lists
 * are intrusive doubly linked lists, so moving a page is O(1) with no allocation. The free list is a stack: Linux's
 * per-CPU page lists hand out the most recently freed (cache-hot) page first.
 */

/** What a frame is used for. */
export const FrameUse = {
  free: 0,
  /** Page cache: holds a disk block (file data or file-system metadata). */
  file: 1,
  /** Anonymous process memory (no swap device: never reclaimed). */
  anonymous: 2,
  /** Given to the host by the balloon driver. */
  balloon: 3,
  /** Kernel memory (reserved frames, and the journal's descriptor buffer). */
  kernel: 4,
} as const;

/** Lists a page-cache frame can be on. */
export const LIST_NONE = 0;
export const LIST_INACTIVE = 1;
export const LIST_ACTIVE = 2;

/** Frame flags (bits of `flags`). */
export const FLAG_REFERENCED = 1;
export const FLAG_DIRTY = 2;
/** Dirty data of a block allocated in the running journal transaction (ordered mode writes it before commit). */
export const FLAG_NEW_DATA = 4;
/** Dirty metadata logged in the running transaction. */
export const FLAG_IN_TRANSACTION = 8;
/** First page of the last read-ahead window: reaching it starts the next window (Linux's PG_readahead). */
export const FLAG_READAHEAD_MARK = 16;
/** The page holds a file-system metadata block (bitmap, inode table), journaled in ordered mode. */
export const FLAG_METADATA = 32;

export class PageFrames {
  readonly frameCount: number;
  /** Four words per frame: NEXT, PREVIOUS, BLOCK, STATE (flags in bits 0–7, list in 8–9, use in 12–14, watched 16). */
  private readonly data: Int32Array;
  /** Head (most recent) and tail (oldest) of each list, indexed by list id. */
  private readonly heads = new Int32Array(3).fill(-1);
  private readonly tails = new Int32Array(3).fill(-1);
  readonly listLength = new Int32Array(3);
  private readonly freeStack: Int32Array;
  private freeTop = 0;

  constructor(frameCount: number) {
    if (!(Number.isInteger(frameCount) && frameCount > 0)) throw new RangeError(`PageFrames: frameCount must be a positive integer, got ${frameCount}`);
    this.frameCount = frameCount;
    this.data = new Int32Array(frameCount * 4);
    for (let frame = 0; frame < frameCount; frame++) {
      this.data[frame * 4 + NEXT] = -1;
      this.data[frame * 4 + PREVIOUS] = -1;
      this.data[frame * 4 + BLOCK] = -1;
    }
    this.freeStack = new Int32Array(frameCount);
    // Low frames are handed out first, as a freshly booted guest's allocator would.
    for (let frame = frameCount - 1; frame >= 0; frame--) this.freeStack[this.freeTop++] = frame;
  }

  get freeCount(): number {
    return this.freeTop;
  }

  flagsOf(frame: number): number {
    return this.data[frame * 4 + STATE]! & 0xff;
  }

  setFlags(frame: number, flags: number): void {
    const i = frame * 4 + STATE;
    this.data[i] = (this.data[i]! & ~0xff) | flags;
  }

  addFlags(frame: number, flags: number): void {
    this.data[frame * 4 + STATE]! |= flags;
  }

  clearFlags(frame: number, flags: number): void {
    this.data[frame * 4 + STATE]! &= ~flags;
  }

  listOf(frame: number): number {
    return (this.data[frame * 4 + STATE]! >>> 8) & 3;
  }

  useOf(frame: number): number {
    return (this.data[frame * 4 + STATE]! >>> 12) & 7;
  }

  setUse(frame: number, use: number): void {
    const i = frame * 4 + STATE;
    this.data[i] = (this.data[i]! & ~(7 << 12)) | (use << 12);
  }

  /** The block a page-cache frame holds, −1 otherwise. */
  blockOf(frame: number): number {
    return this.data[frame * 4 + BLOCK]!;
  }

  setBlock(frame: number, block: number): void {
    this.data[frame * 4 + BLOCK] = block;
  }

  /** Takes the most recently freed frame; −1 if none. The caller sets its use. */
  popFree(): number {
    return this.freeTop === 0 ? -1 : this.freeStack[--this.freeTop]!;
  }

  /** Whether an access to the frame is watched (a sampling estimator invalidated its mapping). */
  isWatched(frame: number): boolean {
    return (this.data[frame * 4 + STATE]! & WATCHED) !== 0;
  }

  setWatched(frame: number, watched: boolean): void {
    const i = frame * 4 + STATE;
    this.data[i] = watched ? this.data[i]! | WATCHED : this.data[i]! & ~WATCHED;
  }

  /** Frees a frame (it must be off every list): use free, no flags, no block; a watch stays. */
  pushFree(frame: number): void {
    this.data[frame * 4 + STATE] &= WATCHED;
    this.data[frame * 4 + BLOCK] = -1;
    this.freeStack[this.freeTop++] = frame;
  }

  tail(listId: number): number {
    return this.tails[listId]!;
  }

  /** Puts a frame (on no list) at the head (most recent end) of a list. */
  addHead(listId: number, frame: number): void {
    const data = this.data;
    const head = this.heads[listId]!;
    data[frame * 4 + NEXT] = head;
    data[frame * 4 + PREVIOUS] = -1;
    if (head >= 0) data[head * 4 + PREVIOUS] = frame;
    else this.tails[listId] = frame;
    this.heads[listId] = frame;
    const i = frame * 4 + STATE;
    data[i] = (data[i]! & ~(3 << 8)) | (listId << 8);
    this.listLength[listId]!++;
  }

  /** Takes a frame off its list. */
  remove(frame: number): void {
    const data = this.data;
    const state = frame * 4 + STATE;
    const listId = (data[state]! >>> 8) & 3;
    if (listId === LIST_NONE) return;
    const next = data[frame * 4 + NEXT]!;
    const previous = data[frame * 4 + PREVIOUS]!;
    if (previous >= 0) data[previous * 4 + NEXT] = next;
    else this.heads[listId] = next;
    if (next >= 0) data[next * 4 + PREVIOUS] = previous;
    else this.tails[listId] = previous;
    data[frame * 4 + NEXT] = -1;
    data[frame * 4 + PREVIOUS] = -1;
    data[state] = data[state]! & ~(3 << 8);
    this.listLength[listId]!--;
  }

  /** Moves a frame to the head of a list (the same list or another). */
  moveToHead(listId: number, frame: number): void {
    this.remove(frame);
    this.addHead(listId, frame);
  }
}

const NEXT = 0;
const PREVIOUS = 1;
const BLOCK = 2;
const STATE = 3;
/** STATE bit: the hypervisor watches accesses to this frame (kept in the frame's own word: no extra memory access). */
const WATCHED = 1 << 16;
