/**
 * Memory-balloon presets: what every preset must satisfy (targets within the host, never below a VM's floor when
 * the host allows, never above its size), and each preset's own decision on hand-made curves.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPolicy, MEMORY_POLICY_NAMES, type MemoryVmView } from '../../src/policies/memory/memory-balloon-policy.js';

/** A VM whose curve drops by `gain` reads `cliffBins` bins above its current size (a loop), or a flat curve. */
function vm(name: string, currentPages: number, options: { cliffBins?: number; gain?: number; sampling?: number; floor?: number; memory?: number } = {}): MemoryVmView {
  const bins = 16;
  const reads = new Float64Array(bins + 1).fill(1000);
  if (options.cliffBins !== undefined) for (let i = options.cliffBins; i <= bins; i++) reads[i] = 1000 - (options.gain ?? 900);
  return {
    name,
    memoryPages: options.memory ?? 4096,
    currentPages,
    floorPages: options.floor ?? 100,
    diskReadsAbove: reads,
    binPages: 64,
    samplingWorkingSetPages: options.sampling ?? currentPages,
  };
}

describe('memory balloon policies (every preset)', () => {
  for (const name of MEMORY_POLICY_NAMES) {
    it(`${name}: targets fit the host, keep floors and stay within each VM's size`, () => {
      const policy = createMemoryPolicy(name);
      const cases: MemoryVmView[][] = [
        [vm('a', 1000, { cliffBins: 8 }), vm('b', 1000, { sampling: 300 }), vm('c', 1000, { sampling: 200 })],
        [vm('a', 2000, { cliffBins: 2 }), vm('b', 2000, { cliffBins: 3 })],
        [vm('a', 500, { sampling: 50 }), vm('b', 500, { sampling: 60, memory: 600 })],
      ];
      for (const vms of cases) {
        const host = vms.reduce((sum, v) => sum + v.currentPages, 0);
        const targets = policy.targets(vms, host);
        expect(targets).toHaveLength(vms.length);
        expect(targets.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(host);
        targets.forEach((t, i) => {
          expect(t).toBeGreaterThanOrEqual(vms[i]!.floorPages);
          expect(t).toBeLessThanOrEqual(vms[i]!.memoryPages);
        });
      }
    });
  }

  it('an unknown preset is a user error listing the valid names', () => {
    expect(() => createMemoryPolicy('lru')).toThrow(/valid: static, max-hits, miss-target/);
  });
});

describe('max-hits', () => {
  it('moves memory from VMs that do not gain to the one whose curve has a cliff, far enough to pass the cliff', () => {
    const vms = [vm('loop', 1000, { cliffBins: 8 }), vm('idle', 1000, { sampling: 300 }), vm('small', 1000, { sampling: 200 })];
    const targets = createMemoryPolicy('max-hits').targets(vms, 3000);
    // The idle VMs keep their sampling estimate plus 10 %: 330 and 220 pages.
    expect(targets[1]).toBeGreaterThanOrEqual(330);
    expect(targets[2]).toBeGreaterThanOrEqual(220);
    // The loop needs 8 bins of 64 pages more: a one-bin step gains nothing, the best ratio over any length finds it.
    expect(targets[0]).toBeGreaterThanOrEqual(1000 + 8 * 64);
  });

  it('leaves a VM alone when the change is below the hysteresis', () => {
    const vms = [vm('a', 1000, { sampling: 950 }), vm('b', 1000, { sampling: 950 })];
    expect(createMemoryPolicy('max-hits').targets(vms, 2000)).toEqual([1000, 1000]);
  });
});

describe('static and miss-target', () => {
  it('static gives equal shares', () => {
    expect(createMemoryPolicy('static').targets([vm('a', 100), vm('b', 3000)], 3000)).toEqual([1500, 1500]);
  });

  it('miss-target gives a VM the size that removes 90 % of its avoidable reads, and scales down when the host is short', () => {
    const loop = vm('loop', 1000, { cliffBins: 4 });
    const targets = createMemoryPolicy('miss-target').targets([loop, vm('idle', 1000, { sampling: 400 })], 2000);
    expect(targets[0]).toBeGreaterThanOrEqual(1000 + 4 * 64);
    const short = createMemoryPolicy('miss-target').targets([vm('a', 1000, { cliffBins: 10 }), vm('b', 1000, { cliffBins: 10 })], 1500);
    expect(short[0]! + short[1]!).toBeLessThanOrEqual(1500);
    expect(short[0]).toBe(short[1]);
  });
});
