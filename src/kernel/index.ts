/**
 * The simulation kernel: clock and run loop, the typed-array event queue, and seeded random streams.
 *
 * The bottom layer of Hyperwatt. It imports nothing from the rest of the project; everything else (model,
 * mechanisms, policies, scenarios) builds on it by scheduling events and drawing from named random streams.
 */

export { EventQueue } from './event-queue.js';
export { Simulator } from './simulator.js';
export type { EventHandler, SimulatorOptions } from './simulator.js';
export { RandomStream, RandomStreams } from './random.js';
