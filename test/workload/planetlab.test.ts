/**
 * Pins the PlanetLab trace reader and the VM-order reader (src/workload/planetlab.ts): what a valid file is, and
 * that every kind of bad input is reported with its file and line. Directories are created under the system
 * temporary directory and removed after each test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUserError, type Issue, type UserError } from '../../src/util/user-error.js';
import { parsePlanetLabText, PLANETLAB_SAMPLES, readPlanetLabDay, readVmOrder } from '../../src/workload/planetlab.js';

/** 288 percent values: line i (0-based) holds (i · 7) mod 101, so every value 0..100 occurs. */
const PERCENTS = Array.from({ length: PLANETLAB_SAMPLES }, (_, i) => (i * 7) % 101);

function parse(text: string, offset = 0): { ok: boolean; out: Float64Array; issues: Issue[] } {
  const out = new Float64Array(offset + PLANETLAB_SAMPLES);
  const issues: Issue[] = [];
  const ok = parsePlanetLabText(text, 'f.txt', out, offset, issues);
  return { ok, out, issues };
}

/** Lines joined with `\n` plus a trailing newline. */
const lines = (values: (number | string)[], end = '\n'): string => values.map((v) => `${v}${end}`).join('');

/** Replaces 1-based line `line` of the standard trace. */
function withLine(line: number, text: string): string {
  const values: (number | string)[] = [...PERCENTS];
  values[line - 1] = text;
  return lines(values);
}

function catchUserError(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    expect(isUserError(error)).toBe(true);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('parsePlanetLabText', () => {
  it('reads 288 lines with a trailing newline as fractions (percent / 100)', () => {
    const { ok, out, issues } = parse(lines(PERCENTS));
    expect(ok).toBe(true);
    expect(issues).toEqual([]);
    PERCENTS.forEach((p, i) => expect(out[i]).toBe(p / 100));
  });

  it('accepts CRLF line ends, no final newline, surrounding blanks and trailing blank lines', () => {
    const expected = PERCENTS.map((p) => p / 100);
    for (const text of [
      lines(PERCENTS, '\r\n'),
      PERCENTS.join('\n'),
      lines(PERCENTS) + '\n\n',
      lines(PERCENTS, '\r\n') + '\r\n',
      PERCENTS.map((p) => ` \t${p}  `).join('\n'),
    ]) {
      const { ok, out, issues } = parse(text);
      expect(issues).toEqual([]);
      expect(ok).toBe(true);
      expect(Array.from(out)).toEqual(expected);
    }
  });

  it('writes at the given offset and leaves the rest of the buffer alone', () => {
    const { ok, out } = parse(lines(PERCENTS), 5);
    expect(ok).toBe(true);
    expect(Array.from(out.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    expect(out[5]).toBe(PERCENTS[0] / 100);
    expect(out[5 + 287]).toBe(PERCENTS[287] / 100);
  });

  it('accepts 0 and 100 and rejects 101 with its line', () => {
    expect(parse(withLine(10, '0')).ok).toBe(true);
    expect(parse(withLine(10, '100')).ok).toBe(true);
    const { ok, issues } = parse(withLine(10, '101'));
    expect(ok).toBe(false);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'f.txt', line: 10 });
    expect(issues[0].message).toContain('0..100');
    expect(issues[0].message).toContain('101');
  });

  it.each([
    ['abc', 7],
    ['-1', 12],
    ['1.5', 288],
    ['5 5', 1],
    ['12%', 100],
  ])('rejects %j as non-numeric, with its line (%i)', (token, line) => {
    const { ok, issues } = parse(withLine(line, token));
    expect(ok).toBe(false);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'f.txt', line });
    expect(issues[0].message).toContain('integer');
    expect(issues[0].message).toContain(`"${token}"`);
  });

  it('rejects 287 lines and 289 lines', () => {
    const short = parse(lines(PERCENTS.slice(0, 287)));
    expect(short.ok).toBe(false);
    expect(short.issues).toHaveLength(1);
    expect(short.issues[0].message).toContain('288');
    expect(short.issues[0].message).toContain('found 287');
    const long = parse(lines([...PERCENTS, 50]));
    expect(long.ok).toBe(false);
    expect(long.issues).toHaveLength(1);
    // The 289th value is the first one too many.
    expect(long.issues[0]).toMatchObject({ file: 'f.txt', line: 289 });
    expect(long.issues[0].message).toContain('288');
  });

  it('rejects an empty file', () => {
    const { ok, issues } = parse('');
    expect(ok).toBe(false);
    expect(issues[0].message).toContain('found 0');
  });

  it('rejects an empty line in the middle, naming that line', () => {
    // Lines 1..100 are values, line 101 is empty, lines 102..289 are values (288 values in all).
    const text = lines(PERCENTS.slice(0, 100)) + '\n' + lines(PERCENTS.slice(100));
    const { ok, issues } = parse(text);
    expect(ok).toBe(false);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'f.txt', line: 101 });
    expect(issues[0].message).toContain('empty line');
    // The same with CRLF line ends and a line of blanks.
    const crlf = parse(lines(PERCENTS.slice(0, 100), '\r\n') + '  \r\n' + lines(PERCENTS.slice(100), '\r\n'));
    expect(crlf.ok).toBe(false);
    expect(crlf.issues[0]).toMatchObject({ line: 101 });
  });
});

