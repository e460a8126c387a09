/**
 * vCPU hot-plug and hot-unplug of a QEMU guest, for vCPU ballooning on real VMs.
 *
 * Plugging: a free slot from `query-hotpluggable-cpus` is filled with `device_add`; the guest's kernel sees a new CPU,
 * offline (Debian's kernel does not online hot-added CPUs by itself), and the agent onlines it through sysfs.
 * Unplugging: the agent offlines the CPU, then `device_del` ejects it (ACPI) and QEMU's vCPU thread ends.
 *
 * QEMU 7.2 crashes when a slot that was unplugged is plugged again (`corrupted double-linked list`; the probe on this
 * kind of machine, ../shared/reference/qemu/RESULTS.md §4), so a slot is never plugged twice: once every slot has been
 * used, `plug` refuses and says to balloon by offlining in the guest instead (`setOnline`), which is cheaper anyway.
 */
import type { QemuVm } from './qemu-vm.js';

type Slot = { type: string; props: Record<string, number>; 'qom-path'?: string };
const slotKey = (slot: Slot): string => JSON.stringify(Object.entries(slot.props).sort());

export class VcpuHotplug {
  private readonly vm: QemuVm;
  /** Slots ever filled (at boot or by us): never to be plugged again. */
  private readonly used = new Set<string>();
  private readonly plugged = new Map<string, { key: string; cpu: number }>();
  private nextId = 0;

  private constructor(vm: QemuVm) {
    this.vm = vm;
  }

  /** Starts tracking a VM's slots (the ones filled at boot count as used). */
  static async attach(vm: QemuVm): Promise<VcpuHotplug> {
    const hotplug = new VcpuHotplug(vm);
    for (const slot of await hotplug.slots()) if (slot['qom-path']) hotplug.used.add(slotKey(slot));
    return hotplug;
  }

  private async slots(): Promise<Slot[]> {
    return (await this.vm.qmp.execute('query-hotpluggable-cpus')) as Slot[];
  }

  /** vCPUs QEMU runs now. */
  async vcpuCount(): Promise<number> {
    return (await this.vm.qmp.execute('query-cpus-fast')).length;
  }

  /** Plugs a vCPU into a never-used slot and onlines it in the guest; returns its device id. */
  async plug(timeoutMs = 20_000): Promise<string> {
    const free = (await this.slots()).find((slot) => !slot['qom-path'] && !this.used.has(slotKey(slot)));
    if (!free) throw new Error(`${this.vm.spec.name}: no never-used vCPU slot left (QEMU 7.2 crashes when a slot is plugged again); balloon by offlining vCPUs in the guest instead`);
    const before = new Set((await this.vm.guestCommand('ls /sys/devices/system/cpu | grep -E "^cpu[0-9]+$"')).output.split('\n').filter(Boolean));
    const id = `hw-vcpu-${this.nextId++}`;
    this.used.add(slotKey(free));
    await this.vm.qmp.execute('device_add', { driver: free.type, id, ...free.props });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = (await this.vm.guestCommand('ls /sys/devices/system/cpu | grep -E "^cpu[0-9]+$"')).output.split('\n').filter(Boolean);
      const added = now.find((name) => !before.has(name));
      if (added) {
        const cpu = Number(added.slice(3));
        await this.setOnline(cpu, true);
        this.plugged.set(id, { key: slotKey(free), cpu });
        return id;
      }
      if (Date.now() > deadline) throw new Error(`${this.vm.spec.name}: the guest did not see vCPU ${id} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Offlines a plugged vCPU in the guest and ejects it. */
  async unplug(id: string, timeoutMs = 20_000): Promise<void> {
    const entry = this.plugged.get(id);
    if (!entry) throw new Error(`${this.vm.spec.name}: no vCPU ${id} was plugged here`);
    await this.setOnline(entry.cpu, false);
    const count = await this.vcpuCount();
    await this.vm.qmp.execute('device_del', { id });
    const deadline = Date.now() + timeoutMs;
    while ((await this.vcpuCount()) >= count) {
      if (Date.now() > deadline) throw new Error(`${this.vm.spec.name}: vCPU ${id} was not ejected within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    this.plugged.delete(id);
  }

  /** Onlines or offlines guest CPU `cpu` through the agent (cpu0 cannot go offline). */
  async setOnline(cpu: number, online: boolean): Promise<void> {
    const result = await this.vm.guestCommand(`echo ${online ? 1 : 0} > /sys/devices/system/cpu/cpu${cpu}/online`);
    if (result.status !== 0) throw new Error(`${this.vm.spec.name}: cannot ${online ? 'online' : 'offline'} cpu${cpu}: ${result.output.trim()}`);
  }

  /** The guest's online CPUs, as sysfs lists them (e.g. `0-1`). */
  async onlineList(): Promise<string> {
    return (await this.vm.guestCommand('cat /sys/devices/system/cpu/online')).output.trim();
  }
}
