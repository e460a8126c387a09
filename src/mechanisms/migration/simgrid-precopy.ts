/**
 * The `simgrid` compatibility mode for live migration: SimGrid 3.32's pre-copy model, reproduced mechanism by
 * mechanism (not fitted), for one VM migrated alone over the one-link platform of `data/simgrid/sg_platform.xml`.
 *
 * Sources, all read at tag v3.32 of https://github.com/simgrid/simgrid (the Debian package `libsimgrid-dev`
 * 3.32-2 runs the same code):
 * - `src/plugins/vm/VmLiveMigration.cpp`: `sg_vm_create_migratable` (defaults), `MigrationTx::operator()` (the
 *   three stages), `get_updated_size`, `MigrationRx::operator()` (resume on the destination, final control
 *   message), `sg_vm_migrate` (returns when that control message arrives);
 * - `src/plugins/vm/dirty_page_tracking.cpp`: dirty bytes are computed flops × a rate; tracking starts at the
 *   beginning of stage 1 and each lookup returns the flops computed since the previous lookup;
 * - `src/kernel/resource/VirtualMachineImpl.cpp`: a 1-core VM with one busy actor computes at the PM's speed per
 *   core (`update_action_weight`, `virt_overhead = 1`);
 * - `src/surf/network_cm02.cpp` (`surf_network_model_init_LegrandVelho`, `comm_action_set_bounds`,
 *   `comm_action_set_variable`, `comm_action_expand_constraints`), `src/kernel/resource/NetworkModel.cpp`
 *   (TCP-gamma, crosstraffic), `src/simgrid/sg_config.cpp` (LV08 is the default network model, weight-S),
 *   `src/kernel/lmm/System.cpp` (`expand_add_to_elem`: weights on the same shared link add up),
 *   `src/kernel/lmm/maxmin.cpp` (the share of one flow), `src/kernel/resource/Action.cpp` (`get_rate` = variable
 *   value × bandwidth factor), `src/kernel/resource/Model.cpp` (completion date = now + remains / rate).
 *
 * The model, in one paragraph: stage 1 sends the whole RAM; the bytes dirtied meanwhile are
 * ⌊flops computed × (migration speed × intensity / host speed)⌋, capped at the working set. Stage 2 sends the
 * dirtied bytes again and again, each round's dirtied bytes computed the same way over that round, and stops as
 * soon as the dirtied bytes are at most ⌊(bytes of the last message / its duration) × max downtime⌋. Stage 3
 * suspends the VM and sends what is left; the destination resumes the VM and sends a 0-byte control message back,
 * and the migration call returns when it arrives. Every message costs the LV08 latency (13.01 × link latency) and
 * then moves at 0.97 × the link bandwidth / 1.05 (the flow also loads its own link backwards with weight 0.05).
 *
 * Pure functions, no I/O. This file exists to compare with SimGrid, so SimGrid's quirks are kept, not fixed
 * (docs/models/migration-simgrid.md lists them and what differs from a real QEMU pre-copy).
 */

// ---- Constants, each with the SimGrid 3.32 file it comes from ------------------------------------------------

/** `network/bandwidth-factor` of LV08 (src/surf/network_cm02.cpp, `surf_network_model_init_LegrandVelho`). */
const LV08_BANDWIDTH_FACTOR = 0.97;
/** `network/latency-factor` of LV08 (same place). Multiplies the route latency of every message. */
const LV08_LATENCY_FACTOR = 13.01;
/** `network/weight-S` of LV08 (same place, and src/simgrid/sg_config.cpp). Only changes a flow's sharing penalty. */
const LV08_WEIGHT_S = 20537;
/** `network/TCP-gamma` default, bytes (src/kernel/resource/NetworkModel.cpp): rate bound γ / (2 × route latency). */
const TCP_GAMMA_BYTES = 4194304.0;
/**
 * Crosstraffic (on by default, src/surf/host_clm03.cpp and NetworkModel.cpp): every flow is also added on its back
 * route with weight 0.05 (network_cm02.cpp, `comm_action_expand_constraints`). On the one SHARED link used both
 * ways here, `System::expand` adds it to the forward weight (src/kernel/lmm/System.cpp, `expand_add_to_elem`).
 */
