/**
 * Many live migrations at once on a shared network, on the kernel's simulator: each migration is a
 * {@link MigrationProcess} with a flow from its source to its target in a {@link StarTopology}; flows share links
 * by max-min fairness, so a migration slows down when others start on the same NICs and speeds up when they end.
 *
 * The service owns the flows and the wake-up events; whoever starts migrations (a data center, a benchmark) hears
 * of each one's switch-over (the VM now runs on the target) and completion (nothing of it is left on the source)
 * through {@link MigrationServiceHooks}. Other traffic can share the links: start flows on `topology.network`
 * directly and call {@link MigrationService.networkChanged} after changing them.
 */
import type { Simulator } from '../../kernel/simulator.js';
import type { StarTopology } from '../../model/network/topology.js';
import type { LiveMigrationResult } from './live-migration.js';
import type { MigrationProcess } from './migration-process.js';

export interface MigrationServiceHooks {
  /** The VM runs on the target from `nowSeconds` on (pre-copy: the stop ended; post-copy: it resumed there). */
  onSwitchover(vm: number, nowSeconds: number): void;
  /** The migration is over (completed, aborted or lost: see `result.outcome`). */
  onComplete(vm: number, nowSeconds: number, result: LiveMigrationResult): void;
}

/** Makes the engine for one migration (page level or aggregate, with the VM's memory behaviour). */
export type MigrationFactory = (vm: number, source: number, target: number, latencySeconds: number) => MigrationProcess;

export class MigrationService {
  private readonly sim: Simulator;
  private readonly topology: StarTopology;
  private readonly hooks: MigrationServiceHooks;
  private readonly factory: MigrationFactory;
  private readonly wakeKind: number;

  // Per slot (a migration in flight); slots are recycled. Arrays grow by doubling.
  private processes: (MigrationProcess | undefined)[] = [];
  private slotVm = new Int32Array(16);
  private slotFlow = new Int32Array(16);
  private slotGeneration = new Int32Array(16);
  private slotSwitched = new Uint8Array(16);
  private slotCap = new Float64Array(16);
  private slotSource = new Int32Array(16);
  private slotTarget = new Int32Array(16);
  private readonly freeSlots: number[] = [];
  /** Flow id → slot (−1: not a migration's flow). */
  private flowSlot = new Int32Array(64).fill(-1);
  private readonly slotByVm = new Map<number, number>();
  private inFlightCount = 0;

  // Rate changes reported by the network while it recomputes, handled once it is done (it must not be re-entered).
  private pendingFlows = new Int32Array(64);
  private pendingCount = 0;
  private draining = false;
  private advancing = false;

  constructor(sim: Simulator, topology: StarTopology, hooks: MigrationServiceHooks, factory: MigrationFactory) {
    this.sim = sim;
    this.topology = topology;
    this.hooks = hooks;
    this.factory = factory;
    this.wakeKind = sim.defineKind('migration-wake', (slot, generation) => this.onWake(slot, generation));
    topology.network.setRateListener((_now, flows, count) => {
      for (let i = 0; i < count; i++) this.queueFlow(flows[i]);
    });
  }

  /** Migrations in flight. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  isMigrating(vm: number): boolean {
    return this.slotByVm.has(vm);
  }

  /** Starts migrating `vm` from `source` to `target` now. */
  start(vm: number, source: number, target: number): void {
    if (this.slotByVm.has(vm)) throw new Error(`internal: VM ${vm} is already migrating`);
    if (source === target) throw new Error(`internal: VM ${vm} migrating to its own host ${source}`);
    const now = this.sim.now;
    const slot = this.allocateSlot();
    const length = this.topology.route(source, target);
    const latency = this.topology.network.pathLatencySeconds(this.topology.routeBuffer, length);
    const process = this.factory(vm, source, target, latency);
    this.processes[slot] = process;
    this.slotVm[slot] = vm;
    this.slotSource[slot] = source;
    this.slotTarget[slot] = target;
    this.slotSwitched[slot] = 0;
    this.slotByVm.set(vm, slot);
    this.inFlightCount++;
    // The engine's own limit (max-bandwidth) is the flow's cap; the engine starts at the rate it gets.
    const cap = process.capBytesPerSecond();
    this.slotCap[slot] = cap;
    this.draining = true; // the new flow's rate is read below, not through the listener
    const flow = this.topology.network.startFlow(now, this.topology.routeBuffer, Infinity, cap, length);
    this.draining = false;
    this.setFlowSlot(flow, slot);
    this.slotFlow[slot] = flow;
    process.start(now, this.topology.network.rate(flow));
    this.reschedule(slot);
    this.drain(now);
  }

