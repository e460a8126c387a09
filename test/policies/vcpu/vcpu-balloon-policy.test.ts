/**
 * The vCPU ballooning presets against a view of plain numbers: hand-computed targets, and the conformance rules
 * every preset keeps (never below one vCPU, never above the VM's maximum) over random readings.
 */
import { describe, expect, it } from 'vitest';
import { createVcpuBalloonPolicy, FlexCorePolicy, VCPU_BALLOON_POLICY_NAMES, VScalePolicy, type VcpuBalloonView } from '../../../src/policies/vcpu/vcpu-balloon-policy.js';
import { RandomStream } from '../../../src/kernel/random.js';

/** A view whose cumulative readings grow by `demand` runnable threads and `used` cores per second. */
class FakeView implements VcpuBalloonView {
  now = 0;
  readonly cpu: number[];
  readonly runnable: number[];
  readonly exits: number[];
  constructor(
    readonly coreCount: number,
    readonly max: number[],
    readonly online: number[] = max.slice(),
  ) {
    this.cpu = max.map(() => 0);
    this.runnable = max.map(() => 0);
    this.exits = max.map(() => 0);
  }
  get vmCount(): number {
    return this.max.length;
  }
  advance(seconds: number, demand: number[], used: number[], exits: number[] = demand.map(() => 0)): void {
    this.now += seconds;
    demand.forEach((d, i) => (this.runnable[i] += d * seconds));
    used.forEach((u, i) => (this.cpu[i] += u * seconds));
    exits.forEach((e, i) => (this.exits[i] += e));
  }
  nowSeconds = (): number => this.now;
  maxVcpus = (vm: number): number => this.max[vm];
  onlineVcpus = (vm: number): number => this.online[vm];
  weight = (): number => 1024;
  cpuSeconds = (vm: number): number => this.cpu[vm];
  runnableThreadSeconds = (vm: number): number => this.runnable[vm];
  pleExits = (vm: number): number => this.exits[vm];
}

function targetsOf(policy: { targets: FlexCorePolicy['targets'] }, view: FakeView, spiking: number[] = view.max.map(() => 0)): number[] {
  const out = new Int32Array(view.vmCount);
  policy.targets(view, Uint8Array.from(spiking), out);
  return [...out];
}

describe('flexcore', () => {
  it('splits 12 cores 6/6 between two busy 12-vCPU VMs, and gives a lone VM all of its vCPUs', () => {
    const policy = new FlexCorePolicy();
    const view = new FakeView(12, [12, 12]);
    view.advance(0.1, [12, 12], [6, 6]);
    expect(targetsOf(policy, view)).toEqual([6, 6]);
    view.advance(0.1, [12, 0], [12, 0]);
    expect(targetsOf(policy, view)).toEqual([12, 1]);
  });

  it('caps a VM by its demand and hands the rest to the other', () => {
    const policy = new FlexCorePolicy();
    const view = new FakeView(12, [12, 12]);
    view.advance(0.1, [2.5, 12], [2.5, 9]);
    expect(targetsOf(policy, view)).toEqual([3, 9]);
  });

  it('uses the whole host when nobody competes (no over-commitment: no deflation)', () => {
    const policy = new FlexCorePolicy();
    const view = new FakeView(12, [12]);
    view.advance(0.1, [7.2], [7]);
    expect(targetsOf(policy, view)).toEqual([12]);
  });

  it('does not lend a spiking VM cores beyond its entitlement', () => {
    const policy = new FlexCorePolicy();
    const view = new FakeView(12, [12, 12, 12]);
    view.advance(0.1, [12, 12, 1], [4, 4, 1]);
    // Entitlement 4 each; the light VM wants 1, leaving 3 cores: the spiking VM 0 may not take them.
    expect(targetsOf(policy, view, [1, 0, 0])).toEqual([4, 7, 1]);
  });

  it('calls a burst of pause-loop exits a spike by exits per online vCPU and second', () => {
    const policy = new FlexCorePolicy({ pleSpikeExitsPerVcpuSecond: 1000 });
    expect(policy.isSpike(12_001, 12, 1)).toBe(true);
    expect(policy.isSpike(11_999, 12, 1)).toBe(false);
  });
});

describe('vscale', () => {
  it('lends a busy VM the capacity an idle-ish VM leaves unused, rounded up', () => {
    const policy = new VScalePolicy();
    const view = new FakeView(12, [12, 12]);
    view.advance(0.01, [12, 2], [6, 2]);
    // Entitled 6 each; VM 1 uses 2, leaving 4: VM 0 may use 6 + 4 = 10.
    expect(targetsOf(policy, view)).toEqual([10, 2]);
  });
});

describe('every preset (conformance)', () => {
  for (const name of VCPU_BALLOON_POLICY_NAMES) {
    it(`${name}: targets stay within 1..maxVcpus for random readings`, () => {
      const policy = createVcpuBalloonPolicy({ name });
      const random = new RandomStream(7, name);
      for (let trial = 0; trial < 200; trial++) {
        const vms = 1 + random.nextInt(5);
        const max = Array.from({ length: vms }, () => 1 + random.nextInt(16));
        const view = new FakeView(1 + random.nextInt(24), max);
        view.advance(0.05 + random.nextFloat(), max.map((m) => random.nextFloat() * m * 1.5), max.map((m) => random.nextFloat() * m));
        const targets = targetsOf(policy, view, max.map(() => random.nextInt(2)));
        targets.forEach((t, i) => {
          expect(t).toBeGreaterThanOrEqual(1);
          expect(t).toBeLessThanOrEqual(max[i]);
        });
      }
    });
  }

  it('an unknown preset fails with the valid names', () => {
    expect(() => createVcpuBalloonPolicy({ name: 'nope' } as never)).toThrow(/valid: flexcore, vscale/);
  });
});
