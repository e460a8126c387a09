/**
 * The clock and the run loop: the only code that advances simulated time.
 *
 * A {@link Simulator} owns the current time, the pending events and one handler per integer event kind.
 * Everything above the kernel (hosts, VMs, migrations, policies) only schedules events and reacts to them;
 * nothing else touches the queue, as in SimPy's `Environment`.
 *
 * Events are plain numbers, `(time, priority, kind, a, b)`, and handlers are looked up in an array indexed by
 * kind, so dispatching an event allocates nothing and costs one array load and one call: no `Map` lookup, no
 * closure or object per event (see event-queue.ts for why that matters).
 *
 * Errors are never swallowed: an exception thrown by a handler leaves the run loop and reaches the caller of
 * {@link Simulator.run} or {@link Simulator.step}, with the clock at the failing event's time.
 *
 * Cancellation is the caller's business, by generation counters: keep a generation per entity, pass it as
 * payload `b`, bump it to cancel, and ignore stale events in the handler. The stale event still pops (O(log n))
 * but nothing has to search the heap.
 *
 * @example
 * ```ts
 * const sim = new Simulator();
 * const generation = new Int32Array(vmCount);
 * const MIGRATION_DONE = sim.defineKind('migration-done', (vm, gen) => {
 *   if (gen !== generation[vm]) return; // cancelled or superseded
 *   finishMigration(vm, sim.now);
 * });
 * sim.schedule(12.5, MIGRATION_DONE, vm, generation[vm]);
 * generation[vm]++;            // cancels the event above
 * sim.run(3600);               // one simulated hour; sim.now === 3600 afterwards
 * ```
 */

import { EventQueue } from './event-queue.js';

/**
 * Reacts to one event. Called without `this` (use an arrow function or a bound method); the event's time is
 * {@link Simulator.now}.
 *
 * @param a first int32 payload of the event.
 * @param b second int32 payload of the event.
 */
export type EventHandler = (a: number, b: number) => void;

/** Options for a {@link Simulator}. */
export interface SimulatorOptions {
  /** Start time of the clock, in seconds. Default 0. */
  startTimeSeconds?: number;
  /** Events the queue holds before it first grows. Default 1024. */
  initialCapacity?: number;
}

/** A discrete-event simulator: clock, pending events, handlers per event kind, and the run loop. */
export class Simulator {
  private clock: number;
  private eventCount = 0;
  private readonly queue: EventQueue;
  private readonly handlers: (EventHandler | undefined)[] = [];
  private readonly kindNames: (string | undefined)[] = [];
  private running = false;
  private stopRequested = false;

  constructor(options: SimulatorOptions = {}) {
    const start = options.startTimeSeconds ?? 0;
    if (!Number.isFinite(start)) throw new RangeError(`Simulator: startTimeSeconds must be finite, got ${start}`);
    this.clock = start;
    this.queue = new EventQueue(options.initialCapacity);
  }

  /** Current simulated time, in seconds. */
  get now(): number {
    return this.clock;
  }

  /** Number of events processed since the simulator was created. */
  get events(): number {
    return this.eventCount;
  }

  /** Number of events scheduled but not yet processed (stale, generation-cancelled events included). */
  get pending(): number {
    return this.queue.size;
  }

  /** Time of the next pending event, in seconds, or `Infinity` when none is pending. */
  peekTime(): number {
    return this.queue.peekTime();
  }

  /**
   * Registers the handler of an event kind. Each kind has exactly one handler, registered once.
   *
   * @param kind non-negative integer; keep kinds small and dense, they index an array.
   * @param handler called with the event's two payloads.
   * @param name used in error messages. Default `kind <n>`.
   * @throws if `kind` is not a non-negative int32 or already has a handler.
   */
  on(kind: number, handler: EventHandler, name?: string): void {
    if (!Number.isInteger(kind) || kind < 0 || kind > 0x7fffffff) {
      throw new RangeError(`Simulator.on: kind must be a non-negative 32-bit integer, got ${kind}`);
    }
    if (this.handlers[kind] !== undefined) {
      throw new Error(`Simulator.on: ${this.describeKind(kind)} already has a handler`);
    }
    // Fill holes with undefined so the array stays a packed, fast-access array when kinds are sparse.
    while (this.handlers.length < kind) {
      this.handlers.push(undefined);
      this.kindNames.push(undefined);
    }
    this.handlers[kind] = handler;
    this.kindNames[kind] = name;
  }

  /**
   * Registers a handler under the lowest free kind and returns that kind, so that independent modules never
   * collide on kind numbers.
   *
   * @param name used in error messages, e.g. `'migration-done'`.
   * @returns the allocated kind, to pass to {@link schedule}.
   */
  defineKind(name: string, handler: EventHandler): number {
    let kind = this.handlers.indexOf(undefined);
    if (kind < 0) kind = this.handlers.length;
    this.on(kind, handler, name);
    return kind;
  }

