/**
 * Kernel throughput benchmark: how many events per second the event queue and the simulator loop sustain.
 *
 * Three measurements, each after a smaller warm-up run so the optimizing compiler has settled:
 * - queue hold model (the classic priority-queue benchmark): keep `pendingEvents` events in the queue; each
 *   operation pops the earliest and pushes one at its time plus a random delay;
 * - simulator hold model: the same through `Simulator.schedule` and handler dispatch;
 * - simulator drain: `Simulator.run()` over `drainEvents` pre-scheduled events with a no-op handler.
 * Delays are drawn beforehand into a table, so the random generator is not part of what is measured.
 *
 * Run alone with `node dist/bench/kernel.js` (prints one JSON line), or call {@link benchKernel}.
 */

import { pathToFileURL } from 'node:url';
import { EventQueue, RandomStream, Simulator } from '../src/kernel/index.js';

/** Sizes of a kernel benchmark run. */
export interface KernelBenchOptions {
  /** Events kept pending during the hold models. Default 100 000. */
  pendingEvents?: number;
  /** Pop-and-push operations of each hold model. Default 5 000 000. */
  operations?: number;
  /** Events pre-scheduled and then drained by the no-op run. Default 1 000 000. */
  drainEvents?: number;
}

/** Result of {@link benchKernel}. Rates are per second of wall-clock time. */
export interface KernelBenchResult {
  name: 'kernel';
  /** Headline figure: queue hold-model operations (one pop plus one push) per second. */
  eventsPerSecond: number;
  /** Events pending throughout the hold models. */
  pendingEvents: number;
  /** Operations of each hold model. */
  operations: number;
  /** Queue hold model: pop + push per second. */
  queueHoldOperationsPerSecond: number;
  /** Simulator hold model: events dispatched per second, each handler scheduling one new event. */
  simulatorHoldEventsPerSecond: number;
  /** Events drained by the no-op run. */
  drainEvents: number;
  /** `Simulator.run()` draining `drainEvents` events with a no-op handler: events per second. */
  simulatorRunNoopEventsPerSecond: number;
  /** Node.js version the figures were measured on. */
  nodeVersion: string;
}

// A power of two, so `index & DELAY_MASK` cycles through the table without a modulo.
const DELAY_TABLE_SIZE = 1 << 16;
const DELAY_MASK = DELAY_TABLE_SIZE - 1;

/** Measures kernel throughput; see the module comment for what each figure means. */
export async function benchKernel(options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const pendingEvents = options.pendingEvents ?? 100_000;
  const operations = options.operations ?? 5_000_000;
  const drainEvents = options.drainEvents ?? 1_000_000;

  // Uniform delays in [0, 2) seconds: mean 1, so the queue's time span stays near pendingEvents seconds.
  const random = new RandomStream(1, 'bench-kernel');
  const delays = new Float64Array(DELAY_TABLE_SIZE);
  for (let i = 0; i < DELAY_TABLE_SIZE; i++) delays[i] = 2 * random.nextFloat();

  const warmUpOperations = Math.min(operations, 200_000);
  const warmUpPending = Math.min(pendingEvents, 10_000);
  queueHold(delays, warmUpPending, warmUpOperations);
  simulatorHold(delays, warmUpPending, warmUpOperations);
  simulatorRunNoop(delays, Math.min(drainEvents, 100_000));

  const queueHoldOperationsPerSecond = queueHold(delays, pendingEvents, operations);
  const simulatorHoldEventsPerSecond = simulatorHold(delays, pendingEvents, operations);
  const simulatorRunNoopEventsPerSecond = simulatorRunNoop(delays, drainEvents);

  return {
    name: 'kernel',
    eventsPerSecond: queueHoldOperationsPerSecond,
    pendingEvents,
    operations,
    queueHoldOperationsPerSecond,
    simulatorHoldEventsPerSecond,
    drainEvents,
    simulatorRunNoopEventsPerSecond,
    nodeVersion: process.versions.node,
  };
}

/** Queue hold model; returns operations per second. */
function queueHold(delays: Float64Array, pendingEvents: number, operations: number): number {
  const queue = new EventQueue(pendingEvents);
  for (let i = 0; i < pendingEvents; i++) queue.push(delays[i & DELAY_MASK], 0, 0, i, 0);
  const start = performance.now();
  for (let operation = 0; operation < operations; operation++) {
    queue.pop();
    queue.push(queue.topTime + delays[operation & DELAY_MASK], 0, 0, queue.topA, 0);
  }
  const seconds = (performance.now() - start) / 1000;
  if (queue.size !== pendingEvents) throw new Error('benchKernel: queue hold model lost events');
  return Math.round(operations / seconds);
}

/** Simulator hold model; returns events per second. */
function simulatorHold(delays: Float64Array, pendingEvents: number, operations: number): number {
  const sim = new Simulator({ initialCapacity: pendingEvents });
  let dispatched = 0;
  const HOLD = sim.defineKind('hold', (entity) => {
    sim.schedule(delays[dispatched & DELAY_MASK], HOLD, entity);
    if (++dispatched === operations) sim.stop();
  });
  for (let i = 0; i < pendingEvents; i++) sim.schedule(delays[i & DELAY_MASK], HOLD, i);
  const start = performance.now();
  sim.run();
  const seconds = (performance.now() - start) / 1000;
  if (sim.events !== operations || sim.pending !== pendingEvents) throw new Error('benchKernel: simulator hold model miscounted');
  return Math.round(operations / seconds);
}

/** Drains pre-scheduled events with a no-op handler; returns events per second. */
function simulatorRunNoop(delays: Float64Array, eventCount: number): number {
  const sim = new Simulator({ initialCapacity: eventCount });
  const NOOP = sim.defineKind('noop', () => {});
  // Times spread over [0, eventCount) seconds and scheduled out of order, as in a real initial schedule.
  for (let i = 0; i < eventCount; i++) sim.scheduleAt(0.5 * i + 0.25 * eventCount * delays[i & DELAY_MASK], NOOP, i);
  const start = performance.now();
  sim.run();
  const seconds = (performance.now() - start) / 1000;
  if (sim.events !== eventCount) throw new Error('benchKernel: no-op run miscounted');
  return Math.round(eventCount / seconds);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchKernel()));
}
