/**
 * A fluid (flow-level) network: directed links with a capacity and a latency, and flows along paths of links
 * that share every link they cross by max-min fairness. Live migrations are flows here, and compete with any
 * other traffic the caller starts.
 *
 * Model. A flow is a fluid stream of bytes along a fixed path. At every instant the rates of the active flows
 * are the max-min fair allocation (Bertsekas and Gallager, *Data Networks*, 2nd ed., Prentice Hall 1992,
 * §6.5.2): no link carries more than its capacity, no flow exceeds its own cap (a migration's max-bandwidth),
 * and no flow's rate can grow without lowering the rate of a flow that has an equal or smaller rate. It is
 * computed exactly by progressive filling ("water-filling"): all unfrozen flows grow together; when a link
 * runs full, the flows crossing it are frozen at the link's fair share; when a flow reaches its cap, it is
 * frozen there; repeat until every flow is frozen. Rates are constant between two changes (a flow starts,
 * ends, changes its cap, a link changes capacity), so progress is integrated lazily: a flow stores the bytes
 * moved up to the time of its last rate change, and everything after is `rate × elapsed`. Latency does not
 * slow a flow down; it is only reported ({@link FlowNetwork.pathLatencySeconds}) for the caller to add to a
 * transfer's duration. What this leaves out (TCP dynamics, SimGrid's LV08 corrections) is in
 * docs/models/network.md.
 *
 * Time is explicit: every mutating call takes `nowSeconds`, which must not go backwards, so any event loop can
 * drive the network; it never schedules anything itself. The caller ends a finite flow at its completion time
 * ({@link FlowNetwork.nextCompletionTimeSeconds}); until then it keeps its share.
 *
 * Speed. A data-center run starts and ends tens of thousands of flows, up to ~1,000 of them concurrent, so:
 * - all state lives in typed arrays indexed by link id, flow id or hop id (one hop = one link of one flow's
 *   path, kept in two intrusive lists: the flow's path and the link's flows). Flow ids and hops are recycled
 *   through free stacks and the arrays only grow by doubling, so starting and ending a flow allocate nothing;
 * - a change re-solves only what it can alter: the flows reachable from the changed flow's links through
 *   links and flows (flows sharing no link, directly or through other flows, cannot affect each other), and
 *   among those only the flows whose rate is not below the changed flow's level (slower flows froze before
 *   the changed flow mattered; the argument is at solveComponent). Found by one breadth-first search;
 * - common cases skip the solve entirely, each justified where it happens: a capped flow that fits in the
 *   spare capacity of its path, the end of a flow none of whose links is full, a cap change of a flow that is
 *   not held by its cap. The result is still the exact max-min allocation (it is unique);
 * - the solve keeps the links in a lazy binary heap keyed by fair share and the capped flows in a heap keyed
 *   by cap: O(H + F log F + L log L) in practice (O(H log L) at worst) for F flows with H hops over L links,
 *   instead of O(F · L) for the textbook loop that rescans every link after each freeze.
 * When nothing is active, or a change touches no other flow, a change costs O(path length).
 *
 * Determinism: no Map or Set is iterated; heap ties are broken by link id and flow id, and the order of flows
 * on a link is the order of insertion, so the same calls give bit-identical rates.
 *
 * @example
 * ```ts
 * const network = new FlowNetwork();
 * const uplink = network.addLink(1.25e9, 50e-6); // 10 Gb/s, 50 µs
 * const downlink = network.addLink(1.25e9, 50e-6);
 * const path = Int32Array.of(uplink, downlink);
 * const migration = network.startFlow(0, path, Infinity, 0.5e9); // backlogged, capped at 4 Gb/s
 * const backup = network.startFlow(0, path, 8e9); // 8 GB, uncapped: gets the other 0.75e9 B/s
 * network.nextCompletionTimeSeconds(); // 8e9 / 0.75e9 ≈ 10.67 s
 * ```
 */

/**
 * Called after every change that alters rates, with the ids of the flows whose rate changed (a flow just
 * started is included; a flow just ended is not). `changedFlows` is reused: read the first
 * `changedFlowCount` entries during the call and do not keep it. The listener must not change the network
 * (start, end, set a cap): doing so throws; record what to do and do it after the call returns.
 */
export type FlowRateListener = (nowSeconds: number, changedFlows: Int32Array, changedFlowCount: number) => void;

/** Sizes of a new network's arrays; they grow by doubling when exceeded, so these only save early growth. */
export interface FlowNetworkOptions {
  /** Links before the first growth. Default 64. */
  initialLinks?: number;
  /** Concurrent flows before the first growth. Default 256. */
  initialFlows?: number;
}

/** Counters of the work done so far, for benchmarks and tuning. They never affect results. */
export interface FlowNetworkStatistics {
  /** Changes handled without solving anything (see the fast paths in the module comment). */
  fastUpdates: number;
  /** Changes that solved their connected component by progressive filling. */
  componentSolves: number;
  /** Flows re-solved by those solves, summed. */
  solvedFlows: number;
}

/**
 * A link is full when its spare capacity is at most this fraction of its capacity. Only the fast paths use
 * it, to decide whether a flow may be bottlenecked on the link; a solve leaves a full link with a spare of a
 * few ulps of its capacity (rounding of the subtractions), far below this, and a link that is genuinely not
 * full by less than this is simply solved again, which is always correct.
 */
const FULL_LINK_RELATIVE_TOLERANCE = 1e-9;

/**
 * A solve keeps the rates below a threshold that is exact in real arithmetic (see solveComponent); this factor
 * lowers it by far more than the rounding of computed rates, so a flow whose true rate is at the threshold is
 * never kept by mistake. Re-solving a few more flows than necessary is always correct.
 */
const KEEP_MARGIN = 1 - 1e-9;

const NO_HOP = -1;
const NOT_IN_HEAP = -1; // completion heap position of a flow without one
const UNFROZEN = -1;

/** The fluid max-min network. See the module comment. */
export class FlowNetwork {
  /** Work counters; see {@link FlowNetworkStatistics}. */
  readonly statistics: FlowNetworkStatistics = { fastUpdates: 0, componentSolves: 0, solvedFlows: 0 };

  private linkCountValue = 0;
  private linkCapacity: number;
  private linkCapacities: Float64Array;
  private linkLatencies: Float64Array;
  // Capacity minus the sum of the rates of the flows crossing the link. A solve uses it as the remaining
  // capacity while filling, which leaves it exact for the final rates.
  private linkSpares: Float64Array;
  private linkFlowCounts: Int32Array;
  private linkFirstHops: Int32Array;
  // Solve scratch, indexed by link: unfrozen flows, fair share, visit mark.
  private linkUnfrozen: Int32Array;
  private linkShares: Float64Array;
  private linkMarks: Int32Array;
  // Solve scratch: the link heap (link ids and their keys, by heap position).
  private linkHeap: Int32Array;
  private linkHeapKeys: Float64Array;
  private linkHeapSize = 0;
  private componentLinks: Int32Array;

