/**
 * The built-in chart sections of a run report, as plain {@link ReportSection} data: data-center power and
 * active hosts, utilisation, migrations and SLA, over time in hours.
 *
 * Per-host series are not embedded (10,000 hosts × 288 samples would make a 50 MB page); they are reduced
 * here to the minimum, mean and maximum utilisation per sample.
 */

import type { RunResult } from '../metrics/run-result.js';
import type { ChartSpec, ReportSection } from './report-section.js';
import { escapeHtml } from './html-escape.js';
import { formatDisplayNumber } from './summary-table.js';

const SECONDS_PER_HOUR = 3600;
const TIME_AXIS = 'Time (h)';

/**
 * Builds the chart sections of a run.
 *
 * @param result a consistent run result (see `assertConsistentRunResult`).
 * @returns the sections `power-and-hosts`, `utilisation` and `migrations-and-sla`, with charts `power`,
 *   `active-hosts`, `utilisation`, `host-utilisation` (only when there are per-host series), `migrations`, `sla`;
 *   and `vm-energy` with chart `vm-energy-ranked` when the run has per-VM energy (default mode); and
 *   `vcpu-ballooning` with charts `online-vcpus` and `vcpu-overcommit` when the run balloons vCPUs.
 */
export function runChartSections(result: RunResult): ReportSection[] {
  const series = result.dataCenter;
  const hours = Array.from(series.timeSeconds, (seconds) => seconds / SECONDS_PER_HOUR);
  const percent = (fractions: Float64Array): number[] => Array.from(fractions, (fraction) => fraction * 100);
  const chart = (spec: Omit<ChartSpec, 'x' | 'xLabel'>): ChartSpec => ({ ...spec, x: hours, xLabel: TIME_AXIS });

  const utilisationCharts: ChartSpec[] = [
    chart({
      id: 'utilisation',
      title: 'CPU utilisation of active hosts',
      yLabel: 'Utilisation (%)',
      series: [{ label: 'Mean over active hosts', values: percent(series.utilisation) }],
    }),
  ];
  if (result.hosts.hostCount > 0) {
    const spread = hostUtilisationSpread(result);
    utilisationCharts.push(
      chart({
        id: 'host-utilisation',
        title: 'Utilisation spread over powered hosts',
        yLabel: 'Utilisation (%)',
        series: [
          { label: 'Max', values: spread.max, color: '#1e3a8a' },
          { label: 'Mean', values: spread.mean, color: '#2563eb' },
          { label: 'Min', values: spread.min, color: '#93c5fd' },
        ],
      }),
    );
  }

  const sections: ReportSection[] = [
    {
      id: 'power-and-hosts',
      title: 'Power and hosts',
      charts: [
        chart({
          id: 'power',
          title: 'Data-center power',
          yLabel: 'Power (W)',
          series: [
            { label: 'Mean power over the interval', values: series.powerWatts },
            ...(result.summary.power_cap_w !== undefined
              ? [{ label: `Facility cap (${result.summary.power_cap_w} W)`, values: hours.map(() => result.summary.power_cap_w!), color: '#111827' }]
              : []),
          ],
        }),
        chart({
          id: 'active-hosts',
          title: 'Active hosts',
          yLabel: 'Hosts',
          series: [{ label: 'Active hosts', values: series.activeHosts, kind: 'step' }],
        }),
      ],
    },
    {
      id: 'utilisation',
      title: 'Utilisation',
      html:
        '<p class="note">The spread is taken over the hosts that drew power during the interval; ' +
        'hosts that were off are left out, so a consolidated data center does not show a minimum of 0 %.</p>',
      charts: utilisationCharts,
    },
    {
      id: 'migrations-and-sla',
      title: 'Migrations and SLA',
      charts: [
        chart({
          id: 'migrations',
          title: 'Migrations',
          yLabel: 'Migrations',
          series: [
            { label: 'In flight', values: series.migrationsInFlight, kind: 'step' },
            { label: 'Started', values: series.migrationsStarted, kind: 'bars' },
          ],
        }),
        chart({
          id: 'sla',
          title: 'SLA',
          yLabel: 'Percent (%)',
          series: [
            { label: 'Overloaded hosts (% of active)', values: percent(series.overloadedHostFraction) },
            { label: 'SLA violation (% of requested CPU)', values: percent(series.slaViolation) },
          ],
        }),
      ],
    },
  ];
  if (result.vmEnergyJoules && result.vmEnergyJoules.length > 0) sections.push(vmEnergySection(result.vmEnergyJoules));
  if (result.vcpus) {
    const v = result.vcpus;
    let mean = 0;
    let total = 0;
    for (let vm = 0; vm < v.vmVcpus.length; vm++) {
      mean += v.vmMeanOnlineVcpus[vm];
      total += v.vmVcpus[vm];
    }
    sections.push({
      id: 'vcpu-ballooning',
      title: 'vCPU ballooning',
      html:
        `<p class="note">Each running host's VMs keep online the vCPUs the <code>${escapeHtml(v.policy)}</code> policy gives them at every scheduling tick, ` +
        `from their share of the host's cores and their demand (docs/models/vcpu-ballooning.md). Over the run the VMs kept ` +
        `${formatDisplayNumber(total > 0 ? (mean / total) * 100 : 0)} % of their ${formatDisplayNumber(total)} vCPUs online on average; each VM's mean and fewest are in vms.csv.</p>`,
      charts: [
        chart({
          id: 'online-vcpus',
          title: 'Online vCPUs of the VMs on running hosts',
          yLabel: 'vCPUs',
          series: [
            { label: 'vCPUs', values: v.totalVcpus, kind: 'step' },
            { label: 'Online', values: v.onlineVcpus, kind: 'step' },
          ],
        }),
        chart({
          id: 'vcpu-overcommit',
          title: 'Largest vCPU over-commitment of a running host',
          yLabel: 'Online vCPUs per core',
          series: [{ label: 'Worst host', values: v.maxHostOvercommit, kind: 'step' }],
        }),
      ],
    });
  }
  return sections;
}

