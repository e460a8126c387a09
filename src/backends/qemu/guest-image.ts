/**
 * `hyperwatt guest build`: a tiny test guest made from Debian packages, cached between runs.
 *
 * - Kernel: the package `linux-image-amd64` depends on, fetched with `apt-get download` and unpacked with `dpkg-deb`;
 *   its bzImage's XZ payload is decompressed to the ELF `vmlinux`, which QEMU boots directly through the PVH entry
 *   point (3.4 s to a shell under TCG, against 7.5 s for the compressed image that decompresses itself in the guest:
 *   ../shared/reference/qemu/RESULTS.md §2).
 * - Initramfs (gzip'd cpio): busybox-static and its applets, the virtio modules the balloon needs (virtio_ring
 *   before virtio, as the probe found), `hwload` (guest/hwload.c: memory dirtier, CPU spinner, counter, built
 *   static with gcc) and `/init` (guest/init.sh: the workload from the kernel command line, and a command agent on
 *   the second serial port).
 *
 * The result goes to `<cache>/guest-<kernel version>-<hash of the guest sources>/` with a manifest; a later build
 * with the same kernel and sources returns it at once. Tools that are missing are reported with the Debian package
 * to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../util/user-error.js';

/** A built guest. */
export interface GuestImage {
  readonly directory: string;
  /** Uncompressed ELF kernel (PVH boot). */
  readonly kernelPath: string;
  readonly initrdPath: string;
  readonly kernelVersion: string;
  readonly kernelPackage: string;
}

export interface GuestBuildOptions {
  /** Where built guests are kept (default `$XDG_CACHE_HOME/hyperwatt` or `~/.cache/hyperwatt`). */
  readonly cacheDirectory?: string;
  /** The kernel package (default: what `linux-image-amd64` depends on). */
  readonly kernelPackage?: string;
  /** Build again even if a cached guest exists. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

/** The virtio modules the guest loads, in dependency order. */
export const GUEST_MODULES = ['virtio_ring', 'virtio', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev', 'virtio_pci', 'virtio_balloon'] as const;

/** The repository's guest/ folder (beside dist/ when installed). */
export function guestSourceDirectory(): string {
  // The package root is above this file: four levels from dist/src/backends/qemu, three from src/backends/qemu.
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 6; level++) {
    if (existsSync(join(directory, 'guest', 'hwload.c'))) return join(directory, 'guest');
    directory = dirname(directory);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'guest');
}

export function defaultCacheDirectory(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hyperwatt');
}

const TOOLS: [tool: string, debianPackage: string][] = [
  ['apt-get', 'apt'],
  ['dpkg-deb', 'dpkg'],
  ['xz', 'xz-utils'],
  ['gcc', 'gcc and libc6-dev'],
  ['gzip', 'gzip'],
];

function requireTools(): string {
  const missing = TOOLS.filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((path) => existsSync(path) && isStatic(path));
  if (!busybox) missing.push(['busybox (static)', 'busybox-static']);
  if (missing.length > 0) {
    throw new UserError(`guest build: missing ${missing.map(([tool]) => tool).join(', ')}; install with: apt-get install ${missing.map(([, pkg]) => pkg).join(' ')}`);
  }
  return busybox!;
}

/** Whether an ELF executable is static: it has no PT_INTERP program header (no dynamic loader). */
function isStatic(path: string): boolean {
  const elf = readFileSync(path);
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false; // ELF64 only
  const headers = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let i = 0; i < count; i++) if (elf.readUInt32LE(headers + i * size) === 3) return false;
  return true;
}

function run(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) {
    throw new UserError(`guest build: ${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}): ${(result.stderr || result.stdout || '').trim().slice(0, 2000)}`);
  }
  return result.stdout;
}

/** The kernel package `linux-image-amd64` depends on. */
function defaultKernelPackage(): string {
  const output = run('apt-cache', ['depends', 'linux-image-amd64']);
  const match = /Depends:\s+(linux-image-[0-9][^\s]*)/.exec(output);
  if (!match) throw new UserError('guest build: cannot tell which kernel package linux-image-amd64 depends on (apt-cache depends); give one with --kernel-package');
  return match[1]!;
}

/** Decompresses the XZ payload of a bzImage into an ELF vmlinux. */
function extractVmlinux(bzImage: Buffer): Buffer {
  const magic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  const offset = bzImage.indexOf(magic);
  if (offset < 0) throw new UserError('guest build: the kernel image has no XZ payload (only XZ-compressed Debian kernels are supported)');
  // xz stops at the end of the stream and warns about the trailing data of the bzImage: the status is not 0 then.
  const result = spawnSync('xz', ['-dc', '--single-stream'], { input: bzImage.subarray(offset), maxBuffer: 1 << 30 });
  const vmlinux = result.stdout as Buffer;
  if (vmlinux.length < 4 || vmlinux.readUInt32BE(0) !== 0x7f454c46) throw new UserError(`guest build: the kernel's payload is not an ELF image (xz: ${String(result.stderr).trim()})`);
  return vmlinux;
}

