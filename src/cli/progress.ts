/**
 * Progress display: a bar redrawn in place on a terminal, plain lines (at most one per 10 %) otherwise, so
 * logs of batch jobs stay readable. Writes to stderr; stdout is kept for results (`--json`).
 */
export interface Progress {
  update(done: number, total: number, label?: string): void;
  finish(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { update() {}, finish() {} };
  if (stream.isTTY) {
    let last = '';
    return {
      update(done, total, label = '') {
        const width = 30;
        const filled = total > 0 ? Math.round((done / total) * width) : 0;
        const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`.slice(0, (stream.columns || 80) - 1);
        if (line !== last) {
          stream.write(`\r${line}\x1b[K`);
          last = line;
        }
      },
      finish() {
        if (last) stream.write('\n');
      },
    };
  }
  let lastDecile = -1;
  return {
    update(done, total, label = '') {
      const decile = total > 0 ? Math.floor((done / total) * 10) : 0;
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`progress ${done}/${total}${label ? ` ${label}` : ''}\n`);
      }
    },
    finish() {},
  };
}
