/**
 * A VM's memory as live migration sees it: how much RAM, which of it holds data, which part the guest writes and
 * how, and which pages it touches while it runs (what a post-copy migration faults on).
 *
 * Layout, page numbers from 0 (documented in docs/models/migration.md):
 * - pages [0, usedPages) hold data; the rest are zero pages (never written since boot), which QEMU sends as a
 *   header only;
 * - the writable region — the writable working set — is the last `writablePages` of the used pages (a guest
 *   allocates and fills its buffers, then rewrites them, as the `gtool dirty` program of the QEMU measurements
 *   does); a zero page becomes a data page when written;
 * - a hot set, for the hot-cold pattern and for reads, is the first `hotPages` of the writable region.
 *
 * Write patterns:
 * - `uniform`: every page of the writable region equally likely;
 * - `hot-cold`: a fraction of the writes goes to the hot set, the rest to the whole region (uniform within each);
 * - `zipf`: page ranks follow Zipf's law with the given exponent, ranks scattered over the region by a fixed
 *   permutation (the hottest pages are not neighbours);
 * - `sequential`: one write per page, cycling through the region in address order (gtool's dirtier).
 */
import { RandomStream } from '../../kernel/random.js';
import { ZipfSampler } from './zipf.js';

export type WritePattern =
  | { kind: 'uniform' }
  | { kind: 'hot-cold'; hotBytes: number; hotWriteFraction: number }
  | { kind: 'zipf'; exponent: number }
  | { kind: 'sequential' };

export interface GuestMemorySpec {
  /** Guest RAM, bytes. */
  ramBytes: number;
  /** Page size, bytes (x86: 4096). */
  pageBytes: number;
  /** Bytes of RAM that hold data when the migration starts; the rest are zero pages. */
  usedBytes: number;
  /** The writable working set, bytes: the region the guest writes (the end of the used memory). */
  writableBytes: number;
  /** Page writes per second while the guest runs at full speed (a write to a dirty page is not a new dirty page). */
  writeRatePagesPerSecond: number;
  writePattern: WritePattern;
  /** Bytes a write burst changes in a page (what delta compression has to send); gtool writes one 8-byte word. */
  changedBytesPerWrite: number;
  /** Distinct page accesses (reads or writes) per second per vCPU while the guest runs: what post-copy faults on. */
  touchRatePagesPerSecond: number;
  /** Probability that an access is to the page after the previous one (spatial locality). */
  touchSequentialProbability: number;
  /** Probability that an access that jumps lands in the hot set (the rest land anywhere in the used memory). */
  touchHotFraction: number;
  /** Hot set for accesses, bytes, at the start of the writable region (0: the whole writable region). */
  touchHotBytes: number;
  /** vCPUs; each one accesses memory independently and stalls on its own faults. */
  vcpus: number;
}

/** The memory spec with every size in pages, checked. */
export interface GuestMemoryLayout {
  pageCount: number;
  usedPages: number;
  writableStart: number;
  writablePages: number;
  /** Hot set of the hot-cold write pattern, pages from `writableStart`. */
  writeHotPages: number;
  /** Hot set of accesses, pages from `writableStart`. */
  touchHotPages: number;
}

