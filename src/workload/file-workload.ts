/**
 * File and memory workloads for the guest-memory model: a data set of files already on disk, and phases that
 * read, write, create, delete and allocate, one access per step.
 *
 * Phase kinds:
 * - `scan`: reads the data set's blocks in order, file after file, looping (a sequential scan; larger than memory,
 *   it thrashes an LRU-like cache: every access misses);
 * - `random`: reads uniformly random blocks of the data set;
 * - `zipf`: reads blocks with Zipf popularity (exponent `zipfExponent`), popular blocks spread over the data set;
 * - `database`: a database-like mix of Zipf reads, Zipf overwrites (`writeFraction`) and sequential writes to a log
 *   file (`logFraction`), which dirty data and inode blocks and so exercise writeback and the journal;
 * - `churn`: delete-heavy: a pool of `liveFiles` temporary files of `fileBlocks` blocks; every `createEvery` steps a
 *   new file is written and, once the pool is full, the oldest is deleted; other steps read a random block of a
 *   random live file.
 * Any phase can also grow or shrink anonymous memory linearly from `anonymousFromPages` to `anonymousToPages` over
 * its steps and touch it (`anonymousTouchFraction` of the steps touch a random anonymous page instead of a file
 * block). Every step charges `cpuSecondsPerAccess` of guest CPU time.
 *
 * Draws come from one seeded stream, so the same spec and seed give the same accesses at every memory size: that
 * is what lets the true miss curve be measured by running the guest again at other sizes.
 */
import type { RandomStream } from '../kernel/random.js';
import type { GuestOs } from '../model/guest-os/guest-os.js';
import { ZipfSampler } from '../model/memory/zipf.js';

export type FilePhaseKind = 'scan' | 'random' | 'zipf' | 'database' | 'churn';

export interface FilePhaseSpec {
  readonly kind: FilePhaseKind;
  /** Steps in the phase. */
  readonly accesses: number;
  /** Zipf exponent for `zipf` and `database` (1). */
  readonly zipfExponent: number;
  /** Fraction of `database` steps that overwrite a block. */
  readonly writeFraction: number;
  /** Fraction of `database` steps that append to the log. */
  readonly logFraction: number;
  /** `churn`: files kept. */
  readonly liveFiles: number;
  /** `churn`: blocks per temporary file. */
  readonly fileBlocks: number;
  /** `churn`: steps between file creations. */
  readonly createEvery: number;
  /** Anonymous memory at the phase's start and end, pages (null: leave as it is). */
  readonly anonymousFromPages: number | null;
  readonly anonymousToPages: number | null;
  /** Fraction of steps that touch anonymous memory instead of a file block. */
  readonly anonymousTouchFraction: number;
}

export interface FileWorkloadSpec {
  /** Files in the data set (on disk before the run). */
  readonly dataFiles: number;
  /** Blocks per data-set file. */
  readonly dataFileBlocks: number;
  /** Blocks of the log file used by `database` phases (0: none). */
  readonly logBlocks: number;
  /** Guest CPU time per step, seconds. */
  readonly cpuSecondsPerAccess: number;
  readonly phases: readonly FilePhaseSpec[];
}

/** Phase defaults (a spec sets only what it needs). */
export const FILE_PHASE_DEFAULTS: Omit<FilePhaseSpec, 'kind' | 'accesses'> = {
  zipfExponent: 1,
  writeFraction: 0,
  logFraction: 0,
  liveFiles: 64,
  fileBlocks: 64,
  createEvery: 256,
  anonymousFromPages: null,
  anonymousToPages: null,
  anonymousTouchFraction: 0,
};

/** Multiplier that spreads Zipf ranks over the data set (coprime with its size; see `spreadStride`). */
function spreadStride(n: number): number {
  let stride = Math.floor(n * 0.6180339887) | 1;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  while (gcd(stride, n) !== 1) stride += 2;
  return stride % n || 1;
}

export class FileWorkload {
  readonly spec: FileWorkloadSpec;
  readonly totalAccesses: number;
  private readonly guest: GuestOs;
  private readonly random: RandomStream;
  private readonly dataInodes: Int32Array;
  private readonly dataBlocks: number;
  private readonly stride: number;
  private logInode = -1;
  private logNext = 0;
  private phaseIndex = 0;
  private stepInPhase = 0;
  private done = 0;
  private scanNext = 0;
  private zipf: ZipfSampler | null = null;
  /** The churn pool: a ring of inodes, oldest first. */
  private churnFiles: Int32Array = new Int32Array(0);
  private churnHead = 0;
  private churnCount = 0;