/** Largest number of points of the ranked per-VM energy curve (100,000 VMs would make a megabyte of page). */
const MAX_RANK_POINTS = 1000;

/**
 * Per-VM energy (default mode): the VMs ranked by the energy charged to them, and the ten largest. The curve is
 * sampled at up to {@link MAX_RANK_POINTS} evenly spaced ranks, the first and the last included.
 */
function vmEnergySection(energyJoules: Float64Array): ReportSection {
  const n = energyJoules.length;
  const order = Array.from({ length: n }, (_, vm) => vm).sort((a, b) => energyJoules[b] - energyJoules[a] || a - b);
  const total = energyJoules.reduce((sum, j) => sum + j, 0);
  const points = Math.min(n, MAX_RANK_POINTS);
  const ranks: number[] = [];
  const kwh: number[] = [];
  for (let i = 0; i < points; i++) {
    const rank = points === 1 ? 0 : Math.round((i * (n - 1)) / (points - 1));
    ranks.push(rank + 1);
    kwh.push(energyJoules[order[rank]] / 3.6e6);
  }
  const rows = order
    .slice(0, 10)
    .map((vm, i) => `<tr><td>${i + 1}</td><td>${vm}</td><td class="number">${formatDisplayNumber(energyJoules[vm] / 3.6e6)}</td><td class="number">${total > 0 ? ((energyJoules[vm] / total) * 100).toFixed(2) : '0.00'}</td></tr>`);
  return {
    id: 'vm-energy',
    title: 'Per-VM energy',
    html: [
      '<p class="note">Energy charged to each VM by the per-VM accounting (idle power shared equally among a host’s VMs, dynamic power by ' +
        'the CPU each uses; docs/models/default.md). Every VM’s figure is in vms.csv.</p>',
      '<table class="summary data"><thead><tr><th>Rank</th><th>VM</th><th class="number">Energy (kWh)</th><th class="number">Share of charged energy (%)</th></tr></thead>',
      `<tbody>\n${rows.join('\n')}\n</tbody></table>`,
    ].join('\n'),
    charts: [
      {
        id: 'vm-energy-ranked',
        title: 'VMs ranked by energy',
        xLabel: 'Rank (1 = most energy)',
        yLabel: 'Energy (kWh)',
        x: ranks,
        series: [{ label: 'Energy charged to the VM', values: kwh }],
      },
    ],
  };
}

/**
 * Minimum, mean and maximum utilisation (percent) per sample over the hosts with non-zero power in the
 * interval; `NaN` where no host drew power.
 */
export function hostUtilisationSpread(result: RunResult): { min: number[]; mean: number[]; max: number[] } {
  const { hostCount, sampleCount, powerWatts, utilisation } = result.hosts;
  const min = new Array<number>(sampleCount);
  const mean = new Array<number>(sampleCount);
  const max = new Array<number>(sampleCount);
  for (let sample = 0; sample < sampleCount; sample++) {
    let low = Infinity;
    let high = -Infinity;
    let sum = 0;
    let count = 0;
    for (let index = sample; index < hostCount * sampleCount; index += sampleCount) {
      if (!(powerWatts[index] > 0)) continue;
      const value = utilisation[index];
      if (value < low) low = value;
      if (value > high) high = value;
      sum += value;
      count++;
    }
    min[sample] = count > 0 ? low * 100 : NaN;
    mean[sample] = count > 0 ? (sum / count) * 100 : NaN;
    max[sample] = count > 0 ? high * 100 : NaN;
  }
  return { min, mean, max };
}
