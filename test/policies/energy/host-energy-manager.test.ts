/**
 * The host energy manager (src/policies/energy/host-energy-manager.ts) against an in-memory HostEnergyView, by
 * hand: a VM's CPU power limit becomes its vCPU allocations (other VMs untouched); the disk token bucket holds and
 * releases; energy balancing moves only when it narrows the gap of the run queues' mean power by 10 % and the hot
 * core is near its limit; halt throttling is a PI controller that rises over the limit and falls under it; DVFS
 * throttling steps one P-state per period; and the governors pick P-states from load. Running on the fake view
 * is also the conformance check that the manager needs nothing but the view.
 */
import { describe, expect, it } from 'vitest';
import { HostEnergyManager, type CoreLimit, type Governor, type HostEnergyManagerConfig } from '../../../src/policies/energy/host-energy-manager.js';
import { FakeHostView } from './fake-views.js';

const PENTIUM_M_FREQUENCIES = [1.6e9, 1.4e9, 1.2e9, 1.0e9, 0.8e9, 0.6e9];
const PERIOD = 0.05;

function config(overrides: Partial<HostEnergyManagerConfig> = {}): HostEnergyManagerConfig {
  return {
    periodSeconds: PERIOD,
    vmCpuLimitWatts: new Map(),
    vmDiskLimitWatts: new Map(),
    coreLimit: null,
    governor: 'performance',
    pStateFrequenciesHz: PENTIUM_M_FREQUENCIES,
    ...overrides,
  };
}

/** Gives each vCPU a period of running at the given power (W while running), for `seconds` each. */
function runAt(view: FakeHostView, watts: number[], seconds = PERIOD): void {
  watts.forEach((w, v) => view.runVcpu(v, seconds, w * seconds));
}

describe('HostEnergyManager: per-VM CPU power limit', () => {
  it('turns the limit into equal allocations of the VM’s vCPUs and leaves other VMs alone', () => {
    // VM 0: vCPUs 0 and 1 (cores 0, 1), limit 10 W. VM 1: vCPU 2, no limit.
    const view = new FakeHostView({ cores: 2, pStates: 6, vcpuVm: [0, 0, 1], vcpuCore: [0, 1, 0] });
    const manager = new HostEnergyManager(view, config({ vmCpuLimitWatts: new Map([[0, 10]]) }));
    // Period 1: both vCPUs of VM 0 ran the whole 50 ms at 10 W (1 J), and the VM was charged 0.1 J of idle.
    runAt(view, [10, 10, 15]);
    view.vmCpu[0] = 1.1;
    manager.step();
    // ε = 1 J / 0.1 CPU-s = 10; fixed 0.1 J / 50 ms = 2 W; (9.9 − 2) / 10 = 0.79 CPU-s/s over 2 vCPUs.
    expect(view.allocation[0]).toBeCloseTo(0.395, 12);
    expect(view.allocation[1]).toBeCloseTo(0.395, 12);
    expect(view.allocation[2]).toBe(1);
    expect(view.calls.filter((c) => c.startsWith('allocation 2'))).toEqual([]);
    // Period 2: they ran as allowed (0.395 × 50 ms each) at the same ε: the allocation holds.
    runAt(view, [10, 10, 15], 0.395 * PERIOD);
    view.vmCpu[0] += 2 * 10 * 0.395 * PERIOD + 0.1;
    manager.step();
    expect(view.allocation[0]).toBeCloseTo(0.395, 12);
  });

  it('before anything ran the VM may use all of its vCPUs; a generous limit gives allocation 1', () => {
    const view = new FakeHostView({ cores: 1, pStates: 6, vcpuVm: [0], vcpuCore: [0] });
    const manager = new HostEnergyManager(view, config({ vmCpuLimitWatts: new Map([[0, 100]]) }));
    manager.step();
    expect(view.allocation[0]).toBe(1);
    runAt(view, [10]);
    view.vmCpu[0] = 0.5;
    manager.step();
    expect(view.allocation[0]).toBe(1);
  });
});

describe('HostEnergyManager: service VMs', () => {
  it('never limits a service (driver) VM, even when a limit names it', () => {
    const view = new FakeHostView({ cores: 1, pStates: 6, vcpuVm: [0], vcpuCore: [0] });
    view.service[0] = true;
    const manager = new HostEnergyManager(view, config({ vmCpuLimitWatts: new Map([[0, 1]]), vmDiskLimitWatts: new Map([[0, 1]]) }));
    runAt(view, [30]);
    view.vmCpu[0] = 1.5;
    view.vmDisk[0] = 10;
    manager.step();
    expect(view.allocation[0]).toBe(1);
    expect(view.diskHeld[0]).toBe(false);
  });
});