  constructor(spec: FileWorkloadSpec, guest: GuestOs, random: RandomStream) {
    this.spec = spec;
    this.guest = guest;
    this.random = random;
    this.totalAccesses = spec.phases.reduce((sum, phase) => sum + phase.accesses, 0);
    this.dataBlocks = spec.dataFiles * spec.dataFileBlocks;
    if (this.dataBlocks >= 2 ** 26) throw new RangeError(`FileWorkload: the data set (${this.dataBlocks} blocks) must be below 2²⁶ blocks (256 GiB)`);
    this.stride = spreadStride(Math.max(1, this.dataBlocks));
    this.dataInodes = new Int32Array(spec.dataFiles);
    for (let i = 0; i < spec.dataFiles; i++) {
      const inode = guest.fs.createFile(spec.dataFileBlocks);
      if (inode < 0) throw new RangeError(`FileWorkload: the data set (${spec.dataFiles} × ${spec.dataFileBlocks} blocks) does not fit the file system`);
      this.dataInodes[i] = inode;
    }
    if (spec.logBlocks > 0) {
      this.logInode = guest.fs.createFile(spec.logBlocks);
      if (this.logInode < 0) throw new RangeError('FileWorkload: the log file does not fit the file system');
    }
    this.enterPhase();
  }

  /** Steps taken. */
  get accessesDone(): number {
    return this.done;
  }

  /** Runs one step; returns false when every phase is done. */
  step(): boolean {
    const phases = this.spec.phases;
    if (this.phaseIndex >= phases.length) return false;
    const phase = phases[this.phaseIndex]!;
    const guest = this.guest;
    const random = this.random;
    if (phase.anonymousFromPages !== null && phase.anonymousToPages !== null) {
      const target = Math.round(phase.anonymousFromPages + ((phase.anonymousToPages - phase.anonymousFromPages) * this.stepInPhase) / phase.accesses);
      const current = guest.anonymousPages;
      if (target > current) guest.allocateAnonymous(target - current);
      else if (target < current) guest.freeAnonymous(current - target);
    }
    if (phase.anonymousTouchFraction > 0 && guest.anonymousPages > 0 && random.nextFloat() < phase.anonymousTouchFraction) {
      guest.touchAnonymous(random.nextInt(guest.anonymousPages));
    } else {
      switch (phase.kind) {
        case 'scan': {
          const g = this.scanNext;
          this.scanNext = g + 1 === this.dataBlocks ? 0 : g + 1;
          this.readData(g);
          break;
        }
        case 'random':
          this.readData(random.nextInt(this.dataBlocks));
          break;
        case 'zipf':
          this.readData(this.zipfBlock());
          break;
        case 'database': {
          const u = random.nextFloat();
          if (u < phase.logFraction && this.logInode >= 0) {
            guest.write(this.logInode, this.logNext);
            this.logNext = this.logNext + 1 === this.spec.logBlocks ? 0 : this.logNext + 1;
          } else if (u < phase.logFraction + phase.writeFraction) {
            const g = this.zipfBlock();
            guest.write(this.dataInodes[Math.floor(g / this.spec.dataFileBlocks)]!, g % this.spec.dataFileBlocks);
          } else {
            this.readData(this.zipfBlock());
          }
          break;
        }
        case 'churn':
          this.churnStep(phase);
          break;
      }
    }
    guest.advance(this.spec.cpuSecondsPerAccess);
    this.done++;
    if (++this.stepInPhase >= phase.accesses) {
      this.phaseIndex++;
      this.stepInPhase = 0;
      this.enterPhase();
    }
    return true;
  }

  private readData(g: number): void {
    const fileBlocks = this.spec.dataFileBlocks;
    const file = (g / fileBlocks) | 0; // g < 2³¹: integer division without Math.floor's double path
    this.guest.read(this.dataInodes[file]!, g - file * fileBlocks);
  }

  private zipfBlock(): number {
    const rank = this.zipf!.sample(this.random) - 1;
    // Exact: rank and stride are below the data set's size n, and n < 2²⁶ keeps their product below 2⁵³.
    return (rank * this.stride) % this.dataBlocks;
  }

  private churnStep(phase: FilePhaseSpec): void {
    const guest = this.guest;
    if (this.stepInPhase % phase.createEvery === 0 || this.churnCount === 0) {
      if (this.churnCount === phase.liveFiles) {
        guest.deleteFile(this.churnFiles[this.churnHead]!);
        this.churnHead = (this.churnHead + 1) % phase.liveFiles;
        this.churnCount--;
      }
      const inode = guest.createFile(phase.fileBlocks);
      if (inode < 0) throw new RangeError('FileWorkload: the churn pool does not fit the file system');
      this.churnFiles[(this.churnHead + this.churnCount) % phase.liveFiles] = inode;
      this.churnCount++;
      return;
    }
    const file = this.churnFiles[(this.churnHead + this.random.nextInt(this.churnCount)) % phase.liveFiles]!;
    guest.read(file, this.random.nextInt(phase.fileBlocks));
  }

  private enterPhase(): void {
    const phase = this.spec.phases[this.phaseIndex];
    if (!phase) return;
    if (phase.kind === 'zipf' || phase.kind === 'database') this.zipf = new ZipfSampler(Math.max(1, this.dataBlocks), phase.zipfExponent);
    if (phase.kind === 'churn' && this.churnFiles.length !== phase.liveFiles) {
      // A new pool: delete the previous one's files.
      for (let i = 0; i < this.churnCount; i++) this.guest.deleteFile(this.churnFiles[(this.churnHead + i) % this.churnFiles.length]!);
      this.churnFiles = new Int32Array(phase.liveFiles);
      this.churnHead = 0;
      this.churnCount = 0;
    }
  }
}
