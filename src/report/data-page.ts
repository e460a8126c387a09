/**
 * The page shared by the reports made of data tables and charts (SMP runs, the vCPU experiment, guest-memory runs):
 * checks the sections, renders them with right-aligned number columns and a footer naming the model.
 */
import { escapeHtml } from './html-escape.js';
import { embeddedChart, renderPage } from './html.js';
import { reportSectionProblems, type ReportSection } from './report-section.js';

/**
 * @param model the model's name in the footer, e.g. `double-scheduling model`.
 * @throws Error when the sections are malformed (a bug in the caller, not bad input).
 */
export function renderDataPage(title: string, facts: [string, string][], sections: ReportSection[], model: string): string {
  const problems = reportSectionProblems(sections);
  if (problems.length > 0) throw new Error(`Invalid report sections (${model}):\n  ${problems.join('\n  ')}`);
  return renderPage({
    title,
    facts,
    sections,
    data: { title, charts: sections.flatMap((section) => (section.charts ?? []).map((chart) => embeddedChart(section.id, chart))) },
    extraCss: `
table.summary td.number, table.summary th.number { text-align: right; white-space: nowrap; }
table.summary.data { font-size: 13px; }
table.summary.data td, table.summary.data th { padding: 4px 8px; }
.table-scroll { overflow-x: auto; margin-bottom: 8px; }
p.description { margin: -8px 0 16px; }
`,
    footer: (uplotVersion) =>
      `Written by Hyperwatt (<code>hyperwatt run</code>, ${escapeHtml(model)}). Charts drawn with uPlot ${escapeHtml(uplotVersion)} ` +
      '(MIT licence), embedded in this file with the data; the page loads nothing from the network. Every figure is also in the CSV files next to this page.',
  });
}
