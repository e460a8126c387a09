/** `hyperwatt guest build`: the test guest for the QEMU backend (src/backends/qemu/guest-image.ts), cached. */
import { buildGuestImage } from '../backends/qemu/guest-image.js';

export function guestBuildCommand(flags: { cache?: string; kernelPackage?: string; force?: boolean; json?: boolean }): void {
  const image = buildGuestImage({
    cacheDirectory: flags.cache,
    kernelPackage: flags.kernelPackage,
    force: flags.force,
    log: flags.json ? undefined : (line) => process.stderr.write(`progress ${line}\n`),
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(image)}\n`);
    return;
  }
  process.stdout.write(`kernel  ${image.kernelPath} (${image.kernelPackage})\ninitrd  ${image.initrdPath}\n`);
}
