/**
 * The energy-aware guest (src/policies/energy/guest-energy-policy.ts) against an in-memory GuestEnergyView, by
 * hand: explicit thread limits are kept and the other threads share the rest of the VM budget; each period the
 * VM's charged energy is split by the threads' counter energy and each thread is held to its limit through its
 * guest allocation (with the host's controller), capped at 1.
 */
import { describe, expect, it } from 'vitest';
import { GuestEnergyPolicy } from '../../../src/policies/energy/guest-energy-policy.js';
import { FakeGuestView } from './fake-views.js';

describe('GuestEnergyPolicy: budget split', () => {
  it('explicit limits are kept; the other threads share what is left equally', () => {
    const view = new FakeGuestView(3);
    const policy = new GuestEnergyPolicy(view, { periodSeconds: 0.05, budgetWatts: 10, threadLimitWatts: new Map([[0, 2]]) });
    expect(Array.from(policy.limits)).toEqual([2, 4, 4]);
  });

  it('no explicit limit: equal parts; explicit limits above the budget leave the others nothing', () => {
    const equal = new GuestEnergyPolicy(new FakeGuestView(4), { periodSeconds: 0.05, budgetWatts: 10, threadLimitWatts: new Map() });
    expect(Array.from(equal.limits)).toEqual([2.5, 2.5, 2.5, 2.5]);
    const over = new GuestEnergyPolicy(new FakeGuestView(3), { periodSeconds: 0.05, budgetWatts: 10, threadLimitWatts: new Map([[1, 12]]) });
    expect(Array.from(over.limits)).toEqual([0, 12, 0]);
  });
});

describe('GuestEnergyPolicy: thread allocations', () => {
  it('splits the period’s VM energy by counter energy and allocates (limit × 0.99) / ε to each thread', () => {
    const view = new FakeGuestView(3);
    const policy = new GuestEnergyPolicy(view, { periodSeconds: 0.05, budgetWatts: 10, threadLimitWatts: new Map([[0, 2]]) });
    // In 50 ms the VM was charged 1 J; the threads' counters are worth 0.3, 0.1 and 0 J for 30, 10 and 0 ms.
    view.cpuEnergy = 1;
    view.counterEnergy.splice(0, 3, 0.3, 0.1, 0);
    view.cpuSeconds.splice(0, 3, 0.03, 0.01, 0);
    policy.step();
    // Thread 0: charged 0.75 J over 0.03 s (ε = 25), limit 2 W: 1.98 / 25. Thread 1: 0.25 J / 0.01 s, 4 W: 3.96 / 25.
    expect(view.allocation[0]).toBeCloseTo(0.0792, 12);
    expect(view.allocation[1]).toBeCloseTo(0.1584, 12);
    expect(view.allocation[2]).toBe(1); // never ran: not limited yet
    expect(view.calls).toHaveLength(3);
  });

  it('works on differences: a second period with the same activity gives the same allocations', () => {
    const view = new FakeGuestView(2);
    const policy = new GuestEnergyPolicy(view, { periodSeconds: 0.05, budgetWatts: 6, threadLimitWatts: new Map() });
    for (let k = 1; k <= 2; k++) {
      view.cpuEnergy += 0.5;
      view.counterEnergy[0] += 0.2;
      view.counterEnergy[1] += 0.2;
      view.cpuSeconds[0] += 0.02;
      view.cpuSeconds[1] += 0.02;
      policy.step();
      // Each thread: 0.25 J over 0.02 s (ε = 12.5), limit 3 W: 2.97 / 12.5 = 0.2376.
      expect(view.allocation[0]).toBeCloseTo(0.2376, 12);
      expect(view.allocation[1]).toBeCloseTo(0.2376, 12);
    }
  });

  it('counters worth nothing: the energy is split equally; a generous budget leaves allocation 1', () => {
    const view = new FakeGuestView(2);
    const policy = new GuestEnergyPolicy(view, { periodSeconds: 0.05, budgetWatts: 1000, threadLimitWatts: new Map() });
    view.cpuEnergy = 0.4;
    view.cpuSeconds.splice(0, 2, 0.02, 0.04);
    policy.step();
    expect(view.allocation).toEqual([1, 1]);
    const tight = new FakeGuestView(2);
    const tightPolicy = new GuestEnergyPolicy(tight, { periodSeconds: 0.05, budgetWatts: 2, threadLimitWatts: new Map() });
    tight.cpuEnergy = 0.4;
    tight.cpuSeconds.splice(0, 2, 0.02, 0.04);
    tightPolicy.step();
    // 0.2 J each: ε = 10 and 5 J/CPU-s; limit 1 W each: 0.099 and 0.198.
    expect(tight.allocation[0]).toBeCloseTo(0.099, 12);
    expect(tight.allocation[1]).toBeCloseTo(0.198, 12);
  });
});
