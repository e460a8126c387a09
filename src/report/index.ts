/**
 * Output writers for a finished run: CSV files of the time series and a self-contained HTML report.
 *
 * Reports sit at the top of the layer stack: they read the plain-data `RunResult` (src/metrics/run-result.ts)
 * and know nothing of the simulator. Features add charts to the HTML report through `ReportSection` data.
 */

export { dataCenterCsv, hostCsv, hostCsvChunks, DATA_CENTER_CSV_COLUMNS, HOST_CSV_COLUMNS } from './csv.js';
export { renderReport, REPORT_DATA_ELEMENT_ID, type ReportOptions } from './html.js';
export type { ChartSeries, ChartSpec, ReportSection } from './report-section.js';
export { escapeHtml } from './html-escape.js';
export { formatNumber } from './number-format.js';
