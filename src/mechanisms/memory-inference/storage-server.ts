/**
 * A storage server shared by several VMs' disks, with a second-level cache in its memory, and two ways to fill it:
 *
 * - `inclusive`: every block a guest reads passes through the cache and stays there (LRU). The guest caches the
 *   same recent blocks, so the server cache mostly duplicates the guests' and hits only on blocks both evicted
 *   and still in the larger of the two.
 * - `eviction-based`: a block enters the server cache when its guest evicts it — known from Geiger's inferred
 *   evictions, with no change to the guest — and leaves it on a hit, because the guest holds it again. The two
 *   caches then hold different blocks, and a working set that fits in both together hits. Sources: Z. Chen,
 *   Y. Zhou, K. Li, "Eviction-based cache placement for storage caches", USENIX ATC 2003 (placement on eviction,
 *   the evicted block reloaded from disk in idle time); T. M. Wong, J. Wilkes, "My cache or yours? Making
 *   storage more exclusive", USENIX ATC 2002 (DEMOTE: exclusive caching, a block moves up on a hit).
 *
 * Service time of a read request: a network round trip plus the transfer of all its blocks, plus, for blocks the
 * cache misses, the disk's positioning (unless the request continues the previous one of that VM) and transfer.
 * Blocks reloaded for eviction-based placement use idle disk time and are counted, not timed.
 *
 * The cache is an LRU list over typed arrays with a `Map` from (VM, block) key to slot.
 */
import { BLOCK_SIZE_BYTES } from '../../model/guest-os/file-system.js';
import type { BlockDevice } from '../../model/guest-os/guest-events.js';
import type { InferenceListener } from './geiger-inference.js';

export type RemotePlacement = 'inclusive' | 'eviction-based';

export interface StorageServerOptions {
  /** Server cache size, 4 KiB pages (0: no cache). */
  readonly cachePages: number;
  readonly placement: RemotePlacement;
  readonly diskPositioningSeconds: number;
  readonly diskTransferBytesPerSecond: number;
  readonly networkRoundTripSeconds: number;
  readonly networkBytesPerSecond: number;
}

export interface StorageServerCounters {
  /** Blocks the guests read from the server. */
  blockReads: number;
  /** Of those, blocks found in the server cache. */
  cacheHits: number;
  /** Blocks read from the server's disk for guests. */
  diskBlockReads: number;
  /** Blocks placed in the cache. */
  insertions: number;
  /** Blocks read from disk in idle time to place them on eviction. */
  backgroundDiskReads: number;
}

/** Key space per VM: blocks of different VMs never collide. */
const VM_KEY_STRIDE = 2 ** 32;

export class StorageServer {
  readonly options: StorageServerOptions;
  readonly counters: StorageServerCounters = { blockReads: 0, cacheHits: 0, diskBlockReads: 0, insertions: 0, backgroundDiskReads: 0 };
  /** Per VM, blocks read and hits (index: VM). */
  readonly vmBlockReads: number[] = [];
  readonly vmCacheHits: number[] = [];
  private readonly slotOf = new Map<number, number>();
  private readonly keys: Float64Array;
  private readonly next: Int32Array;
  private readonly previous: Int32Array;
  private head = -1;
  private tail = -1;
  private used = 0;
  private readonly freeSlots: Int32Array;
  private freeCount: number;

  constructor(options: StorageServerOptions) {
    if (!(Number.isInteger(options.cachePages) && options.cachePages >= 0)) throw new RangeError(`StorageServer: cachePages must be a non-negative integer, got ${options.cachePages}`);
    this.options = options;
    const capacity = Math.max(1, options.cachePages);
    this.keys = new Float64Array(capacity);
    this.next = new Int32Array(capacity).fill(-1);
    this.previous = new Int32Array(capacity).fill(-1);
    this.freeSlots = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeSlots[i] = capacity - 1 - i;
    this.freeCount = options.cachePages;
  }

  /** Pages in the cache. */
  get cachedPages(): number {
    return this.used;
  }