  /**
   * Host `host` crashes now: every migration from it fails as a source failure, every one to it as a destination
   * failure (the engines decide the outcome: aborted, the VM still on its source, or lost); each one's end is
   * reported through `onComplete`.
   */
  failHost(host: number): void {
    const now = this.sim.now;
    for (let slot = 0; slot < this.processes.length; slot++) {
      const process = this.processes[slot];
      if (process === undefined) continue;
      const source = this.slotSource[slot];
      const target = this.slotTarget[slot];
      if (source !== host && target !== host) continue;
      // Up to now first, reporting a switch-over or an end that falls at this very instant.
      this.advance(slot, now);
      if (this.processes[slot] !== process) continue;
      process.fail(now, source === host ? 'source' : 'destination');
      this.finish(slot, now);
    }
    this.drain(now);
  }

  /**
   * Host `host`'s network fails now: every migration through it fails as a link failure (pre-copy aborts, the VM
   * stays on its source; a post-copy after its switch is lost, or paused if the engine has post-copy recovery).
   * Paused migrations wait for {@link restoreLink}.
   */
  failLink(host: number): void {
    const now = this.sim.now;
    for (let slot = 0; slot < this.processes.length; slot++) {
      const process = this.processes[slot];
      if (process === undefined || (this.slotSource[slot] !== host && this.slotTarget[slot] !== host)) continue;
      this.advance(slot, now);
      if (this.processes[slot] !== process) continue;
      process.fail(now, 'link');
      if (process.finished) this.finish(slot, now);
      else this.reschedule(slot); // paused: no wake until the link is back
    }
    this.drain(now);
  }

  /** Host `host`'s network is back: paused post-copies through it resume at the rate they now get. */
  restoreLink(host: number): void {
    const now = this.sim.now;
    for (let slot = 0; slot < this.processes.length; slot++) {
      const process = this.processes[slot];
      if (process === undefined || process.currentPhase !== 'paused') continue;
      if (this.slotSource[slot] !== host && this.slotTarget[slot] !== host) continue;
      process.recover(now);
      process.setRate(now, this.topology.network.rate(this.slotFlow[slot]));
      this.reschedule(slot);
    }
    this.drain(now);
  }

  /**
   * Starts a batch: migrations started until {@link endBatch} (at this same instant) get their flows' rates in one
   * re-solve of the network at the end, instead of one each (a consolidation round starts many at once). They
   * start at rate 0 and receive their rates when the batch ends.
   */
  beginBatch(): void {
    this.topology.network.beginBatch(this.sim.now);
  }

  endBatch(): void {
    this.topology.network.endBatch(this.sim.now);
    this.drain(this.sim.now);
  }

  /** Call after changing other flows on the network yourself, so the migrations pick up their new rates. */
  networkChanged(): void {
    // From inside a hook (the service is advancing a migration), the change is handled when that returns.
    if (this.advancing) return;
    this.drain(this.sim.now);
  }

  private onWake(slot: number, generation: number): void {
    if (this.slotGeneration[slot] !== generation || this.processes[slot] === undefined) return; // stale
    const now = this.sim.now;
    this.advance(slot, now);
    this.drain(now);
  }

