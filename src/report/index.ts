/**
 * Output writers for a finished run: CSV files of the time series and a self-contained HTML report.
 *
 * Reports sit at the top of the layer stack: they read the plain-data `RunResult` (src/metrics/run-result.ts)
 * and know nothing of the simulator. Features add charts to the HTML report through `ReportSection` data.
 * Host runs (`kind: host`) have their own CSV files and page (host-csv.ts, host-report.ts), built from the
 * plain-data `HostRunResult`.
 */

export { dataCenterCsv, hostCsv, hostCsvChunks, DATA_CENTER_CSV_COLUMNS, HOST_CSV_COLUMNS } from './csv.js';
export { renderReport, REPORT_DATA_ELEMENT_ID, type ReportOptions } from './html.js';
export type { ChartSeries, ChartSpec, ReportSection } from './report-section.js';
export { escapeHtml } from './html-escape.js';
export { formatNumber } from './number-format.js';
export { renderHostReport, HOST_WALL_CLOCK_FIELDS, type HostReportOptions } from './host-report.js';
export {
  hostVmCsv,
  hostThreadCsv,
  hostRulesCsv,
  hostCoreSeriesCsv,
  hostVmSeriesCsv,
  HOST_VM_CSV_COLUMNS,
  HOST_THREAD_CSV_COLUMNS,
  HOST_CORE_SERIES_CSV_COLUMNS,
  HOST_VM_SERIES_CSV_COLUMNS,
} from './host-csv.js';
