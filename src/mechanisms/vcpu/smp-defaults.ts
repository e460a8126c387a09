/**
 * Default parameters of the double-scheduling model, each with its source (docs/models/vcpu-ballooning.md
 * repeats them in one table).
 */

import type { CfsParameters, CoSchedulingParameters, PleParameters } from './smp-machine.js';

/**
 * Linux CFS defaults (kernel/sched/fair.c): sysctl_sched_latency 6 ms, min_granularity 0.75 ms and
 * wakeup_granularity 1 ms, each multiplied by 1 + log2(min(online CPUs, 8)) (SCHED_TUNABLESCALING_LOG): on a host
 * or guest with 8 or more CPUs, 24 ms, 3 ms and 4 ms.
 */
export function cfsDefaults(cpus: number): CfsParameters {
  const factor = 1 + Math.floor(Math.log2(Math.max(1, Math.min(cpus, 8))));
  return { latencySeconds: 0.006 * factor, minGranularitySeconds: 0.00075 * factor, wakeupGranularitySeconds: 0.001 * factor };
}

/**
 * KVM's pause-loop-exit defaults (arch/x86/kvm/vmx/vmx.c): ple_gap 128 cycles, ple_window 4096 cycles,
 * ple_window_grow 2, ple_window_shrink 0 (the window goes back to 4096 when the vCPU is scheduled in), and
 * directed yield at each exit (virt/kvm/kvm_main.c, kvm_vcpu_on_spin). The window cap is KVM's
 * ple_window_max default (UINT_MAX cycles, more than a second at a few GHz).
 *
 * `spinLoopCycles` — PAUSE-to-PAUSE distance of a guest spin loop — is an assumption: a PAUSE costs about
 * 10 cycles before Skylake and 140 after (Intel optimisation manual, §2.5.4 of 248966-042); a ticket-lock loop
 * adds a load and a compare. 40 cycles is below the gap, so spinning is detected, as it is on real hosts.
 */
export const PLE_DEFAULTS: PleParameters = {
  enabled: true,
  windowCycles: 4096,
  gapCycles: 128,
  windowGrow: 2,
  windowMaxCycles: 4294967295,
  spinLoopCycles: 40,
  directedYield: true,
};

/**
 * Relaxed co-scheduling (VMware ESX 4 onwards, "The CPU Scheduler in VMware vSphere 5.1", VMware technical
 * white paper, 2013): progress is time running or halted, a vCPU that leads its slowest sibling by more than
 * the skew threshold is co-stopped, and it restarts when the laggard has caught up. The white paper gives no
 * number for the threshold; 3 ms (about one CFS minimum slice here) and restarting at half of it are our
 * assumptions, and so is the 1 ms check period (ESX checks at its scheduler tick).
 */
export const CO_SCHEDULING_DEFAULTS: CoSchedulingParameters = {
  skewThresholdSeconds: 0.003,
  restartFraction: 0.5,
  checkPeriodSeconds: 0.001,
};

/**
 * Delay of a TLB-shootdown IPI to a running vCPU, send to handler end, seconds: 2 µs (an assumption of the
 * order of a virtualised IPI with posted interrupts, cf. Amit et al., "Optimizing the TLB shootdown
 * algorithm with page access tracking", USENIX ATC 2017, a few µs per shootdown on bare metal).
 */
export const IPI_SECONDS = 2e-6;

/**
 * Guest CPU hot-plug costs, seconds of the vCPU's time. Linux offlining runs stop_machine and migrates tasks
 * and interrupts; onlining brings a CPU up through the hot-plug state machine. vScale (Cheng et al., EuroSys
 * 2016) built a microsecond-scale reconfiguration path because that one is slow; its exact figures were not in the
 * sources available here. 5 ms offline and 10 ms online for the FlexCore preset, and 20 µs each for the vScale-like
 * preset, are therefore assumptions (orders of magnitude, not measurements). On this repository's QEMU under
 * TCG the guest-side offline took 1.2–5.9 s and the re-online 0.07–4.1 s (../shared/reference/qemu/RESULTS.md
 * §4): emulation-bound, not representative of KVM.
 */
export const HOTPLUG_COSTS = {
  linux: { offlineSeconds: 0.005, onlineSeconds: 0.01 },
  fast: { offlineSeconds: 20e-6, onlineSeconds: 20e-6 },
} as const;

/**
 * Period of the hypervisor's periodic load balancing, seconds: 4 ms. Linux balances each scheduling domain every
 * `balance_interval` ms, starting from the domain's weight in CPUs (so a few ms for a socket of 4–12 cores) and
 * backing off up to `max_interval` while balanced (kernel/sched/topology.c, sd_init); 4 ms is one value of that
 * range, an assumption.
 */
export const BALANCE_PERIOD_SECONDS = 0.004;
