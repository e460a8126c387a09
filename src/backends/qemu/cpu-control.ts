/**
 * CPU control and accounting of a QEMU process on the host:
 * - a CPU cap with the cgroup v1 `cpu` controller (CFS bandwidth: `cpu.cfs_quota_us` of run time per
 *   `cpu.cfs_period_us`), the real counterpart of the simulator's stride allocations whose unallotted turns become
 *   halt cycles; this kind of machine has cgroup v1 `cpu`, `cpuacct` and `cpuset` mounted under /sys/fs/cgroup
 *   (Linux's Documentation/scheduler/sched-bwc.rst);
 * - pinning a thread (a vCPU) to cores with `taskset` (sched_setaffinity);
 * - CPU seconds of a process or of one of its threads from /proc (fields 14 and 15 of `stat`, utime and stime, in
 *   clock ticks: `getconf CLK_TCK`, 100 on Linux x86-64).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CPU_CONTROLLER = '/sys/fs/cgroup/cpu';
/** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on Linux x86-64). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat, seconds. */
export function cpuSecondsOf(pid: number, tid?: number): number {
  const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** The thread ids of a process. */
export function threadsOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map(Number);
}

/** Whether this host lets us cap CPU with the cgroup v1 cpu controller. */
export function cgroupCpuAvailable(): boolean {
  return existsSync(join(CPU_CONTROLLER, 'cpu.cfs_quota_us'));
}

/** A CPU cap on a process (all its threads), until released. */
export class CpuCap {
  readonly path: string;
  /** The cap now, cores. */
  cores = 0;
  private released = false;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Caps a process at `cores` cores' worth of CPU (0.3: 30 % of one core) per `periodMicroseconds` (default
   * 100,000, CFS's default period).
   */
  static apply(name: string, pid: number, cores: number, periodMicroseconds = 100_000): CpuCap {
    if (!cgroupCpuAvailable()) throw new Error(`cannot cap CPU: no cgroup v1 cpu controller at ${CPU_CONTROLLER}`);
    if (!(cores > 0)) throw new RangeError(`CpuCap: cores must be positive, got ${cores}`);
    const path = join(CPU_CONTROLLER, 'hyperwatt', `${name}-${pid}`);
    mkdirSync(path, { recursive: true });
    const cap = new CpuCap(path);
    cap.set(cores, periodMicroseconds);
    // cgroup v1: writing a pid to cgroup.procs moves all its threads.
    writeFileSync(join(path, 'cgroup.procs'), String(pid));
    return cap;
  }

  /** The cap left on a process by an earlier owner (a restarted agent), if any. */
  static find(name: string, pid: number): CpuCap | null {
    const path = join(CPU_CONTROLLER, 'hyperwatt', `${name}-${pid}`);
    if (!existsSync(join(path, 'cpu.cfs_quota_us'))) return null;
    const cap = new CpuCap(path);
    const quota = Number(readFileSync(join(path, 'cpu.cfs_quota_us'), 'utf8'));
    const period = Number(readFileSync(join(path, 'cpu.cfs_period_us'), 'utf8'));
    cap.cores = quota > 0 && period > 0 ? quota / period : 0;
    return cap;
  }

  /** Changes the cap. */
  set(cores: number, periodMicroseconds = 100_000): void {
    this.cores = cores;
    writeFileSync(join(this.path, 'cpu.cfs_period_us'), String(Math.round(periodMicroseconds)));
    writeFileSync(join(this.path, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(cores * periodMicroseconds))));
  }

  /** Moves the process's threads back to the root group and removes the group. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (!existsSync(this.path)) return;
    const tasks = readFileSync(join(this.path, 'tasks'), 'utf8').split('\n').filter(Boolean);
    for (const task of tasks) {
      try {
        appendFileSync(join(CPU_CONTROLLER, 'tasks'), task);
      } catch {
        /* the thread has exited */
      }
    }
    try {
      rmdirSync(this.path);
    } catch {
      /* a thread raced in; the group is empty once QEMU exits */
    }
  }
}

/** Pins a thread to the given cores (`taskset -p -c`). */
export function pinThread(tid: number, cores: readonly number[]): void {
  execFileSync('taskset', ['-p', '-c', cores.join(','), String(tid)], { stdio: 'ignore' });
}
