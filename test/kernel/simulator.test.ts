/**
 * Pins the simulator's clock and run-loop semantics: run(until), step, stop, scheduling errors, handler
 * exceptions, and the generation-counter cancellation idiom.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/kernel/simulator.js';

describe('Simulator', () => {
  it('runs events up to and including until, then sets now to until', () => {
    const sim = new Simulator();
    const seen: [number, number][] = [];
    sim.on(0, (a) => seen.push([sim.now, a]));
    sim.schedule(1, 0, 1);
    sim.schedule(2, 0, 2);
    sim.schedule(2.0000001, 0, 3);
    sim.run(2);
    expect(seen).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(sim.now).toBe(2);
    expect(sim.events).toBe(2);
    expect(sim.pending).toBe(1);
    sim.run(10);
    expect(seen.at(-1)).toEqual([2.0000001, 3]);
    expect(sim.now).toBe(10);
    sim.run(10); // empty interval: allowed, nothing happens
    expect(sim.now).toBe(10);
  });

  it('runs until no event is pending when until is omitted, leaving now at the last event', () => {
    const sim = new Simulator({ startTimeSeconds: 100 });
    let count = 0;
    const TICK = sim.defineKind('tick', () => {
      if (++count < 5) sim.schedule(1.5, TICK);
    });
    sim.schedule(0, TICK);
    sim.run();
    expect(count).toBe(5);
    expect(sim.now).toBe(106);
    expect(sim.pending).toBe(0);
  });

  it('runs events scheduled by handlers at the current time after those already pending, FIFO', () => {
    const sim = new Simulator();
    const order: number[] = [];
    sim.on(0, (a) => {
      order.push(a);
      if (a === 1) sim.schedule(0, 0, 3);
    });
    sim.scheduleAt(1, 0, 1);
    sim.scheduleAt(1, 0, 2);
    sim.scheduleAt(1, 0, 0, 0, -1); // higher priority: first although scheduled last
    sim.run(1);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('dispatches by kind with both payloads', () => {
    const sim = new Simulator();
    const log: string[] = [];
    sim.on(3, (a, b) => log.push(`three ${a} ${b}`), 'three');
    const kind = sim.defineKind('first-free', (a, b) => log.push(`free ${a} ${b}`));
    expect(kind).toBe(0);
    expect(sim.defineKind('next-free', () => {})).toBe(1);
    sim.schedule(1, 3, 7, -8);
    sim.schedule(2, kind, 9, 10);
    sim.run();
    expect(log).toEqual(['three 7 -8', 'free 9 10']);
    expect(() => sim.on(3, () => {})).toThrow(/kind 3 \(three\) already has a handler/);
    expect(() => sim.on(-1, () => {})).toThrow(/non-negative/);
  });

  it('steps one event at a time', () => {
    const sim = new Simulator();
    const seen: number[] = [];
    sim.on(0, (a) => seen.push(a));
    expect(sim.step()).toBe(false);
    sim.schedule(5, 0, 1);
    sim.schedule(3, 0, 2);
    expect(sim.step()).toBe(true);
    expect([sim.now, seen]).toEqual([3, [2]]);
    expect(sim.step()).toBe(true);
    expect([sim.now, seen]).toEqual([5, [2, 1]]);
    expect(sim.step()).toBe(false);
    expect(sim.events).toBe(2);
  });

  it('stops after the handler that calls stop, with now at its time', () => {
    const sim = new Simulator();
    const seen: number[] = [];
    sim.on(0, (a) => {
      seen.push(a);
      if (a === 2) sim.stop();
    });
    for (let i = 1; i <= 4; i++) sim.schedule(i, 0, i);
    sim.run(100);
    expect(seen).toEqual([1, 2]);
    expect(sim.now).toBe(2);
    sim.run(100); // a new run starts unstopped
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(sim.now).toBe(100);
  });

  it('rejects scheduling in the past, NaN and infinite times, and unregistered kinds', () => {
    const sim = new Simulator();
    sim.on(0, () => {}, 'noop');
    sim.run(10);
    expect(() => sim.schedule(-1, 0)).toThrow(/delaySeconds must be finite and >= 0, got -1 \(kind 0 \(noop\) at now=10\)/);
    expect(() => sim.schedule(NaN, 0)).toThrow(/got NaN/);
    expect(() => sim.schedule(Infinity, 0)).toThrow(/got Infinity/);
    expect(() => sim.scheduleAt(9.5, 0)).toThrow(/time 9.5 is in the past \(now=10/);
    expect(() => sim.scheduleAt(NaN, 0)).toThrow(/time NaN must be finite/);
    expect(() => sim.scheduleAt(Infinity, 0)).toThrow(/must be finite/);
    expect(() => sim.schedule(1, 1)).toThrow(/no handler registered for kind 1/);
    expect(() => sim.schedule(1, 0, 0.5)).toThrow(/32-bit signed integers/);
    expect(() => sim.run(5)).toThrow(/untilSeconds=5 must be a time not before now=10/);
    expect(() => sim.run(NaN)).toThrow(/untilSeconds=NaN/);
    expect(() => new Simulator({ startTimeSeconds: NaN })).toThrow(/startTimeSeconds/);
    expect(sim.pending).toBe(0);
    sim.scheduleAt(10, 0); // now itself is allowed
    expect(sim.pending).toBe(1);
  });

  it('propagates a handler exception with now at the failing event and the rest still pending', () => {
    const sim = new Simulator();
    const seen: number[] = [];
    sim.on(0, (a) => {
      if (a === 2) throw new Error('boom at 2');
      seen.push(a);
    });
    for (let i = 1; i <= 3; i++) sim.schedule(i, 0, i);
    expect(() => sim.run(10)).toThrow('boom at 2');
    expect(sim.now).toBe(2);
    expect(sim.events).toBe(2);
    expect(sim.pending).toBe(1);
    sim.run(10); // the simulator is usable again afterwards
    expect(seen).toEqual([1, 3]);
    expect(sim.now).toBe(10);

    sim.schedule(1, 0, 2);
    expect(() => sim.step()).toThrow('boom at 2');
  });

  it('refuses to run or step from inside a handler', () => {
    const sim = new Simulator();
    sim.on(0, () => sim.run(100));
    sim.on(1, () => sim.step());
    sim.schedule(1, 0);
    expect(() => sim.run()).toThrow(/Simulator.run: called from inside an event handler/);
    sim.schedule(1, 1);
    expect(() => sim.run()).toThrow(/Simulator.step: called from inside an event handler/);
  });

  it('supports cancellation by generation counters', () => {
    const sim = new Simulator();
    const generation = new Int32Array(2);
    const fired: [number, number][] = [];
    const DONE = sim.defineKind('done', (entity, gen) => {
      if (gen !== generation[entity]) return; // stale: cancelled or rescheduled
      fired.push([entity, sim.now]);
    });
    sim.schedule(5, DONE, 0, generation[0]);
    sim.schedule(6, DONE, 1, generation[1]);
    generation[0]++; // cancel entity 0's event
    sim.schedule(8, DONE, 0, generation[0]); // and reschedule it later
    sim.run();
    expect(fired).toEqual([
      [1, 6],
      [0, 8],
    ]);
  });
});
