/**
 * Writing an output directory all at once, so a crash or an error never leaves it half-written.
 *
 * Everything is written into a temporary sibling directory (same parent, hence same file system, so the
 * final rename is atomic), each file and directory is fsynced, and then the temporary directory is renamed
 * into place. A marker file, {@link OUTPUT_MARKER}, identifies directories Hyperwatt wrote: such a
 * directory is replaced (old one renamed aside, new one renamed in, old one removed), an empty directory is
 * replaced too, and any other existing path is left alone with a {@link UserError}, so a mistyped `--out`
 * never destroys a user's files. On any error the temporary directory is removed.
 *
 * Between the two renames of a replacement there is a moment where `dir` does not exist; readers see either
 * the old complete output, nothing, or the new complete output, never a mix.
 *
 * {@link writeOutputFile} does the same for one file (a weights file from `hyperwatt calibrate`): temporary
 * sibling, fsync, rename over the old file; a directory in its place is refused.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { UserError } from './user-error.js';

/** Name of the marker file written into every output directory; its presence makes the directory replaceable. */
export const OUTPUT_MARKER = '.hyperwatt-output';

/** Contents of the marker file (constant, so outputs of identical runs are byte-identical). */
const MARKER_CONTENTS = 'This directory was written by Hyperwatt and is replaced on the next run.\n';

/**
 * Writes `files` as the complete contents of `dir`, atomically.
 *
 * @param dir the output directory; its parent is created if missing.
 * @param files relative file paths (`summary.json`, `plots/power.svg`; forward slashes) to contents; text is
 *   written as UTF-8.
 * @throws UserError when `dir` exists and is not a previous Hyperwatt output (nor an empty directory), or
 *   when the file system refuses (permissions, full disk); nothing is left behind in that case.
 * @example await writeOutputDirectory('out/run-1', { 'summary.json': stableJson(summary) });
 */
