/**
 * A guest file system on a block device, laid out like ext3: a superblock, block bitmaps, an inode table, a
 * journal, then data blocks. Files own lists of data blocks; a delete frees them (block liveness); the journal
 * is a circular region whose descriptor blocks name the home location of every block written into it.
 *
 * Layout facts follow ext2/ext3 (Card, Ts'o and Tweedie, "Design and Implementation of the Second Extended
 * Filesystem", 1994; the ext3 journal: Tweedie, "Journaling the Linux ext2fs Filesystem", LinuxExpo 1998):
 * one bitmap block covers 8 × block size blocks (32 768 blocks for 4 KiB blocks), inodes are 128 bytes (32 per
 * 4 KiB block). Block groups are not modelled: the bitmap blocks sit together at the front. Allocation takes the
 * first free blocks from a rotating goal, so files written once are contiguous and a churned disk fragments, as
 * ext2's goal-directed allocator does.
 *
 * The file system is the guest's: the hypervisor sees none of it but what is written to disk. `OnDiskLayout` is
 * the gray-box part a VMM may know (where the journal and the bitmaps are, read from the superblock) and read
 * (the content of a bitmap or journal-descriptor block being written).
 */

/** Blocks and pages are 4 KiB throughout. */
export const BLOCK_SIZE_BYTES = 4096;
/** Blocks covered by one bitmap block: one bit per block (8 × 4096). */
export const BLOCKS_PER_BITMAP_BLOCK = 8 * BLOCK_SIZE_BYTES;
/** Inodes per inode-table block: 128-byte inodes (ext2/ext3's default). */
export const INODES_PER_BLOCK = BLOCK_SIZE_BYTES / 128;

/** `journalHome` of a journal descriptor block (JBD's block type 1). */
export const JOURNAL_DESCRIPTOR_BLOCK = -1;
/** `journalHome` of a journal commit block (JBD's block type 2): the transaction before it is on disk. */
export const JOURNAL_COMMIT_BLOCK = -2;

/** Sizes of a file system. */
export interface FileSystemSpec {
  /** Blocks on the device (4 KiB each). */
  readonly blockCount: number;
  /** Journal blocks; 0 for no journal (ext2). */
  readonly journalBlocks: number;
  /** Inodes (the most files that can exist at once). */
  readonly inodeCount: number;
}

/** What a VMM can learn of the file system from the disk: the layout in the superblock and the blocks written. */
export interface OnDiskLayout {
  readonly blockCount: number;
  /** Whether the file system has a journal (the superblock says). */
  readonly hasJournal: boolean;
  /** Whether a block lies in the journal region. */
  isJournalBlock(block: number): boolean;
  /**
   * The home block a journal block holds a copy of, as its descriptor block says; `JOURNAL_DESCRIPTOR_BLOCK` or
   * `JOURNAL_COMMIT_BLOCK` for those (JBD marks each journal block's type in its header).
   */
  journalHome(journalBlock: number): number;
  /** Whether a block is a block-bitmap block. */
  isBitmapBlock(block: number): boolean;
  /** The first block a bitmap block covers. */
  firstBlockCoveredBy(bitmapBlock: number): number;
  /**
   * Word `index` (blocks 32·index … 32·index + 31, bit set = allocated) of the bitmap's content. The VMM calls it
   * while a bitmap block is being written, when the written content and the guest's bitmap are the same.
   */
  bitmapWord(index: number): number;
}

export class FileSystem implements OnDiskLayout {
  readonly blockCount: number;
  readonly inodeCount: number;
  readonly bitmapStart = 1;
  readonly bitmapBlocks: number;
  readonly inodeTableStart: number;
  readonly inodeTableBlocks: number;
  readonly journalStart: number;
  readonly journalBlocks: number;
  readonly dataStart: number;
  readonly hasJournal: boolean;
  /** Allocation bitmap: bit set = block allocated (metadata blocks are always allocated). */
  private readonly allocated: Uint32Array;
  private freeDataBlocks: number;
  /** Rotating allocation goal (next data block to try). */
  private goal: number;
  /** Blocks of each inode's file; null when the inode is free. */
  private readonly files: (Int32Array | null)[];
  /** First block of each file whose blocks are contiguous, −1 otherwise (saves a lookup per access). */
  private readonly contiguousStart: Int32Array;
  private readonly freeInodes: Int32Array;
  private freeInodeCount: number;
  /** For each journal block, the home block its descriptor names (−1: descriptor or commit block, or never written). */
  private readonly journalHomes: Int32Array;
  private journalHead = 0;

