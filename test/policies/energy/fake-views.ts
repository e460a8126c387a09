/**
 * In-memory implementations of the energy policies' views: plain arrays a test sets by hand, and a log of every
 * control call. The policy tests run against these, which is also the conformance check that the policies need
 * nothing but the view interfaces (no simulator).
 */
import type { GuestEnergyView, HostEnergyView } from '../../../src/policies/energy/host-energy-view.js';

/** A host view over arrays. Readings are cumulative, as the interface requires; `advance` adds a period's worth. */
export class FakeHostView implements HostEnergyView {
  readonly coreCount: number;
  readonly vmCount: number;
  readonly vcpuCount: number;
  readonly pStateCount: number;
  time = 0;
  readonly vmCpu: number[];
  readonly vmDisk: number[];
  readonly service: boolean[];
  readonly vcpuVmOf: number[];
  readonly vcpuCoreOf: number[];
  readonly vcpuActive: number[];
  readonly vcpuSeconds: number[];
  readonly allocation: number[];
  readonly coreEnergy: number[];
  readonly coreBusy: number[];
  readonly temperature: number[];
  readonly pState: number[];
  readonly throttle: number[];
  readonly diskHeld: boolean[];
  /** Every control call, in order. */
  readonly calls: string[] = [];

  constructor(options: { cores: number; pStates: number; vcpuVm: number[]; vcpuCore: number[]; vmCount?: number }) {
    this.coreCount = options.cores;
    this.pStateCount = options.pStates;
    this.vcpuCount = options.vcpuVm.length;
    this.vmCount = options.vmCount ?? Math.max(...options.vcpuVm) + 1;
    this.vmCpu = new Array<number>(this.vmCount).fill(0);
    this.vmDisk = new Array<number>(this.vmCount).fill(0);
    this.service = new Array<boolean>(this.vmCount).fill(false);
    this.diskHeld = new Array<boolean>(this.vmCount).fill(false);
    this.vcpuVmOf = [...options.vcpuVm];
    this.vcpuCoreOf = [...options.vcpuCore];
    this.vcpuActive = new Array<number>(this.vcpuCount).fill(0);
    this.vcpuSeconds = new Array<number>(this.vcpuCount).fill(0);
    this.allocation = new Array<number>(this.vcpuCount).fill(1);
    this.coreEnergy = new Array<number>(this.coreCount).fill(0);
    this.coreBusy = new Array<number>(this.coreCount).fill(0);
    this.temperature = new Array<number>(this.coreCount).fill(50);
    this.pState = new Array<number>(this.coreCount).fill(0);
    this.throttle = new Array<number>(this.coreCount).fill(0);
  }

  /** One period of a vCPU: it ran `seconds` and spent `joules` running. */
  runVcpu(vcpu: number, seconds: number, joules: number): void {
    this.vcpuSeconds[vcpu] += seconds;
    this.vcpuActive[vcpu] += joules;
  }

  nowSeconds(): number {
    return this.time;
  }
  vmCpuEnergyJoules(vm: number): number {
    return this.vmCpu[vm];
  }
  vmDiskEnergyJoules(vm: number): number {
    return this.vmDisk[vm];
  }
  /** The fake has no idle disk share: a VM's disk energy is all its requests'. */
  vmDiskRequestEnergyJoules(vm: number): number {
    return this.vmDisk[vm];
  }
  vmIsService(vm: number): boolean {
    return this.service[vm];
  }
  vcpuVm(vcpu: number): number {
    return this.vcpuVmOf[vcpu];
  }
  vcpuCore(vcpu: number): number {
    return this.vcpuCoreOf[vcpu];
  }
  vcpuActiveEnergyJoules(vcpu: number): number {
    return this.vcpuActive[vcpu];
  }
  vcpuCpuSeconds(vcpu: number): number {
    return this.vcpuSeconds[vcpu];
  }
  vcpuAllocation(vcpu: number): number {
    return this.allocation[vcpu];
  }
  setVcpuAllocation(vcpu: number, share: number): void {
    this.calls.push(`allocation ${vcpu} ${share}`);
    this.allocation[vcpu] = share;
  }
  moveVcpu(vcpu: number, core: number): void {
    this.calls.push(`move ${vcpu} ${core}`);
    this.vcpuCoreOf[vcpu] = core;
  }
  coreEnergyJoules(core: number): number {
    return this.coreEnergy[core];
  }
  coreBusySeconds(core: number): number {
    return this.coreBusy[core];
  }
  coreTemperatureCelsius(core: number): number {
    return this.temperature[core];
  }
  corePState(core: number): number {
    return this.pState[core];
  }
  setCorePState(core: number, pState: number): void {
    this.calls.push(`pstate ${core} ${pState}`);
    this.pState[core] = pState;
  }
  coreThrottle(core: number): number {
    return this.throttle[core];
  }
  setCoreThrottle(core: number, share: number): void {
    this.throttle[core] = share;
  }
  setVmDiskHold(vm: number, held: boolean): void {
    this.diskHeld[vm] = held;
  }
}

/** A guest view over arrays. */
export class FakeGuestView implements GuestEnergyView {
  readonly threadCount: number;
  time = 0;
  cpuEnergy = 0;
  diskEnergy = 0;
  readonly counterEnergy: number[];
  readonly cpuSeconds: number[];
  readonly allocation: number[];
  readonly calls: string[] = [];

  constructor(threads: number) {
    this.threadCount = threads;
    this.counterEnergy = new Array<number>(threads).fill(0);
    this.cpuSeconds = new Array<number>(threads).fill(0);
    this.allocation = new Array<number>(threads).fill(1);
  }

  threadName(thread: number): string {
    return `t${thread}`;
  }
  nowSeconds(): number {
    return this.time;
  }
  cpuEnergyJoules(): number {
    return this.cpuEnergy;
  }
  diskEnergyJoules(): number {
    return this.diskEnergy;
  }
  threadCounterEnergyJoules(thread: number): number {
    return this.counterEnergy[thread];
  }
  threadCpuSeconds(thread: number): number {
    return this.cpuSeconds[thread];
  }
  setThreadAllocation(thread: number, share: number): void {
    this.calls.push(`allocation ${thread} ${share}`);
    this.allocation[thread] = share;
  }
}