describe('HostEnergyManager: per-VM disk limit (token bucket)', () => {
  it('holds a VM in debt, releases it once the debt is paid, and keeps at most one period of budget in reserve', () => {
    const view = new FakeHostView({ cores: 1, pStates: 6, vcpuVm: [0, 1], vcpuCore: [0, 0] });
    const manager = new HostEnergyManager(view, config({ periodSeconds: 0.1, vmDiskLimitWatts: new Map([[0, 2]]) }));
    const held: boolean[] = [];
    const spend = (joules: number) => {
      view.vmDisk[0] += joules;
      view.vmDisk[1] += 5; // VM 1 has no limit and is never held
      manager.step();
      held.push(view.diskHeld[0]);
      expect(view.diskHeld[1]).toBe(false);
    };
    // 0.2 J of budget per period. Tokens: −0.3, −0.1, +0.1, then capped at +0.2, +0.2; then 0.05 and −0.25.
    spend(0.5);
    spend(0);
    spend(0);
    spend(0);
    spend(0);
    spend(0.35);
    spend(0.5);
    expect(held).toEqual([true, true, false, false, false, false, true]);
    expect(manager.counters.diskHoldPeriods).toBe(3);
  });
});

describe('HostEnergyManager: energy balancing', () => {
  const limit: CoreLimit = { temperatureCelsius: 70, balancing: true, throttle: 'halt' };

  /** Two cores, hot core 0 at `hot` °C and cool core 1 at 50 °C; vCPU v runs at watts[v] on cores[v]. */
  function balancing(watts: number[], cores: number[], hot = 69) {
    const view = new FakeHostView({ cores: 2, pStates: 6, vcpuVm: watts.map((_, v) => v), vcpuCore: cores });
    view.temperature[0] = hot;
    view.temperature[1] = 50;
    const manager = new HostEnergyManager(view, config({ coreLimit: limit }));
    runAt(view, watts);
    manager.step();
    return { view, manager, moves: view.calls.filter((c) => c.startsWith('move')) };
  }

  it('swaps the hottest vCPU of the hot core with the coolest of the cool core when that is the best swap', () => {
    // Queue power is the sum of the vCPUs' mean power: hot 11 + 10 + 10 = 31 W, cool 1 + 0 + 0.5 = 1.5 W, gap 29.5.
    // Swapping a ↔ b leaves |29.5 − 2 (a − b)|: 11 ↔ 0 gives 7.5, better than 11 ↔ 0.5 (8.5) or 10 ↔ 0 (9.5).
    const { moves, manager } = balancing([11, 10, 10, 1, 0, 0.5], [0, 0, 0, 1, 1, 1]);
    expect(moves).toEqual(['move 0 1', 'move 4 0']);
    expect(manager.counters.balancingMoves).toBe(2);
  });

  it('picks the swap that narrows the gap the most', () => {
    // Hot queue 12 + 10 = 22 W, cool queue 2 W, gap 20. Swapping 12 ↔ 2 leaves |20 − 20| = 0, 10 ↔ 2 leaves 4.
    const { moves } = balancing([12, 10, 2], [0, 0, 1]);
    expect(moves).toEqual(['move 0 1', 'move 2 0']);
  });

  it('weighs a vCPU by its mean power, so a rarely busy vCPU counts for little', () => {
    // Hot queue: vCPU 0 draws 20 W while running but runs 5 % of the period (1 W mean), vCPU 1 runs all of it at
    // 9 W; cool queue: vCPU 2 at 2 W. Gap (1 + 9) − 2 = 8. Swapping 0 ↔ 2 would leave |8 − 2 (1 − 2)| = 10 (worse);
    // swapping 1 ↔ 2 leaves |8 − 14| = 6. Judged by power while running, vCPU 0 would look the hottest.
    const view = new FakeHostView({ cores: 2, pStates: 6, vcpuVm: [0, 1, 2], vcpuCore: [0, 0, 1] });
    view.temperature[0] = 69;
    view.temperature[1] = 50;
    const manager = new HostEnergyManager(view, config({ coreLimit: limit }));
    view.runVcpu(0, 0.05 * PERIOD, 20 * 0.05 * PERIOD);
    view.runVcpu(1, PERIOD, 9 * PERIOD);
    view.runVcpu(2, PERIOD, 2 * PERIOD);
    manager.step();
    expect(view.calls.filter((c) => c.startsWith('move'))).toEqual(['move 1 1', 'move 2 0']);
  });

  it('a plain move when the cool queue is shorter by two or more', () => {
    // Three 10 W vCPUs on core 0, none on core 1: moving one leaves queues of mean 10 and 10.
    const { moves, manager } = balancing([10, 10, 10], [0, 0, 0]);
    expect(moves).toEqual(['move 0 1']);
    expect(manager.counters.balancingMoves).toBe(1);
  });

  it('does not move when no swap narrows the gap: one vCPU per core only mirrors the imbalance', () => {
    const { moves } = balancing([20, 2], [0, 1]);
    expect(moves).toEqual([]);
  });

  it('does not move for less than 10 % of narrowing', () => {
    // Hot 20, 1 W (mean 10.5), cool 0, 0 W: the best swap leaves 9.5, a 9.5 % improvement.
    const { moves } = balancing([20, 1, 0, 0], [0, 0, 1, 1]);
    expect(moves).toEqual([]);
  });

  it('does not move while the hottest core is more than 3 K under its limit', () => {
    expect(balancing([12, 10, 2], [0, 0, 1], 66.9).moves).toEqual([]);
    expect(balancing([12, 10, 2], [0, 0, 1], 67.1).moves).toHaveLength(2);
  });
});

