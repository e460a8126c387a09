/**
 * PlanetLab CPU-utilisation traces (CoMon project, March–April 2011), as distributed with CloudSim.
 *
 * Format: one directory per day; one file per VM; each file has 288 lines, one integer CPU utilisation in
 * percent (0..100) per line, sampled every 300 s over 24 h (Beloglazov & Buyya, CCPE 24(13), 2012, §6.2).
 * The ten days used in that paper are vendored under `data/planetlab/`.
 *
 * Reading validates everything and reports the file and line of the first problem in each bad file; all bad
 * files are reported together (up to a limit), so a user fixes a directory in one pass.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, type Issue } from '../util/user-error.js';

/** Samples per PlanetLab file: 24 h at 300 s. */
export const PLANETLAB_SAMPLES = 288;
/** Seconds between two PlanetLab samples. */
export const PLANETLAB_INTERVAL_SECONDS = 300;

/** One day of traces: names (file names) and utilisation fractions, row-major [vm][sample]. */
export interface PlanetLabDay {
  directory: string;
  names: string[];
  sampleCount: number;
  /** Utilisation as fractions 0..1 (percent / 100), `names.length × sampleCount` values. */
  utilisation: Float64Array;
}

const MAX_REPORTED_ISSUES = 20;

/**
 * Parses one trace file's text. Returns the fractions, or pushes an issue (file, line, what was expected).
 * Blank trailing lines are allowed; anything else that is not an integer 0..100 is an error.
 */
