/**
 * The guest kernel's memory and file I/O, on a tiny guest where every step can be followed by hand: read-ahead
 * windows, mark_page_accessed, reclaim order, the watermarks, anonymous memory taking the cache, deletes, writeback
 * and the journal's write order, and that what the VMM sees never includes the guest's lists.
 */
import { describe, expect, it } from 'vitest';
import { BLOCKS_PER_BITMAP_BLOCK, FileSystem, JOURNAL_COMMIT_BLOCK, JOURNAL_DESCRIPTOR_BLOCK } from '../../../src/model/guest-os/file-system.js';
import { CacheExit, type BlockDevice, type CacheTruthSink, type VmmEventSink } from '../../../src/model/guest-os/guest-events.js';
import { freePageWatermarks, GUEST_OS_DEFAULTS, GuestOs, GuestOutOfMemoryError, LocalDisk, type GuestOsSpec, type JournalMode } from '../../../src/model/guest-os/guest-os.js';

/** Records every event the VMM sees, as strings. */
class RecordingVmm implements VmmEventSink {
  events: string[] = [];
  diskRead(_t: number, block: number, page: number): void {
    this.events.push(`R ${block}→${page}`);
  }
  diskWrite(_t: number, block: number, page: number): void {
    this.events.push(`W ${block}←${page}`);
  }
  anonymousUse(_t: number, page: number): void {
    this.events.push(`A ${page}`);
  }
  balloonInflate(_t: number, page: number): void {
    this.events.push(`B+ ${page}`);
  }
  balloonDeflate(_t: number, page: number): void {
    this.events.push(`B- ${page}`);
  }
}

/** Records the guest's real cache changes. */
class RecordingTruth implements CacheTruthSink {
  inserted: number[] = [];
  evicted: number[] = [];
  dropped: number[] = [];
  freed: number[] = [];
  insert(_t: number, _page: number, block: number): void {
    this.inserted.push(block);
  }
  remove(_t: number, _page: number, block: number, exit: number): void {
    (exit === CacheExit.eviction ? this.evicted : this.dropped).push(block);
  }
  reuse(): void {}
  blockFreed(_t: number, block: number): void {
    this.freed.push(block);
  }
}

const noDisk: BlockDevice = { read: () => 0, write: () => {} };

function guest(memoryPages: number, journalMode: JournalMode = 'none', overrides: Partial<GuestOsSpec> = {}) {
  const vmm = new RecordingVmm();
  const truth = new RecordingTruth();
  const spec: GuestOsSpec = {
    ...GUEST_OS_DEFAULTS,
    memoryPages,
    kernelReservedPages: 8,
    fileSystem: { blockCount: 4096, journalBlocks: journalMode === 'none' ? 0 : 64, inodeCount: 64 },
    journalMode,
    ...overrides,
  };
  const os = new GuestOs(spec, noDisk, vmm, truth);
  return { os, vmm, truth };
}

describe('FileSystem', () => {
  it('lays out bitmaps, inodes and the journal before data, and allocates files contiguously from a rotating goal', () => {
    const fs = new FileSystem({ blockCount: 100_000, journalBlocks: 1024, inodeCount: 100 });
    expect(fs.bitmapBlocks).toBe(Math.ceil(100_000 / BLOCKS_PER_BITMAP_BLOCK)); // 4
    expect(fs.inodeTableStart).toBe(5);
    expect(fs.journalStart).toBe(5 + 4); // 100 inodes / 32 per block
    expect(fs.dataStart).toBe(9 + 1024);
    const a = fs.createFile(10);
    const b = fs.createFile(5);
    expect([...fs.fileBlocks(a)]).toEqual(Array.from({ length: 10 }, (_, i) => fs.dataStart + i));
    expect(fs.blockOf(b, 0)).toBe(fs.dataStart + 10);
    fs.deleteFile(a);
    expect(fs.isAllocated(fs.dataStart)).toBe(false);
    expect(fs.freeBlocks).toBe(100_000 - fs.dataStart - 5);
    // The goal has moved on: the next file does not reuse the freed blocks first.
    expect(fs.blockOf(fs.createFile(3), 0)).toBe(fs.dataStart + 15);
  });

  it("records each journal block's home (descriptor and commit blocks marked as such)", () => {
    const fs = new FileSystem({ blockCount: 1000, journalBlocks: 3, inodeCount: 32 });
    const d = fs.nextJournalBlock(JOURNAL_DESCRIPTOR_BLOCK);
    const copy = fs.nextJournalBlock(1);
    const c = fs.nextJournalBlock(JOURNAL_COMMIT_BLOCK);
    expect([fs.journalHome(d), fs.journalHome(copy), fs.journalHome(c)]).toEqual([JOURNAL_DESCRIPTOR_BLOCK, 1, JOURNAL_COMMIT_BLOCK]);
    expect(fs.nextJournalBlock(2)).toBe(d); // circular
    expect(fs.isJournalBlock(d) && !fs.isJournalBlock(fs.dataStart)).toBe(true);
  });
});