const CROSSTRAFFIC_WEIGHT = 0.05;
/** Default and fallback maximum downtime, seconds (dirty_page_tracking.cpp `max_downtime_`; VmLiveMigration.cpp). */
const SIMGRID_DEFAULT_MAX_DOWNTIME_SECONDS = 0.03;
/** `mig_timeout` in `MigrationTx::operator()`, seconds: the budget of stages 1 and 2 (see `stage2TimedOut`). */
const SIMGRID_MIGRATION_TIMEOUT_SECONDS = 10000000.0;
/** MiB → bytes as `sg_vm_create_migratable` does (`ramsize * 1024 * 1024`, and `mig_netspeed * 1024 * 1024.0`). */
const BYTES_PER_MIB = 1024 * 1024;

// ---- Public API ---------------------------------------------------------------------------------------------------

export interface SimGridPrecopyParameters {
  /** VM memory, MiB (SimGrid's C API takes whole MiB; a fraction is truncated to whole bytes here). */
  ramMiB: number;
  /**
   * Dirty-page intensity, percent: while the VM computes at full speed it dirties this percentage of the
   * migration speed in bytes per second (`sg_vm_create_migratable`'s `dp_intensity`).
   */
  dirtyIntensityPercent: number;
  /** Whether the VM runs one actor computing continuously (true) or nothing (false: it never dirties memory). */
  busy: boolean;
  /** Migration speed, "MB/s" as SimGrid's API takes it; SimGrid multiplies by 1024 × 1024 (125 → 131072000 B/s). */
  migrationSpeedMBps: number;
  /** Bandwidth of the one link between source and destination, bit/s (1e9 for "1Gbps"). */
  linkBandwidthBitsPerSecond: number;
  /** Latency of that link, seconds (before LV08's latency factor). */
  linkLatencySeconds: number;
  /** Maximum downtime, seconds (SimGrid: 0.03, not settable through the C API; ≤ 0 falls back to 0.03 as there). */
  maxDowntimeSeconds: number;
  /** Working set as a fraction of RAM: the cap of the bytes dirtied between two lookups (SimGrid: 0.9). */
  workingSetFraction: number;
  /** Speed of the source host, flop/s per core (the VM's 1 vCPU computes at this speed when busy). */
  hostSpeedFlops: number;
  /**
   * Simulated seconds after which we stop and report non-convergence (Infinity is allowed). SimGrid itself gives
   * up 1e7 s into stages 1–2 (and then aborts); we stop there too whatever the limit (see `stage2TimedOut`).
   */
  timeLimitSeconds: number;
}

/** SimGrid 3.32's values for the probe platform of data/simgrid (sg_platform.xml, sg_migrate.c). */
export const SIMGRID_DEFAULTS: Omit<SimGridPrecopyParameters, 'ramMiB' | 'dirtyIntensityPercent' | 'busy'> = {
  migrationSpeedMBps: 125,
  linkBandwidthBitsPerSecond: 1e9,
  linkLatencySeconds: 100e-6,
  maxDowntimeSeconds: SIMGRID_DEFAULT_MAX_DOWNTIME_SECONDS,
  workingSetFraction: 0.9,
  hostSpeedFlops: 1e9,
  timeLimitSeconds: 3600,
};

