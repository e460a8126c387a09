/**
 * A synthetic RunResult for report tests: one day at five-minute samples, with a sine-shaped load so charts
 * have visible shape, built without the simulator so report tests do not depend on it.
 */

import type { RunResult } from '../../src/metrics/run-result.js';

/** Options of {@link syntheticRunResult}. */
export interface SyntheticRunOptions {
  hostCount?: number;
  sampleCount?: number;
  /** Seconds between samples. */
  intervalSeconds?: number;
  scenario?: string;
}

/**
 * Builds a deterministic run: host h's utilisation follows a daily sine shifted by h; host 3 (if any) is off
 * during the night. Power is linear from 86 W idle to 117 W at full load (roughly an HP ProLiant G4).
 */
export function syntheticRunResult(options: SyntheticRunOptions = {}): RunResult {
  const hostCount = options.hostCount ?? 4;
  const sampleCount = options.sampleCount ?? 288;
  const intervalSeconds = options.intervalSeconds ?? 300;
  const idleWatts = 86;
  const fullWatts = 117;

  const hostPower = new Float64Array(hostCount * sampleCount);
  const hostUtilisation = new Float64Array(hostCount * sampleCount);
  const timeSeconds = new Float64Array(sampleCount);
  const powerWatts = new Float64Array(sampleCount);
  const activeHosts = new Float64Array(sampleCount);
  const utilisation = new Float64Array(sampleCount);
  const migrationsInFlight = new Float64Array(sampleCount);
  const migrationsStarted = new Float64Array(sampleCount);
  const overloadedHostFraction = new Float64Array(sampleCount);
  const slaViolation = new Float64Array(sampleCount);

  for (let sample = 0; sample < sampleCount; sample++) {
    const time = (sample + 1) * intervalSeconds;
    timeSeconds[sample] = time;
    const dayPhase = (2 * Math.PI * time) / 86_400;
    let active = 0;
    let utilisationSum = 0;
    let overloaded = 0;
    for (let host = 0; host < hostCount; host++) {
      const index = host * sampleCount + sample;
      const off = host === 3 && (time < 6 * 3600 || time > 22 * 3600);
      if (off) continue; // power and utilisation stay 0
      const load = Math.min(1, Math.max(0.05, 0.5 - 0.45 * Math.cos(dayPhase + host * 0.4) + 0.03 * Math.sin(sample * 1.7 + host)));
      hostUtilisation[index] = load;
      hostPower[index] = idleWatts + (fullWatts - idleWatts) * load;
      powerWatts[sample] += hostPower[index];
      utilisationSum += load;
      active++;
      if (load >= 0.95) overloaded++;
    }
    activeHosts[sample] = active;
    utilisation[sample] = active > 0 ? utilisationSum / active : 0;
    overloadedHostFraction[sample] = active > 0 ? overloaded / active : 0;
    slaViolation[sample] = overloaded > 0 ? 0.002 * overloaded : 0;
    migrationsStarted[sample] = sample % 12 === 5 ? 1 + (sample % 3) : 0;
    migrationsInFlight[sample] = migrationsStarted[sample] > 0 ? migrationsStarted[sample] : sample % 12 === 6 ? 1 : 0;
  }

  let energyJoules = 0;
  for (let sample = 0; sample < sampleCount; sample++) energyJoules += powerWatts[sample] * intervalSeconds;
  let migrations = 0;
  for (let sample = 0; sample < sampleCount; sample++) migrations += migrationsStarted[sample];

  return {
    summary: {
      scenario: options.scenario ?? 'synthetic-sine',
      mode: 'default',
      seed: 42,
      hosts: hostCount,
      vms: hostCount * 3,
      energy_kwh: energyJoules / 3.6e6,
      migrations,
      slatah: 0.0423,
      pdm: 0.00081,
      slav: 0.0423 * 0.00081,
      esv: (energyJoules / 3.6e6) * 0.0423 * 0.00081,
      overall_sla_violation: 0.00123,
      average_sla_violation: 0.0871,
      host_shutdowns: 2,
      mean_time_before_host_shutdown_s: 5400,
      stdev_time_before_host_shutdown_s: 1234.5,
      mean_migration_time_s: 18.25,
      stdev_migration_time_s: 6.5,
      sim_seconds: sampleCount * intervalSeconds,
      events: 123_456,
      wall_seconds: 0.8123,
    },
    dataCenter: {
      timeSeconds,
      powerWatts,
      activeHosts,
      utilisation,
      migrationsInFlight,
      migrationsStarted,
      overloadedHostFraction,
      slaViolation,
    },
    hosts: { hostCount, sampleCount, powerWatts: hostPower, utilisation: hostUtilisation },
  };
}
