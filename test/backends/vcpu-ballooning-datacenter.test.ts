/**
 * vCPU ballooning in data-center scenarios (default mode): each VM's online vCPUs follow its host's load at every
 * scheduling tick, by hand on one host, and over the smp-ballooning example.
 */
import { describe, expect, it } from 'vitest';
import { linearPowerModel } from '../../src/model/power-model.js';
import { FluidDataCenter, type FluidConfig } from '../../src/backends/simulator/fluid-datacenter.js';
import { cloudSimMigrationModel } from '../../src/mechanisms/migration/migration-model.js';
import { runScenario } from '../../src/backends/simulator/run.js';
import { loadScenario } from '../../src/cli/load-scenario.js';
import { vmCsv } from '../../src/report/csv.js';
import { runChartSections } from '../../src/report/run-charts.js';
import { UserError } from '../../src/util/user-error.js';

const host = { cores: 12, mipsPerCore: 2000, ramMiB: 65536, bandwidthMbps: 1000, power: linearPowerModel('linear', 100, 200) };
const vm = { mips: 1000, pes: 12, ramMiB: 1024, bandwidthMbps: 100 };

function config(utilisations: number[]): FluidConfig {
  // Constant utilisation per VM for one hour (13 samples of 300 s).
  const samples = 13;
  const utilisation = new Float64Array(utilisations.length * samples);
  utilisations.forEach((u, i) => utilisation.fill(u, i * samples, (i + 1) * samples));
  return {
    hosts: [host],
    vms: utilisations.map(() => vm),
    utilisation,
    samplesPerVm: samples,
    sampleIntervalSeconds: 300,
    schedulingIntervalSeconds: 300,
    durationSeconds: 3600,
    allocation: { kind: 'first-fit' },
    energy: 'utilisation',
    migration: cloudSimMigrationModel(0.5, 0.1),
    powerStates: { kind: 'instant' },
    vcpuBallooning: { name: 'flexcore' },
    checkInvariants: true,
  };
}

describe('vCPU ballooning on a data-center host', () => {
  it('two busy 12-vCPU VMs on one 12-core host keep 6 each; a nearly idle VM keeps what is free and nobody loses', () => {
    const busy = new FluidDataCenter(config([0.9, 0.9])).run().vcpus!;
    // Tick 0 places the VMs with all their vCPUs; from the first evaluation on, 6 each.
    expect(busy.vmMinOnlineVcpus[0]).toBe(6);
    expect(busy.vmMinOnlineVcpus[1]).toBe(6);
    expect(busy.vmMeanOnlineVcpus[0]).toBeCloseTo(6, 9);
    // VM 0 demands 0.9 × 12 vCPUs × 1000 MIPS = 5.4 cores of 2000 MIPS (6 vCPUs), VM 1 0.24 cores (1 vCPU): nobody
    // competes, so the cores nobody needs go back (no deflation without contention) and all 12 stay online.
    const skewed = new FluidDataCenter(config([0.9, 0.04])).run().vcpus!;
    expect(skewed.vmMinOnlineVcpus[0]).toBeGreaterThanOrEqual(6);
    expect(skewed.vmMinOnlineVcpus[1]).toBeGreaterThanOrEqual(1);
    expect(skewed.onlineVcpus[skewed.onlineVcpus.length - 1]).toBe(12);
  });

  it('the example: counts stay within 1..vCPUs, the series have one point per tick, vms.csv has the columns', () => {
    const scenario = loadScenario('examples/synthetic/smp-ballooning.yaml');
    const result = runScenario(scenario, 'examples/synthetic/smp-ballooning.yaml');
    const v = result.vcpus!;
    expect(v.policy).toBe('flexcore');
    for (let i = 0; i < v.vmVcpus.length; i++) {
      expect(v.vmMinOnlineVcpus[i]).toBeGreaterThanOrEqual(1);
      expect(v.vmMeanOnlineVcpus[i]).toBeLessThanOrEqual(v.vmVcpus[i]);
      expect(v.vmMeanOnlineVcpus[i]).toBeGreaterThanOrEqual(1);
    }
    expect(v.onlineVcpus.length).toBe(result.dataCenter.timeSeconds.length);
    // Consolidation packs the VMs: fewer vCPUs online than they have.
    expect(v.onlineVcpus[v.onlineVcpus.length - 1]).toBeLessThan(v.totalVcpus[v.totalVcpus.length - 1]);
    expect(vmCsv(result).split('\n')[0]).toBe('vm,energy_kwh,vcpus,mean_online_vcpus,min_online_vcpus');
    // The report's section: online against total vCPUs, and the worst host's over-commitment, one point per tick.
    const section = runChartSections(result).find((sec) => sec.id === 'vcpu-ballooning')!;
    expect(section.charts!.map((chart) => chart.id)).toEqual(['online-vcpus', 'vcpu-overcommit']);
    expect(section.charts![0].series[1].values.length).toBe(result.dataCenter.timeSeconds.length);
    expect(section.html).toContain('20.62 % of their 3,012 vCPUs');
  });

  it('the cloudsim-3.0.3 mode refuses it with a clear error', () => {
    const scenario = { ...loadScenario('examples/synthetic/smp-ballooning.yaml'), mode: 'cloudsim-3.0.3' as const };
    expect(() => runScenario(scenario, 'x.yaml')).toThrow(UserError);
    expect(() => runScenario(scenario, 'x.yaml')).toThrow(/vcpuBallooning needs mode: default/);
  });
});
