/**
 * The built-in chart sections of a run report, as plain {@link ReportSection} data: data-center power and
 * active hosts, utilisation, migrations and SLA, over time in hours.
 *
 * Per-host series are not embedded (10,000 hosts × 288 samples would make a 50 MB page); they are reduced
 * here to the minimum, mean and maximum utilisation per sample.
 */

import type { RunResult } from '../metrics/run-result.js';
import type { ChartSpec, ReportSection } from './report-section.js';

const SECONDS_PER_HOUR = 3600;
const TIME_AXIS = 'Time (h)';

/**
 * Builds the chart sections of a run.
 *
 * @param result a consistent run result (see `assertConsistentRunResult`).
 * @returns the sections `power-and-hosts`, `utilisation` and `migrations-and-sla`, with charts `power`,
 *   `active-hosts`, `utilisation`, `host-utilisation` (only when there are per-host series), `migrations`, `sla`.
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

  return [
    {
      id: 'power-and-hosts',
      title: 'Power and hosts',
      charts: [
        chart({
          id: 'power',
          title: 'Data-center power',
          yLabel: 'Power (W)',
          series: [{ label: 'Mean power over the interval', values: series.powerWatts }],
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
