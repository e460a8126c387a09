/**
 * A real guest under QEMU (TCG): `hyperwatt guest build`'s image boots, answers over QMP and through its serial
 * agent, takes a balloon target, offlines and onlines a vCPU, and is stopped with nothing left running. Needs
 * qemu-system-x86, busybox-static, gcc and the Debian archive (.ci/run installs them); the guest image is cached
 * between runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuestImage, type GuestImage } from '../../src/backends/qemu/guest-image.js';
import { QemuVm } from '../../src/backends/qemu/qemu-vm.js';

let image: GuestImage;
let dir: string;
const started: QemuVm[] = [];

beforeAll(() => {
  image = buildGuestImage();
  dir = mkdtempSync(join(tmpdir(), 'hyperwatt-vm-'));
}, 300_000);

afterAll(async () => {
  for (const vm of started) await vm.stop();
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('QemuVm (a real guest under TCG)', () => {
  it('boots, answers over QMP and the agent, balloons, offlines and onlines a vCPU, and stops', async () => {
    const vm = await QemuVm.start({ name: 'g1', memoryMiB: 128, vcpus: 2, maxVcpus: 2, kernelPath: image.kernelPath, initrdPath: image.initrdPath, workload: { kind: 'counter' }, runDirectory: dir });
    started.push(vm);
    const ready = await vm.waitForGuest(90_000);
    expect(ready).toMatch(/cpus=2 workload=counter/);
    expect(await vm.qmp.execute('query-status')).toMatchObject({ running: true, status: 'running' });
    const cpus = await vm.qmp.execute('query-cpus-fast');
    expect(cpus).toHaveLength(2);
    expect(cpus.every((cpu) => cpu['thread-id'] > 0)).toBe(true);

    expect(await vm.guestCommand('cat /sys/devices/system/cpu/online')).toEqual({ output: '0-1\n', status: 0 });
    expect((await vm.guestCommand('echo 0 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online')).output).toBe('0\n');
    expect((await vm.guestCommand('echo 1 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online')).output).toBe('0-1\n');
    expect((await vm.guestCommand('false')).status).toBe(1);

    await vm.qmp.execute('balloon', { value: 96 * 2 ** 20 });
    let actual = 0;
    for (let i = 0; i < 100 && actual !== 96 * 2 ** 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      actual = (await vm.qmp.execute('query-balloon')).actual;
    }
    expect(actual).toBe(96 * 2 ** 20);

    // The counter workload keeps counting on the console.
    const counts = () => [...vm.console().matchAll(/hwload counter (\d+)/g)].map((m) => Number(m[1]));
    const before = Math.max(...counts());
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(Math.max(...counts())).toBeGreaterThan(before);

    const pid = vm.pid;
    await vm.stop();
    expect(vm.running).toBe(false);
    expect(alive(pid)).toBe(false);
  }, 180_000);

  it('a missing kernel is a clear error and starts nothing', async () => {
    await expect(QemuVm.start({ name: 'g2', memoryMiB: 128, vcpus: 1, maxVcpus: 1, kernelPath: join(dir, 'nope'), initrdPath: image.initrdPath, runDirectory: dir })).rejects.toThrow(/kernel .*nope not found/);
  });
});