describe('HostEnergyManager: throttling', () => {
  it('halt: the forced-halt share rises over the temperature limit (PI) and falls back under it', () => {
    const view = new FakeHostView({ cores: 2, pStates: 6, vcpuVm: [0], vcpuCore: [0] });
    const manager = new HostEnergyManager(view, config({ coreLimit: { temperatureCelsius: 70, balancing: false, throttle: 'halt' } }));
    const shares: number[] = [];
    for (const t of [75, 75, 65, 65]) {
      view.temperature[0] = t;
      manager.step();
      shares.push(view.throttle[0]);
      expect(view.throttle[1]).toBe(0); // core 1 stays at 50 °C
    }
    // Integral 0.05, 0.10, 0.05, 0; share = integral + 0.02 × excess: 0.15, 0.20, 0, 0.
    expect(shares[0]).toBeCloseTo(0.15, 12);
    expect(shares[1]).toBeCloseTo(0.2, 12);
    expect(shares[2]).toBe(0);
    expect(shares[3]).toBe(0);
    view.temperature[0] = 200;
    manager.step();
    expect(view.throttle[0]).toBe(0.95); // never more than 95 % halt
  });

  it('halt on a power limit: the excess is relative to the limit', () => {
    const view = new FakeHostView({ cores: 1, pStates: 6, vcpuVm: [0], vcpuCore: [0] });
    const manager = new HostEnergyManager(view, config({ coreLimit: { powerWatts: 10, balancing: false, throttle: 'halt' } }));
    view.coreEnergy[0] = 0.6; // 12 W over 50 ms: 20 % over the limit
    manager.step();
    expect(view.throttle[0]).toBeCloseTo(0.002 + 0.004, 12);
  });

  it('dvfs: one P-state slower per period over the limit, down to the slowest; one back when 2 K under', () => {
    const view = new FakeHostView({ cores: 1, pStates: 6, vcpuVm: [0], vcpuCore: [0] });
    const manager = new HostEnergyManager(view, config({ coreLimit: { temperatureCelsius: 70, balancing: false, throttle: 'dvfs' } }));
    const states: number[] = [];
    for (const t of [72, 72, 72, 72, 72, 72, 72, 69, 67, 67]) {
      view.temperature[0] = t;
      manager.step();
      states.push(view.pState[0]);
    }
    expect(states).toEqual([1, 2, 3, 4, 5, 5, 5, 5, 4, 3]);
    expect(view.throttle[0]).toBe(0);
  });
});

describe('HostEnergyManager: governors', () => {
  function governed(governor: Governor, busyFractions: number[], startStates: number[], coreLimit: CoreLimit | null = null) {
    const view = new FakeHostView({ cores: busyFractions.length, pStates: 6, vcpuVm: [0], vcpuCore: [0] });
    startStates.forEach((ps, c) => (view.pState[c] = ps));
    const manager = new HostEnergyManager(view, config({ governor, coreLimit }));
    busyFractions.forEach((f, c) => (view.coreBusy[c] = f * PERIOD));
    manager.step();
    return view;
  }

  it('ondemand: fastest above 80 % load, else the slowest P-state covering load / 0.8 (load relative to P0)', () => {
    // At P0: load 0.3 → 0.6 GHz (P5); 0.45 → 0.9 GHz → P3 (1.0 GHz); 0.5 → exactly 1.0 GHz → P3; 0.9 → P0.
    expect(governed('ondemand', [0.3, 0.45, 0.5, 0.9], [0, 0, 0, 0]).pState).toEqual([5, 3, 3, 0]);
    // At P3 (1.0 GHz) a 72 % busy core is a 0.45 load: it stays; at P5 a fully busy core (0.375) goes to P4.
    const view = governed('ondemand', [0.72, 1], [3, 5]);
    expect(view.pState).toEqual([3, 4]);
    expect(view.calls).toEqual(['pstate 1 4']);
  });

  it('performance and powersave pin the fastest and the slowest P-state', () => {
    expect(governed('performance', [0.1, 1], [3, 5]).pState).toEqual([0, 0]);
    expect(governed('powersave', [0.1, 1], [0, 2]).pState).toEqual([5, 5]);
  });

  it('thermal DVFS only ever slows the governor’s choice further', () => {
    const limit: CoreLimit = { temperatureCelsius: 40, balancing: false, throttle: 'dvfs' }; // the fake cores are at 50 °C
    const view = new FakeHostView({ cores: 2, pStates: 6, vcpuVm: [0], vcpuCore: [0] });
    const manager = new HostEnergyManager(view, config({ governor: 'ondemand', coreLimit: limit }));
    for (let k = 1; k <= 2; k++) {
      view.coreBusy[0] += PERIOD; // fully busy: ondemand wants P0
      view.coreBusy[1] += 0.1 * PERIOD; // nearly idle: ondemand wants the slowest
      manager.step();
    }
    expect(view.pState).toEqual([2, 5]); // core 0 floored at P2 after two periods over the limit
  });
});