  /**
   * Schedules an event `delaySeconds` from now.
   *
   * @param delaySeconds finite and non-negative, in seconds; 0 runs after the events already pending at `now`
   *   with the same priority.
   * @param kind a kind with a registered handler.
   * @param a first int32 payload. Default 0.
   * @param b second int32 payload (by convention a generation counter for cancellation). Default 0.
   * @param priority int32; among events at the same time, lower runs first. Default 0.
   * @throws on a negative, NaN or infinite delay, an unregistered kind, or non-int32 payloads.
   */
  schedule(delaySeconds: number, kind: number, a = 0, b = 0, priority = 0): void {
    if (!(delaySeconds >= 0 && delaySeconds < Infinity)) {
      throw new RangeError(
        `Simulator.schedule: delaySeconds must be finite and >= 0, got ${delaySeconds} (${this.describeKind(kind)} at now=${this.clock})`,
      );
    }
    if (this.handlers[kind] === undefined) this.throwNoHandler('schedule', kind);
    this.queue.push(this.clock + delaySeconds, priority, kind, a, b);
  }

  /**
   * Schedules an event at an absolute time.
   *
   * @param timeSeconds finite and not before {@link now}, in seconds.
   * @throws on a time in the past, NaN or infinite, an unregistered kind, or non-int32 payloads.
   */
  scheduleAt(timeSeconds: number, kind: number, a = 0, b = 0, priority = 0): void {
    if (!(timeSeconds >= this.clock && timeSeconds < Infinity)) {
      const reason = timeSeconds < this.clock ? 'is in the past' : 'must be finite';
      throw new RangeError(
        `Simulator.scheduleAt: time ${timeSeconds} ${reason} (now=${this.clock}, ${this.describeKind(kind)})`,
      );
    }
    if (this.handlers[kind] === undefined) this.throwNoHandler('scheduleAt', kind);
    this.queue.push(timeSeconds, priority, kind, a, b);
  }

  /**
   * Processes every event with time <= `untilSeconds`, in (time, priority, insertion) order, then sets
   * {@link now} to `untilSeconds`. Events scheduled by handlers run in the same call if they are due.
   *
   * If a handler calls {@link stop}, returns right after that handler with {@link now} at its event's time.
   * If a handler throws, the exception propagates with {@link now} at the failing event's time; that event
   * counts as processed and the others stay pending.
   *
   * @param untilSeconds end of the run, in seconds, not before {@link now}. Default `Infinity`: run until no
   *   event is pending, leaving {@link now} at the last event's time.
   * @throws if called from inside a handler, or if `untilSeconds` is NaN or in the past.
   */
  run(untilSeconds: number = Infinity): void {
    if (!(untilSeconds >= this.clock)) {
      throw new RangeError(`Simulator.run: untilSeconds=${untilSeconds} must be a time not before now=${this.clock}`);
    }
    this.enter('run');
    this.stopRequested = false;
    const queue = this.queue;
    const handlers = this.handlers;
    try {
      while (queue.size > 0 && queue.peekTime() <= untilSeconds) {
        queue.pop();
        this.clock = queue.topTime;
        this.eventCount++;
        // Every queued kind has a handler: schedule() checks, and handlers are never removed.
        const handler = handlers[queue.topKind] as EventHandler;
        handler(queue.topA, queue.topB);
        if (this.stopRequested) return;
      }
      if (untilSeconds !== Infinity) this.clock = untilSeconds;
    } finally {
      this.running = false;
    }
  }

  /**
   * Processes exactly one event, the earliest pending one.
   *
   * @returns false when no event was pending.
   * @throws if called from inside a handler; rethrows the handler's exception.
   */
  step(): boolean {
    this.enter('step');
    try {
      const queue = this.queue;
      if (!queue.pop()) return false;
      this.clock = queue.topTime;
      this.eventCount++;
      (this.handlers[queue.topKind] as EventHandler)(queue.topA, queue.topB);
      return true;
    } finally {
      this.running = false;
    }
  }

  /**
   * Asks the current {@link run} to return after the handler being executed. Meant to be called from a
   * handler; outside a run it has no effect (each run starts unstopped).
   */
  stop(): void {
    this.stopRequested = true;
  }

  private enter(method: string): void {
    if (this.running) {
      throw new Error(`Simulator.${method}: called from inside an event handler; schedule an event instead`);
    }
    this.running = true;
  }

  private describeKind(kind: number): string {
    const name = this.kindNames[kind];
    return name === undefined ? `kind ${kind}` : `kind ${kind} (${name})`;
  }

  private throwNoHandler(method: string, kind: number): never {
    throw new Error(`Simulator.${method}: no handler registered for kind ${kind}; register one with on() or defineKind()`);
  }
}
