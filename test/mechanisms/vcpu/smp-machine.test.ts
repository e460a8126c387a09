/**
 * The double-scheduling machine: hand-computed cases, the invariants the issue names (CPU time is conserved; no
 * thread runs on an offline vCPU; same seed, same result) and the mechanisms' counters (lock-holder preemption,
 * pause-loop exits, ballooning) appearing exactly where they should.
 */
import { describe, expect, it } from 'vitest';
import { buildSmpMachine, resolveProfile, runSmp, type SmpRunConfig, type SmpRunVm } from '../../../src/backends/simulator/smp-run.js';
import type { ParallelProfile } from '../../../src/workload/parallel-profile.js';
import { SYNTHETIC_PROFILE_DEFAULTS } from '../../../src/workload/parsec-profiles.js';

const compute = (work: number, grain = 0.01): ParallelProfile => ({
  ...SYNTHETIC_PROFILE_DEFAULTS,
  name: 'compute',
  syncClass: 'embarrassingly-parallel',
  totalWorkSeconds: work,
  grainSeconds: grain,
  grainVariation: 0,
  barrierEvery: 0,
  locksPerGrain: 0,
  shootdownsPerGrain: 0,
});

const vm = (name: string, vcpus: number, profile: ParallelProfile, extra: Partial<SmpRunVm> = {}): SmpRunVm => ({ name, vcpus, weight: 1024, profile, ...extra });

const config = (vms: SmpRunVm[], extra: Partial<SmpRunConfig> = {}): SmpRunConfig => ({ cores: 12, scheduler: 'fair-share', vms, seed: 1, limitSeconds: 60, ...extra });

describe('hand-computed cases', () => {
  it('one thread alone on one core finishes after exactly its work', () => {
    const result = runSmp(config([vm('a', 1, compute(0.5))], { cores: 1 }));
    expect(result.vms[0].completionSeconds).toBeCloseTo(0.5, 9);
    expect(result.vms[0].usefulSeconds).toBeCloseTo(0.5, 9);
    expect(result.vms[0].spinSeconds).toBe(0);
  });

  it('two single-vCPU VMs on one core share it: each takes about twice its work', () => {
    const result = runSmp(config([vm('a', 1, compute(0.3), { repeat: false }), vm('b', 1, compute(0.3), { repeat: false })], { cores: 1 }));
    const [a, b] = result.vms.map((v) => v.completionSeconds!);
    // Both finish in the last CFS slice (24 ms latency / 2 runnable = 12 ms) before 0.6 s.
    expect(Math.max(a, b)).toBeCloseTo(0.6, 9);
    expect(Math.min(a, b)).toBeGreaterThan(0.6 - 0.013);
  });

  it('a data-parallel program with barriers on fewer vCPUs than threads still completes all its grains', () => {
    const profile: ParallelProfile = { ...compute(1.2, 0.001), barrierEvery: 1, threads: 12 };
    const result = runSmp(config([vm('a', 4, profile)], { cores: 4 }));
    expect(result.vms[0].completionSeconds).not.toBeNull();
    expect(result.vms[0].usefulSeconds).toBeCloseTo(1.2, 6);
  });

  it('a pipeline moves every item through every stage', () => {
    const dedup = resolveProfile('dedup', { totalWorkSeconds: 1.5, shootdownsPerGrain: 0, locksPerGrain: 0 });
    const result = runSmp(config([vm('a', 12, dedup)]));
    expect(result.vms[0].completionSeconds).not.toBeNull();
    // Items × stages × grain = the program's work (to within one item's rounding).
    expect(result.vms[0].usefulSeconds).toBeCloseTo(1.5, 1);
  });
});

