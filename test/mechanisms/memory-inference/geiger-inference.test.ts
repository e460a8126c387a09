/**
 * Geiger's rules driven by hand-written VMM event sequences on a real file-system layout: reuse by read, write
 * and anonymous use; journal writes; block liveness with held reports and with immediate reports; the scorer's
 * counts for each case.
 */
import { describe, expect, it } from 'vitest';
import { FileSystem, JOURNAL_COMMIT_BLOCK, JOURNAL_DESCRIPTOR_BLOCK } from '../../../src/model/guest-os/file-system.js';
import { CacheExit } from '../../../src/model/guest-os/guest-events.js';
import { GeigerInference, GEIGER_FULL, type GeigerOptions, type InferenceListener } from '../../../src/mechanisms/memory-inference/geiger-inference.js';
import { InferenceScore } from '../../../src/mechanisms/memory-inference/inference-score.js';

/** A listener recording into arrays. */
function recorder() {
  const seen = { inferred: [] as string[], reported: [] as string[], cancelled: [] as string[] };
  const l: InferenceListener = {
    inferred: (_t, page, block) => void seen.inferred.push(`${block}@${page}`),
    eviction: (_t, page, block) => void seen.reported.push(`${block}@${page}`),
    cancelled: (_t, block, reported) => void seen.cancelled.push(`${block}${reported ? ' reported' : ' held'}`),
    insertion: () => {},
  };
  return { seen, l };
}

function setup(options: Partial<GeigerOptions> = {}) {
  const fs = new FileSystem({ blockCount: 70_000, journalBlocks: 16, inodeCount: 32 });
  const file = fs.createFile(100);
  const blocks = [...fs.fileBlocks(file)];
  const geiger = new GeigerInference(fs, 64, { ...GEIGER_FULL, ...options });
  const { seen, l } = recorder();
  geiger.addListener(l);
  return { fs, file, blocks, geiger, seen };
}

describe('GeigerInference', () => {
  it('infers an eviction when a page with an ADL is read into again, written from another block, or used anonymously', () => {
    const { blocks: [a, b, c, d], geiger, seen } = setup({ report: 'immediate' });
    geiger.diskRead(0, a!, 1);
    geiger.diskRead(1, b!, 1); // page 1 reused by a read
    geiger.diskWrite(2, b!, 1); // writeback of the same block: nothing
    geiger.diskWrite(3, c!, 1); // page 1 now written from another block
    geiger.diskRead(4, d!, 2);
    geiger.anonymousUse(5, 2); // unified cache: anonymous reuse
    expect(seen.reported).toEqual([`${a}@1`, `${b}@1`, `${d}@2`]);
    expect(geiger.associatedBlock(2)).toBe(-1);
  });

  it('a read of a block into a new page reveals that it had left its old one; a re-read into the same page too', () => {
    const { blocks: [a], geiger, seen } = setup({ report: 'immediate' });
    geiger.diskRead(0, a!, 3);
    geiger.diskRead(1, a!, 4); // a is read again, elsewhere: it was evicted from page 3
    geiger.diskRead(2, a!, 4); // and again into page 4: evicted from page 4 in between
    expect(seen.reported).toEqual([`${a}@3`, `${a}@4`]);
  });

  it('without unified handling anonymous use is invisible: the eviction is found only when the block comes back', () => {
    const { blocks: [a], geiger, seen } = setup({ report: 'immediate', unified: false });
    geiger.diskRead(0, a!, 1);
    geiger.anonymousUse(1, 1);
    expect(seen.reported).toEqual([]);
    geiger.diskRead(9, a!, 5);
    expect(seen.reported).toEqual([`${a}@1`]);
  });

  it('journal writes leave ADLs alone with journal handling, and look like evictions without it', () => {
    const aware = setup({ report: 'immediate' });
    const unaware = setup({ report: 'immediate', journal: false, liveness: false });
    for (const { fs, geiger } of [aware, unaware]) {
      const inode = fs.inodeBlockOf(0);
      geiger.diskRead(0, inode, 7);
      const copy = fs.nextJournalBlock(inode);
      geiger.diskWrite(5, copy, 7); // the journal copy of the inode block, from its page
      geiger.diskWrite(35, inode, 7); // the checkpoint to its home
    }
    expect(aware.seen.reported).toEqual([]);
    // Unaware: the copy "evicts" the inode block, the checkpoint "evicts" the journal block.
    expect(unaware.seen.reported).toHaveLength(2);
  });

  it('holds an eviction until a commit shows its block still allocated, and drops it when the bitmap shows it freed', () => {
    const { fs, file, blocks: [a, b, c], geiger, seen } = setup();
    geiger.diskRead(0, a!, 1);
    geiger.diskRead(0, b!, 2);
    geiger.diskRead(1, c!, 1); // a inferred evicted from page 1: held
    expect(seen.inferred).toEqual([`${a}@1`]);
    expect(seen.reported).toEqual([]);
    // The file is deleted; the bitmap's journal copy reaches the disk at the next commit.
    fs.deleteFile(file);
    const bitmap = fs.bitmapBlockOf(a!);
    geiger.diskWrite(5, fs.nextJournalBlock(JOURNAL_DESCRIPTOR_BLOCK), 0);
    geiger.diskWrite(5, fs.nextJournalBlock(bitmap), 9);
    geiger.diskWrite(5, fs.nextJournalBlock(JOURNAL_COMMIT_BLOCK), 0);
    expect(seen.reported).toEqual([]);
    expect(seen.cancelled).toEqual([`${a} held`]);
    // Page 2 held b, now dead: the association is dropped, so the page's reuse is not an eviction.
    expect(geiger.associatedBlock(2)).toBe(-1);
    geiger.diskRead(6, fs.dataStart + 500, 2);
    expect(seen.inferred).toEqual([`${a}@1`]);
  });

  it('a block the guest writes is live even before the bitmap says so: its eviction is found', () => {
    const { fs, geiger, seen } = setup();
    const late = fs.createFile(1); // allocated after the VMM read the bitmap; no bitmap write seen since
    const block = fs.blockOf(late, 0);
    geiger.diskWrite(1, block, 4);
    geiger.diskRead(2, fs.dataStart + 700, 4);
    expect(seen.inferred).toEqual([`${block}@4`]);
    expect(geiger.counters.deadBlockReuses).toBe(0);
  });

  it('reports a held eviction at the next commit block when the block is still live, or after confirmAfterSeconds', () => {
    const { fs, blocks: [a, b, c, d], geiger, seen } = setup();
    geiger.diskRead(0, a!, 1);
    geiger.diskRead(1, b!, 1);
    geiger.diskWrite(5, fs.nextJournalBlock(JOURNAL_COMMIT_BLOCK), 0);
    expect(seen.reported).toEqual([`${a}@1`]);
    geiger.diskRead(6, c!, 1); // b held
    geiger.diskRead(11.5, d!, 2); // 5.5 s later: not yet
    expect(seen.reported).toEqual([`${a}@1`]);
    geiger.diskRead(12.5, fs.dataStart + 900, 3); // 6.5 s later: confirmed by time
    expect(seen.reported).toEqual([`${a}@1`, `${b}@1`]);
  });

  it('immediate reporting withdraws an eviction whose block is freed after the bitmap block was last seen', () => {
    const { fs, file, blocks: [a, b], geiger, seen } = setup({ report: 'immediate' });
    geiger.diskWrite(1, fs.bitmapBlockOf(a!), 9); // the bitmap as it was: a live
    geiger.diskRead(2, a!, 1);
    geiger.diskRead(3, b!, 1); // a reported evicted at 3
    fs.deleteFile(file);
    geiger.diskWrite(4, fs.bitmapBlockOf(a!), 9);
    expect(seen.cancelled).toEqual([`${a} reported`]);
  });
});

