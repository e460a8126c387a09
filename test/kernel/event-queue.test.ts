/**
 * Pins the event queue's order: (time, priority, insertion sequence), checked against a sorted reference,
 * through growth, interleaved pushes and pops, and bad inputs.
 */
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/kernel/event-queue.js';
import { RandomStream } from '../../src/kernel/random.js';

interface Entry {
  time: number;
  priority: number;
  sequence: number;
  kind: number;
  a: number;
  b: number;
}

function compareEntries(x: Entry, y: Entry): number {
  return x.time - y.time || x.priority - y.priority || x.sequence - y.sequence;
}

function drain(queue: EventQueue): Entry[] {
  const out: Entry[] = [];
  while (queue.pop()) {
    out.push({ time: queue.topTime, priority: queue.topPriority, sequence: -1, kind: queue.topKind, a: queue.topA, b: queue.topB });
  }
  return out;
}

function withoutSequence(entries: Entry[]): Omit<Entry, 'sequence'>[] {
  return entries.map(({ sequence: _sequence, ...rest }) => rest);
}

describe('EventQueue', () => {
  it('pops random times in the order of a sorted reference', () => {
    const random = new RandomStream(1, 'heap-order');
    const queue = new EventQueue(4);
    const reference: Entry[] = [];
    for (let i = 0; i < 5000; i++) {
      // Coarse times and few priorities so ties on time and on (time, priority) are frequent.
      const entry = { time: random.nextInt(200) / 4, priority: random.nextInt(3) - 1, sequence: i, kind: i % 7, a: i, b: 7 - i };
      reference.push(entry);
      queue.push(entry.time, entry.priority, entry.kind, entry.a, entry.b);
    }
    expect(queue.size).toBe(5000);
    reference.sort(compareEntries);
    expect(withoutSequence(drain(queue))).toEqual(withoutSequence(reference));
    expect(queue.size).toBe(0);
  });

  it('stays ordered when pushes and pops interleave', () => {
    const random = new RandomStream(2, 'heap-interleave');
    const queue = new EventQueue(2);
    // Kept sorted by (time, priority, sequence); a new entry has the largest sequence so far.
    const reference: Entry[] = [];
    let lastTime = 0;
    const mismatches: string[] = [];
    for (let i = 0; i < 20000; i++) {
      if (reference.length > 0 && random.nextFloat() < 0.45) {
        const expected = reference.shift() as Entry;
        queue.pop();
        if (queue.topTime !== expected.time || queue.topPriority !== expected.priority || queue.topA !== expected.a) {
          mismatches.push(`step ${i}: got a=${queue.topA}, expected a=${expected.a}`);
        }
        lastTime = queue.topTime;
      } else {
        // Like a simulator: never schedule before the last popped time.
        const entry = { time: lastTime + random.nextInt(50), priority: random.nextInt(2), sequence: i, kind: 0, a: i, b: 0 };
        let at = reference.length;
        while (at > 0 && compareEntries(reference[at - 1], entry) > 0) at--;
        reference.splice(at, 0, entry);
        queue.push(entry.time, entry.priority, entry.kind, entry.a, entry.b);
      }
      if (queue.size !== reference.length) mismatches.push(`step ${i}: size ${queue.size}, expected ${reference.length}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('pops equal (time, priority) events first-in-first-out', () => {
    const queue = new EventQueue(1);
    for (let i = 0; i < 100; i++) queue.push(5, 0, 1, i, 0);
    const order = drain(queue).map((entry) => entry.a);
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('orders same-time events by priority, lower first, then FIFO', () => {
    const queue = new EventQueue();
    queue.push(1, 1, 0, 10, 0);
    queue.push(1, -1, 0, 11, 0);
    queue.push(1, 0, 0, 12, 0);
    queue.push(1, -1, 0, 13, 0);
    queue.push(0.5, 7, 0, 14, 0);
    expect(drain(queue).map((entry) => entry.a)).toEqual([14, 11, 13, 12, 10]);
  });

  it('grows past its initial capacity and keeps every payload', () => {
    const queue = new EventQueue(1);
    const count = 10_000;
    for (let i = count - 1; i >= 0; i--) queue.push(i * 0.001, 0, i % 5, i, 2 * i);
    expect(queue.size).toBe(count);
    const out = drain(queue);
    expect(out).toHaveLength(count);
    out.forEach((entry, i) => {
      expect(entry).toEqual({ time: i * 0.001, priority: 0, sequence: -1, kind: i % 5, a: i, b: 2 * i });
    });
  });

  it('keeps int32 extremes in kind, priority and payloads', () => {
    const queue = new EventQueue();
    queue.push(0, -2147483648, 2147483647, -2147483648, 2147483647);
    expect(queue.pop()).toBe(true);
    expect([queue.topPriority, queue.topKind, queue.topA, queue.topB]).toEqual([-2147483648, 2147483647, -2147483648, 2147483647]);
  });

  it('peeks, reports empty, and clears', () => {
    const queue = new EventQueue();
    expect(queue.peekTime()).toBe(Infinity);
    expect(queue.pop()).toBe(false);
    queue.push(3, 0, 0, 0, 0);
    queue.push(2, 0, 0, 0, 0);
    expect(queue.peekTime()).toBe(2);
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.peekTime()).toBe(Infinity);
    queue.push(Infinity, 0, 0, 1, 0);
    queue.push(-1e300, 0, 0, 2, 0);
    queue.push(-1e300, 0, 0, 3, 0);
    expect(queue.peekTime()).toBe(-1e300);
    expect(drain(queue).map((entry) => [entry.time, entry.a])).toEqual([
      [-1e300, 2],
      [-1e300, 3],
      [Infinity, 1],
    ]);
  });

  it('rejects NaN and -Infinity times and non-int32 fields', () => {
    const queue = new EventQueue();
    expect(() => queue.push(NaN, 0, 0, 0, 0)).toThrow(/time must be a number above -Infinity, got NaN/);
    expect(() => queue.push(-Infinity, 0, 0, 0, 0)).toThrow(/got -Infinity/);
    expect(() => queue.push(1, 0.5, 0, 0, 0)).toThrow(/32-bit signed integers, got priority=0.5/);
    expect(() => queue.push(1, 0, 1, 2 ** 31, 0)).toThrow(/a=2147483648/);
    expect(() => queue.push(1, 0, NaN, 0, 1.5)).toThrow(/kind=NaN, b=1.5/);
    expect(queue.size).toBe(0);
    expect(() => new EventQueue(0)).toThrow(/initialCapacity/);
  });
});
