/**
 * Tests for atomic output directories: complete writes, replacing a previous output, refusing foreign
 * directories, and leaving nothing behind on failure.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, writeOutputDirectory } from '../../src/util/atomic-output.js';
import { UserError } from '../../src/util/user-error.js';

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'hyperwatt-output-'));
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

async function userErrorOf(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('writeOutputDirectory', () => {
  it('writes every file, creating subdirectories and the parent, plus the marker', async () => {
    const dir = join(parent, 'runs', 'out');
    await writeOutputDirectory(dir, {
      'summary.json': '{"energyJoules": 1}\n',
      'plots/power.csv': 'timeSeconds,powerWatts\n',
      'raw.bin': new Uint8Array([0, 1, 255]),
    });
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, 'plots', 'raw.bin', 'summary.json']);
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('{"energyJoules": 1}\n');
    expect(readFileSync(join(dir, 'plots', 'power.csv'), 'utf8')).toBe('timeSeconds,powerWatts\n');
    expect([...readFileSync(join(dir, 'raw.bin'))]).toEqual([0, 1, 255]);
    expect(readdirSync(join(parent, 'runs'))).toEqual(['out']); // no temporary left
  });

  it('replaces a previous output completely', async () => {
    const dir = join(parent, 'out');
    await writeOutputDirectory(dir, { 'old.txt': 'old', 'summary.json': '1' });
    await writeOutputDirectory(dir, { 'summary.json': '2' });
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, 'summary.json']);
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('2');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('uses an existing empty directory', async () => {
    const dir = join(parent, 'out');
    mkdirSync(dir);
    await writeOutputDirectory(dir, { 'a.txt': 'a' });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a');
  });

  it('refuses to replace a non-empty directory it did not write, and leaves it intact', async () => {
    const dir = join(parent, 'thesis');
    mkdirSync(dir);
    writeFileSync(join(dir, 'chapter1.tex'), 'precious');
    const error = await userErrorOf(writeOutputDirectory(dir, { 'a.txt': 'a' }));
    expect(error.message).toBe(
      `${dir}: exists, is not empty and was not written by Hyperwatt (no ${OUTPUT_MARKER} file); ` +
        'refusing to replace it. Choose another output directory or remove it first.',
    );
    expect(readdirSync(dir)).toEqual(['chapter1.tex']);
    expect(readFileSync(join(dir, 'chapter1.tex'), 'utf8')).toBe('precious');
    expect(readdirSync(parent)).toEqual(['thesis']);
  });

  it('refuses a path that is a file or a symbolic link', async () => {
    const file = join(parent, 'out.txt');
    writeFileSync(file, 'x');
    expect((await userErrorOf(writeOutputDirectory(file, {}))).message).toBe(
      `${file}: exists and is not a directory; refusing to replace it`,
    );
    const real = join(parent, 'real');
    mkdirSync(real);
    const link = join(parent, 'link');
    symlinkSync(real, link);
    expect((await userErrorOf(writeOutputDirectory(link, {}))).message).toMatch(/is a symbolic link; refusing to replace it/);
  });

  it('leaves no partial directory and no temporary directory when a write fails mid-way', async () => {
    const dir = join(parent, 'out');
    // "a" is written as a file first, so the directory needed for "a/b" cannot be created.
    const error = await userErrorOf(writeOutputDirectory(dir, { 'first.txt': '1', a: 'file', 'a/b': 'nested' }));
    expect(error.message).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write the output directory: `));
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('keeps the previous output when writing the new one fails', async () => {
    const dir = join(parent, 'out');
    await writeOutputDirectory(dir, { 'summary.json': 'previous' });
    await userErrorOf(writeOutputDirectory(dir, { a: 'file', 'a/b': 'nested' }));
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('previous');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('rejects file names that escape the directory (a programming error, not a UserError)', async () => {
    const dir = join(parent, 'out');
    for (const name of ['../escape.txt', '/etc/passwd', '', '.', OUTPUT_MARKER]) {
      await expect(writeOutputDirectory(dir, { [name]: 'x' })).rejects.toThrow(/invalid output file name/);
    }
    expect(readdirSync(parent)).toEqual([]);
  });
});