  constructor(spec: FileSystemSpec) {
    const { blockCount, journalBlocks, inodeCount } = spec;
    if (!(Number.isInteger(blockCount) && blockCount > 0)) throw new RangeError(`FileSystem: blockCount must be a positive integer, got ${blockCount}`);
    if (!(Number.isInteger(inodeCount) && inodeCount > 0)) throw new RangeError(`FileSystem: inodeCount must be a positive integer, got ${inodeCount}`);
    if (!(Number.isInteger(journalBlocks) && journalBlocks >= 0)) throw new RangeError(`FileSystem: journalBlocks must be a non-negative integer, got ${journalBlocks}`);
    this.blockCount = blockCount;
    this.inodeCount = inodeCount;
    this.bitmapBlocks = Math.ceil(blockCount / BLOCKS_PER_BITMAP_BLOCK);
    this.inodeTableStart = this.bitmapStart + this.bitmapBlocks;
    this.inodeTableBlocks = Math.ceil(inodeCount / INODES_PER_BLOCK);
    this.journalStart = this.inodeTableStart + this.inodeTableBlocks;
    this.journalBlocks = journalBlocks;
    this.hasJournal = journalBlocks > 0;
    this.dataStart = this.journalStart + journalBlocks;
    if (this.dataStart >= blockCount) {
      throw new RangeError(`FileSystem: ${blockCount} blocks leave no room for data after ${this.dataStart} metadata and journal blocks`);
    }
    this.allocated = new Uint32Array(Math.ceil(blockCount / 32));
    for (let block = 0; block < this.dataStart; block++) this.allocated[block >>> 5]! |= 1 << (block & 31);
    this.freeDataBlocks = blockCount - this.dataStart;
    this.goal = this.dataStart;
    this.files = new Array<Int32Array | null>(inodeCount).fill(null);
    this.contiguousStart = new Int32Array(inodeCount).fill(-1);
    this.freeInodes = new Int32Array(inodeCount);
    for (let i = 0; i < inodeCount; i++) this.freeInodes[i] = inodeCount - 1 - i;
    this.freeInodeCount = inodeCount;
    this.journalHomes = new Int32Array(Math.max(1, journalBlocks)).fill(-1);
  }

  /** Data blocks still free. */
  get freeBlocks(): number {
    return this.freeDataBlocks;
  }

  isAllocated(block: number): boolean {
    return ((this.allocated[block >>> 5]! >>> (block & 31)) & 1) === 1;
  }

  /**
   * Creates a file of `sizeBlocks` blocks: takes an inode and the first free blocks from the goal on.
   * Returns the inode, or −1 when inodes or blocks run out (the caller decides what that means).
   */
  createFile(sizeBlocks: number): number {
    if (!(Number.isInteger(sizeBlocks) && sizeBlocks >= 1)) throw new RangeError(`FileSystem.createFile: sizeBlocks must be a positive integer, got ${sizeBlocks}`);
    if (this.freeInodeCount === 0 || this.freeDataBlocks < sizeBlocks) return -1;
    const inode = this.freeInodes[--this.freeInodeCount]!;
    const blocks = new Int32Array(sizeBlocks);
    let block = this.goal;
    for (let taken = 0; taken < sizeBlocks; ) {
      if (!this.isAllocated(block)) {
        this.allocated[block >>> 5]! |= 1 << (block & 31);
        blocks[taken++] = block;
      }
      block++;
      if (block === this.blockCount) block = this.dataStart;
    }
    this.goal = block;
    this.freeDataBlocks -= sizeBlocks;
    this.files[inode] = blocks;
    this.contiguousStart[inode] = blocks[sizeBlocks - 1]! - blocks[0]! === sizeBlocks - 1 ? blocks[0]! : -1;
    return inode;
  }

  /** Deletes a file: frees its inode and blocks. Returns the blocks it had (now free). */
  deleteFile(inode: number): Int32Array {
    const blocks = this.files[inode];
    if (!blocks) throw new RangeError(`FileSystem.deleteFile: inode ${inode} has no file`);
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!;
      this.allocated[block >>> 5]! &= ~(1 << (block & 31));
    }
    this.freeDataBlocks += blocks.length;
    this.files[inode] = null;
    this.contiguousStart[inode] = -1;
    this.freeInodes[this.freeInodeCount++] = inode;
    return blocks;
  }

  /** Block `index` of a file (no bounds check: the caller's index is within the file). */
  blockOf(inode: number, index: number): number {
    const start = this.contiguousStart[inode]!;
    return start >= 0 ? start + index : this.files[inode]![index]!;
  }

  /** The blocks of a file (do not modify). */
  fileBlocks(inode: number): Int32Array {
    const blocks = this.files[inode];
    if (!blocks) throw new RangeError(`FileSystem.fileBlocks: inode ${inode} has no file`);
    return blocks;
  }

  /** The inode-table block holding an inode. */
  inodeBlockOf(inode: number): number {
    return this.inodeTableStart + Math.floor(inode / INODES_PER_BLOCK);
  }

  /** The bitmap block covering a block. */
  bitmapBlockOf(block: number): number {
    return this.bitmapStart + Math.floor(block / BLOCKS_PER_BITMAP_BLOCK);
  }

  /**
   * Takes the next journal block for a copy of `homeBlock` (or a descriptor or commit block) and records the
   * home in the journal's descriptor. The journal is circular; checkpointing always keeps up (an assumption: a
   * real ext3 forces a checkpoint when the journal fills).
   */
  nextJournalBlock(homeBlock: number): number {
    const index = this.journalHead;
    this.journalHead = index + 1 === this.journalBlocks ? 0 : index + 1;
    this.journalHomes[index] = homeBlock;
    return this.journalStart + index;
  }

  // --- OnDiskLayout -----------------------------------------------------------------------------------------

  isJournalBlock(block: number): boolean {
    return block >= this.journalStart && block < this.dataStart;
  }

  journalHome(journalBlock: number): number {
    return this.journalHomes[journalBlock - this.journalStart]!;
  }

  isBitmapBlock(block: number): boolean {
    return block >= this.bitmapStart && block < this.inodeTableStart;
  }

  firstBlockCoveredBy(bitmapBlock: number): number {
    return (bitmapBlock - this.bitmapStart) * BLOCKS_PER_BITMAP_BLOCK;
  }

  bitmapWord(index: number): number {
    return this.allocated[index]!;
  }
}
