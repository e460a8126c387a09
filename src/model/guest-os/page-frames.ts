/**
 * The guest's physical page frames: what each frame is used for, the block a page-cache frame holds, the
 * reclaim flags, and the lists replacement works on — Linux 2.6's inactive and active lists of page-cache pages
 * and a free list.
 *
 * Everything is in typed arrays indexed by frame number (a 4 GiB guest has 1 Mi frames: an object per frame would
 * cost more memory than the model and make every list move a pointer chase). The lists are intrusive doubly
 * linked lists over `next`/`previous` arrays, so moving a page is O(1) with no allocation. The free list is a
 * stack: Linux's per-CPU page lists hand out the most recently freed (cache-hot) page first.
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

export class PageFrames {
  readonly frameCount: number;
  readonly use: Uint8Array;
  readonly flags: Uint8Array;
  /** The block a page-cache frame holds, −1 otherwise. */
  readonly block: Int32Array;
  /** The inode whose data the frame holds (−1 for metadata blocks and non-cache frames). */
  readonly inode: Int32Array;
  /** Index of the block within its file (read-ahead needs it). */
  readonly fileIndex: Int32Array;
  readonly list: Uint8Array;
  private readonly next: Int32Array;
  private readonly previous: Int32Array;
  /** Head (most recent) and tail (oldest) of each list, indexed by list id. */
  private readonly heads = new Int32Array(3).fill(-1);
  private readonly tails = new Int32Array(3).fill(-1);
  readonly listLength = new Int32Array(3);
  private readonly freeStack: Int32Array;
  private freeTop = 0;

  constructor(frameCount: number) {
    if (!(Number.isInteger(frameCount) && frameCount > 0)) throw new RangeError(`PageFrames: frameCount must be a positive integer, got ${frameCount}`);
    this.frameCount = frameCount;
    this.use = new Uint8Array(frameCount);
    this.flags = new Uint8Array(frameCount);
    this.block = new Int32Array(frameCount).fill(-1);
    this.inode = new Int32Array(frameCount).fill(-1);
    this.fileIndex = new Int32Array(frameCount).fill(-1);
    this.list = new Uint8Array(frameCount);
    this.next = new Int32Array(frameCount).fill(-1);
    this.previous = new Int32Array(frameCount).fill(-1);
    this.freeStack = new Int32Array(frameCount);
    // Low frames are handed out first, as a freshly booted guest's allocator would.
    for (let frame = frameCount - 1; frame >= 0; frame--) this.freeStack[this.freeTop++] = frame;
  }

  get freeCount(): number {
    return this.freeTop;
  }

  /** Takes the most recently freed frame; −1 if none. The caller sets its use. */
  popFree(): number {
    return this.freeTop === 0 ? -1 : this.freeStack[--this.freeTop]!;
  }

  /** Frees a frame (it must be off every list). */
  pushFree(frame: number): void {
    this.use[frame] = FrameUse.free;
    this.flags[frame] = 0;
    this.block[frame] = -1;
    this.inode[frame] = -1;
    this.fileIndex[frame] = -1;
    this.freeStack[this.freeTop++] = frame;
  }

  /** Takes a specific frame off the free stack (O(free frames); only for reserving frames at boot). */
  reserve(frame: number): void {
    for (let i = this.freeTop - 1; i >= 0; i--) {
      if (this.freeStack[i] === frame) {
        this.freeStack[i] = this.freeStack[--this.freeTop]!;
        return;
      }
    }
    throw new RangeError(`PageFrames.reserve: frame ${frame} is not free`);
  }

  head(listId: number): number {
    return this.heads[listId]!;
  }

  tail(listId: number): number {
    return this.tails[listId]!;
  }

  /** Puts a frame at the head (most recent end) of a list. */
  addHead(listId: number, frame: number): void {
    const head = this.heads[listId]!;
    this.next[frame] = head;
    this.previous[frame] = -1;
    if (head >= 0) this.previous[head] = frame;
    else this.tails[listId] = frame;
    this.heads[listId] = frame;
    this.list[frame] = listId;
    this.listLength[listId]!++;
  }

  /** Takes a frame off its list. */
  remove(frame: number): void {
    const listId = this.list[frame]!;
    if (listId === LIST_NONE) return;
    const next = this.next[frame]!;
    const previous = this.previous[frame]!;
    if (previous >= 0) this.next[previous] = next;
    else this.heads[listId] = next;
    if (next >= 0) this.previous[next] = previous;
    else this.tails[listId] = previous;
    this.next[frame] = -1;
    this.previous[frame] = -1;
    this.list[frame] = LIST_NONE;
    this.listLength[listId]!--;
  }

  /** Moves a frame to the head of a list (the same list or another). */
  moveToHead(listId: number, frame: number): void {
    this.remove(frame);
    this.addHead(listId, frame);
  }
}
