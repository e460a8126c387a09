/**
 * What a host energy manager and an energy-aware guest see and control — nothing about how.
 *
 * The simulator implements these views over its detailed host (backends/simulator/host-energy-adapter.ts); a
 * real backend implements them with per-VM energy estimates from perf counters, RAPL, cgroup CPU quotas
 * (allocations), cpufreq (P-states) and vCPU thread affinity (core moves). Readings are cumulative since the
 * start; a policy keeps its previous reading and works on differences, so views need no notion of "period".
 */

/** The host level: every VM, vCPU and core of one machine. */
export interface HostEnergyView {
  readonly coreCount: number;
  readonly vmCount: number;
  readonly vcpuCount: number;
  /** Number of P-states; 0 is the fastest. */
  readonly pStateCount: number;
  /** Current time, seconds. */
  nowSeconds(): number;

  /** Estimated CPU energy charged to the VM so far (its vCPUs, its idle share, work done for it by driver VMs), joules. */
  vmCpuEnergyJoules(vm: number): number;
  /** Estimated disk energy charged to the VM so far (its requests and its share of the disk's idle power), joules. */
  vmDiskEnergyJoules(vm: number): number;
  /** Disk energy of the VM's own requests so far (what throttling its requests can change), joules. */
  vmDiskRequestEnergyJoules(vm: number): number;
  /** True for service VMs (driver VMs): they are charged to their clients, never capped. */
  vmIsService(vm: number): boolean;

  vcpuVm(vcpu: number): number;
  vcpuCore(vcpu: number): number;
  /** Estimated energy of the vCPU's own run segments so far, joules. */
  vcpuActiveEnergyJoules(vcpu: number): number;
  /** CPU time the vCPU has run so far, seconds. */
  vcpuCpuSeconds(vcpu: number): number;
  /** Share of wall time the vCPU may run (1: unlimited). */
  vcpuAllocation(vcpu: number): number;
  setVcpuAllocation(vcpu: number, share: number): void;
  /** Moves the vCPU to another core's run queue. */
  moveVcpu(vcpu: number, core: number): void;

  /** Estimated energy of the core so far (run and halted segments), joules. */
  coreEnergyJoules(core: number): number;
  /** Time the core ran vCPUs so far, seconds. */
  coreBusySeconds(core: number): number;
  coreTemperatureCelsius(core: number): number;
  corePState(core: number): number;
  setCorePState(core: number, pState: number): void;
  /** Forced-halt share of every time slice (throttling by halt cycles), 0..1. */
  coreThrottle(core: number): number;
  setCoreThrottle(core: number, share: number): void;

  /** Holds (true) or releases (false) the VM's disk requests. */
  setVmDiskHold(vm: number, held: boolean): void;
}

/** One VM's own view, as its energy-aware guest kernel sees it: virtual counters and virtual energy meters. */
export interface GuestEnergyView {
  readonly threadCount: number;
  threadName(thread: number): string;
  nowSeconds(): number;
  /** The VM's virtual CPU energy meter (what the host charges it), joules so far. */
  cpuEnergyJoules(): number;
  /** The VM's virtual disk energy meter, joules so far. */
  diskEnergyJoules(): number;
  /**
   * The energy the host's weights give a thread's virtual counter readings so far (the guest applies the
   * weights the host advertises to the counters it logs at its own thread switches), joules.
   */
  threadCounterEnergyJoules(thread: number): number;
  threadCpuSeconds(thread: number): number;
  /** Share of wall time the thread may run (1: unlimited). */
  setThreadAllocation(thread: number, share: number): void;
}