/** Builds the guest (or returns the cached one). */
export function buildGuestImage(options: GuestBuildOptions = {}): GuestImage {
  const log = options.log ?? (() => {});
  const busybox = requireTools();
  const sources = guestSourceDirectory();
  const program = join(sources, 'hwload.c');
  const init = join(sources, 'init.sh');
  if (!existsSync(program) || !existsSync(init)) throw new UserError(`guest build: the guest sources are missing (${sources})`);
  const kernelPackage = options.kernelPackage ?? defaultKernelPackage();
  const sourceHash = createHash('sha256').update(readFileSync(program)).update(readFileSync(init)).update(GUEST_MODULES.join(',')).digest('hex').slice(0, 12);
  const cache = options.cacheDirectory ?? defaultCacheDirectory();
  const directory = join(cache, `guest-${kernelPackage.replace(/^linux-image-/, '')}-${sourceHash}`);
  const manifestPath = join(directory, 'manifest.json');
  if (!options.force && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as GuestImage;
    if (existsSync(manifest.kernelPath) && existsSync(manifest.initrdPath)) {
      log(`guest: cached in ${directory}`);
      return manifest;
    }
  }
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'hyperwatt-guest-'));
  try {
    log(`guest: downloading ${kernelPackage} …`);
    run('apt-get', ['download', '-q', kernelPackage], work);
    const deb = readdirSync(work).find((name) => name.startsWith(kernelPackage) && name.endsWith('.deb'));
    if (!deb) throw new UserError(`guest build: apt-get download ${kernelPackage} produced no .deb`);
    const unpacked = join(work, 'kernel');
    run('dpkg-deb', ['-x', join(work, deb), unpacked]);
    const bootFiles = readdirSync(join(unpacked, 'boot'));
    const vmlinuz = bootFiles.find((name) => name.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new UserError(`guest build: ${kernelPackage} has no /boot/vmlinuz-*`);
    const kernelVersion = vmlinuz.slice('vmlinuz-'.length);
    const out = join(work, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'vmlinux'), extractVmlinux(readFileSync(join(unpacked, 'boot', vmlinuz))));

    log('guest: building the initramfs …');
    const root = join(work, 'root');
    for (const folder of ['bin', 'sbin', 'proc', 'sys', 'dev', 'lib/modules']) mkdirSync(join(root, folder), { recursive: true });
    copyFileSync(busybox, join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    // `busybox --list` names busybox itself: a link to itself would make /init fail with ELOOP.
    for (const applet of run(busybox, ['--list']).split('\n').map((line) => line.trim())) {
      if (applet && applet !== 'busybox' && !existsSync(join(root, 'bin', applet))) symlinkSync('busybox', join(root, 'bin', applet));
    }
    run('gcc', ['-O2', '-static', '-o', join(root, 'bin', 'hwload'), program]);
    copyFileSync(init, join(root, 'init'));
    chmodSync(join(root, 'init'), 0o755);
    const moduleRoot = join(unpacked, 'lib', 'modules', kernelVersion);
    for (const module of GUEST_MODULES) {
      const found = findFile(moduleRoot, (name) => name === `${module}.ko` || name === `${module}.ko.xz`);
      if (!found) {
        log(`guest: module ${module} not found (built into the kernel?)`);
        continue;
      }
      const target = join(root, 'lib', 'modules', `${module}.ko`);
      if (found.endsWith('.xz')) writeFileSync(target, execFileSync('xz', ['-dc', found], { maxBuffer: 1 << 28 }));
      else copyFileSync(found, target);
    }
    execFileSync('sh', ['-c', `cd "${root}" && find . | "${busybox}" cpio -o -H newc 2>/dev/null | gzip -1 > "${join(out, 'initrd.gz')}"`]);

    const image: GuestImage = { directory, kernelPath: join(directory, 'vmlinux'), initrdPath: join(directory, 'initrd.gz'), kernelVersion, kernelPackage };
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(image, null, 2)}\n`);
    // Moved into place whole: a build that fails half-way leaves nothing in the cache.
    rmSync(directory, { recursive: true, force: true });
    renameOrCopy(out, directory);
    log(`guest: built in ${directory}`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) copyFileSync(join(from, name), join(to, name));
  }
}

function findFile(directory: string, match: (name: string) => boolean): string | null {
  if (!existsSync(directory)) return null;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, match);
      if (found) return found;
    } else if (match(entry.name)) {
      return path;
    }
  }
  return null;
}