  // One hop per (flow, link of its path). Doubly linked in the link's list so a flow leaves it in O(1).
  private hopCapacity: number;
  private hopLinks: Int32Array;
  private hopFlows: Int32Array;
  private hopNextInFlow: Int32Array;
  private hopPreviousInLink: Int32Array;
  private hopNextInLink: Int32Array;
  private freeHops: Int32Array;
  private freeHopCount = 0;
  private nextUnusedHop = 0;

  private flowCapacity: number;
  private activeFlowCountValue = 0;
  private flowActive: Uint8Array;
  private flowGenerations: Int32Array;
  private flowFirstHops: Int32Array;
  private flowHopCounts: Int32Array;
  private flowSizes: Float64Array;
  private flowCaps: Float64Array;
  private flowRates: Float64Array;
  // Bytes moved up to flowUpdatedAt, the time of the flow's last rate change.
  private flowTransferred: Float64Array;
  private flowUpdatedAt: Float64Array;
  // Solve scratch, indexed by flow: the new rate (UNFROZEN while filling) and the visit mark.
  private flowNewRates: Float64Array;
  private flowMarks: Int32Array;
  private componentFlows: Int32Array;
  // Capped flows of the component being solved, a binary heap by (cap, flow id); keys never change.
  private capHeap: Int32Array;
  private capHeapSize = 0;
  // Finite flows by (completion time, flow id), indexed so a rate change moves one entry.
  private completionTimes: Float64Array;
  private completionHeap: Int32Array;
  private completionHeapPositions: Int32Array;
  private completionHeapSize = 0;
  private freeFlows: Int32Array;
  private freeFlowCount = 0;
  private nextUnusedFlow = 0;

  private changedFlowIds: Int32Array;
  private changedFlowCountValue = 0;
  // Threshold of the next solve (see solveComponent). A field rather than an argument, like every double the
  // private helpers need: V8 boxes a double passed to a call it does not inline into a fresh heap number, an
  // allocation per call, whereas a double field or typed-array entry is overwritten in place. Helpers take
  // only integers (flow and link ids) and read times and rates from `latestTimeSeconds` and `flowNewRates`.
  private keepBelowBytesPerSecond = 0;
  private listener: FlowRateListener | undefined = undefined;
  private notifying = false;
  private latestTimeSeconds = -Infinity;
  private markEpoch = 0;

  constructor(options: FlowNetworkOptions = {}) {
    const links = options.initialLinks ?? 64;
    const flows = options.initialFlows ?? 256;
    if (!Number.isInteger(links) || links < 1) throw new RangeError(`FlowNetwork: initialLinks must be a positive integer, got ${links}`);
    if (!Number.isInteger(flows) || flows < 1) throw new RangeError(`FlowNetwork: initialFlows must be a positive integer, got ${flows}`);

    this.linkCapacity = links;
    this.linkCapacities = new Float64Array(links);
    this.linkLatencies = new Float64Array(links);
    this.linkSpares = new Float64Array(links);
    this.linkFlowCounts = new Int32Array(links);
    this.linkFirstHops = new Int32Array(links).fill(NO_HOP);
    this.linkUnfrozen = new Int32Array(links);
    this.linkShares = new Float64Array(links);
    this.linkMarks = new Int32Array(links);
    this.linkHeap = new Int32Array(links);
    this.linkHeapKeys = new Float64Array(links);
    this.componentLinks = new Int32Array(links);

    const hops = 4 * flows;
    this.hopCapacity = hops;
    this.hopLinks = new Int32Array(hops);
    this.hopFlows = new Int32Array(hops);
    this.hopNextInFlow = new Int32Array(hops);
    this.hopPreviousInLink = new Int32Array(hops);
    this.hopNextInLink = new Int32Array(hops);
    this.freeHops = new Int32Array(hops);

    this.flowCapacity = flows;
    this.flowActive = new Uint8Array(flows);
    this.flowGenerations = new Int32Array(flows);
    this.flowFirstHops = new Int32Array(flows);
    this.flowHopCounts = new Int32Array(flows);
    this.flowSizes = new Float64Array(flows);
    this.flowCaps = new Float64Array(flows);
    this.flowRates = new Float64Array(flows);
    this.flowTransferred = new Float64Array(flows);
    this.flowUpdatedAt = new Float64Array(flows);
    this.flowNewRates = new Float64Array(flows);
    this.flowMarks = new Int32Array(flows);
    this.componentFlows = new Int32Array(flows);
    this.capHeap = new Int32Array(flows);
    this.completionTimes = new Float64Array(flows);
    this.completionHeap = new Int32Array(flows);
    this.completionHeapPositions = new Int32Array(flows).fill(NOT_IN_HEAP);
    this.freeFlows = new Int32Array(flows);
    this.changedFlowIds = new Int32Array(flows);
  }

  // ---------------------------------------------------------------------------------------------- links

  /**
   * Adds a directed link. Links can be added at any time; they carry nothing until a flow's path uses them.
   *
   * @param capacityBytesPerSecond what the link carries in total, bytes per second; finite, ≥ 0.
   * @param latencySeconds one-way propagation and switching delay, seconds; finite, ≥ 0.
   * @returns the link id: 0 for the first link, then 1, 2, …
   */
  addLink(capacityBytesPerSecond: number, latencySeconds: number): number {
    this.assertNotNotifying('addLink');
    if (!(capacityBytesPerSecond >= 0 && capacityBytesPerSecond < Infinity)) {
      throw new RangeError(`FlowNetwork.addLink: capacityBytesPerSecond must be finite and ≥ 0, got ${capacityBytesPerSecond}`);
    }
    if (!(latencySeconds >= 0 && latencySeconds < Infinity)) {
      throw new RangeError(`FlowNetwork.addLink: latencySeconds must be finite and ≥ 0, got ${latencySeconds}`);
    }
    if (this.linkCountValue === this.linkCapacity) this.growLinks();
    const link = this.linkCountValue++;
    this.linkCapacities[link] = capacityBytesPerSecond;
    this.linkLatencies[link] = latencySeconds;
    this.linkSpares[link] = capacityBytesPerSecond;
    return link;
  }

  /** Number of links added so far; link ids are 0 … linkCount − 1. */
  get linkCount(): number {
    return this.linkCountValue;
  }

  /** Capacity of a link, bytes per second. */
  linkCapacityBytesPerSecond(link: number): number {
    this.assertLink(link, 'linkCapacityBytesPerSecond');
    return this.linkCapacities[link];
  }

  /** One-way latency of a link, seconds. */
  linkLatencySeconds(link: number): number {
    this.assertLink(link, 'linkLatencySeconds');
    return this.linkLatencies[link];
  }

  /** Sum of the current rates of the flows crossing a link, bytes per second (never above its capacity beyond rounding). */
  linkLoadBytesPerSecond(link: number): number {
    this.assertLink(link, 'linkLoadBytesPerSecond');
    return Math.max(0, this.linkCapacities[link] - this.linkSpares[link]);
  }