export interface SimGridPrecopyResult {
  /**
   * Seconds from `sg_vm_migrate` to its return: data messages + the final 0-byte control message from the
   * destination (one more latency). What SimGrid's probe prints as `migration_time`. When not converged: the
   * time at which we stopped (`timeLimitSeconds`, or the moment SimGrid's own stage-2 timeout fires).
   */
  totalSeconds: number;
  /**
   * SimGrid's downtime: the VM is suspended when stage 3 starts and resumed when the stage-3 message has arrived,
   * so this is that message's duration, latency included. 0 if stage 3 had not started when we stopped.
   */
  downtimeSeconds: number;
  /**
   * Seconds from the start until the VM runs again on the destination (= totalSeconds − the control message's
   * latency). Infinity if that had not happened when we stopped.
   */
  switchoverSeconds: number;
  /** Bytes that crossed the link for the migration by the end (or by the time we stopped, partial message included). */
  transferredBytes: number;
  /**
   * Data messages completed: 1 (stage 1) + the stage-2 rounds + 1 (stage 3); the control message is not counted.
   * Equals `rounds.length`.
   */
  passes: number;
  /** Whether `sg_vm_migrate` returned within the time limit. */
  converged: boolean;
  /**
   * True when SimGrid's 1e7 s budget for stages 1 and 2 ran out in a stage-2 round (its `wait_for` times out).
   * What SimGrid then does is not modelled (see docs/models/migration-simgrid.md); converged is false.
   */
  stage2TimedOut: boolean;
  /** Every completed data message in order: stage 1, the stage-2 rounds, stage 3 (bytes, seconds incl. latency). */
  rounds: { bytes: number; seconds: number }[];
}

// ---- The network: one LV08 message alone on the link ---------------------------------------------------------------

interface Network {
  /** Latency every message pays before moving data, seconds (route latency × latency factor). */
  latencySeconds: number;
  /** Bytes per second of a migration message (with `set_rate(mig_speed)`), once its latency is paid. */
  migrationRateBytesPerSecond: number;
}

/**
 * The rate SimGrid's maxmin solver gives one message alone on the link (network_cm02.cpp `communicate`).
 * @param bandwidthBytesPerSecond link bandwidth; @param latencySeconds link latency (unfactored);
 * @param userRate `comm->set_rate` value, bytes/s, or -1 when none.
 */
function lv08RateBytesPerSecond(bandwidthBytesPerSecond: number, latencySeconds: number, userRate: number): number {
  // comm_action_set_bounds: the user's rate is divided by the bandwidth factor "since the actual rate will be
  // modified by it", and bounds the flow if below the slowest link.
  let userBound = bandwidthBytesPerSecond;
  const scaledRate = userRate / LV08_BANDWIDTH_FACTOR;
  if (scaledRate >= 0 && scaledRate < userBound) userBound = scaledRate;
  // comm_action_set_variable: TCP window bound with the route latency before the factor (`lat_current_`).
  const bound = latencySeconds > 0 ? Math.min(userBound, TCP_GAMMA_BYTES / (2.0 * latencySeconds)) : userBound;
  // communicate: the sharing penalty is the route latency + weight-S / bandwidth (a variable created without
  // latency keeps penalty 1). Alone on its link the penalty cancels out except for rounding; kept in maxmin's order.
  const penalty = latencySeconds > 0 ? latencySeconds + LV08_WEIGHT_S / bandwidthBytesPerSecond : 1.0;
  const weight = 1.0 + CROSSTRAFFIC_WEIGHT; // forward weight 1, plus the back route on the same link
  // maxmin.cpp: remaining / usage with usage = weight / penalty, then value = that / penalty unless the bound binds.
  const remainingOverUsage = bandwidthBytesPerSecond / (weight / penalty);
  const value = bound > 0 && bound * penalty < remainingOverUsage ? bound : remainingOverUsage / penalty;
  // Action::get_rate: the variable's value times the bandwidth factor (`set_rate_factor`).
  return value * LV08_BANDWIDTH_FACTOR;
}

/**
 * When a message of `bytes` started at `startSeconds` arrives: the latency event first, then the remaining bytes
 * at the rate (Model.cpp `next_occurring_event_lazy`: date = now + remains / share, with now = start + latency).
 */
function arrivalSeconds(startSeconds: number, bytes: number, network: Network): number {
  const afterLatency = network.latencySeconds > 0 ? startSeconds + network.latencySeconds : startSeconds;
  return bytes > 0 ? afterLatency + bytes / network.migrationRateBytesPerSecond : afterLatency;
}

// ---- The migration ---------------------------------------------------------------------------------------------