describe('InferenceScore', () => {
  it('counts true and false positives, misses, undetectable evictions and evictions of freed blocks', () => {
    const score = new InferenceScore(8, 100);
    // Block 10 evicted from page 1, page reused, reported: a true positive with its delay.
    score.remove(1, 1, 10, CacheExit.eviction);
    score.reuse(2, 1);
    score.eviction(3, 1, 10);
    // A report with no real eviction behind it: false positive.
    score.eviction(3, 2, 20);
    // Block 30 evicted from page 3, page reused, block read back before any report: missed.
    score.remove(4, 3, 30, CacheExit.eviction);
    score.reuse(5, 3);
    score.insert(6, 4, 30, true);
    // Block 40 evicted from page 5, page never reused: undetectable.
    score.remove(7, 5, 40, CacheExit.eviction);
    // Block 50 evicted from page 6, then its file deleted: left out.
    score.remove(8, 6, 50, CacheExit.eviction);
    score.blockFreed(9, 50);
    // A drop is not an eviction.
    score.remove(9, 7, 60, CacheExit.drop);
    const s = score.summary();
    expect(s).toMatchObject({ trueEvictions: 4, truePositives: 1, falsePositives: 1, falseNegatives: 1, undetectable: 1, evictedThenFreed: 1, drops: 1 });
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(0.5);
    expect(s.meanDelaySeconds).toBe(2);
  });

  it('a withdrawn report is taken back from the count it went to', () => {
    const score = new InferenceScore(4, 10);
    score.remove(0, 0, 1, CacheExit.eviction);
    score.reuse(0, 0);
    score.eviction(1, 0, 1);
    score.eviction(1, 1, 2);
    score.cancelled(2, 1, true);
    score.cancelled(2, 2, true);
    score.cancelled(2, 3, false); // never reported: nothing to take back
    const s = score.summary();
    expect([s.truePositives, s.falsePositives, s.falseNegatives]).toEqual([0, 0, 1]);
  });
});
