/**
 * The extension surface of HTML reports: a report is a list of sections, each with optional HTML and charts.
 *
 * The built-in sections (summary, power, utilisation, migrations, SLA) use the same types as sections added by
 * later features (migration sweeps, per-VM energy), so a feature adds charts by passing plain data to
 * `renderReport(result, { extraSections })` and never edits the renderer.
 */

/** One line (or bar series) of a chart. */
export interface ChartSeries {
  /** Legend label, e.g. `In flight`. */
  label: string;
  /** One value per x value, in the unit of the chart's `yLabel`; `NaN` (or a missing value) draws a gap. */
  values: ArrayLike<number>;
  /** CSS colour; by default the next colour of the report's palette. */
  color?: string;
  /**
   * How to draw it: `line` (default), `step` (value holds until the next x), `bars`, or `points` (markers only:
   * measurements at a few x values, `NaN` elsewhere).
   */
  kind?: 'line' | 'step' | 'bars' | 'points';
}

/**
 * A chart: an x axis of numbers (not dates) and one or more series drawn against it.
 *
 * @example
 * const chart: ChartSpec = {
 *   id: 'sweep-energy', title: 'Energy by threshold', xLabel: 'Upper threshold (%)', yLabel: 'Energy (kWh)',
 *   x: [70, 80, 90], series: [{ label: 'Energy', values: [121.4, 117.9, 116.2] }],
 * };
 */
export interface ChartSpec {
  /** Unique within the report; letters, digits, `-` and `_`. Set as the container's `data-chart` attribute. */
  id: string;
  title: string;
  /** Axis label with unit, e.g. `Time (h)`. Charts with the same x label share a synchronised cursor. */
  xLabel: string;
  /** Axis label with unit, e.g. `Power (W)`. */
  yLabel: string;
  /** Ascending x values. */
  x: ArrayLike<number>;
  series: ChartSeries[];
  /** `log`: a base-10 y axis, for values spanning decades (values ≤ 0 are drawn as gaps). Default `linear`. */
  yScale?: 'linear' | 'log';
  /**
   * Whether a linear y axis starts at 0 (default true). False fits the axis to the data, for values far from 0
   * whose variation matters, such as temperatures.
   */
  yFromZero?: boolean;
}

/** A titled part of the report with optional trusted HTML (shown first) and charts. */
export interface ReportSection {
  /** Unique within the report; letters, digits, `-` and `_`. Used as the element id and in the contents links. */
  id: string;
  title: string;
  /**
   * Trusted HTML inserted as is. It must not load anything from the network; escape text with `escapeHtml`.
   */
  html?: string;
  charts?: ChartSpec[];
}

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Lists every problem of a set of sections: bad or duplicate ids (sections and charts have one id space each),
 * charts without series, and series whose length differs from their x values.
 *
 * @returns one message per problem with the path of the field (`sections[2].charts[0].series[1].values`).
 */
export function reportSectionProblems(sections: readonly ReportSection[]): string[] {
  const problems: string[] = [];
  const sectionIds = new Map<string, number>();
  const chartIds = new Map<string, string>();
  sections.forEach((section, sectionIndex) => {
    const path = `sections[${sectionIndex}]`;
    if (!ID_PATTERN.test(section.id)) problems.push(`${path}.id "${section.id}" must be letters, digits, - or _`);
    const previous = sectionIds.get(section.id);
    if (previous !== undefined) problems.push(`${path}.id "${section.id}" is already used by sections[${previous}]`);
    else sectionIds.set(section.id, sectionIndex);
    (section.charts ?? []).forEach((chart, chartIndex) => {
      const chartPath = `${path}.charts[${chartIndex}]`;
      if (!ID_PATTERN.test(chart.id)) problems.push(`${chartPath}.id "${chart.id}" must be letters, digits, - or _`);
      const previousChart = chartIds.get(chart.id);
      if (previousChart !== undefined) problems.push(`${chartPath}.id "${chart.id}" is already used by ${previousChart}`);
      else chartIds.set(chart.id, chartPath);
      if (chart.series.length === 0) problems.push(`${chartPath}.series is empty`);
      chart.series.forEach((series, seriesIndex) => {
        if (series.values.length !== chart.x.length) {
          problems.push(`${chartPath}.series[${seriesIndex}].values has ${series.values.length} values, expected ${chart.x.length} (x.length)`);
        }
      });
    });
  });
  return problems;
}
