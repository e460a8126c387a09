/**
 * The node agent's state in an embedded SQLite database (better-sqlite3: synchronous, one file, no server), so that a
 * restarted agent finds its VMs and reattaches to them: each VM's spec, QEMU's PID and run directory, its state, and
 * the energy charged to it so far.
 */
import Database from 'better-sqlite3';
import type { VmSpec } from './qemu-vm.js';

export type StoredVmState = 'running' | 'stopped' | 'lost' | 'migrated';

export interface StoredVm {
  readonly name: string;
  readonly spec: VmSpec;
  readonly pid: number;
  readonly state: StoredVmState;
  readonly energyJoules: number;
  readonly startedAt: string;
}

export class AgentStore {
  private readonly db: Database.Database;

  /** Opens (or creates) the store at `path` (`:memory:` for tests that do not restart). */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS vms (
      name TEXT PRIMARY KEY,
      spec TEXT NOT NULL,
      pid INTEGER NOT NULL,
      state TEXT NOT NULL,
      energy_joules REAL NOT NULL DEFAULT 0,
      started_at TEXT NOT NULL
    )`);
  }

  put(vm: { name: string; spec: VmSpec; pid: number; state: StoredVmState }): void {
    this.db
      .prepare('INSERT INTO vms (name, spec, pid, state, energy_joules, started_at) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, pid = excluded.pid, state = excluded.state, energy_joules = 0, started_at = excluded.started_at')
      .run(vm.name, JSON.stringify(vm.spec), vm.pid, vm.state, new Date().toISOString());
  }

  setState(name: string, state: StoredVmState): void {
    this.db.prepare('UPDATE vms SET state = ? WHERE name = ?').run(state, name);
  }

  setEnergy(name: string, energyJoules: number): void {
    this.db.prepare('UPDATE vms SET energy_joules = ? WHERE name = ?').run(energyJoules, name);
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM vms WHERE name = ?').run(name);
  }

  get(name: string): StoredVm | undefined {
    const row = this.db.prepare('SELECT * FROM vms WHERE name = ?').get(name) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): StoredVm[] {
    return (this.db.prepare('SELECT * FROM vms ORDER BY name').all() as Row[]).map(fromRow);
  }

  close(): void {
    this.db.close();
  }
}

interface Row {
  name: string;
  spec: string;
  pid: number;
  state: StoredVmState;
  energy_joules: number;
  started_at: string;
}

function fromRow(row: Row): StoredVm {
  return { name: row.name, spec: JSON.parse(row.spec) as VmSpec, pid: row.pid, state: row.state, energyJoules: row.energy_joules, startedAt: row.started_at };
}