describe('invariants', () => {
  const mix = (scheduler: SmpRunConfig['scheduler']): SmpRunConfig =>
    config([vm('syn', 12, resolveProfile('synthetic')), vm('fluid', 12, resolveProfile('fluidanimate', { totalWorkSeconds: 3 })), vm('body', 12, resolveProfile('bodytrack', { totalWorkSeconds: 3 }))], { scheduler });

  for (const scheduler of ['fair-share', 'co-scheduling', 'flexcore'] as const) {
    it(`CPU time is conserved (${scheduler}): useful + spin + hot-plug = vCPU run time = core busy time ≤ cores × time`, () => {
      const result = runSmp(mix(scheduler));
      let accounted = 0;
      let run = 0;
      for (const v of result.vms) {
        accounted += v.usefulSeconds + v.spinSeconds + v.hotplugSeconds;
        run += v.cpuSeconds;
      }
      expect(accounted).toBeCloseTo(run, 6);
      expect(run).toBeCloseTo(result.busySeconds, 6);
      expect(result.busySeconds).toBeLessThanOrEqual(12 * result.simulatedSeconds + 1e-9);
      expect(result.offlineViolations).toBe(0);
    });
  }

  it('no thread is ever on an offline vCPU while ballooning moves vCPUs (checked every millisecond)', () => {
    // The machine without a policy, driven by a balloon of our own that shrinks and grows every VM between 3
    // and 12 vCPUs every 10 ms, while another controller checks the invariant every millisecond.
    const machine = buildSmpMachine(mix('flexcore'));
    let checks = 0;
    let violations = 0;
    machine.every(0.001, () => {
      checks++;
      violations += machine.offlineViolations();
    });
    machine.every(0.01, (now) => {
      const target = 3 + (Math.round(now * 100) % 10);
      for (let v = 0; v < machine.vmCount; v++) machine.setOnlineTarget(v, target);
    });
    machine.start();
    machine.runUntil(1);
    expect(checks).toBeGreaterThan(900);
    expect(violations).toBe(0);
    expect(machine.counters.vcpuOfflines.reduce((s, x) => s + x, 0)).toBeGreaterThan(10);
  });

  it('the same seed gives the same result; another seed another one', () => {
    const a = JSON.stringify(runSmp(mix('flexcore')));
    const b = JSON.stringify(runSmp(mix('flexcore')));
    const c = JSON.stringify(runSmp({ ...mix('flexcore'), seed: 2 }));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe('mechanisms and their counters', () => {
  const spinLocks = resolveProfile('synthetic', { lockKind: 'spin', locksPerGrain: 2, criticalSectionSeconds: 20e-6, barrierEvery: 0, totalWorkSeconds: 4 });

  it('over-committed spinlocks: lock holders are preempted, PLE exits and directed yields happen; none without over-commitment', () => {
    const alone = runSmp(config([vm('a', 12, spinLocks)]));
    expect(alone.vms[0].lockHolderPreemptions).toBe(0);
    const shared = runSmp(config([vm('a', 12, spinLocks), vm('b', 12, spinLocks)]));
    const a = shared.vms[0];
    expect(a.lockHolderPreemptions).toBeGreaterThan(0);
    expect(a.pleExits).toBeGreaterThan(0);
    expect(a.directedYields).toBeGreaterThan(0);
  });

  it('without pause-loop exiting there are no exits (and no directed yields)', () => {
    const shared = runSmp(config([vm('a', 12, spinLocks), vm('b', 12, spinLocks)], { pleEnabled: false }));
    expect(shared.vms[0].pleExits).toBe(0);
    expect(shared.vms[0].directedYields).toBe(0);
  });

  it("PARSEC's barrier spin has no PAUSE: it burns time without a single pause-loop exit", () => {
    const result = runSmp(config([vm('a', 12, resolveProfile('streamcluster', { totalWorkSeconds: 1 }))]));
    expect(result.vms[0].spinSeconds).toBeGreaterThan(0.1);
    expect(result.vms[0].pleExits).toBe(0);
  });

  it('FlexCore deflates two 12-vCPU VMs to 6 each on 12 cores and removes lock-holder preemption', () => {
    const profile = resolveProfile('fluidanimate', { totalWorkSeconds: 4 });
    const flex = runSmp(config([vm('a', 12, profile), vm('b', 12, profile)], { scheduler: 'flexcore' }));
    const base = runSmp(config([vm('a', 12, profile), vm('b', 12, profile)]));
    expect(base.vms[0].lockHolderPreemptions).toBeGreaterThan(0);
    for (const v of flex.vms) {
      expect(v.onlineVcpusAtEnd).toBe(6);
      expect(v.vcpuOfflines).toBe(6);
      expect(v.hotplugSeconds).toBeCloseTo(6 * 0.005, 9);
      // Only during the first period (0.1 s), before the first evaluation deflates the VMs.
      expect(v.lockHolderPreemptions).toBeLessThanOrEqual(base.vms[0].lockHolderPreemptions / 2);
    }
  });

  it('a burst of pause-loop exits brings the FlexCore evaluation forward', () => {
    // A 10 s period: any deflation within this ~2 s run comes from the spike trigger.
    const spiky = (threshold: number) =>
      runSmp(config([vm('a', 12, spinLocks), vm('b', 12, spinLocks)], { scheduler: 'flexcore', balloon: { name: 'flexcore', periodSeconds: 10, pleSpikeExitsPerVcpuSecond: threshold } }));
    const triggered = spiky(100);
    expect(triggered.vms[0].completionSeconds!).toBeLessThan(10);
    expect(triggered.vms[0].vcpuOfflines + triggered.vms[1].vcpuOfflines).toBeGreaterThan(0);
    const quiet = spiky(1e9);
    expect(quiet.vms[0].vcpuOfflines + quiet.vms[1].vcpuOfflines).toBe(0);
  });

  it('FlexCore leaves a VM alone on the host with all its vCPUs', () => {
    const flex = runSmp(config([vm('a', 12, resolveProfile('facesim'))], { scheduler: 'flexcore' }));
    expect(flex.vms[0].vcpuOfflines).toBe(0);
    expect(flex.vms[0].meanOnlineVcpus).toBeCloseTo(12, 9);
  });

  it('relaxed co-scheduling co-stops leading vCPUs only when siblings fall behind', () => {
    const alone = runSmp(config([vm('a', 12, resolveProfile('synthetic'))], { scheduler: 'co-scheduling' }));
    expect(alone.vms[0].coStops).toBe(0);
    const shared = runSmp(config([vm('a', 12, resolveProfile('synthetic')), vm('b', 12, compute(12, 0.005))], { scheduler: 'co-scheduling' }));
    expect(shared.vms[0].coStops).toBeGreaterThan(0);
  });

  it('TLB shootdowns to preempted vCPUs wait for them: IPI wait grows with over-commitment', () => {
    const ipi = resolveProfile('synthetic', { shootdownsPerGrain: 0.5, barrierEvery: 0, locksPerGrain: 0, totalWorkSeconds: 4, grainSeconds: 200e-6 });
    const alone = runSmp(config([vm('a', 12, ipi)]));
    const shared = runSmp(config([vm('a', 12, ipi), vm('b', 12, compute(12, 0.005))]));
    expect(alone.vms[0].ipisSent).toBeGreaterThan(1000);
    expect(shared.vms[0].ipiWaitSeconds).toBeGreaterThan(5 * alone.vms[0].ipiWaitSeconds);
  });
});

describe('energy on the detailed host', () => {
  it('a spinning core draws less than a computing one and more than a halted one (the detailed host’s core power)', async () => {
    const { smpCorePower } = await import('../../../src/backends/simulator/smp-run.js');
    const power = smpCorePower();
    expect(power.spinWatts).toBeLessThan(power.computeWatts);
    expect(power.haltedWatts).toBeLessThan(power.spinWatts);
  });

  it('the VMs’ energies add up to the cores’: busy time at compute or spin power, halted time at halted power', async () => {
    const { smpCorePower } = await import('../../../src/backends/simulator/smp-run.js');
    const power = smpCorePower();
    const spinLocks = resolveProfile('synthetic', { lockKind: 'spin', locksPerGrain: 2, criticalSectionSeconds: 20e-6, barrierEvery: 0, totalWorkSeconds: 4 });
    const result = runSmp(config([vm('a', 12, spinLocks), vm('b', 12, compute(4, 0.005))], { scheduler: 'flexcore' }));
    let expected = (12 * result.simulatedSeconds - result.busySeconds) * power.haltedWatts;
    for (const v of result.vms) expected += (v.usefulSeconds + v.hotplugSeconds) * power.computeWatts + v.spinSeconds * power.spinWatts;
    expect(result.coreEnergyJoules).toBeCloseTo(expected, 6);
    expect(result.vms.reduce((s, v) => s + v.energyJoules, 0)).toBeCloseTo(result.coreEnergyJoules, 6);
    expect(result.vms[0].spinEnergyJoules).toBeCloseTo(result.vms[0].spinSeconds * power.spinWatts, 9);
  });
});
