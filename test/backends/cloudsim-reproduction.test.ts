/**
 * The six CloudSim 3.0.3 reproductions on PlanetLab 20110303: every figure CloudSim prints, compared at the
 * precision CloudSim prints it (data/cloudsim/results-20110303.md holds CloudSim's own output).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/backends/simulator/run.js';
import { loadScenario } from '../../src/cli/load-scenario.js';

const reference = readFileSync('data/cloudsim/results-20110303.md', 'utf8');

function printed(section: string, label: string): string {
  const start = reference.indexOf(`## ${section}\n`);
  const match = new RegExp(`${label.replace(/[()]/g, '\\$&')}: ([^\\s]+)`).exec(reference.slice(start));
  if (!match) throw new Error(`no ${label} in ${section}`);
  return match[1];
}

const cases: [string, string][] = [
  ['lr-mmt', 'LrMmt'],
  ['thr-mmt', 'ThrMmt'],
  ['iqr-mc', 'IqrMc'],
  ['mad-mmt', 'MadMmt'],
  ['dvfs', 'Dvfs'],
  ['npa', 'NonPowerAware'],
];

describe('cloudsim-3.0.3 mode reproduces CloudSim 3.0.3 on PlanetLab 20110303', () => {
  for (const [example, section] of cases) {
    it(`${example}: every printed figure`, () => {
      const file = `examples/planetlab/${example}.yaml`;
      const s = runScenario(loadScenario(file), file).summary;
      const percent = (x: number, digits: number): string => `${(x * 100).toFixed(digits)}%`;
      expect(s.vms).toBe(Number(printed(section, 'Number of VMs')));
      expect(s.energy_kwh.toFixed(2)).toBe(printed(section, 'Energy consumption'));
      expect(String(s.migrations)).toBe(printed(section, 'Number of VM migrations'));
      expect(percent(s.slav, 5)).toBe(printed(section, 'SLA'));
      expect(percent(s.pdm, 2)).toBe(printed(section, 'SLA perf degradation due to migration'));
      expect(percent(s.slatah, 2)).toBe(printed(section, 'SLA time per active host'));
      expect(percent(s.overall_sla_violation, 2)).toBe(printed(section, 'Overall SLA violation'));
      expect(percent(s.average_sla_violation, 2)).toBe(printed(section, 'Average SLA violation'));
      expect(String(s.host_shutdowns)).toBe(printed(section, 'Number of host shutdowns'));
      expect(s.mean_time_before_host_shutdown_s.toFixed(2)).toBe(printed(section, 'Mean time before a host shutdown'));
      expect(s.stdev_time_before_host_shutdown_s.toFixed(2)).toBe(printed(section, 'StDev time before a host shutdown'));
      const meanMigration = printed(section, 'Mean time before a VM migration');
      expect(Number.isNaN(s.mean_migration_time_s) ? 'NaN' : s.mean_migration_time_s.toFixed(2)).toBe(meanMigration);
      const stdevMigration = printed(section, 'StDev time before a VM migration');
      expect(Number.isNaN(s.stdev_migration_time_s) ? 'NaN' : s.stdev_migration_time_s.toFixed(2)).toBe(stdevMigration);
    });
  }
});
