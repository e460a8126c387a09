/**
 * A ghost list: the most recently evicted blocks, newest first, with the position of any block in O(log n).
 *
 * Position k (1 = evicted last) of a re-read block says that a cache k pages larger would have kept it — the
 * stack-distance idea of Mattson et al. ("Evaluation techniques for storage hierarchies", IBM Systems Journal
 * 9(2), 1970) applied to evictions only, as Geiger's working-set estimator does.
 *
 * Each entry gets an increasing stamp; stamps are grouped in buckets of 64, and a Fenwick (binary indexed) tree over
 * buckets counts live entries. The position of stamp s is the live entries in later buckets (from the tree) plus
 * the live entries after s in its own bucket (a scan of at most 63 neighbouring slots) plus one. A tree over
 * buckets rather than stamps is 64 times smaller and stays in the processor's cache: with millions of entries a
 * tree over stamps costs several memory misses per operation, and there is one or two per guest eviction and miss.
 * When stamps run out the live entries are renumbered in order (amortised O(1) per insertion). Entries beyond the
 * capacity drop off the old end. Typed arrays only.
 */
export class GhostList {
  readonly capacity: number;
  /** Stamp of each block's entry (−1: not in the list). */
  private readonly stampOf: Int32Array;
  /** Block at each stamp (−1: removed). */
  private blockAt: Int32Array;
  /** The other buffer renumbering writes into (the two swap, so renumbering allocates nothing). */
  private spareBlockAt: Int32Array;
  /** Fenwick tree over buckets of BUCKET stamps: live entries per bucket. */
  private readonly tree: Int32Array;
  private readonly stampLimit: number;
  private nextStamp = 0;
  private oldestStamp = 0;
  private liveCount = 0;

  /**
   * @param capacity entries kept (pages of extra cache the list can speak for).
   * @param blockCount size of the block space.
   */
  constructor(capacity: number, blockCount: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`GhostList: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.stampLimit = Math.ceil((2 * capacity + 16) / BUCKET) * BUCKET;
    this.stampOf = new Int32Array(blockCount).fill(-1);
    this.blockAt = new Int32Array(this.stampLimit).fill(-1);
    this.spareBlockAt = new Int32Array(this.stampLimit);
    this.tree = new Int32Array(this.stampLimit / BUCKET + 1);
  }

  get size(): number {
    return this.liveCount;
  }

  /** Adds a block as the newest entry (moving it if present). */
  push(block: number): void {
    if (this.stampOf[block]! >= 0) this.remove(block);
    if (this.nextStamp === this.stampLimit) this.renumber();
    const stamp = this.nextStamp++;
    this.stampOf[block] = stamp;
    this.blockAt[stamp] = block;
    this.add(stamp, 1);
    this.liveCount++;
    while (this.liveCount > this.capacity) {
      while (this.blockAt[this.oldestStamp] === -1) this.oldestStamp++;
      this.remove(this.blockAt[this.oldestStamp]!);
    }
  }

  /** Position of a block (1 = newest), or 0 if absent. */
  position(block: number): number {
    const stamp = this.stampOf[block]!;
    if (stamp < 0) return 0;
    const bucket = Math.floor(stamp / BUCKET);
    let within = 0;
    const end = Math.min(this.nextStamp, (bucket + 1) * BUCKET);
    for (let s = stamp + 1; s < end; s++) if (this.blockAt[s]! >= 0) within++;
    return this.liveCount - this.prefix(bucket) + within + 1;
  }

  /** Removes a block if present. */
  remove(block: number): void {
    const stamp = this.stampOf[block]!;
    if (stamp < 0) return;
    this.stampOf[block] = -1;
    this.blockAt[stamp] = -1;
    this.add(stamp, -1);
    this.liveCount--;
  }

  /** Live entries in buckets 0 … `bucket`. */
  private prefix(bucket: number): number {
    let sum = 0;
    for (let i = bucket + 1; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  private add(stamp: number, delta: number): void {
    const tree = this.tree;
    for (let i = Math.floor(stamp / BUCKET) + 1; i < tree.length; i += i & -i) tree[i]! += delta;
  }

  /** Gives the live entries stamps 0 … n − 1 in their order and rebuilds the tree. */
  private renumber(): void {
    const fresh = this.spareBlockAt;
    fresh.fill(-1);
    let next = 0;
    for (let stamp = this.oldestStamp; stamp < this.nextStamp; stamp++) {
      const block = this.blockAt[stamp]!;
      if (block < 0) continue;
      fresh[next] = block;
      this.stampOf[block] = next;
      next++;
    }
    this.spareBlockAt = this.blockAt;
    this.blockAt = fresh;
    this.nextStamp = next;
    this.oldestStamp = 0;
    const tree = this.tree;
    tree.fill(0);
    // Linear-time Fenwick build: bucket counts, then each node adds itself to its parent.
    for (let stamp = 0; stamp < next; stamp++) tree[Math.floor(stamp / BUCKET) + 1]! += 1;
    for (let i = 1; i < tree.length; i++) {
      const parent = i + (i & -i);
      if (parent < tree.length) tree[parent]! += tree[i]!;
    }
  }
}

/** Stamps per bucket of the counting tree. */
const BUCKET = 64;