  /** Runs a migration to `now` and handles what happened: switch-over, a new rate limit, the end. */
  private advance(slot: number, now: number): void {
    const process = this.processes[slot]!;
    process.runUntil(now);
    const vm = this.slotVm[slot];
    if (this.slotSwitched[slot] === 0 && process.location === 'destination') {
      this.slotSwitched[slot] = 1;
      // Hooks may change other flows (the VM's own traffic moves with it): their rate changes are queued and
      // handled by the drain that follows every advance.
      const was = this.advancing;
      this.advancing = true;
      try {
        this.hooks.onSwitchover(vm, now);
      } finally {
        this.advancing = was;
      }
    }
    if (process.finished) {
      this.finish(slot, now);
      return;
    }
    const cap = process.capBytesPerSecond();
    if (cap !== this.slotCap[slot]) {
      // A new phase with its own limit (pre-copy → stopped → post-copy): the network re-shares, the listener
      // queues the flows whose rate changed (this one among them).
      this.slotCap[slot] = cap;
      this.topology.network.setFlowCap(now, this.slotFlow[slot], cap);
    }
    this.reschedule(slot);
  }

  private finish(slot: number, now: number): void {
    const process = this.processes[slot]!;
    const vm = this.slotVm[slot];
    const flow = this.slotFlow[slot];
    this.processes[slot] = undefined;
    this.slotGeneration[slot]++;
    this.slotByVm.delete(vm);
    this.flowSlot[flow] = -1;
    this.freeSlots.push(slot);
    this.inFlightCount--;
    this.topology.network.endFlow(now, flow);
    const was = this.advancing;
    this.advancing = true;
    try {
      this.hooks.onComplete(vm, now, process.result());
    } finally {
      this.advancing = was;
    }
  }

  private reschedule(slot: number): void {
    const process = this.processes[slot]!;
    const wake = process.nextWakeSeconds();
    this.slotGeneration[slot]++;
    if (wake < Infinity) this.sim.scheduleAt(Math.max(wake, this.sim.now), this.wakeKind, slot, this.slotGeneration[slot]);
  }

  private queueFlow(flow: number): void {
    if (flow >= this.flowSlot.length || this.flowSlot[flow] < 0) return; // not a migration's flow
    if (this.pendingCount === this.pendingFlows.length) {
      const grown = new Int32Array(this.pendingFlows.length * 2);
      grown.set(this.pendingFlows);
      this.pendingFlows = grown;
    }
    this.pendingFlows[this.pendingCount++] = flow;
  }

  /** Gives every migration whose flow changed rate its new rate (after running it to now at the old one). */
  private drain(now: number): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < this.pendingCount; i++) {
        const flow = this.pendingFlows[i];
        const slot = flow < this.flowSlot.length ? this.flowSlot[flow] : -1;
        if (slot < 0 || this.processes[slot] === undefined) continue;
        const process = this.processes[slot]!;
        process.runUntil(now);
        if (!process.finished) process.setRate(now, this.topology.network.rate(flow));
        // advance() may change a cap, which queues more flows at the end of this list.
        this.advance(slot, now);
      }
      this.pendingCount = 0;
    } finally {
      this.draining = false;
    }
  }

  private allocateSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.processes.length;
    this.processes.push(undefined);
    if (slot >= this.slotVm.length) {
      const size = this.slotVm.length * 2;
      this.slotVm = grow(this.slotVm, new Int32Array(size));
      this.slotFlow = grow(this.slotFlow, new Int32Array(size));
      this.slotGeneration = grow(this.slotGeneration, new Int32Array(size));
      this.slotSwitched = grow(this.slotSwitched, new Uint8Array(size));
      this.slotCap = grow(this.slotCap, new Float64Array(size));
      this.slotSource = grow(this.slotSource, new Int32Array(size));
      this.slotTarget = grow(this.slotTarget, new Int32Array(size));
    }
    return slot;
  }

  private setFlowSlot(flow: number, slot: number): void {
    if (flow >= this.flowSlot.length) {
      const grown = new Int32Array(Math.max(flow + 1, this.flowSlot.length * 2)).fill(-1);
      grown.set(this.flowSlot);
      this.flowSlot = grown;
    }
    this.flowSlot[flow] = slot;
  }
}

function grow<T extends Int32Array | Uint8Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