describe('with a temporary directory', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hyperwatt-planetlab-test-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** Writes a trace whose every sample is `percent`. */
  const writeTrace = (directory: string, name: string, percent: number): void =>
    writeFileSync(join(directory, name), lines(new Array<number>(PLANETLAB_SAMPLES).fill(percent)));

  describe('readPlanetLabDay', () => {
    it('sorts file names when no order is given, and skips dot files', () => {
      const day = join(root, '20110303');
      mkdirSync(day);
      writeTrace(day, 'charlie', 30);
      writeTrace(day, 'alpha', 10);
      writeTrace(day, 'bravo', 20);
      writeFileSync(join(day, '.DS_Store'), 'not a trace');
      const result = readPlanetLabDay(day);
      expect(result.names).toEqual(['alpha', 'bravo', 'charlie']);
      expect(result.sampleCount).toBe(288);
      expect(result.directory).toBe(day);
      expect(result.utilisation).toHaveLength(3 * 288);
      // Row r holds file names[r]: alpha 10 % → 0.1, bravo 0.2, charlie 0.3.
      expect(result.utilisation[0]).toBe(0.1);
      expect(result.utilisation[287]).toBe(0.1);
      expect(result.utilisation[288]).toBe(0.2);
      expect(result.utilisation[2 * 288 + 100]).toBe(0.3);
    });

    it('respects a given order (and may read a subset)', () => {
      writeTrace(root, 'alpha', 10);
      writeTrace(root, 'bravo', 20);
      writeTrace(root, 'charlie', 30);
      const result = readPlanetLabDay(root, ['charlie', 'alpha']);
      expect(result.names).toEqual(['charlie', 'alpha']);
      expect(result.utilisation).toHaveLength(2 * 288);
      expect(result.utilisation[0]).toBe(0.3);
      expect(result.utilisation[288]).toBe(0.1);
    });

    it('reports every bad file with its file and line, and missing files', () => {
      writeTrace(root, 'good', 10);
      writeFileSync(join(root, 'bad-value'), withLine(3, '250'));
      writeFileSync(join(root, 'bad-text'), withLine(40, 'x'));
      const error = catchUserError(() => readPlanetLabDay(root, ['good', 'bad-value', 'bad-text', 'missing']));
      expect(error.issues).toHaveLength(3);
      expect(error.issues[0]).toMatchObject({ file: join(root, 'bad-value'), line: 3 });
      expect(error.issues[1]).toMatchObject({ file: join(root, 'bad-text'), line: 40 });
      expect(error.issues[2]).toMatchObject({ file: join(root, 'missing') });
      expect(error.issues[2].message).toContain('not found');
      expect(error.message).toContain(`${join(root, 'bad-value')}:3:`);
      expect(error.message).toContain(`${join(root, 'bad-text')}:40:`);
    });

    it('rejects a missing directory, a file given as directory, and an empty directory', () => {
      expect(catchUserError(() => readPlanetLabDay(join(root, 'nope'))).message).toContain('not found');
      writeTrace(root, 'alpha', 10);
      expect(catchUserError(() => readPlanetLabDay(join(root, 'alpha'))).message).toContain('expected a directory');
      const empty = join(root, 'empty');
      mkdirSync(empty);
      expect(catchUserError(() => readPlanetLabDay(empty)).message).toContain('no trace files');
    });

    it('stops after 20 problems and says so', () => {
      for (let i = 0; i < 25; i++) writeFileSync(join(root, `bad-${String(i).padStart(2, '0')}`), 'x\n');
      const error = catchUserError(() => readPlanetLabDay(root));
      expect(error.issues).toHaveLength(20);
      expect(error.message).toContain('stopped after 20 problems');
    });
  });

  describe('readVmOrder', () => {
    const write = (text: string): string => {
      const file = join(root, 'vm-order.tsv');
      writeFileSync(file, text);
      return file;
    };

    it('reads index, type and trace name per tab-separated row, skipping blank lines, with CRLF', () => {
      const file = write('0\t1\ttrace-a\r\n\r\n1\t0\ttrace-b\r\n2\t3\ttrace-c\n');
      expect(readVmOrder(file, 4)).toEqual([
        { index: 0, type: 1, trace: 'trace-a' },
        { index: 1, type: 0, trace: 'trace-b' },
        { index: 2, type: 3, trace: 'trace-c' },
      ]);
    });

    it('rejects a wrong index sequence with the line number', () => {
      // Line 1 holds index 0; line 2 should hold 1 but holds 2.
      const file = write('0\t0\ta\n2\t0\tb\n');
      const error = catchUserError(() => readVmOrder(file, 4));
      expect(error.issues[0]).toMatchObject({ file, line: 2 });
      expect(error.issues[0].message).toContain('expected VM index 1');
      expect(error.message).toContain(`${file}:2:`);
      // The first row must be index 0.
      expect(catchUserError(() => readVmOrder(write('1\t0\ta\n'), 4)).issues[0]).toMatchObject({ line: 1 });
    });

    it.each([
      ['4', 4],
      ['-1', 4],
      ['1.5', 4],
      ['two', 4],
      ['1', 1],
    ])('rejects VM type %j with %i types, with the line number', (type, typeCount) => {
      // Blank line 2 still counts: the bad row is on line 3.
      const file = write(`0\t0\ta\n\n1\t${type}\tb\n`);
      const error = catchUserError(() => readVmOrder(file, typeCount));
      expect(error.issues[0]).toMatchObject({ file, line: 3 });
      expect(error.issues[0].message).toContain(`0..${typeCount - 1}`);
    });

    it('rejects a row without three fields, a missing file and a file without rows', () => {
      const error = catchUserError(() => readVmOrder(write('0\t0\ta\n1 0 b\n'), 4));
      expect(error.issues[0]).toMatchObject({ line: 2 });
      expect(error.issues[0].message).toContain('3 tab-separated fields');
      expect(catchUserError(() => readVmOrder(join(root, 'absent.tsv'), 4)).message).toContain('not found');
      expect(catchUserError(() => readVmOrder(write('\n\n'), 4)).message).toContain('no VM rows');
    });

    // Regression test for a bug fixed after it was found here (src/workload/planetlab.ts, readVmOrder, `const type = Number(parts[1])` and the same for the index):
    // Number('') is 0, so an empty field passes the integer checks. "0\t\ttrace-a" is read as
    // { index: 0, type: 0 } instead of being rejected; likewise an empty index field is read as index 0.
    // Expected: a UserError naming line 1 ("VM type must be an integer 0..3, got """).
    it('rejects an empty VM type field', () => {
      const file = write('0\t\ttrace-a\n');
      const error = catchUserError(() => readVmOrder(file, 4));
      expect(error.issues[0]).toMatchObject({ file, line: 1 });
    });

    // Regression test for a bug fixed after it was found here (src/workload/planetlab.ts, readVmOrder: `entries.push({ index, type, trace: parts[2] })` takes the third
    // field unchecked): an empty trace name ("0\t1\t") is accepted; readPlanetLabDay then reads the day directory
    // itself and reports "cannot read: EISDIR …" against the directory, not against the order file's line.
    // Expected: a UserError naming line 1 of the order file.
    it('rejects an empty trace name', () => {
      const file = write('0\t1\t\n');
      const error = catchUserError(() => readVmOrder(file, 4));
      expect(error.issues[0]).toMatchObject({ file, line: 1 });
    });

    // Regression test for a bug fixed after it was found here (src/workload/planetlab.ts, readVmOrder loop): a row that fails is not added to `entries`, so every
    // following row is reported as "expected VM index k, got k+1" although it is correct. One bad type on line 2
    // of a 30-row file gives 29 issues instead of 1. Expected: one issue, for line 2 (e.g. advance the expected
    // index past a row whose index was right but whose type was wrong).
    it('reports a single bad row once, not every row after it', () => {
      const rows = Array.from({ length: 30 }, (_, i) => `${i}\t${i === 1 ? 9 : 0}\tt${i}`);
      const error = catchUserError(() => readVmOrder(write(rows.join('\n')), 4));
      expect(error.issues).toHaveLength(1);
    });

    // Regression test for a bug fixed after it was found here (src/workload/planetlab.ts, readVmOrder: `if (issues.length >= MAX_REPORTED_ISSUES) break;` sits after
    // the `continue`s, so it only runs on good rows): when rows keep failing, the 20-problem cap of the module is
    // never applied, and a 1052-row file with an error on line 2 prints 1051 problems. Expected: at most 20
    // issues, as readPlanetLabDay does.
    it('stops after 20 problems', () => {
      const rows = Array.from({ length: 40 }, (_, i) => `${i}\t9\tt${i}`); // every type out of range
      const error = catchUserError(() => readVmOrder(write(rows.join('\n')), 4));
      expect(error.issues.length).toBeLessThanOrEqual(20);
    });
  });
});
