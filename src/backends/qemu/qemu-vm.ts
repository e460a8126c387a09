/**
 * One QEMU virtual machine: started from a spec, watched over QMP, driven through a command agent on its second
 * serial port, and stopped by QMP `quit` or, failing that, by its PID — never left running.
 *
 * Command line (the one the QEMU 7.2 probe on this kind of machine used, ../shared/reference/qemu/RESULTS.md §2):
 * `qemu-system-x86_64 -accel tcg -machine q35 -cpu qemu64 -m MiB -smp N,maxcpus=M -nodefaults -nographic
 * -no-reboot -kernel vmlinux -initrd initrd.gz -append "console=ttyS0 quiet panic=-1 hw.…"`, the console on a
 * socket chardev with a log file, the agent on a second socket chardev, QMP on a unix socket, and a virtio-balloon
 * device. TCG is the default because this kind of machine's KVM device runs only PVM-aware kernels (§1); a host
 * with a working KVM passes `accel: 'kvm'`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { QmpClient } from './qmp-client.js';

export interface VmSpec {
  readonly name: string;
  readonly memoryMiB: number;
  /** vCPUs online at start. */
  readonly vcpus: number;
  /** The most vCPUs (hot-plug slots). */
  readonly maxVcpus: number;
  readonly kernelPath: string;
  readonly initrdPath: string;
  /** What the guest's /init starts (guest/init.sh). */
  readonly workload?: { readonly kind: 'idle' | 'dirty' | 'spin' | 'counter'; readonly mib?: number; readonly pagesPerSecond?: number };
  readonly balloon?: boolean;
  readonly accel?: 'tcg' | 'kvm';
  /** `-incoming defer`: wait for a migration (the destination of one). */
  readonly incoming?: boolean;
  /** Where the sockets and the console log go. */
  readonly runDirectory: string;
  /** The QEMU binary (default `qemu-system-x86_64` on the PATH). */
  readonly qemuBinary?: string;
  /**
   * Let QEMU outlive this process (a node agent's VMs survive an agent restart, which reattaches with `attach`): its
   * own process group, stderr to `<name>.stderr.log`, and not killed when Node exits.
   */
  readonly detached?: boolean;
}

/**
 * QEMU processes started by this Node process and not yet exited. If Node exits without stopping them (a crash, an
 * uncaught error), they are killed on the way out: no QEMU outlives the program that started it.
 */
const LIVE = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  LIVE.add(child);
  child.once('exit', () => LIVE.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const live of LIVE) live.kill('SIGKILL');
    });
  }
}

/** The guest's /init prints this line on the console when it is ready (guest/init.sh). */
export const GUEST_READY_MARK = 'HYPERWATT-GUEST-READY';

export class QemuVm {
  readonly spec: VmSpec;
  /** The QEMU process we started (null for one we reattached to: see `attach`). */
  readonly process: ChildProcess | null;
  readonly pid: number;
  readonly qmp: QmpClient;
  readonly consoleLogPath: string;
  readonly agentSocketPath: string;
  private exited = false;
  private readonly exitPromise: Promise<number | null>;
  private stderr = '';

  private constructor(spec: VmSpec, child: ChildProcess | null, pid: number, qmp: QmpClient, exitPromise: Promise<number | null>) {
    this.spec = spec;
    this.process = child;
    this.pid = pid;
    this.qmp = qmp;
    this.consoleLogPath = join(spec.runDirectory, `${spec.name}.console.log`);
    this.agentSocketPath = join(spec.runDirectory, `${spec.name}.agent`);
    this.exitPromise = exitPromise;
  }

  /** The QEMU arguments for a spec. */
  static commandLine(spec: VmSpec): string[] {
    const dir = spec.runDirectory;
    const workload = spec.workload ?? { kind: 'idle' };
    const append = ['console=ttyS0', 'quiet', 'panic=-1', `hw.workload=${workload.kind}`, `hw.mib=${workload.mib ?? 32}`, `hw.rate=${workload.pagesPerSecond ?? 0}`].join(' ');
    const args = [
      '-accel', spec.accel ?? 'tcg',
      '-machine', 'q35',
      '-cpu', 'qemu64',
      '-m', String(spec.memoryMiB),
      '-smp', `${spec.vcpus},maxcpus=${spec.maxVcpus}`,
      '-nodefaults', '-nographic', '-no-reboot',
      '-kernel', spec.kernelPath,
      '-initrd', spec.initrdPath,
      '-append', append,
      '-chardev', `socket,id=console0,path=${join(dir, `${spec.name}.console`)},server=on,wait=off,logfile=${join(dir, `${spec.name}.console.log`)}`,
      '-serial', 'chardev:console0',
      '-chardev', `socket,id=agent0,path=${join(dir, `${spec.name}.agent`)},server=on,wait=off`,
      '-serial', 'chardev:agent0',
      '-qmp', `unix:${join(dir, `${spec.name}.qmp`)},server=on,wait=off`,
    ];
    if (spec.balloon ?? true) args.push('-device', 'virtio-balloon-pci,id=balloon0');
    if (spec.incoming) args.push('-incoming', 'defer');
    return args;
  }

