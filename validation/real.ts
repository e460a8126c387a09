/**
 * Claims on real VMs (QEMU under TCG, the test guest of `hyperwatt guest build`):
 * - `real.cpu_cap`: a VM spinning flat out, capped at 30 % of a core with the cgroup v1 cpu controller, uses
 *   30 % ± 3 % of a core over 10 s (QEMU's whole process: vCPU thread, main loop and helpers).
 * - `real.migration_model_error`: the migrations of examples/qemu/migration-compare.yaml (idle and dirtying guests,
 *   32 and 128 MiB/s caps, pre-copy, hybrid and post-copy) on QEMU against the simulator's prediction: total time and
 *   transferred bytes within 20 % for every case under a cap (the two runs at an unreachable limit calibrate the
 *   path and the guest, and are reported);
 * - `real.postcopy_recovery`: a post-copy migration whose link is cut and restored completes with the guest intact
 *   (its workload counter keeps increasing on the destination).
 * Needs qemu-system-x86, busybox-static, gcc and the Debian archive; without them the claim fails and says why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSecondsOf, CpuCap } from '../src/backends/qemu/cpu-control.js';
import { buildGuestImage } from '../src/backends/qemu/guest-image.js';
import { QemuVm } from '../src/backends/qemu/qemu-vm.js';
import { compareMigrations, UNREACHABLE_LIMIT_MIB_S } from '../src/backends/qemu/migration-compare.js';
import { postcopyWithLinkCut } from '../src/backends/qemu/vm-migration.js';
import { MigrationCompareSchema } from '../src/scenario/compare-schema.js';
import { loadDocument } from '../src/scenario/document.js';
import { parseWith } from '../src/scenario/validate.js';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import type { Claim } from './cloudsim.js';

async function cpuCap(log: (line: string) => void): Promise<Claim> {
  const claim = { id: 'real.cpu_cap', claim: 'A VM capped at 30 % of a core with the cgroup CPU controller uses 30 % ± 3 % of a core over 10 s', target: '27 ≤ share_pct ≤ 33' };
  const dir = mkdtempSync(join(tmpdir(), 'hyperwatt-real-'));
  let vm: QemuVm | null = null;
  let cap: CpuCap | null = null;
  try {
    const image = buildGuestImage();
    vm = await QemuVm.start({ name: 'cap', memoryMiB: 128, vcpus: 1, maxVcpus: 1, kernelPath: image.kernelPath, initrdPath: image.initrdPath, workload: { kind: 'spin' }, runDirectory: dir });
    await vm.waitForGuest(90_000);
    const uncappedBefore = cpuSecondsOf(vm.pid);
    const uncappedStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const uncapped = (cpuSecondsOf(vm.pid) - uncappedBefore) / ((performance.now() - uncappedStart) / 1000);
    cap = CpuCap.apply('cap', vm.pid, 0.3);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = cpuSecondsOf(vm.pid);
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const share = (cpuSecondsOf(vm.pid) - before) / ((performance.now() - start) / 1000);
    log(`  uncapped ${(uncapped * 100).toFixed(1)} % of a core; capped at 30 %: ${(share * 100).toFixed(1)} % over 10 s`);
    return { ...claim, measured: { uncapped_share_pct: Math.round(uncapped * 1000) / 10, share_pct: Math.round(share * 1000) / 10, seconds: 10 }, pass: share >= 0.27 && share <= 0.33 };
  } catch (error) {
    log(`  could not run: ${(error as Error).message}`);
    return { ...claim, measured: { error: (error as Error).message.slice(0, 300) }, pass: false };
  } finally {
    cap?.release();
    await vm?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function migrationModelError(log: (line: string) => void): Promise<Claim> {
  const claim = {
    id: 'real.migration_model_error',
    claim: "Real QEMU migrations (idle and dirtying, two bandwidth caps, pre-copy, hybrid and post-copy) against the simulator's prediction: total time and bytes within 20 %",
    target: 'every capped case: |time error| ≤ 20 % and |bytes error| ≤ 20 %',
  };
  try {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const file = join(root, 'examples', 'qemu', 'migration-compare.yaml');
    const spec = parseWith(MigrationCompareSchema, loadDocument(file), file);
    const rows = await compareMigrations(spec, buildGuestImage(), log);
    const measured: Claim['measured'] = {};
    let pass = true;
    for (const row of rows) {
      const judged = row.case.maxBandwidthMiBps < UNREACHABLE_LIMIT_MIB_S;
      const time = row.totalTimeError === null ? null : Math.round(row.totalTimeError * 1000) / 10;
      const bytes = Math.round(row.bytesError * 1000) / 10;
      measured[`${row.case.id}_time_error_pct`] = time;
      measured[`${row.case.id}_bytes_error_pct`] = bytes;
      measured[`${row.case.id}_real_ms`] = row.real.totalMs;
      measured[`${row.case.id}_model_ms`] = row.predicted.totalMs === null ? null : Math.round(row.predicted.totalMs);
      measured[`${row.case.id}_real_mib`] = Math.round(row.real.transferredMiB * 10) / 10;
      measured[`${row.case.id}_model_mib`] = Math.round(row.predicted.transferredMiB * 10) / 10;
      if (judged && (time === null || Math.abs(time) > 20 || Math.abs(bytes) > 20 || row.real.status !== 'completed')) pass = false;
      log(`  ${row.case.id}${judged ? '' : ' (calibration, not judged)'}: time ${time} %, bytes ${bytes} %`);
    }
    return { ...claim, measured, pass };
  } catch (error) {
    log(`  could not run: ${(error as Error).message}`);
    return { ...claim, measured: { error: (error as Error).message.slice(0, 300) }, pass: false };
  }
}

async function postcopyRecovery(log: (line: string) => void): Promise<Claim> {
  const claim = {
    id: 'real.postcopy_recovery',
    claim: 'A post-copy migration whose link is cut and restored completes with the guest intact (its workload counter keeps increasing)',
    target: "source paused when the link broke, status 'completed' after recovery, destination running, hwload's count higher 3 s later",
  };
  const dir = mkdtempSync(join(tmpdir(), 'hyperwatt-real-'));
  const vms: QemuVm[] = [];
  try {
    const image = buildGuestImage();
    const base = { memoryMiB: 128, vcpus: 1, maxVcpus: 1, kernelPath: image.kernelPath, initrdPath: image.initrdPath, workload: { kind: 'dirty', mib: 32, pagesPerSecond: 2000 } as const, runDirectory: dir };
    const source = await QemuVm.start({ ...base, name: 'rec-src' });
    vms.push(source);
    const destination = await QemuVm.start({ ...base, name: 'rec-dst', incoming: true });
    vms.push(destination);
    await source.waitForGuest(90_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const result = await postcopyWithLinkCut(source, destination, { postcopyBandwidthBytesPerSecond: 8 * 2 ** 20, cutAfterSeconds: 1, downSeconds: 2 });
    const count = (): number => Math.max(-1, ...[...destination.console().matchAll(/hwload dirty (\d+)/g)].map((m) => Number(m[1])));
    const running = (await destination.qmp.execute('query-status')).running;
    const before = count();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = count();
    log(`  link cut at ${result.cutAtSeconds.toFixed(1)} s, recovery at ${result.recoveredAtSeconds.toFixed(1)} s; ${result.statuses.join(' → ')} in ${result.totalSeconds.toFixed(1)} s; count ${before} → ${after}`);
    return {
      ...claim,
      measured: { statuses: result.statuses.join(' '), cut_at_s: Math.round(result.cutAtSeconds * 10) / 10, recovered_at_s: Math.round(result.recoveredAtSeconds * 10) / 10, total_s: Math.round(result.totalSeconds * 10) / 10, destination_running: String(running), count_before: before, count_after: after },
      pass: result.paused && result.status === 'completed' && running && after > before,
    };
  } catch (error) {
    log(`  could not run: ${(error as Error).message}`);
    return { ...claim, measured: { error: (error as Error).message.slice(0, 300) }, pass: false };
  } finally {
    for (const vm of vms) await vm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function validateReal(log: (line: string) => void): Promise<Claim[]> {
  log('\n# Real VMs (QEMU under TCG)');
  return [await cpuCap(log), await migrationModelError(log), await postcopyRecovery(log)];
}
