/**
 * Turns a power limit into a CPU-time allocation: the budget becomes an allocation, the rest becomes halt.
 *
 * Stoess et al. (USENIX ATC 2007, §4.2) enforce a VM's power limit through the scheduler: the VM gets the share
 * of CPU time whose energy fits its budget, and the share nobody was allotted is spent in halt cycles, so other
 * VMs neither gain nor lose time. Each period this controller measures, from the accounting, the energy the
 * client spends per second of CPU time (ε, joules per CPU-second, smoothed) and the part of its power that does
 * not depend on its CPU time (its idle share); then
 *
 *     allowed CPU-seconds per second = (limit · (1 − margin) − fixed power) / ε,
 *
 * spread over the client's vCPUs (or threads), each at most 1. The margin (default 1 %) absorbs the period-to-
 * period variation of ε. When the client runs less than it may, the allocation stays above its demand and
 * costs nothing.
 */

export interface PowerLimitState {
  /** Smoothed energy per CPU-second, joules; 0 until first measured. */
  energyPerCpuSecond: number;
  /** Current allowed CPU-seconds per second over all the client's vCPUs. */
  allowedCpu: number;
}

/** Smoothing weight of a new ε measurement. */
const SMOOTHING = 0.5;

/**
 * One control step. Returns the new allowed CPU-seconds per second.
 * @param activeJoules the client's CPU energy that scales with its CPU time, in the last period.
 * @param fixedJoules the client's energy that does not (its idle share), in the last period.
 * @param cpuSeconds CPU time the client ran in the last period.
 * @param periodSeconds length of the period.
 * @param limitWatts the power limit.
 * @param width number of vCPUs (threads) the client has: the most CPU it can use per second.
 */
export function powerLimitStep(state: PowerLimitState, activeJoules: number, fixedJoules: number, cpuSeconds: number, periodSeconds: number, limitWatts: number, width: number, margin = 0.01): number {
  if (cpuSeconds > 1e-9) {
    const epsilon = activeJoules / cpuSeconds;
    state.energyPerCpuSecond = state.energyPerCpuSecond === 0 ? epsilon : SMOOTHING * epsilon + (1 - SMOOTHING) * state.energyPerCpuSecond;
  }
  if (state.energyPerCpuSecond === 0) {
    state.allowedCpu = width;
    return width;
  }
  const fixedWatts = fixedJoules / periodSeconds;
  const allowed = (limitWatts * (1 - margin) - fixedWatts) / state.energyPerCpuSecond;
  state.allowedCpu = Math.min(width, Math.max(0, allowed));
  return state.allowedCpu;
}