function check(p: SimGridPrecopyParameters): void {
  const problems: string[] = [];
  const nonNegative = (name: keyof SimGridPrecopyParameters): void => {
    const v = p[name] as number;
    if (!(Number.isFinite(v) && v >= 0)) problems.push(`${name} must be a finite number ≥ 0, got ${v}`);
  };
  nonNegative('ramMiB');
  nonNegative('dirtyIntensityPercent');
  nonNegative('migrationSpeedMBps');
  nonNegative('linkLatencySeconds');
  nonNegative('hostSpeedFlops');
  nonNegative('workingSetFraction');
  if (!(p.linkBandwidthBitsPerSecond > 0 && Number.isFinite(p.linkBandwidthBitsPerSecond)))
    problems.push(`linkBandwidthBitsPerSecond must be > 0, got ${p.linkBandwidthBitsPerSecond}`);
  if (!Number.isFinite(p.maxDowntimeSeconds)) problems.push(`maxDowntimeSeconds must be finite, got ${p.maxDowntimeSeconds}`);
  if (!(p.timeLimitSeconds > 0)) problems.push(`timeLimitSeconds must be > 0, got ${p.timeLimitSeconds}`);
  if (problems.length > 0) throw new RangeError(`simulateSimGridPrecopy: ${problems.join('; ')}`);
}

/**
 * Simulates SimGrid 3.32's `sg_vm_migrate` of one VM alone on the link (VmLiveMigration.cpp, `MigrationTx`).
 *
 * @example
 * simulateSimGridPrecopy({ ...SIMGRID_DEFAULTS, ramMiB: 1024, dirtyIntensityPercent: 10, busy: true }).totalSeconds
 * // ≈ 10.4942 (SimGrid prints 10.4942)
 */