  /** Number of active flows whose path crosses a link. */
  linkFlowCount(link: number): number {
    this.assertLink(link, 'linkFlowCount');
    return this.linkFlowCounts[link];
  }

  /**
   * Changes a link's capacity (a degraded or failed link, a renegotiated NIC) at `nowSeconds`; the rates of
   * the flows that can be affected are recomputed.
   *
   * @param capacityBytesPerSecond new capacity, bytes per second; finite, ≥ 0 (0 stops every flow crossing it).
   */
  setLinkCapacity(nowSeconds: number, link: number, capacityBytesPerSecond: number): void {
    this.assertNotBatching('setLinkCapacity');
    this.beginChange(nowSeconds, 'setLinkCapacity');
    this.assertLink(link, 'setLinkCapacity');
    if (!(capacityBytesPerSecond >= 0 && capacityBytesPerSecond < Infinity)) {
      throw new RangeError(`FlowNetwork.setLinkCapacity: capacityBytesPerSecond must be finite and ≥ 0, got ${capacityBytesPerSecond}`);
    }
    const old = this.linkCapacities[link];
    if (capacityBytesPerSecond === old) return;
    this.linkCapacities[link] = capacityBytesPerSecond;
    this.linkSpares[link] += capacityBytesPerSecond - old;
    if (this.linkFlowCounts[link] === 0) return;
    this.newMarkEpoch();
    this.linkMarks[link] = this.markEpoch;
    this.componentLinks[0] = link;
    this.keepBelowBytesPerSecond = 0; // keep nothing
    this.solveComponent(1, -1);
    this.notify(nowSeconds);
  }

  /**
   * Sum of the latencies of the links of a path, seconds: the time the first byte takes to arrive, which the
   * fluid rates do not include.
   *
   * @param path link ids.
   * @param pathLength how many leading entries of `path` form the path. Default `path.length`.
   */
  pathLatencySeconds(path: ArrayLike<number>, pathLength: number = path.length): number {
    if (!(Number.isInteger(pathLength) && pathLength >= 0 && pathLength <= path.length)) {
      throw new RangeError(`FlowNetwork.pathLatencySeconds: pathLength must be an integer in [0, ${path.length}], got ${pathLength}`);
    }
    let latencySeconds = 0;
    for (let i = 0; i < pathLength; i++) {
      const link = path[i];
      this.assertLink(link, 'pathLatencySeconds');
      latencySeconds += this.linkLatencies[link];
    }
    return latencySeconds;
  }

  // ---------------------------------------------------------------------------------------------- flows

