/**
 * A disk with idle, active and standby power, a transfer rate, and requests served first-come first-served.
 *
 * Power states follow the Seagate Barracuda 7200.7 SATA product manual (100217279 rev. N, table 4): idle 7.5 W
 * (spinning, heads loaded), seeking 12.5 W (used here as the active power), standby 1.0 W (spindle stopped). The
 * transfer rate (50 MB/s) is an assumption of the sustained rate of a 7200 rpm disk of that generation; the
 * positioning time per request (seek plus rotation, default 0: streaming requests) and the spin-up time and
 * power after standby (8 s at 24 W; the manual gives only the 2.8 A peak spin-up current at 12 V) are
 * assumptions too. A scenario sets each of them.
 *
 * Requests must be submitted in non-decreasing time order (the host model sorts the requests of a time slice
 * before submitting them). Service is FCFS: a request starts at max(submission, end of the previous request)
 * — after a spin-up if the disk had gone to standby — and lasts positioning + bytes / rate. Because of that,
 * the completion time of a request is known when it is submitted, and the energy is integrated exactly, with
 * no time step.
 */

/** Parameters of a disk. */
export interface DiskParameters {
  /** Power while spinning with no request, watts. */
  readonly idlePowerWatts: number;
  /** Power while serving a request, watts. */
  readonly activePowerWatts: number;
  /** Power in standby (spindle stopped), watts. */
  readonly standbyPowerWatts: number;
  /** Sustained transfer rate, bytes per second. */
  readonly transferBytesPerSecond: number;
  /** Positioning time (seek and rotation) per request, seconds. */
  readonly positioningSeconds: number;
  /** Idle time after which the disk spins down to standby, seconds; null never spins down. */
  readonly standbyAfterIdleSeconds: number | null;
  /** Time to spin up from standby, seconds. */
  readonly spinUpSeconds: number;
  /** Power while spinning up, watts. */
  readonly spinUpPowerWatts: number;
}

/** Seagate Barracuda 7200.7 power states plus stated assumptions (see the module comment). */
export const DEFAULT_DISK: DiskParameters = {
  idlePowerWatts: 7.5,
  activePowerWatts: 12.5,
  standbyPowerWatts: 1.0,
  transferBytesPerSecond: 50e6,
  positioningSeconds: 0,
  standbyAfterIdleSeconds: null,
  spinUpSeconds: 8,
  spinUpPowerWatts: 24,
};

/** The disk's state, with energy integrated by state. */
export class DiskModel {
  readonly parameters: DiskParameters;
  /** End of the last scheduled request (or spin-up), seconds. */
  private busyUntil = 0;
  /** Time up to which `accounted*` fields are integrated: always `busyUntil` or earlier. */
  private accountedUntil = 0;
  private lastSubmission = 0;
  /** End of the last spin-up, seconds (services after it are back to back up to busyUntil). */
  private lastSpinUpEnd = 0;
  /** Integrated times by state, seconds, up to `accountedUntil`. */
  activeSeconds = 0;
  idleSeconds = 0;
  standbySeconds = 0;
  spinUpSeconds = 0;
  /** Requests served (scheduled). */
  requestCount = 0;

  constructor(parameters: DiskParameters) {
    this.parameters = parameters;
  }

  /** Seconds a request of `bytes` occupies the disk once started. */
  serviceSeconds(bytes: number): number {
    return this.parameters.positioningSeconds + bytes / this.parameters.transferBytesPerSecond;
  }

  /**
   * Schedules a request; returns its completion time, seconds.
   * @param timeSeconds submission time, not earlier than the previous submission.
   */
  submit(timeSeconds: number, bytes: number): number {
    if (timeSeconds < this.lastSubmission) throw new RangeError(`DiskModel: submissions must be in time order (${timeSeconds} < ${this.lastSubmission})`);
    this.lastSubmission = timeSeconds;
    let start = Math.max(timeSeconds, this.busyUntil);
    if (start > this.busyUntil) {
      // The disk sat without work from busyUntil to the submission: idle, perhaps spun down.
      const gap = start - this.busyUntil;
      const timeout = this.parameters.standbyAfterIdleSeconds;
      if (timeout !== null && gap > timeout) {
        this.idleSeconds += timeout;
        this.standbySeconds += gap - timeout;
        this.spinUpSeconds += this.parameters.spinUpSeconds;
        start += this.parameters.spinUpSeconds;
        this.lastSpinUpEnd = start;
      } else {
        this.idleSeconds += gap;
      }
    }
    const service = this.serviceSeconds(bytes);
    this.activeSeconds += service;
    this.busyUntil = start + service;
    this.accountedUntil = this.busyUntil;
    this.requestCount++;
    return this.busyUntil;
  }

  /** Whether the disk is spinning down or in standby at `timeSeconds` (for reports). */
  inStandby(timeSeconds: number): boolean {
    const timeout = this.parameters.standbyAfterIdleSeconds;
    return timeout !== null && timeSeconds > this.busyUntil + timeout;
  }

  /** Times by state from 0 to `timeSeconds` (which must not precede the last submission), seconds. */
  stateSeconds(timeSeconds: number): { active: number; idle: number; standby: number; spinUp: number } {
    let idle = this.idleSeconds;
    let standby = this.standbySeconds;
    let active = this.activeSeconds;
    let spinUp = this.spinUpSeconds;
    if (timeSeconds >= this.accountedUntil) {
      const gap = timeSeconds - this.accountedUntil;
      const timeout = this.parameters.standbyAfterIdleSeconds;
      if (timeout !== null && gap > timeout) {
        idle += timeout;
        standby += gap - timeout;
      } else idle += gap;
    } else {
      // Requests are queued beyond timeSeconds. Every idle gap ends at a submission, which is not later than
      // timeSeconds, so what lies ahead is back-to-back service, preceded at most by part of one spin-up.
      const future = this.accountedUntil - timeSeconds;
      const queuedService = this.accountedUntil - Math.max(this.lastSpinUpEnd, timeSeconds);
      active -= Math.min(future, queuedService);
      spinUp -= future - Math.min(future, queuedService);
    }
    return { active, idle, standby, spinUp };
  }

  /** Energy from 0 to `timeSeconds`, joules. */
  energyJoules(timeSeconds: number): number {
    const s = this.stateSeconds(timeSeconds);
    const p = this.parameters;
    return s.active * p.activePowerWatts + s.idle * p.idlePowerWatts + s.standby * p.standbyPowerWatts + s.spinUp * p.spinUpPowerWatts;
  }
}