describe('GuestOs', () => {
  it('computes Linux 2.6 watermarks: min = √(16 × KiB) clamped to [128, 65536] KiB, low = 5/4 min, high = 3/2 min', () => {
    // 1 GiB: √(16 × 1 048 576) = 4096 KiB = 1024 pages.
    expect(freePageWatermarks(262_144)).toEqual({ minPages: 1024, lowPages: 1280, highPages: 1536 });
    // Tiny guests hit the 128 KiB floor (32 pages).
    expect(freePageWatermarks(100).minPages).toBe(32);
  });

  it('reads a window of 4 at a file start, doubles it on sequential reads, and reads one page on a random miss', () => {
    const { os, vmm } = guest(256);
    const file = os.fs.createFile(64);
    expect(os.read(file, 0)).toBe(false);
    expect(os.counters.diskReadBlocks).toBe(4);
    expect(os.read(file, 1)).toBe(true); // the mark: starts an 8-page asynchronous window at index 4
    expect(os.counters.diskReadBlocks).toBe(12);
    for (let i = 2; i < 12; i++) expect(os.read(file, i)).toBe(true);
    expect(os.read(file, 40)).toBe(false); // random: one page
    expect(vmm.events.filter((e) => e.startsWith('R')).length).toBe(os.counters.diskReadBlocks);
    expect(os.counters.readaheadPages).toBeGreaterThan(0);
  });

  it('activates a page on its second access, so a later used-once scan evicts the scan and keeps the hot page', () => {
    const { os, truth } = guest(128);
    const hot = os.fs.createFile(1);
    const scan = os.fs.createFile(400);
    os.read(hot, 0);
    os.read(hot, 0); // second access: active list
    const hotBlock = os.fs.blockOf(hot, 0);
    for (let i = 0; i < 400; i += 1) os.read(scan, i);
    expect(truth.evicted.length).toBeGreaterThan(200);
    expect(truth.evicted).not.toContain(hotBlock);
    expect(os.frameOf(hotBlock)).toBeGreaterThanOrEqual(0);
  });

  it('grows anonymous memory by reclaiming the page cache (a unified cache), and says so when nothing is left', () => {
    const { os, vmm, truth } = guest(128);
    const file = os.fs.createFile(100);
    for (let i = 0; i < 100; i++) os.read(file, i);
    const cached = os.cachePages;
    os.allocateAnonymous(60);
    expect(os.anonymousPages).toBe(60);
    expect(os.cachePages).toBeLessThan(cached);
    expect(truth.evicted.length).toBeGreaterThan(0);
    expect(vmm.events.filter((e) => e.startsWith('A'))).toHaveLength(60);
    expect(() => os.allocateAnonymous(200)).toThrow(GuestOutOfMemoryError);
  });

  it('drops a deleted file\'s pages (not evictions), frees its blocks and dirties the bitmap and inode blocks', () => {
    const { os, truth } = guest(256);
    const file = os.createFile(8);
    const blocks = [...os.fs.fileBlocks(file)];
    os.deleteFile(file);
    expect(truth.dropped.sort()).toEqual(blocks.sort());
    expect(truth.freed.sort()).toEqual(blocks.sort());
    expect(truth.evicted).toEqual([]);
    expect(blocks.every((b) => !os.fs.isAllocated(b))).toBe(true);
  });

  it('writes a dirty page once it has been dirty 30 s, checked every 5 s (ext2: no journal)', () => {
    const { os, vmm } = guest(256);
    const file = os.fs.createFile(4);
    os.write(file, 2);
    const block = os.fs.blockOf(file, 2);
    os.advance(29);
    expect(vmm.events.some((e) => e.startsWith(`W ${block}`))).toBe(false);
    os.advance(1.5); // 30.5 s: the writeback at 30 s is due
    expect(vmm.events.some((e) => e.startsWith(`W ${block}`))).toBe(true);
  });

  it('commits ordered-mode transactions as: new data home, descriptor, metadata copies, commit block; then checkpoints', () => {
    const { os, vmm } = guest(512, 'ordered');
    const file = os.createFile(2);
    const data = [...os.fs.fileBlocks(file)];
    vmm.events = [];
    os.advance(5); // the 5 s commit
    const writes = vmm.events.filter((e) => e.startsWith('W')).map((e) => Number(e.split(' ')[1]!.split('←')[0]));
    expect(writes.slice(0, 2).sort()).toEqual(data.sort());
    const journal = writes.slice(2);
    expect(journal.every((b) => os.fs.isJournalBlock(b))).toBe(true);
    expect(os.fs.journalHome(journal[0]!)).toBe(JOURNAL_DESCRIPTOR_BLOCK);
    expect(os.fs.journalHome(journal[journal.length - 1]!)).toBe(JOURNAL_COMMIT_BLOCK);
    const homes = journal.slice(1, -1).map((b) => os.fs.journalHome(b));
    expect(homes).toContain(os.fs.inodeBlockOf(file));
    expect(homes).toContain(os.fs.bitmapBlockOf(data[0]!));
    // The metadata pages stay dirty and reach their home blocks 30 s after the commit.
    vmm.events = [];
    os.advance(31);
    expect(vmm.events).toContain(`W ${os.fs.inodeBlockOf(file)}←${os.frameOf(os.fs.inodeBlockOf(file))}`);
  });

  it('rejects a journal mode that does not match the file system', () => {
    const vmm = new RecordingVmm();
    const spec: GuestOsSpec = { ...GUEST_OS_DEFAULTS, memoryPages: 128, kernelReservedPages: 8, fileSystem: { blockCount: 4096, journalBlocks: 0, inodeCount: 16 }, journalMode: 'ordered' };
    expect(() => new GuestOs(spec, noDisk, vmm, new RecordingTruth())).toThrow(/needs a journal/);
  });

  it('inflates the balloon by reclaiming and charges the measured per-page costs', () => {
    const { os, vmm } = guest(256);
    const seconds = os.setBalloon(50);
    expect(os.balloonPages).toBe(50);
    expect(os.availablePages).toBe(206);
    expect(seconds).toBeCloseTo(50 * 6.7e-6, 12);
    expect(vmm.events.filter((e) => e.startsWith('B+'))).toHaveLength(50);
    expect(os.setBalloon(10)).toBeCloseTo(40 * 2.6e-6, 12);
  });

  it('charges a synchronous read its disk service time (positioning only for a request that does not continue the last)', () => {
    const disk = new LocalDisk(0.01, 4096 * 1000);
    expect(disk.read(0, 100, 4)).toBeCloseTo(0.01 + 0.004, 12);
    expect(disk.read(0, 104, 1)).toBeCloseTo(0.001, 12);
    const vmm = new RecordingVmm();
    const os = new GuestOs({ ...GUEST_OS_DEFAULTS, memoryPages: 128, kernelReservedPages: 8, fileSystem: { blockCount: 4096, journalBlocks: 0, inodeCount: 16 }, journalMode: 'none' }, new LocalDisk(0.01, 4096 * 1000), vmm, new RecordingTruth());
    const file = os.fs.createFile(8);
    os.read(file, 3); // one random page
    expect(os.now).toBeCloseTo(0.011, 12);
  });
});