export function simulateSimGridPrecopy(p: SimGridPrecopyParameters): SimGridPrecopyResult {
  check(p);
  // sg_vm_create_migratable: sizes are sg_size_t (unsigned 64-bit); a double converted to it is truncated.
  const ramBytes = Math.floor(p.ramMiB * BYTES_PER_MIB);
  const workingSetBytes = Math.floor(ramBytes * p.workingSetFraction); // `vm->get_ramsize() * 0.9` → sg_size_t
  const migrationSpeed = p.migrationSpeedMBps * BYTES_PER_MIB; // bytes/s, 125 → 131072000
  const intensity = p.dirtyIntensityPercent / 100.0; // `dp_intensity / 100.0`
  const hostSpeed = p.hostSpeedFlops;
  // MigrationTx: dirty bytes per computed flop.
  const dirtyBytesPerFlop = hostSpeed !== 0 ? (migrationSpeed * intensity) / hostSpeed : 1;
  const maxDowntime = p.maxDowntimeSeconds > 0 ? p.maxDowntimeSeconds : SIMGRID_DEFAULT_MAX_DOWNTIME_SECONDS;
  // A busy 1-core VM computes at the PM's per-core speed; an idle one computes nothing.
  const flopsPerSecond = p.busy ? hostSpeed : 0;

  const bandwidth = p.linkBandwidthBitsPerSecond / 8; // SimGrid's "bps" unit is 0.125 B/s
  const network: Network = {
    latencySeconds: p.linkLatencySeconds * LV08_LATENCY_FACTOR,
    migrationRateBytesPerSecond: lv08RateBytesPerSecond(bandwidth, p.linkLatencySeconds, migrationSpeed > 0 ? migrationSpeed : -1),
  };
  // The final control message has no set_rate; with 0 bytes only its latency counts.
  const controlMessageSeconds = network.latencySeconds;
  const limit = p.timeLimitSeconds;

  const rounds: { bytes: number; seconds: number }[] = [];
  let transferredBytes = 0;
  let now = 0;
  let lastLookup = 0; // sg_vm_start_dirty_page_tracking at the start of stage 1
  // dirty_page_tracking.cpp computed_flops_lookup: flops computed since the previous lookup.
  const lookupComputedFlops = (): number => {
    const flops = flopsPerSecond * (now - lastLookup);
    lastLookup = now;
    return flops;
  };
  // VmLiveMigration.cpp get_updated_size: static_cast<sg_size_t>(computed * dp_rate), capped at the working set.
  const updatedSize = (computedFlops: number): number => Math.min(Math.floor(computedFlops * dirtyBytesPerFlop), workingSetBytes);

  let stage3StartSeconds = Infinity;
  const stopped = (stage2TimedOut: boolean, stopSeconds: number, inFlight?: { start: number; bytes: number }): SimGridPrecopyResult => {
    let partial = 0;
    if (inFlight !== undefined) {
      const moving = stopSeconds - (inFlight.start + network.latencySeconds);
      partial = moving > 0 ? Math.min(inFlight.bytes, moving * network.migrationRateBytesPerSecond) : 0;
    }
    return {
      totalSeconds: stopSeconds,
      downtimeSeconds: stopSeconds > stage3StartSeconds ? stopSeconds - stage3StartSeconds : 0,
      switchoverSeconds: Infinity,
      transferredBytes: transferredBytes + partial,
      passes: rounds.length,
      converged: false,
      stage2TimedOut,
      rounds,
    };
  };
  /** Sends one data message; returns false if it would end after the time limit (then nothing is recorded). */
  const send = (bytes: number): boolean => {
    const end = arrivalSeconds(now, bytes, network);
    if (end > limit) return false;
    rounds.push({ bytes, seconds: end - now });
    transferredBytes += bytes;
    now = end;
    return true;
  };

  // Stage 1: all of the RAM, without timeout.
  let migrationTimeout = SIMGRID_MIGRATION_TIMEOUT_SECONDS;
  if (!send(ramBytes)) return stopped(false, limit, { start: now, bytes: ramBytes });
  let remaining = 0; // remaining_size = ramsize − sent
  const stage1Seconds = now; // clock_post_send − clock_prev_send
  const computedDuringStage1 = lookupComputedFlops();
  migrationTimeout -= stage1Seconds;
  // `skip_stage2` when stage 1 alone exceeds the budget; then the bytes dirtied during stage 1 are never sent.
  const skipStage2 = migrationTimeout < 0;
  // "estimate bandwidth": bytes / duration with the latency included; threshold is a size_t.
  let threshold = Math.floor((ramBytes / stage1Seconds) * maxDowntime);

  // Stage 2: resend what was dirtied while remaining > threshold.
  if (!skipStage2) {
    let updated = updatedSize(computedDuringStage1);
    remaining += updated;
    while (threshold < remaining) {
      const start = now;
      const end = arrivalSeconds(start, updated, network);
      if (end - start > migrationTimeout) {
        // comm->wait_for(mig_timeout) throws at start + mig_timeout; what follows is not modelled.
        const timeoutSeconds = start + migrationTimeout;
        if (timeoutSeconds <= limit) return stopped(true, timeoutSeconds, { start, bytes: updated });
        return stopped(false, limit, { start, bytes: updated });
      }
      if (!send(updated)) return stopped(false, limit, { start, bytes: updated });
      remaining -= updated;
      const computed = lookupComputedFlops();
      const roundSeconds = now - start;
      threshold = Math.floor((updated / roundSeconds) * maxDowntime);
      migrationTimeout -= roundSeconds;
      updated = updatedSize(computed);
      remaining += updated;
    }
  }

  // Stage 3: the VM is suspended, the rest is sent, the destination resumes the VM.
  stage3StartSeconds = now;
  if (!send(remaining)) return stopped(false, limit, { start: now, bytes: remaining });
  const downtimeSeconds = now - stage3StartSeconds;
  const switchoverSeconds = now;
  // MigrationRx: 0-byte "__mig_stage4" control message back to the caller of sg_vm_migrate.
  const totalSeconds = now + controlMessageSeconds;
  if (totalSeconds > limit) {
    const result = stopped(false, limit);
    result.switchoverSeconds = switchoverSeconds;
    result.downtimeSeconds = downtimeSeconds;
    return result;
  }
  return {
    totalSeconds,
    downtimeSeconds,
    switchoverSeconds,
    transferredBytes,
    passes: rounds.length,
    converged: true,
    stage2TimedOut: false,
    rounds,
  };
}
