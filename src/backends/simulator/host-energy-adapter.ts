/**
 * The simulator's implementation of the energy policies' views over the detailed host (HostMachine) and its
 * accountant: the same policy code would drive a real host through cgroups, cpufreq and RAPL.
 */
import type { EnergyAccountant } from '../../mechanisms/host/energy-accountant.js';
import type { HostMachine } from '../../mechanisms/host/host-machine.js';
import { EVENT_COUNT } from '../../model/host/performance-events.js';
import type { GuestEnergyView, HostEnergyView } from '../../policies/energy/host-energy-view.js';

export function hostEnergyView(machine: HostMachine, accountant: EnergyAccountant): HostEnergyView {
  return {
    coreCount: machine.coreCount,
    vmCount: machine.vmCount,
    vcpuCount: machine.vcpuCount,
    pStateCount: machine.spec.pStates.length,
    nowSeconds: () => machine.timeSeconds,
    vmCpuEnergyJoules: (vm) => accountant.vmCpu(vm),
    vmDiskEnergyJoules: (vm) => accountant.vmDisk(vm),
    vmDiskRequestEnergyJoules: (vm) => accountant.diskRequests[vm],
    vmIsService: (vm) => machine.vmIsDriver[vm] === 1,
    vcpuVm: (v) => machine.vcpuVm[v],
    vcpuCore: (v) => machine.vcpuCore[v],
    vcpuActiveEnergyJoules: (v) => machine.vcpuEstimatedJoules[v],
    vcpuCpuSeconds: (v) => machine.vcpuRunSeconds[v],
    vcpuAllocation: (v) => machine.vcpuAllocation[v],
    setVcpuAllocation: (v, share) => {
      machine.vcpuAllocation[v] = Math.min(1, Math.max(0, share));
    },
    moveVcpu: (v, core) => machine.moveVcpu(v, core),
    coreEnergyJoules: (c) => machine.coreEstimatedJoules[c],
    coreBusySeconds: (c) => machine.coreBusySeconds[c],
    coreTemperatureCelsius: (c) => machine.coreTemperature(c),
    corePState: (c) => machine.corePState[c],
    setCorePState: (c, ps) => {
      machine.corePState[c] = ps;
    },
    coreThrottle: (c) => machine.coreThrottle[c],
    setCoreThrottle: (c, share) => {
      machine.coreThrottle[c] = Math.min(1, Math.max(0, share));
    },
    setVmDiskHold: (vm, held) => machine.setDiskHold(vm, held),
  };
}

/**
 * One VM's guest view. The guest values its threads' virtual counters with the weights of P-state 0 that the
 * host advertises (the guest does not know the P-state; only ratios between its threads matter to it).
 */
export function guestEnergyView(machine: HostMachine, accountant: EnergyAccountant, vm: number): GuestEnergyView {
  const threads: number[] = [];
  for (let t = 0; t < machine.threadCount; t++) if (machine.threadVm[t] === vm) threads.push(t);
  const weights = machine.weights;
  return {
    threadCount: threads.length,
    threadName: (i) => machine.threadNames[threads[i]],
    nowSeconds: () => machine.timeSeconds,
    cpuEnergyJoules: () => accountant.vmCpu(vm),
    diskEnergyJoules: () => accountant.vmDisk(vm),
    threadCounterEnergyJoules: (i) => {
      const t = threads[i];
      return weights.estimate(0, machine.threadRunSeconds[t] * weights.tscHz, machine.threadCounters, t * EVENT_COUNT);
    },
    threadCpuSeconds: (i) => machine.threadRunSeconds[threads[i]],
    setThreadAllocation: (i, share) => {
      machine.threadAllocation[threads[i]] = Math.min(1, Math.max(0, share));
    },
  };
}