  /**
   * Starts a flow at `nowSeconds` and recomputes the rates it affects.
   *
   * @param path the link ids the flow crosses, at least one, each at most once (e.g. a route from
   *   `StarTopology.route`, read only during the call).
   * @param sizeBytes bytes to move, ≥ 0; `Infinity` for a backlogged flow that always has data (a migration
   *   whose end the migration engine decides).
   * @param capBytesPerSecond the flow's own rate limit (a migration's max-bandwidth), bytes per second, ≥ 0;
   *   default `Infinity`, no limit.
   * @param pathLength how many leading entries of `path` form the path, so a reused buffer needs no slice.
   *   Default `path.length`.
   * @returns the flow id. Ids of ended flows are reused, the most recently freed first, so ids stay below the
   *   peak number of concurrent flows; use {@link flowGeneration} to tell a reused id from its earlier flow.
   */
  startFlow(nowSeconds: number, path: ArrayLike<number>, sizeBytes: number, capBytesPerSecond = Infinity, pathLength: number = path.length): number {
    if (this.batching) this.assertBatchTime(nowSeconds, 'startFlow');
    else this.beginChange(nowSeconds, 'startFlow');
    if (!(sizeBytes >= 0)) throw new RangeError(`FlowNetwork.startFlow: sizeBytes must be ≥ 0 (Infinity for backlogged), got ${sizeBytes}`);
    if (!(capBytesPerSecond >= 0)) {
      throw new RangeError(`FlowNetwork.startFlow: capBytesPerSecond must be ≥ 0 (Infinity for none), got ${capBytesPerSecond}`);
    }
    if (!(Number.isInteger(pathLength) && pathLength >= 1 && pathLength <= path.length)) {
      throw new RangeError(`FlowNetwork.startFlow: pathLength must be an integer in [1, ${path.length}], got ${pathLength}`);
    }
    // Validate the whole path before changing anything. The marks of this epoch also seed the component
    // search below, if one is needed.
    this.newMarkEpoch();
    const epoch = this.markEpoch;
    const linkMarks = this.linkMarks;
    for (let i = 0; i < pathLength; i++) {
      const link = path[i];
      this.assertLink(link, 'startFlow');
      if (linkMarks[link] === epoch) throw new RangeError(`FlowNetwork.startFlow: link ${link} appears twice in the path`);
      linkMarks[link] = epoch;
      this.componentLinks[i] = link;
    }

    if (this.freeFlowCount === 0 && this.nextUnusedFlow === this.flowCapacity) this.growFlows();
    if (this.freeHopCount + this.hopCapacity - this.nextUnusedHop < pathLength) this.growHops(pathLength);
    const flow = this.freeFlowCount > 0 ? this.freeFlows[--this.freeFlowCount] : this.nextUnusedFlow++;
    this.activeFlowCountValue++;
    this.flowActive[flow] = 1;
    this.flowGenerations[flow] = (this.flowGenerations[flow] + 1) | 0;
    this.flowSizes[flow] = sizeBytes;
    this.flowCaps[flow] = capBytesPerSecond;
    this.flowRates[flow] = 0;
    this.flowTransferred[flow] = 0;
    this.flowUpdatedAt[flow] = nowSeconds;
    this.flowHopCounts[flow] = pathLength;

    // Link the hops, building the flow's list back to front so it follows the path's order.
    let spareForCap = Infinity;
    // A lower bound of the new flow's rate is min(cap, each link's capacity over its flow count); see
    // solveComponent. The loop takes the minimum from the constant Infinity, not from the parameter: a loop
    // variable that starts as a (tagged) argument made V8 box every new minimum, one heap number per link.
    let equalShareMinimum = Infinity;
    let nextHop = NO_HOP;
    for (let i = pathLength - 1; i >= 0; i--) {
      const link = path[i];
      const hop = this.freeHopCount > 0 ? this.freeHops[--this.freeHopCount] : this.nextUnusedHop++;
      this.hopLinks[hop] = link;
      this.hopFlows[hop] = flow;
      this.hopNextInFlow[hop] = nextHop;
      nextHop = hop;
      // Append-at-head of the link's list: O(1); the order only has to be deterministic.
      const head = this.linkFirstHops[link];
      this.hopPreviousInLink[hop] = NO_HOP;
      this.hopNextInLink[hop] = head;
      if (head !== NO_HOP) this.hopPreviousInLink[head] = hop;
      this.linkFirstHops[link] = hop;
      const flowsOnLink = ++this.linkFlowCounts[link];
      if (this.linkSpares[link] < spareForCap) spareForCap = this.linkSpares[link];
      const equalShare = this.linkCapacities[link] / flowsOnLink;
      if (equalShare < equalShareMinimum) equalShareMinimum = equalShare;
    }
    this.flowFirstHops[flow] = nextHop;
    if (sizeBytes < Infinity) {
      this.completionTimes[flow] = sizeBytes === 0 ? nowSeconds : Infinity; // rate 0 until set below
      this.completionInsert(flow);
    }

    if (this.batching) {
      // Rate 0 until endBatch solves every flow of the batch at once.
      if (this.batchFlowCount === this.batchFlows.length) {
        const grown = new Int32Array(this.batchFlows.length * 2);
        grown.set(this.batchFlows);
        this.batchFlows = grown;
      }
      this.batchFlows[this.batchFlowCount++] = flow;
      return flow;
    }
    if (capBytesPerSecond <= spareForCap) {
      // Fast path: the flow gets its whole cap from spare capacity. The other flows keep their rates and
      // their max-min certificates: a flow's bottleneck is a full link, and this flow crosses none (every
      // link it crosses had at least the cap to spare), so no bottleneck gained a flow; the new flow is held
      // by its cap. (A cap of 0 always lands here.)
      this.statistics.fastUpdates++;
      this.flowNewRates[flow] = capBytesPerSecond;
      this.applyNewRate(flow);
      for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) {
        this.linkSpares[this.hopLinks[hop]] -= capBytesPerSecond;
      }
      this.changedFlowIds[this.changedFlowCountValue++] = flow;
    } else {
      this.keepBelowBytesPerSecond = (capBytesPerSecond < equalShareMinimum ? capBytesPerSecond : equalShareMinimum) * KEEP_MARGIN;
      this.solveComponent(pathLength, flow);
      // solveComponent reports the flow only if its rate differs from the placeholder 0; report it always.
      if (this.flowRates[flow] === 0) this.changedFlowIds[this.changedFlowCountValue++] = flow;
    }
    this.notify(nowSeconds);
    return flow;
  }

  /**
   * Ends a flow at `nowSeconds` (completed or cancelled) and recomputes the rates it affects. Its id becomes
   * free for reuse, so read {@link transferredBytes} before ending it if you need it.
   */
  endFlow(nowSeconds: number, flow: number): void {
    this.assertNotBatching('endFlow');
    this.beginChange(nowSeconds, 'endFlow');
    this.assertFlow(flow, 'endFlow');
    const rate = this.flowRates[flow];
    const linkSpares = this.linkSpares;
    const linkCapacities = this.linkCapacities;
    // Fast path test: the flows whose rates could rise are those bottlenecked on one of this flow's links,
    // and a bottleneck is a full link. If none of its links is full (or the flow had rate 0, so its leaving
    // frees nothing and no fair share on its links rises), every other rate stays max-min optimal.
    let touchesFullLink = false;
    if (rate > 0) {
      for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) {
        const link = this.hopLinks[hop];
        if (linkSpares[link] <= FULL_LINK_RELATIVE_TOLERANCE * linkCapacities[link]) {
          touchesFullLink = true;
          break;
        }
      }
    }

    // Unlink the hops; when a solve follows, the flow's links seed the component search.
    this.newMarkEpoch();
    const epoch = this.markEpoch;
    let seedCount = 0;
    let hop = this.flowFirstHops[flow];
    while (hop !== NO_HOP) {
      const link = this.hopLinks[hop];
      linkSpares[link] += rate;
      this.linkFlowCounts[link]--;
      const previous = this.hopPreviousInLink[hop];
      const next = this.hopNextInLink[hop];
      if (previous === NO_HOP) this.linkFirstHops[link] = next;
      else this.hopNextInLink[previous] = next;
      if (next !== NO_HOP) this.hopPreviousInLink[next] = previous;
      if (touchesFullLink) {
        this.linkMarks[link] = epoch;
        this.componentLinks[seedCount++] = link;
      }
      const nextInFlow = this.hopNextInFlow[hop];
      this.freeHops[this.freeHopCount++] = hop;
      hop = nextInFlow;
    }
    if (this.completionHeapPositions[flow] !== NOT_IN_HEAP) this.completionRemove(flow);
    this.flowActive[flow] = 0;
    this.flowRates[flow] = 0;
    this.freeFlows[this.freeFlowCount++] = flow;
    this.activeFlowCountValue--;

    if (touchesFullLink) {
      this.keepBelowBytesPerSecond = rate * KEEP_MARGIN;
      this.solveComponent(seedCount, -1);
    } else {
      this.statistics.fastUpdates++;
    }
    this.notify(nowSeconds);
  }

  /**
   * Changes a flow's rate limit at `nowSeconds` (a migration engine throttling or releasing a migration) and
   * recomputes the rates it affects.
   *
   * @param capBytesPerSecond the new limit, bytes per second, ≥ 0; `Infinity` for none.
   */
  setFlowCap(nowSeconds: number, flow: number, capBytesPerSecond: number): void {
    this.assertNotBatching('setFlowCap');
    this.beginChange(nowSeconds, 'setFlowCap');
    this.assertFlow(flow, 'setFlowCap');
    if (!(capBytesPerSecond >= 0)) {
      throw new RangeError(`FlowNetwork.setFlowCap: capBytesPerSecond must be ≥ 0 (Infinity for none), got ${capBytesPerSecond}`);
    }
    const oldCap = this.flowCaps[flow];
    if (capBytesPerSecond === oldCap) return;
    this.flowCaps[flow] = capBytesPerSecond;
    const rate = this.flowRates[flow];

    if (capBytesPerSecond >= rate && rate < oldCap) {
      // The flow is held by a full link, not by its cap (a solve freezes a flow at exactly its cap when the
      // cap holds it), and it still fits under the new cap: nothing changes.
      this.statistics.fastUpdates++;
      return;
    }
    const linkSpares = this.linkSpares;
    const linkCapacities = this.linkCapacities;
    let fast = true;
    if (capBytesPerSecond > rate) {
      // The cap held the flow and rises: fast if the rise fits in the spare capacity of its whole path, for the
      // same reason as startFlow's fast path.
      const rise = capBytesPerSecond - rate;
      for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) {
        if (linkSpares[this.hopLinks[hop]] < rise) {
          fast = false;
          break;
        }
      }
    } else {
      // The cap falls below the rate: fast if none of the flow's links is full, for the same reason as
      // endFlow's fast path.
      for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) {
        const link = this.hopLinks[hop];
        if (linkSpares[link] <= FULL_LINK_RELATIVE_TOLERANCE * linkCapacities[link]) {
          fast = false;
          break;
        }
      }
    }
    if (fast) {
      this.statistics.fastUpdates++;
      const delta = capBytesPerSecond - rate;
      for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) linkSpares[this.hopLinks[hop]] -= delta;
      this.flowNewRates[flow] = capBytesPerSecond;
      this.applyNewRate(flow);
      this.changedFlowIds[this.changedFlowCountValue++] = flow;
    } else {
      this.newMarkEpoch();
      const epoch = this.markEpoch;
      let seedCount = 0;
      // Rates below both the flow's old rate and a lower bound of its new one stay (see solveComponent and, for
      // starting the minimum from Infinity, startFlow).
      let keepBelow = Infinity;
      for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) {
        const link = this.hopLinks[hop];
        this.linkMarks[link] = epoch;
        this.componentLinks[seedCount++] = link;
        const equalShare = linkCapacities[link] / this.linkFlowCounts[link];
        if (equalShare < keepBelow) keepBelow = equalShare;
      }
      if (rate < keepBelow) keepBelow = rate;
      if (capBytesPerSecond < keepBelow) keepBelow = capBytesPerSecond;
      this.keepBelowBytesPerSecond = keepBelow * KEEP_MARGIN;
      this.solveComponent(seedCount, flow);
    }
    this.notify(nowSeconds);
  }

  /** Number of active (started, not ended) flows. */
  get activeFlowCount(): number {
    return this.activeFlowCountValue;
  }

  /** Whether `flow` is the id of an active flow. */
  isActive(flow: number): boolean {
    return Number.isInteger(flow) && flow >= 0 && flow < this.nextUnusedFlow && this.flowActive[flow] === 1;
  }

  /**
   * How many times the id `flow` has been handed out by {@link startFlow} (1 for its first flow). Store it with
   * an event about the flow and compare when the event fires: an ended flow's id may already carry a new flow.
   */
  flowGeneration(flow: number): number {
    if (!(Number.isInteger(flow) && flow >= 0 && flow < this.nextUnusedFlow)) {
      throw new RangeError(`FlowNetwork.flowGeneration: ${flow} was never a flow id`);
    }
    return this.flowGenerations[flow];
  }

  /** Current max-min fair rate of a flow, bytes per second. */
  rate(flow: number): number {
    this.assertFlow(flow, 'rate');
    return this.flowRates[flow];
  }

  /** A flow's own rate limit, bytes per second (`Infinity` when it has none). */
  flowCap(flow: number): number {
    this.assertFlow(flow, 'flowCap');
    return this.flowCaps[flow];
  }

  /** A flow's size, bytes (`Infinity` for a backlogged flow). */
  flowSizeBytes(flow: number): number {
    this.assertFlow(flow, 'flowSizeBytes');
    return this.flowSizes[flow];
  }

  /**
   * Copies a flow's path (link ids, in order) into `out` and returns its length.
   *
   * @param out receives the link ids; must have room for the whole path.
   */
  flowPath(flow: number, out: Int32Array): number {
    this.assertFlow(flow, 'flowPath');
    const length = this.flowHopCounts[flow];
    if (out.length < length) throw new RangeError(`FlowNetwork.flowPath: out has room for ${out.length} links, the path has ${length}`);
    let i = 0;
    for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) out[i++] = this.hopLinks[hop];
    return length;
  }

  /**
   * Bytes a flow has moved from its start up to `nowSeconds` (at most its size). Rates are constant between
   * changes, so this is the bytes recorded at the flow's last rate change plus `rate × elapsed`.
   *
   * @param nowSeconds any time from the flow's last rate change on (typically the current time).
   */
  transferredBytes(nowSeconds: number, flow: number): number {
    this.assertFlow(flow, 'transferredBytes');
    const updatedAt = this.flowUpdatedAt[flow];
    if (!(nowSeconds >= updatedAt && nowSeconds < Infinity)) {
      throw new RangeError(
        `FlowNetwork.transferredBytes: nowSeconds must be finite and ≥ ${updatedAt} (flow ${flow}'s last rate change), got ${nowSeconds}`,
      );
    }
    const bytes = this.flowTransferred[flow] + this.flowRates[flow] * (nowSeconds - updatedAt);
    const size = this.flowSizes[flow];
    return bytes < size ? bytes : size;
  }

  /** Bytes a flow still has to move at `nowSeconds`: size − transferred (`Infinity` for a backlogged flow). */
  remainingBytes(nowSeconds: number, flow: number): number {
    const transferred = this.transferredBytes(nowSeconds, flow);
    return this.flowSizes[flow] - transferred;
  }

  /**
   * Time at which a finite flow completes if rates stay as they are, seconds (`Infinity` for a backlogged
   * flow or a flow at rate 0).
   */
  completionTimeSeconds(flow: number): number {
    this.assertFlow(flow, 'completionTimeSeconds');
    return this.flowSizes[flow] < Infinity ? this.completionTimes[flow] : Infinity;
  }

  /** Earliest completion time among the finite flows at current rates, seconds; `Infinity` if none will complete. O(1). */
  nextCompletionTimeSeconds(): number {
    return this.completionHeapSize === 0 ? Infinity : this.completionTimes[this.completionHeap[0]];
  }

  /** The flow that completes at {@link nextCompletionTimeSeconds} (smallest id on ties), or −1 if none will. O(1). */
  nextCompletionFlow(): number {
    if (this.completionHeapSize === 0) return -1;
    const flow = this.completionHeap[0];
    return this.completionTimes[flow] < Infinity ? flow : -1;
  }

  /** {@link nextCompletionTimeSeconds} and {@link nextCompletionFlow} in one object (allocates; for tests and tools). */
  nextCompletion(): { timeSeconds: number; flow: number } {
    return { timeSeconds: this.nextCompletionTimeSeconds(), flow: this.nextCompletionFlow() };
  }

  /**
   * Sets the listener called after each change that alters rates (or removes it with `undefined`). See
   * {@link FlowRateListener}.
   */
  setRateListener(listener: FlowRateListener | undefined): void {
    this.listener = listener;
  }

  /**
   * The flows whose rate changed in the last change (start, end, cap or link capacity change), in the first
   * {@link changedFlowCount} entries; for callers that poll instead of listening. Reused and replaced on
   * growth: read it right after the change.
   */
  get changedFlows(): Int32Array {
    return this.changedFlowIds;
  }

  /** Number of valid entries in {@link changedFlows}. */
  get changedFlowCount(): number {
    return this.changedFlowCountValue;
  }

  /**
   * Starts a batch at `nowSeconds`: the flows started until {@link endBatch} get rate 0 and are solved together
   * at the end, in one re-solve of everything they touch, instead of one per start. Many migrations start at the
   * same instant (a consolidation round); one by one, each start re-solves a component that grows with every
   * flow — quadratic work. Only `startFlow` (at the same time) may happen inside a batch.
   */
  beginBatch(nowSeconds: number): void {
    this.assertNotBatching('beginBatch');
    this.beginChange(nowSeconds, 'beginBatch');
    this.batching = true;
    this.batchFlowCount = 0;
  }

  /** Solves the flows started since {@link beginBatch} (a full re-solve of their components) and notifies once. */
  endBatch(nowSeconds: number): void {
    if (!this.batching) throw new Error('FlowNetwork.endBatch: no batch started');
    this.assertBatchTime(nowSeconds, 'endBatch');
    this.batching = false;
    if (this.batchFlowCount === 0) return;
    this.newMarkEpoch();
    const epoch = this.markEpoch;
    let seedCount = 0;
    for (let i = 0; i < this.batchFlowCount; i++) {
      for (let hop = this.flowFirstHops[this.batchFlows[i]]; hop !== NO_HOP; hop = this.hopNextInFlow[hop]) {
        const link = this.hopLinks[hop];
        if (this.linkMarks[link] === epoch) continue;
        this.linkMarks[link] = epoch;
        this.componentLinks[seedCount++] = link;
      }
    }
    // Keep nothing: the new flows' levels are unknown together, so their whole components are solved again.
    this.keepBelowBytesPerSecond = 0;
    this.solveComponent(seedCount, -1);
    // solveComponent reports a flow only when its rate moved from the placeholder 0; report new flows always.
    for (let i = 0; i < this.batchFlowCount; i++) {
      const flow = this.batchFlows[i];
      if (this.flowRates[flow] === 0) this.changedFlowIds[this.changedFlowCountValue++] = flow;
    }
    this.batchFlowCount = 0;
    this.notify(nowSeconds);
  }

  private batching = false;
  private batchFlows = new Int32Array(64);
  private batchFlowCount = 0;

  private assertNotBatching(method: string): void {
    if (this.batching) throw new Error(`FlowNetwork.${method}: not allowed inside a batch (call endBatch first)`);
  }

  private assertBatchTime(nowSeconds: number, method: string): void {
    if (nowSeconds !== this.latestTimeSeconds) {
      throw new RangeError(`FlowNetwork.${method}: a batch happens at one instant (${this.latestTimeSeconds}), got ${nowSeconds}`);
    }
  }

  // --------------------------------------------------------------------------------------------- solving

  /**
   * Re-solves the rates that a change can alter, then appends the flows whose rate changed to
   * `changedFlowIds`. The seed links (those of the changed flow, or the changed link) are already in
   * `componentLinks[0 … seedCount)`, marked with the current epoch.
   *
   * Which flows can change. Progressive filling raises a common level t from 0; below the level at which the
   * changed flow froze (its rate r), the changed flow's links are not full (else it would have frozen lower),
   * so every event below r — a link running full, a flow reaching its cap — is the same with or without it,
   * or with another cap. Hence every other flow with a rate below r keeps it: these are *kept*. When the
   * change is a start, the new rate is not known yet, but it is at least min(cap, min over its links of
   * capacity / flows), because when the link that freezes it runs full, no flow on that link is faster; that
   * bound serves as r. So the caller sets `keepBelowBytesPerSecond` (a threshold ≤ the true level; 0 keeps
   * nothing) and passes `changedFlow` (never kept; −1 for none), and the solve covers only the flows reachable from the seed links
   * through links and flows that are not kept: a kept flow is a constant load on its links and does not
   * connect them, and flows that are not reachable that way face an unchanged problem.
   *
   * The solve. Breadth-first search from the seed links; each link visited gets its capacity minus the kept
   * loads as spare, and its flows that are not kept as unfrozen. Then progressive filling (Bertsekas and
   * Gallager §6.5.2) with per-flow caps: a link runs full at level spare / unfrozen, a capped flow stops at
   * its cap. Repeatedly take the lower of the two heaps' minima: a cap freezes its flow at exactly the cap
   * (ties go to the cap, which setFlowCap relies on); a link freezes all its unfrozen flows at its share.
   * Freezing a flow at rate r subtracts r from every link on its path, which only raises those links' shares
   * (r is the lowest level), so the link heap is lazy: an entry's key is a lower bound of the link's share,
   * refreshed only when it reaches the top. Each link then costs O(log L) a few times instead of once per
   * flow frozen on it.
   */
  private solveComponent(seedCount: number, changedFlow: number): void {
    const keepBelow = this.keepBelowBytesPerSecond;
    const epoch = this.markEpoch;
    const linkMarks = this.linkMarks;
    const flowMarks = this.flowMarks;
    const componentLinks = this.componentLinks;
    const componentFlows = this.componentFlows;
    const linkFirstHops = this.linkFirstHops;
    const linkCapacities = this.linkCapacities;
    const linkSpares = this.linkSpares;
    const linkUnfrozen = this.linkUnfrozen;
    const linkShares = this.linkShares;
    const linkHeap = this.linkHeap;
    const linkHeapKeys = this.linkHeapKeys;
    const hopFlows = this.hopFlows;
    const hopLinks = this.hopLinks;
    const hopNextInLink = this.hopNextInLink;
    const hopNextInFlow = this.hopNextInFlow;
    const flowFirstHops = this.flowFirstHops;
    const flowRates = this.flowRates;
    const flowCaps = this.flowCaps;
    const flowNewRates = this.flowNewRates;

    // Search and set-up in one pass. componentLinks doubles as the queue of links to expand; the link heap
    // is filled in arbitrary order and heapified afterwards (O(L) instead of L insertions).
    let linkCount = seedCount;
    let flowCount = 0;
    let heapSize = 0;
    this.capHeapSize = 0;
    for (let i = 0; i < linkCount; i++) {
      const link = componentLinks[i];
      let spare = linkCapacities[link];
      let unfrozen = 0;
      for (let hop = linkFirstHops[link]; hop !== NO_HOP; hop = hopNextInLink[hop]) {
        const flow = hopFlows[hop];
        const rate = flowRates[flow];
        if (rate < keepBelow && flow !== changedFlow) {
          spare -= rate;
          continue;
        }
        unfrozen++;
        if (flowMarks[flow] === epoch) continue;
        flowMarks[flow] = epoch;
        componentFlows[flowCount++] = flow;
        flowNewRates[flow] = UNFROZEN;
        if (flowCaps[flow] < Infinity) this.capHeapInsert(flow);
        for (let other = flowFirstHops[flow]; other !== NO_HOP; other = hopNextInFlow[other]) {
          const next = hopLinks[other];
          if (linkMarks[next] === epoch) continue;
          linkMarks[next] = epoch;
          componentLinks[linkCount++] = next;
        }
      }
      linkSpares[link] = spare;
      linkUnfrozen[link] = unfrozen;
      if (unfrozen > 0) {
        const share = spare > 0 ? spare / unfrozen : 0;
        linkShares[link] = share;
        linkHeap[heapSize] = link;
        linkHeapKeys[heapSize] = share;
        heapSize++;
      }
    }
    this.statistics.componentSolves++;
    this.statistics.solvedFlows += flowCount;
    this.linkHeapSize = heapSize;
    for (let position = (heapSize >> 1) - 1; position >= 0; position--) this.linkHeapSiftDown(position);

    // Fill.
    const capHeap = this.capHeap;
    let unfrozenFlows = flowCount;
    while (unfrozenFlows > 0) {
      while (this.capHeapSize > 0 && flowNewRates[capHeap[0]] !== UNFROZEN) this.capHeapPopTop();
      const capLevel = this.capHeapSize > 0 ? flowCaps[capHeap[0]] : Infinity;
      // Every unfrozen flow crosses a link whose entry is still in the heap, so the heap is empty only when
      // a cap is pending.
      const topKey = this.linkHeapSize > 0 ? linkHeapKeys[0] : Infinity;
      if (capLevel <= topKey) {
        // The heap's top key is a lower bound of every link's share, so the cap comes first.
        if (capLevel === Infinity) throw new Error('FlowNetwork: internal error, unfrozen flows but no finite level');
        const flow = capHeap[0];
        this.capHeapPopTop();
        flowNewRates[flow] = capLevel;
        this.freeze(flow);
        unfrozenFlows--;
        continue;
      }
      const link = linkHeap[0];
      if (linkUnfrozen[link] === 0) {
        // All its flows froze on caps or on other links.
        this.linkHeapPopTop();
        continue;
      }
      const share = linkShares[link];
      if (share > topKey) {
        // Stale lower bound: refresh and let the heap find the true minimum.
        linkHeapKeys[0] = share;
        this.linkHeapSiftDown(0);
        continue;
      }
      // The link runs full at `share` (≤ every other share and below every pending cap): freeze its flows.
      this.linkHeapPopTop();
      for (let hop = linkFirstHops[link]; hop !== NO_HOP; hop = hopNextInLink[hop]) {
        const flow = hopFlows[hop];
        // Skip flows frozen before, and kept flows (not marked in this solve; their scratch rate is stale).
        if (flowNewRates[flow] !== UNFROZEN || flowMarks[flow] !== epoch) continue;
        flowNewRates[flow] = share;
        this.freeze(flow);
        unfrozenFlows--;
      }
    }
    this.linkHeapSize = 0;

    // Publish: settle progress and re-key completion only for flows whose rate changed.
    for (let i = 0; i < flowCount; i++) {
      const flow = componentFlows[i];
      const rate = flowNewRates[flow];
      if (rate === flowRates[flow]) continue;
      this.applyNewRate(flow);
      this.changedFlowIds[this.changedFlowCountValue++] = flow;
    }
  }

  /**
   * Freezes a flow during a solve at the rate already written to `flowNewRates[flow]`: takes the rate from
   * every link of its path and updates their shares (the heap catches up lazily).
   */
  private freeze(flow: number): void {
    const rate = this.flowNewRates[flow];
    const linkSpares = this.linkSpares;
    const linkUnfrozen = this.linkUnfrozen;
    const linkShares = this.linkShares;
    const hopLinks = this.hopLinks;
    const hopNextInFlow = this.hopNextInFlow;
    for (let hop = this.flowFirstHops[flow]; hop !== NO_HOP; hop = hopNextInFlow[hop]) {
      const link = hopLinks[hop];
      const spare = (linkSpares[link] -= rate);
      const left = --linkUnfrozen[link];
      // Rounding can leave a full link a few ulps below zero; its share is then 0, not negative.
      if (left > 0) linkShares[link] = spare > 0 ? spare / left : 0;
    }
  }

  /**
   * Makes `flowNewRates[flow]` the flow's rate from the current change's time on: integrates its progress at
   * the old rate up to then, and re-keys its completion.
   */
  private applyNewRate(flow: number): void {
    const nowSeconds = this.latestTimeSeconds;
    const rate = this.flowNewRates[flow];
    const size = this.flowSizes[flow];
    const moved = this.flowTransferred[flow] + this.flowRates[flow] * (nowSeconds - this.flowUpdatedAt[flow]);
    const transferred = moved < size ? moved : size;
    this.flowTransferred[flow] = transferred;
    this.flowUpdatedAt[flow] = nowSeconds;
    this.flowRates[flow] = rate;
    if (size < Infinity) {
      this.completionTimes[flow] = transferred >= size ? nowSeconds : rate > 0 ? nowSeconds + (size - transferred) / rate : Infinity;
      this.completionUpdate(flow);
    }
  }

  // ------------------------------------------------------------------------------------ change plumbing

  private beginChange(nowSeconds: number, method: string): void {
    this.assertNotNotifying(method);
    if (!(nowSeconds >= this.latestTimeSeconds && nowSeconds < Infinity)) {
      throw new RangeError(
        `FlowNetwork.${method}: nowSeconds must be finite and not before the previous change (${this.latestTimeSeconds}), got ${nowSeconds}`,
      );
    }
    this.latestTimeSeconds = nowSeconds;
    this.changedFlowCountValue = 0;
  }

  private notify(nowSeconds: number): void {
    const listener = this.listener;
    if (listener === undefined || this.changedFlowCountValue === 0) return;
    this.notifying = true;
    try {
      listener(nowSeconds, this.changedFlowIds, this.changedFlowCountValue);
    } finally {
      this.notifying = false;
    }
  }

  private assertNotNotifying(method: string): void {
    if (this.notifying) throw new Error(`FlowNetwork.${method}: the network cannot change inside its rate listener`);
  }

  /** Starts a new visit epoch; marks from earlier epochs then count as unvisited without clearing them. */
  private newMarkEpoch(): void {
    if (this.markEpoch === 0x7fffffff) {
      // Once per 2^31 changes: clear, so an old mark can never equal a new epoch.
      this.linkMarks.fill(0);
      this.flowMarks.fill(0);
      this.markEpoch = 0;
    }
    this.markEpoch++;
  }

  private assertLink(link: number, method: string): void {
    if (!(Number.isInteger(link) && link >= 0 && link < this.linkCountValue)) {
      throw new RangeError(`FlowNetwork.${method}: ${link} is not a link id (there are ${this.linkCountValue} links)`);
    }
  }

  private assertFlow(flow: number, method: string): void {
    if (!this.isActive(flow)) throw new RangeError(`FlowNetwork.${method}: ${flow} is not an active flow`);
  }

  // ------------------------------------------------------------------------------------------- link heap
  // Binary min-heap of links by (key, link id), keys stored beside the links (a key is a lower bound of the
  // link's share; see solveComponent). Built and emptied within one solve.

  private linkHeapPopTop(): void {
    const size = --this.linkHeapSize;
    if (size === 0) return;
    this.linkHeap[0] = this.linkHeap[size];
    this.linkHeapKeys[0] = this.linkHeapKeys[size];
    this.linkHeapSiftDown(0);
  }

  private linkHeapSiftDown(position: number): void {
    const heap = this.linkHeap;
    const keys = this.linkHeapKeys;
    const size = this.linkHeapSize;
    const link = heap[position];
    const key = keys[position];
    for (;;) {
      let child = 2 * position + 1;
      if (child >= size) break;
      let childKey = keys[child];
      const right = child + 1;
      if (right < size) {
        const rightKey = keys[right];
        if (rightKey < childKey || (rightKey === childKey && heap[right] < heap[child])) {
          child = right;
          childKey = rightKey;
        }
      }
      if (childKey > key || (childKey === key && heap[child] > link)) break;
      heap[position] = heap[child];
      keys[position] = childKey;
      position = child;
    }
    heap[position] = link;
    keys[position] = key;
  }

  // -------------------------------------------------------------------------------------------- cap heap
  // Plain binary min-heap of flows by (cap, flow id); frozen flows are dropped lazily when they reach the top.

  private capBefore(x: number, y: number): boolean {
    const capX = this.flowCaps[x];
    const capY = this.flowCaps[y];
    return capX < capY || (capX === capY && x < y);
  }

  private capHeapInsert(flow: number): void {
    const heap = this.capHeap;
    let position = this.capHeapSize++;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.capBefore(flow, heap[parent])) break;
      heap[position] = heap[parent];
      position = parent;
    }
    heap[position] = flow;
  }

  private capHeapPopTop(): void {
    const heap = this.capHeap;
    const size = --this.capHeapSize;
    if (size === 0) return;
    const flow = heap[size];
    let position = 0;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= size) break;
      if (child + 1 < size && this.capBefore(heap[child + 1], heap[child])) child++;
      if (!this.capBefore(heap[child], flow)) break;
      heap[position] = heap[child];
      position = child;
    }
    heap[position] = flow;
  }

  // ------------------------------------------------------------------------------------- completion heap
  // Indexed binary min-heap of finite flows by (completion time, flow id).

  private completionBefore(x: number, y: number): boolean {
    const timeX = this.completionTimes[x];
    const timeY = this.completionTimes[y];
    return timeX < timeY || (timeX === timeY && x < y);
  }

  /** Inserts a flow whose completionTimes entry is already set. */
  private completionInsert(flow: number): void {
    const position = this.completionHeapSize++;
    this.completionHeap[position] = flow;
    this.completionHeapPositions[flow] = position;
    this.completionSiftUp(position);
  }

  private completionUpdate(flow: number): void {
    const position = this.completionHeapPositions[flow];
    this.completionSiftUp(position);
    this.completionSiftDown(this.completionHeapPositions[flow]);
  }

  private completionRemove(flow: number): void {
    const position = this.completionHeapPositions[flow];
    this.completionHeapPositions[flow] = NOT_IN_HEAP;
    const last = --this.completionHeapSize;
    if (position === last) return;
    const moved = this.completionHeap[last];
    this.completionHeap[position] = moved;
    this.completionHeapPositions[moved] = position;
    this.completionSiftUp(position);
    this.completionSiftDown(this.completionHeapPositions[moved]);
  }

  private completionSiftUp(position: number): void {
    const heap = this.completionHeap;
    const positions = this.completionHeapPositions;
    const flow = heap[position];
    while (position > 0) {
      const parent = (position - 1) >> 1;
      const parentFlow = heap[parent];
      if (!this.completionBefore(flow, parentFlow)) break;
      heap[position] = parentFlow;
      positions[parentFlow] = position;
      position = parent;
    }
    heap[position] = flow;
    positions[flow] = position;
  }

  private completionSiftDown(position: number): void {
    const heap = this.completionHeap;
    const positions = this.completionHeapPositions;
    const size = this.completionHeapSize;
    const flow = heap[position];
    for (;;) {
      let child = 2 * position + 1;
      if (child >= size) break;
      if (child + 1 < size && this.completionBefore(heap[child + 1], heap[child])) child++;
      const childFlow = heap[child];
      if (!this.completionBefore(childFlow, flow)) break;
      heap[position] = childFlow;
      positions[childFlow] = position;
      position = child;
    }
    heap[position] = flow;
    positions[flow] = position;
  }

  // ---------------------------------------------------------------------------------------------- growth
  // The only places the network allocates: each doubles a group of arrays, amortized O(1) per link or flow.

  private growLinks(): void {
    const capacity = this.linkCapacity * 2;
    this.linkCapacities = grown(this.linkCapacities, new Float64Array(capacity));
    this.linkLatencies = grown(this.linkLatencies, new Float64Array(capacity));
    this.linkSpares = grown(this.linkSpares, new Float64Array(capacity));
    this.linkFlowCounts = grown(this.linkFlowCounts, new Int32Array(capacity));
    this.linkFirstHops = grown(this.linkFirstHops, new Int32Array(capacity).fill(NO_HOP));
    this.linkUnfrozen = grown(this.linkUnfrozen, new Int32Array(capacity));
    this.linkShares = grown(this.linkShares, new Float64Array(capacity));
    this.linkMarks = grown(this.linkMarks, new Int32Array(capacity));
    this.linkHeap = new Int32Array(capacity); // empty between solves
    this.linkHeapKeys = new Float64Array(capacity);
    this.componentLinks = new Int32Array(capacity); // scratch
    this.linkCapacity = capacity;
  }

  private growFlows(): void {
    const capacity = this.flowCapacity * 2;
    this.flowActive = grown(this.flowActive, new Uint8Array(capacity));
    this.flowGenerations = grown(this.flowGenerations, new Int32Array(capacity));
    this.flowFirstHops = grown(this.flowFirstHops, new Int32Array(capacity));
    this.flowHopCounts = grown(this.flowHopCounts, new Int32Array(capacity));
    this.flowSizes = grown(this.flowSizes, new Float64Array(capacity));
    this.flowCaps = grown(this.flowCaps, new Float64Array(capacity));
    this.flowRates = grown(this.flowRates, new Float64Array(capacity));
    this.flowTransferred = grown(this.flowTransferred, new Float64Array(capacity));
    this.flowUpdatedAt = grown(this.flowUpdatedAt, new Float64Array(capacity));
    this.flowNewRates = grown(this.flowNewRates, new Float64Array(capacity));
    this.flowMarks = grown(this.flowMarks, new Int32Array(capacity));
    this.completionTimes = grown(this.completionTimes, new Float64Array(capacity));
    this.completionHeap = grown(this.completionHeap, new Int32Array(capacity));
    this.completionHeapPositions = grown(this.completionHeapPositions, new Int32Array(capacity).fill(NOT_IN_HEAP));
    this.freeFlows = grown(this.freeFlows, new Int32Array(capacity));
    this.componentFlows = new Int32Array(capacity); // scratch
    this.capHeap = new Int32Array(capacity); // empty between solves
    // Grows only at the start of a change, while the list is empty, so no entry is lost.
    this.changedFlowIds = new Int32Array(capacity);
    this.flowCapacity = capacity;
  }

  /** Grows the hop arrays until at least `needed` hops are free. */
  private growHops(needed: number): void {
    let capacity = this.hopCapacity * 2;
    while (capacity - this.nextUnusedHop + this.freeHopCount < needed) capacity *= 2;
    this.hopLinks = grown(this.hopLinks, new Int32Array(capacity));
    this.hopFlows = grown(this.hopFlows, new Int32Array(capacity));
    this.hopNextInFlow = grown(this.hopNextInFlow, new Int32Array(capacity));
    this.hopPreviousInLink = grown(this.hopPreviousInLink, new Int32Array(capacity));
    this.hopNextInLink = grown(this.hopNextInLink, new Int32Array(capacity));
    this.freeHops = grown(this.freeHops, new Int32Array(capacity));
    this.hopCapacity = capacity;
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
