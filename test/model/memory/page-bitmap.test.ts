/**
 * PageBitmap (src/model/memory/page-bitmap.ts) on hand-checked cases, and against a plain Set on random operations.
 */
import { describe, expect, it } from 'vitest';
import { PageBitmap, popcount32 } from '../../../src/model/memory/page-bitmap.js';
import { RandomStream } from '../../../src/kernel/random.js';

describe('PageBitmap', () => {
  it('counts bits of a word', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
    expect(popcount32(-1)).toBe(32);
  });

  it('adds, deletes and finds pages across word boundaries', () => {
    const b = new PageBitmap(100);
    expect(b.add(31)).toBe(true);
    expect(b.add(31)).toBe(false);
    expect(b.add(32)).toBe(true);
    expect(b.add(99)).toBe(true);
    expect(b.count).toBe(3);
    expect(b.nextSet(0)).toBe(31);
    expect(b.nextSet(32)).toBe(32);
    expect(b.nextSet(33)).toBe(99);
    expect(b.nextSet(100)).toBe(-1);
    expect(b.delete(32)).toBe(true);
    expect(b.delete(32)).toBe(false);
    expect(b.nextSet(32)).toBe(99);
    expect(b.count).toBe(2);
  });

  it('adds ranges word by word and keeps the count', () => {
    const b = new PageBitmap(200);
    b.add(40);
    b.addRange(5, 170);
    expect(b.count).toBe(165);
    expect(b.nextSet(0)).toBe(5);
    expect(b.has(169)).toBe(true);
    expect(b.has(170)).toBe(false);
  });

  it('matches a Set under random unions and subtractions', () => {
    const random = new RandomStream(7, 'bitmap');
    const n = 1000;
    const a = new PageBitmap(n);
    const b = new PageBitmap(n);
    const sa = new Set<number>();
    const sb = new Set<number>();
    for (let i = 0; i < 600; i++) {
      const p = random.nextInt(n);
      const q = random.nextInt(n);
      a.add(p);
      sa.add(p);
      b.add(q);
      sb.add(q);
      if (i % 7 === 0) {
        a.delete(q);
        sa.delete(q);
      }
    }
    expect(a.intersectionCount(b)).toBe([...sa].filter((p) => sb.has(p)).length);
    a.unionWith(b);
    for (const p of sb) sa.add(p);
    expect(a.count).toBe(sa.size);
    const listed: number[] = [];
    for (let p = a.nextSet(0); p >= 0; p = a.nextSet(p + 1)) listed.push(p);
    expect(listed).toEqual([...sa].sort((x, y) => x - y));
    a.subtract(b);
    for (const p of sb) sa.delete(p);
    expect(a.count).toBe(sa.size);
  });
});