  /** The block device VM `vm` sees. */
  device(vm: number): BlockDevice {
    while (this.vmBlockReads.length <= vm) {
      this.vmBlockReads.push(0);
      this.vmCacheHits.push(0);
    }
    let lastBlockEnd = -1;
    return {
      read: (_timeSeconds: number, block: number, count: number): number => {
        const o = this.options;
        let misses = 0;
        for (let i = 0; i < count; i++) if (!this.lookup(vm * VM_KEY_STRIDE + block + i)) misses++;
        this.counters.blockReads += count;
        this.counters.cacheHits += count - misses;
        this.counters.diskBlockReads += misses;
        this.vmBlockReads[vm]! += count;
        this.vmCacheHits[vm]! += count - misses;
        let seconds = o.networkRoundTripSeconds + (count * BLOCK_SIZE_BYTES) / o.networkBytesPerSecond;
        if (misses > 0) {
          seconds += (block === lastBlockEnd ? 0 : o.diskPositioningSeconds) + (misses * BLOCK_SIZE_BYTES) / o.diskTransferBytesPerSecond;
        }
        lastBlockEnd = block + count;
        return seconds;
      },
      write: (): void => {},
    };
  }

  /** The listener that places VM `vm`'s inferred evictions (only does anything under eviction-based placement). */
  evictionListener(vm: number): InferenceListener {
    return {
      // Placement acts on the first sign of an eviction: a wrong guess costs cache space, a late one a miss.
      inferred: (_timeSeconds: number, _page: number, block: number): void => {
        if (this.options.placement !== 'eviction-based' || this.options.cachePages === 0) return;
        const key = vm * VM_KEY_STRIDE + block;
        const slot = this.slotOf.get(key);
        if (slot !== undefined) {
          this.toHead(slot);
          return;
        }
        this.counters.backgroundDiskReads++;
        this.insert(key);
      },
      eviction: (): void => {},
      cancelled: (_timeSeconds: number, block: number): void => {
        if (this.options.placement !== 'eviction-based') return;
        const slot = this.slotOf.get(vm * VM_KEY_STRIDE + block);
        if (slot !== undefined) this.drop(slot);
      },
      insertion: (): void => {},
    };
  }

  /** Looks a block up for a guest read; applies the placement. Returns true on a hit. */
  private lookup(key: number): boolean {
    if (this.options.cachePages === 0) return false;
    const slot = this.slotOf.get(key);
    if (this.options.placement === 'inclusive') {
      if (slot !== undefined) {
        this.toHead(slot);
        return true;
      }
      this.insert(key);
      return false;
    }
    if (slot === undefined) return false;
    // Exclusive: the guest holds the block again.
    this.drop(slot);
    return true;
  }

  private insert(key: number): void {
    if (this.freeCount === 0) this.drop(this.tail);
    const slot = this.freeSlots[--this.freeCount]!;
    this.keys[slot] = key;
    this.slotOf.set(key, slot);
    this.linkHead(slot);
    this.used++;
    this.counters.insertions++;
  }

  private drop(slot: number): void {
    this.unlink(slot);
    this.slotOf.delete(this.keys[slot]!);
    this.freeSlots[this.freeCount++] = slot;
    this.used--;
  }

  private toHead(slot: number): void {
    if (this.head === slot) return;
    this.unlink(slot);
    this.linkHead(slot);
  }

  private linkHead(slot: number): void {
    this.next[slot] = this.head;
    this.previous[slot] = -1;
    if (this.head >= 0) this.previous[this.head] = slot;
    else this.tail = slot;
    this.head = slot;
  }

  private unlink(slot: number): void {
    const next = this.next[slot]!;
    const previous = this.previous[slot]!;
    if (previous >= 0) this.next[previous] = next;
    else this.head = next;
    if (next >= 0) this.previous[next] = previous;
    else this.tail = previous;
    this.next[slot] = -1;
    this.previous[slot] = -1;
  }
}
