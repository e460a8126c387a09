/**
 * One CSV field (RFC 4180): numbers in the report's shortest exact form, text quoted only when it holds a comma,
 * a quote or a line break, null as an empty field. Shared by every CSV writer that is not on a hot path.
 */
import { formatNumber } from './number-format.js';

export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return formatNumber(value);
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