/** Checks a spec and converts it to pages. Throws RangeError naming the field (callers validate user input first). */
export function memoryLayout(spec: GuestMemorySpec): GuestMemoryLayout {
  const positive = (name: string, value: number): void => {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`memory: ${name} must be a positive number, got ${value}`);
  };
  const nonNegative = (name: string, value: number): void => {
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`memory: ${name} must be a non-negative number, got ${value}`);
  };
  const fraction = (name: string, value: number): void => {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`memory: ${name} must be in [0, 1], got ${value}`);
  };
  positive('pageBytes', spec.pageBytes);
  positive('ramBytes', spec.ramBytes);
  nonNegative('usedBytes', spec.usedBytes);
  nonNegative('writableBytes', spec.writableBytes);
  nonNegative('writeRatePagesPerSecond', spec.writeRatePagesPerSecond);
  nonNegative('changedBytesPerWrite', spec.changedBytesPerWrite);
  nonNegative('touchRatePagesPerSecond', spec.touchRatePagesPerSecond);
  fraction('touchSequentialProbability', spec.touchSequentialProbability);
  fraction('touchHotFraction', spec.touchHotFraction);
  nonNegative('touchHotBytes', spec.touchHotBytes);
  if (!(Number.isInteger(spec.vcpus) && spec.vcpus >= 1)) throw new RangeError(`memory: vcpus must be a positive integer, got ${spec.vcpus}`);
  const pageCount = Math.ceil(spec.ramBytes / spec.pageBytes);
  if (pageCount > 2 ** 31 - 1) throw new RangeError(`memory: ${pageCount} pages is more than this model can index`);
  const writablePages = Math.min(pageCount, Math.ceil(spec.writableBytes / spec.pageBytes));
  const usedPages = Math.min(pageCount, Math.max(writablePages, Math.ceil(spec.usedBytes / spec.pageBytes)));
  const writableStart = usedPages - writablePages;
  const pattern = spec.writePattern;
  let writeHotPages = 0;
  if (pattern.kind === 'hot-cold') {
    nonNegative('writePattern.hotBytes', pattern.hotBytes);
    fraction('writePattern.hotWriteFraction', pattern.hotWriteFraction);
    writeHotPages = Math.min(writablePages, Math.ceil(pattern.hotBytes / spec.pageBytes));
  } else if (pattern.kind === 'zipf') {
    positive('writePattern.exponent', pattern.exponent);
  }
  if (spec.writeRatePagesPerSecond > 0 && writablePages === 0) throw new RangeError('memory: writeRatePagesPerSecond > 0 needs writableBytes > 0');
  const touchHotPages = spec.touchHotBytes > 0 ? Math.min(usedPages - writableStart, Math.ceil(spec.touchHotBytes / spec.pageBytes)) : writablePages;
  return { pageCount, usedPages, writableStart, writablePages, writeHotPages, touchHotPages };
}

/**
 * Draws the pages a guest writes, one call per write. Allocation-free; deterministic for a given stream.
 * `sequential` keeps its position between calls.
 */
export class WriteStream {
  private readonly layout: GuestMemoryLayout;
  private readonly pattern: WritePattern;
  private readonly random: RandomStream;
  private readonly zipf: ZipfSampler | undefined;
  private readonly zipfStride: number;
  private sequentialNext = 0;

  constructor(spec: GuestMemorySpec, layout: GuestMemoryLayout, random: RandomStream) {
    this.layout = layout;
    this.pattern = spec.writePattern;
    this.random = random;
    if (this.pattern.kind === 'zipf' && layout.writablePages > 0) {
      this.zipf = new ZipfSampler(layout.writablePages, this.pattern.exponent);
      this.zipfStride = coprimeStride(layout.writablePages);
    } else {
      this.zipf = undefined;
      this.zipfStride = 1;
    }
  }

  /** The next page written (an absolute page number). */
  next(): number {
    const { writableStart, writablePages, writeHotPages } = this.layout;
    const pattern = this.pattern;
    switch (pattern.kind) {
      case 'uniform':
        return writableStart + this.random.nextInt(writablePages);
      case 'hot-cold':
        if (writeHotPages > 0 && this.random.nextFloat() < pattern.hotWriteFraction) return writableStart + this.random.nextInt(writeHotPages);
        return writableStart + this.random.nextInt(writablePages);
      case 'zipf': {
        const rank = this.zipf!.sample(this.random); // 1-based
        // Scatter ranks over the region: rank r → (r − 1) · stride mod n, a bijection because stride ⟂ n.
        return writableStart + mulMod(rank - 1, this.zipfStride, writablePages);
      }
      case 'sequential': {
        const page = writableStart + this.sequentialNext;
        this.sequentialNext = this.sequentialNext + 1 === writablePages ? 0 : this.sequentialNext + 1;
        return page;
      }
    }
  }

  /**
   * True when `writes` writes would, with near certainty, dirty every page of the region (so a caller can mark it
   * all instead of drawing): ≥ 20 writes per page for the random patterns (a page is missed with probability
   * about e^−20 ≈ 2·10⁻⁹), a full cycle for `sequential`. Zipf never saturates this way.
   */
  saturates(writes: number): boolean {
    const pages = this.layout.writablePages;
    switch (this.pattern.kind) {
      case 'uniform':
        return writes >= 20 * pages;
      case 'hot-cold':
        return writes * (1 - this.pattern.hotWriteFraction) >= 20 * pages;
      case 'sequential':
        return writes >= pages;
      case 'zipf':
        return false;
    }
  }
}

/**
 * Draws the pages a running guest accesses, per vCPU: with probability `touchSequentialProbability` the page after
 * the previous one, otherwise a jump, into the hot set with probability `touchHotFraction`, else anywhere in the
 * used memory.
 */
