/**
 * The disk (src/model/host/disk-model.ts): hand-computed FCFS completion times, energy by state with idle gaps,
 * standby after the idle timeout with the spin-up delay and energy, the state split in the middle of queued
 * service and of a spin-up, submissions out of order, and a seeded property test against an independent
 * timeline integration (the states always add up to the elapsed time).
 */
import { describe, expect, it } from 'vitest';
import { DiskModel, type DiskParameters } from '../../../src/model/host/disk-model.js';
import { prng } from '../../mechanisms/host/fixtures.js';

/** Round numbers: 1 MB/s, 10 ms positioning, idle 5 W, active 10 W, standby 1 W, spin-up 3 s at 20 W, no spin-down. */
const PARAMETERS: DiskParameters = {
  idlePowerWatts: 5,
  activePowerWatts: 10,
  standbyPowerWatts: 1,
  transferBytesPerSecond: 1e6,
  positioningSeconds: 0.01,
  standbyAfterIdleSeconds: null,
  spinUpSeconds: 3,
  spinUpPowerWatts: 20,
};

type States = { active: number; idle: number; standby: number; spinUp: number };

function expectStates(actual: States, expected: States): void {
  expect(actual.active).toBeCloseTo(expected.active, 12);
  expect(actual.idle).toBeCloseTo(expected.idle, 12);
  expect(actual.standby).toBeCloseTo(expected.standby, 12);
  expect(actual.spinUp).toBeCloseTo(expected.spinUp, 12);
}

/** Independent reference: lay the submissions out as a timeline of state intervals, then integrate to t. */
function referenceStates(parameters: DiskParameters, submissions: { t: number; bytes: number }[], t: number): States {
  const intervals: { from: number; to: number; state: keyof States }[] = [];
  let busy = 0;
  const timeout = parameters.standbyAfterIdleSeconds;
  const idleThenMaybeStandby = (from: number, to: number) => {
    if (timeout !== null && to - from > timeout) {
      intervals.push({ from, to: from + timeout, state: 'idle' }, { from: from + timeout, to, state: 'standby' });
      return true;
    }
    intervals.push({ from, to, state: 'idle' });
    return false;
  };
  for (const s of submissions) {
    let start = Math.max(s.t, busy);
    if (s.t > busy && idleThenMaybeStandby(busy, s.t)) {
      intervals.push({ from: s.t, to: s.t + parameters.spinUpSeconds, state: 'spinUp' });
      start = s.t + parameters.spinUpSeconds;
    }
    const end = start + parameters.positioningSeconds + s.bytes / parameters.transferBytesPerSecond;
    intervals.push({ from: start, to: end, state: 'active' });
    busy = end;
  }
  if (t > busy) idleThenMaybeStandby(busy, t);
  const total: States = { active: 0, idle: 0, standby: 0, spinUp: 0 };
  for (const i of intervals) total[i.state] += Math.max(0, Math.min(i.to, t) - i.from);
  return total;
}

