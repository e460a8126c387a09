/** A plain-text table for the terminal: the first `leftColumns` columns left-aligned (names), the rest right-aligned (numbers). */
export function formatTable(rows: string[][], leftColumns: number): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd() + '\n').join('');
}