export class TouchStream {
  private readonly layout: GuestMemoryLayout;
  private readonly spec: GuestMemorySpec;
  private readonly random: RandomStream;
  private readonly last: Int32Array;

  constructor(spec: GuestMemorySpec, layout: GuestMemoryLayout, random: RandomStream) {
    this.spec = spec;
    this.layout = layout;
    this.random = random;
    this.last = new Int32Array(spec.vcpus).fill(-1);
  }

  next(vcpu: number): number {
    const { usedPages, writableStart, touchHotPages, pageCount } = this.layout;
    const previous = this.last[vcpu];
    let page: number;
    if (previous >= 0 && this.random.nextFloat() < this.spec.touchSequentialProbability) {
      // The next page; a walk through the writable region wraps around in it (a guest cycling over its buffer).
      const regionEnd = writableStart + this.layout.writablePages;
      page = previous + 1 === regionEnd && previous >= writableStart ? writableStart : previous + 1 < pageCount ? previous + 1 : 0;
    } else if (touchHotPages > 0 && this.random.nextFloat() < this.spec.touchHotFraction) {
      page = writableStart + this.random.nextInt(touchHotPages);
    } else {
      page = this.random.nextInt(Math.max(1, usedPages));
    }
    this.last[vcpu] = page;
    return page;
  }
}

/** A stride coprime with n, near n·(√5 − 1)/2 (golden ratio: consecutive ranks land far apart). */
function coprimeStride(n: number): number {
  if (n <= 2) return 1;
  let stride = Math.max(1, Math.floor(n * 0.6180339887498949));
  while (gcd(stride, n) !== 1) stride++;
  return stride;
}

/** (a · b) mod n for a, b < n < 2^31 without BigInt (no allocation): b split in 16-bit halves keeps every product below 2^53. */
function mulMod(a: number, b: number, n: number): number {
  const high = Math.floor(b / 65536);
  const low = b % 65536;
  return (((a * high) % n) * 65536 + a * low) % n;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The few numbers a person gives for a guest (`hyperwatt migrate`, migration sweeps), in MiB and pages/s. */
export interface SimpleGuest {
  ramMiB: number;
  /** RAM holding data (default: all of it). */
  usedMiB?: number;
  /** Writable working set the writes fall in (default: the whole RAM). */
  hotSetMiB?: number;
  pattern: WritePattern['kind'];
  /** hot-cold: percent of the writes in the hottest eighth of the writable set (default 90). */
  hotWritePercent?: number;
  /** zipf: exponent (default 0.99). */
  zipfExponent?: number;
  dirtyPagesPerSecond: number;
  /** Accesses per vCPU after a post-copy switch (default: the dirty rate). */
  touchPagesPerSecond?: number;
  touchLocality: number;
  vcpus: number;
}

const MIB = 1024 * 1024;

/**
 * A GuestMemorySpec from {@link SimpleGuest}: 4 KiB pages; the hot-cold hot set is an eighth of the writable set;
 * a write changes 8 bytes of its page (gtool's dirtier); 90 % of access jumps land in the writable set.
 */
export function simpleGuestMemory(guest: SimpleGuest): GuestMemorySpec {
  const hotSetMiB = guest.hotSetMiB ?? guest.ramMiB;
  const writePattern: WritePattern =
    guest.pattern === 'hot-cold'
      ? { kind: 'hot-cold', hotBytes: (hotSetMiB * MIB) / 8, hotWriteFraction: (guest.hotWritePercent ?? 90) / 100 }
      : guest.pattern === 'zipf'
        ? { kind: 'zipf', exponent: guest.zipfExponent ?? 0.99 }
        : { kind: guest.pattern };
  return {
    ramBytes: guest.ramMiB * MIB,
    pageBytes: 4096,
    usedBytes: (guest.usedMiB ?? guest.ramMiB) * MIB,
    writableBytes: hotSetMiB * MIB,
    writeRatePagesPerSecond: guest.dirtyPagesPerSecond,
    writePattern,
    changedBytesPerWrite: 8,
    touchRatePagesPerSecond: guest.touchPagesPerSecond ?? guest.dirtyPagesPerSecond,
    touchSequentialProbability: guest.touchLocality,
    touchHotFraction: 0.9,
    touchHotBytes: 0,
    vcpus: guest.vcpus,
  };
}