describe('DiskModel: FCFS service', () => {
  it('hand-computed completion times: a request waits for the one before it', () => {
    const disk = new DiskModel(PARAMETERS);
    expect(disk.serviceSeconds(1e6)).toBeCloseTo(1.01, 15);
    expect(disk.submit(0, 1e6)).toBeCloseTo(1.01, 12); // 10 ms + 1 s
    expect(disk.submit(0.5, 2e6)).toBeCloseTo(3.02, 12); // starts at 1.01, lasts 2.01 s
    expect(disk.submit(3.02, 0)).toBeCloseTo(3.03, 12); // positioning only, back to back
    expect(disk.submit(5, 5e5)).toBeCloseTo(5.51, 12); // after an idle gap of 1.97 s
    expect(disk.requestCount).toBe(4);
  });

  it('energy by state with idle gaps: active × 10 W + idle × 5 W', () => {
    const disk = new DiskModel(PARAMETERS);
    expect(disk.energyJoules(0)).toBe(0);
    expect(disk.energyJoules(0.5)).toBeCloseTo(2.5, 15); // nothing submitted: idle
    disk.submit(1, 1e6); // idle 0–1, active 1–2.01
    disk.submit(4, 1e6); // idle 2.01–4, active 4–5.01
    expectStates(disk.stateSeconds(6), { active: 2.02, idle: 3.98, standby: 0, spinUp: 0 });
    expect(disk.energyJoules(6)).toBeCloseTo(2.02 * 10 + 3.98 * 5, 10);
    expect(disk.inStandby(1e6)).toBe(false); // never spins down without a timeout
  });

  it('energyJoules(t) in the middle of queued service counts only the service done by t', () => {
    const disk = new DiskModel(PARAMETERS);
    disk.submit(0, 1e6); // 0–1.01
    disk.submit(0.5, 2e6); // 1.01–3.02
    expectStates(disk.stateSeconds(0.5), { active: 0.5, idle: 0, standby: 0, spinUp: 0 });
    expectStates(disk.stateSeconds(2), { active: 2, idle: 0, standby: 0, spinUp: 0 });
    expect(disk.energyJoules(2)).toBeCloseTo(20, 12);
    expect(disk.energyJoules(3.02)).toBeCloseTo(30.2, 12);
    expect(disk.energyJoules(4)).toBeCloseTo(30.2 + 0.98 * 5, 12);
  });

  it('spins down after the idle timeout; the next request waits for the spin-up and pays its energy', () => {
    const disk = new DiskModel({ ...PARAMETERS, standbyAfterIdleSeconds: 2 });
    expect(disk.submit(0, 1e6)).toBeCloseTo(1.01, 12);
    expect(disk.inStandby(3)).toBe(false); // idle until 1.01 + 2
    expect(disk.inStandby(3.02)).toBe(true);
    // Gap 1.01–10 (8.99 s): idle 2 s, standby 6.99 s; spin-up 10–13; service 13–14.01.
    expect(disk.submit(10, 1e6)).toBeCloseTo(14.01, 12);
    expectStates(disk.stateSeconds(11), { active: 1.01, idle: 2, standby: 6.99, spinUp: 1 }); // mid spin-up
    expectStates(disk.stateSeconds(13.5), { active: 1.51, idle: 2, standby: 6.99, spinUp: 3 }); // mid service
    expectStates(disk.stateSeconds(20), { active: 2.02, idle: 4, standby: 10.98, spinUp: 3 }); // spun down again at 16.01
    expect(disk.energyJoules(20)).toBeCloseTo(2.02 * 10 + 4 * 5 + 10.98 * 1 + 3 * 20, 10);
  });

  it('a request arriving during a spin-up queues behind it; a gap equal to the timeout stays idle', () => {
    const disk = new DiskModel({ ...PARAMETERS, standbyAfterIdleSeconds: 2 });
    disk.submit(0, 1e6); // 0–1.01
    disk.submit(10, 1e6); // spin-up 10–13, service 13–14.01
    expect(disk.submit(11, 1e6)).toBeCloseTo(15.02, 12);
    expectStates(disk.stateSeconds(12), { active: 1.01, idle: 2, standby: 6.99, spinUp: 2 });
    expectStates(disk.stateSeconds(14.5), { active: 2.51, idle: 2, standby: 6.99, spinUp: 3 });
    const exact = new DiskModel({ ...PARAMETERS, standbyAfterIdleSeconds: 1 });
    exact.submit(0, 0); // 0–0.01
    expect(exact.submit(1.01, 0)).toBeCloseTo(1.02, 12); // gap of exactly the timeout: no spin-down
    expect(exact.spinUpSeconds).toBe(0);
  });

  it('throws on a submission earlier than the previous one', () => {
    const disk = new DiskModel(PARAMETERS);
    disk.submit(2, 10);
    disk.submit(2, 10); // equal times are in order
    expect(() => disk.submit(1.5, 10)).toThrow(RangeError);
    expect(() => disk.submit(1.5, 10)).toThrow(/submissions must be in time order/);
  });

  it('property: states match an independent timeline and add up to the elapsed time (5 seeds)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = prng(seed);
      const parameters = { ...PARAMETERS, standbyAfterIdleSeconds: seed % 2 === 0 ? null : 1.5, spinUpSeconds: 0.7 };
      const disk = new DiskModel(parameters);
      const submissions: { t: number; bytes: number }[] = [];
      let t = 0;
      let checks = 0;
      for (let i = 0; i < 60; i++) {
        t += random() < 0.3 ? random() * 4 : random() * 0.2; // bursts and long gaps
        const bytes = Math.floor(random() * 4e5);
        submissions.push({ t, bytes });
        const done = disk.submit(t, bytes);
        // Query between this submission and a bit after its completion (the next one comes later still).
        for (const q of [t, t + random() * (done - t), done, done + random() * 3]) {
          const states = disk.stateSeconds(q);
          const reference = referenceStates(parameters, submissions, q);
          for (const key of ['active', 'idle', 'standby', 'spinUp'] as const) expect(Math.abs(states[key] - reference[key])).toBeLessThan(1e-9);
          expect(states.active + states.idle + states.standby + states.spinUp).toBeCloseTo(q, 9);
          checks++;
        }
        t = Math.max(t, done + random() * 3); // the next submission is not before the last query
      }
      expect(checks).toBe(240);
    }
  });
});