export async function writeOutputDirectory(dir: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  const target = resolve(dir);
  const name = basename(target);
  if (target === dirname(target)) throw new UserError(`${dir}: cannot use the root directory as an output directory`);
  const entries = Object.entries(files).map(([path, contents]) => [checkRelativePath(path), contents] as const);

  const existing = await inspectExisting(dir, target);
  const parent = dirname(target);
  await wrapFileSystemErrors(dir, () => mkdir(parent, { recursive: true }));

  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const temporary = join(parent, `.${name}.tmp-${suffix}`);
  await wrapFileSystemErrors(dir, () => mkdir(temporary));
  try {
    await wrapFileSystemErrors(dir, async () => {
      const directories = new Set<string>([temporary]);
      for (const [path, contents] of entries) {
        const file = join(temporary, path);
        const fileDirectory = dirname(file);
        if (!directories.has(fileDirectory)) {
          await mkdir(fileDirectory, { recursive: true });
          for (let directory = fileDirectory; directory !== temporary; directory = dirname(directory)) {
            directories.add(directory);
          }
        }
        await writeDurably(file, contents);
      }
      await writeDurably(join(temporary, OUTPUT_MARKER), MARKER_CONTENTS);
      // Deepest first, so each directory's entries are durable before its parent's.
      for (const directory of [...directories].sort((a, b) => b.length - a.length)) await syncDirectory(directory);
    });

    if (existing === 'absent') {
      await wrapFileSystemErrors(dir, () => rename(temporary, target));
    } else if (existing === 'empty') {
      await wrapFileSystemErrors(dir, async () => {
        await rmdir(target);
        await rename(temporary, target);
      });
    } else {
      const aside = join(parent, `.${name}.old-${suffix}`);
      await wrapFileSystemErrors(dir, () => rename(target, aside));
      try {
        await wrapFileSystemErrors(dir, () => rename(temporary, target));
      } catch (error) {
        await rename(aside, target).catch(() => undefined); // put the previous output back
        throw error;
      }
      await rm(aside, { recursive: true, force: true });
    }
    await syncDirectory(parent);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Checks, before any work is done, that {@link writeOutputFile} could write `file`: it is absent or a regular
 * file (which is replaced), not a directory or anything else.
 *
 * @throws UserError naming `file` when it is a directory, a symbolic link or a special file.
 */
export async function checkOutputFile(file: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(resolve(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    return wrapFileErrors(file, () => Promise.reject(error));
  }
  if (stats.isDirectory()) throw new UserError(`${file}: is a directory; refusing to replace it (give a file name, e.g. ${join(file, 'weights.json')})`);
  if (stats.isSymbolicLink()) throw new UserError(`${file}: is a symbolic link; refusing to replace it (give the real file instead)`);
  if (!stats.isFile()) throw new UserError(`${file}: exists and is not a regular file; refusing to replace it`);
}

/**
 * Writes one file atomically: into a temporary sibling (same directory, hence same file system), fsynced, then
 * renamed over `file`, so readers see the old contents or the new, never a part. An existing regular file is
 * replaced; a directory or anything else is refused (see {@link checkOutputFile}). The parent directory is created
 * if missing.
 *
 * @example await writeOutputFile('weights.json', stableJson(weights.toJson()));
 */
export async function writeOutputFile(file: string, contents: string | Uint8Array): Promise<void> {
  await checkOutputFile(file);
  const target = resolve(file);
  const parent = dirname(target);
  await wrapFileErrors(file, () => mkdir(parent, { recursive: true }));
  const temporary = join(parent, `.${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await wrapFileErrors(file, async () => {
      await writeDurably(temporary, contents);
      await rename(temporary, target);
    });
    await syncDirectory(parent);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

type Existing = 'absent' | 'empty' | 'previous-output';

/**
 * Checks, before any work is done, that `dir` could be written by {@link writeOutputDirectory}: absent, empty,
 * or a previous Hyperwatt output. Throws the same UserError that writing would.
 */
export async function checkOutputDirectory(dir: string): Promise<void> {
  await inspectExisting(dir, resolve(dir));
}

async function inspectExisting(dir: string, target: string): Promise<Existing> {
  let stats;
  try {
    stats = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    return wrapFileSystemErrors(dir, () => Promise.reject(error));
  }
  if (stats.isSymbolicLink()) {
    throw new UserError(`${dir}: is a symbolic link; refusing to replace it (give the real directory instead)`);
  }
  if (!stats.isDirectory()) throw new UserError(`${dir}: exists and is not a directory; refusing to replace it`);
  const names = await wrapFileSystemErrors(dir, () => readdir(target));
  if (names.length === 0) return 'empty';
  if (names.includes(OUTPUT_MARKER)) return 'previous-output';
  throw new UserError(
    `${dir}: exists, is not empty and was not written by Hyperwatt (no ${OUTPUT_MARKER} file); ` +
      'refusing to replace it. Choose another output directory or remove it first.',
  );
}

function checkRelativePath(path: string): string {
  const normalized = normalize(path);
  if (
    path === '' ||
    isAbsolute(path) ||
    normalized === '.' ||
    normalized.split(sep).includes('..') ||
    normalized === OUTPUT_MARKER
  ) {
    throw new Error(`writeOutputDirectory: invalid output file name ${JSON.stringify(path)}`);
  }
  return normalized;
}

async function writeDurably(file: string, contents: string | Uint8Array): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory so the names in it survive a crash; not possible on every platform, hence best effort. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}

/** Turns file-system failures (errors with an errno code) into UserErrors that name the output directory. */
async function wrapFileSystemErrors<T>(dir: string, action: () => Promise<T>): Promise<T> {
  return wrapErrors(`${dir}: cannot write the output directory`, action);
}

/** As {@link wrapFileSystemErrors}, for a single output file. */
async function wrapFileErrors<T>(file: string, action: () => Promise<T>): Promise<T> {
  return wrapErrors(`${file}: cannot write the file`, action);
}

async function wrapErrors<T>(prefix: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof UserError || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) throw error;
    const reason = (error as Error).message.replace(/^E[A-Z]+: /, '');
    throw new UserError(`${prefix}: ${reason}`, [], { cause: error });
  }
}