export function parsePlanetLabText(text: string, file: string, out: Float64Array, offset: number, issues: Issue[]): boolean {
  // A hand-written scanner (no regular expressions, no per-line strings): a day is 300,000 lines.
  const length = text.length;
  let line = 1;
  let count = 0;
  let i = 0;
  let trailingBlank = false;
  while (i < length) {
    // One line: optional spaces, digits, optional spaces, optional \r, then \n or the end.
    let start = i;
    while (start < length && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
    let value = 0;
    let digits = 0;
    let j = start;
    for (; j < length; j++) {
      const code = text.charCodeAt(j);
      if (code < 48 || code > 57) break;
      value = value * 10 + (code - 48);
      digits++;
    }
    let end = j;
    while (end < length && (text.charCodeAt(end) === 32 || text.charCodeAt(end) === 9 || text.charCodeAt(end) === 13)) end++;
    const atLineEnd = end >= length || text.charCodeAt(end) === 10;
    if (!atLineEnd || (digits === 0 && end > start && text.charCodeAt(start) !== 13)) {
      let stop = text.indexOf('\n', i);
      if (stop < 0) stop = length;
      const token = text.slice(i, stop).replace(/\r$/, '').trim();
      issues.push({ file, line, message: `expected an integer CPU utilisation in percent (0..100), got "${token.slice(0, 40)}"` });
      return false;
    }
    if (digits === 0) {
      trailingBlank = true;
    } else {
      if (trailingBlank) {
        issues.push({ file, line: line - 1, message: 'empty line inside the trace: expected one integer per line' });
        return false;
      }
      if (value > 100) {
        issues.push({ file, line, message: `utilisation must be within 0..100 percent, got ${value}` });
        return false;
      }
      if (count >= PLANETLAB_SAMPLES) {
        issues.push({ file, line, message: `expected ${PLANETLAB_SAMPLES} samples (24 h at 300 s), found more` });
        return false;
      }
      out[offset + count] = value / 100;
      count++;
    }
    i = end + 1;
    line++;
  }
  if (count !== PLANETLAB_SAMPLES) {
    issues.push({ file, message: `expected ${PLANETLAB_SAMPLES} samples (24 h at 300 s), found ${count}` });
    return false;
  }
  return true;
}

/**
 * Reads every file of a PlanetLab day directory, or only `names` in that order when given.
 * Files are returned sorted by name when `names` is not given (readdir order differs between machines).
 */
export function readPlanetLabDay(directory: string, names?: readonly string[]): PlanetLabDay {
  let stat;
  try {
    stat = statSync(directory);
  } catch {
    throw new UserError(`${directory}: trace directory not found`);
  }
  if (!stat.isDirectory()) throw new UserError(`${directory}: expected a directory of PlanetLab trace files`);
  const fileNames = names ? [...names] : readdirSync(directory).filter((n) => !n.startsWith('.')).sort();
  if (fileNames.length === 0) throw new UserError(`${directory}: no trace files in this directory`);
  const utilisation = new Float64Array(fileNames.length * PLANETLAB_SAMPLES);
  const issues: Issue[] = [];
  for (let i = 0; i < fileNames.length; i++) {
    const file = join(directory, fileNames[i]);
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (error) {
      issues.push({ file, message: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'trace file not found' : `cannot read: ${(error as Error).message}` });
      if (issues.length >= MAX_REPORTED_ISSUES) break;
      continue;
    }
    parsePlanetLabText(text, file, utilisation, i * PLANETLAB_SAMPLES, issues);
    if (issues.length >= MAX_REPORTED_ISSUES) break;
  }
  if (issues.length > 0) {
    const error = UserError.fromIssues(issues);
    throw issues.length >= MAX_REPORTED_ISSUES ? new UserError(`${error.message}\n(stopped after ${MAX_REPORTED_ISSUES} problems)`, issues) : error;
  }
  return { directory, names: fileNames, sampleCount: PLANETLAB_SAMPLES, utilisation };
}

/** One row of a VM-order file: VM index, VM type, trace file name. */
export interface VmOrderEntry {
  index: number;
  type: number;
  trace: string;
}

/**
 * Reads a VM-order mapping (tab-separated: index, VM type, trace file name), as saved from CloudSim 3.0.3 runs
 * in `data/cloudsim/vm-order/`. CloudSim takes trace files in `File.listFiles()` order, which depends on the
 * machine's file system, and gives VM types by block; this file pins that assignment.
 */
export function readVmOrder(file: string, typeCount: number): VmOrderEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${file}: VM-order file not found`);
  }
  const entries: VmOrderEntry[] = [];
  const issues: Issue[] = [];
  const lines = text.split('\n');
  let row = 0; // rows seen, bad ones included, so that one bad row does not shift every later index
  for (let i = 0; i < lines.length && issues.length < MAX_REPORTED_ISSUES; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const expected = row++;
    const parts = raw.split('\t');
    if (parts.length !== 3) {
      issues.push({ file, line: i + 1, message: `expected 3 tab-separated fields (index, VM type, trace file), got ${parts.length}` });
      continue;
    }
    const isInteger = (text: string): boolean => /^[0-9]+$/.test(text.trim());
    if (!isInteger(parts[0]) || Number(parts[0]) !== expected) {
      issues.push({ file, line: i + 1, message: `expected VM index ${expected}, got "${parts[0]}"` });
      continue;
    }
    if (!isInteger(parts[1]) || Number(parts[1]) >= typeCount) {
      issues.push({ file, line: i + 1, message: `VM type must be an integer 0..${typeCount - 1}, got "${parts[1]}"` });
      continue;
    }
    if (parts[2].trim() === '') {
      issues.push({ file, line: i + 1, message: 'expected a trace file name in the third field, got an empty one' });
      continue;
    }
    entries.push({ index: expected, type: Number(parts[1]), trace: parts[2] });
  }
  if (issues.length >= MAX_REPORTED_ISSUES) {
    throw new UserError(`${UserError.fromIssues(issues).message}\n(stopped after ${MAX_REPORTED_ISSUES} problems)`, issues);
  }
  if (issues.length > 0) throw UserError.fromIssues(issues);
  if (entries.length === 0) throw new UserError(`${file}: no VM rows`);
  return entries;
}