  /** Starts QEMU and connects to its QMP socket. */
  static async start(spec: VmSpec): Promise<QemuVm> {
    if (!existsSync(spec.kernelPath)) throw new Error(`${spec.name}: kernel ${spec.kernelPath} not found (run hyperwatt guest build)`);
    mkdirSync(spec.runDirectory, { recursive: true });
    let stderr = '';
    let child: ChildProcess;
    if (spec.detached) {
      const stderrFile = openSync(join(spec.runDirectory, `${spec.name}.stderr.log`), 'a');
      child = spawn(spec.qemuBinary ?? 'qemu-system-x86_64', QemuVm.commandLine(spec), { stdio: ['ignore', 'ignore', stderrFile], detached: true });
      closeSync(stderrFile);
      child.unref();
    } else {
      child = spawn(spec.qemuBinary ?? 'qemu-system-x86_64', QemuVm.commandLine(spec), { stdio: ['ignore', 'ignore', 'pipe'] });
      trackChild(child);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
      });
    }
    const exitPromise = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(null));
    });
    let qmp: QmpClient;
    try {
      qmp = await Promise.race([
        QmpClient.connect(join(spec.runDirectory, `${spec.name}.qmp`), { connectTimeoutMs: 10_000, oob: true }),
        exitPromise.then((code) => {
          throw new Error(`${spec.name}: QEMU exited (${code}) before its QMP socket opened: ${stderr.trim().slice(0, 500)}`);
        }),
      ]);
    } catch (error) {
      child.kill('SIGKILL');
      await exitPromise;
      throw error;
    }
    const vm = new QemuVm(spec, child, child.pid!, qmp, exitPromise);
    vm.stderr = stderr;
    void exitPromise.then(() => {
      vm.exited = true;
    });
    return vm;
  }

  /**
   * Reattaches to a QEMU process started earlier (by an agent that has since restarted): connects to its QMP socket
   * and watches its PID. Fails if the process is gone or its QMP socket does not answer.
   */
  static async attach(spec: VmSpec, pid: number): Promise<QemuVm> {
    if (!processAlive(pid)) throw new Error(`${spec.name}: QEMU process ${pid} is gone`);
    const qmp = await QmpClient.connect(join(spec.runDirectory, `${spec.name}.qmp`), { connectTimeoutMs: 5000, oob: true });
    const exitPromise = new Promise<number | null>((resolve) => {
      const timer = setInterval(() => {
        if (!processAlive(pid)) {
          clearInterval(timer);
          resolve(null);
        }
      }, 200);
      timer.unref();
    });
    const vm = new QemuVm(spec, null, pid, qmp, exitPromise);
    void exitPromise.then(() => {
      vm.exited = true;
    });
    return vm;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Waits until the guest's /init says it is ready (a line on the console). */
  async waitForGuest(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const console = existsSync(this.consoleLogPath) ? readFileSync(this.consoleLogPath, 'utf8') : '';
      const line = console.split('\n').find((l) => l.includes(GUEST_READY_MARK));
      if (line) return line.trim();
      if (this.exited) throw new Error(`${this.spec.name}: QEMU exited before the guest was ready: ${this.stderr.trim().slice(0, 500)}`);
      if (Date.now() > deadline) throw new Error(`${this.spec.name}: the guest was not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The console output so far. */
  console(): string {
    return existsSync(this.consoleLogPath) ? readFileSync(this.consoleLogPath, 'utf8') : '';
  }

  /** Runs a shell command in the guest through the agent; returns its output and exit status. */
  async guestCommand(command: string, timeoutMs = 30_000): Promise<{ output: string; status: number }> {
    const socket = await openAgent(this.agentSocketPath);
    try {
      return await new Promise((resolve, reject) => {
        let buffer = '';
        const timer = setTimeout(() => reject(new Error(`${this.spec.name}: guest command timed out after ${timeoutMs} ms: ${command}`)), timeoutMs);
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          buffer += chunk;
          const match = /(?:^|\n)@@HW (\d+)\r?\n/.exec(buffer);
          if (match) {
            clearTimeout(timer);
            // The output keeps its last line break (the one before the mark).
            const end = match.index + (buffer[match.index] === '\n' ? 1 : 0);
            resolve({ output: buffer.slice(0, end).replace(/\r/g, ''), status: Number(match[1]) });
          }
        });
        socket.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        socket.write(`${command}\n`);
      });
    } finally {
      socket.destroy();
    }
  }

  /** Stops QEMU: QMP `quit`, then SIGKILL by PID if it has not exited within `graceMs`. Idempotent. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.exited) {
      await this.qmp.execute('quit', undefined, { timeoutMs: graceMs }).catch(() => {});
      const exited = await Promise.race([this.exitPromise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs))]);
      if (!exited) {
        if (this.process) this.process.kill('SIGKILL');
        else process.kill(this.pid, 'SIGKILL');
        await this.exitPromise;
      }
    }
    this.qmp.close();
  }
}

/** Whether a process runs (not gone, not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its parent) still answers signal 0: look at its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function openAgent(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}
