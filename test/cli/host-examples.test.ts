/**
 * The host examples (examples/host/*.yaml) double as regression tests: each runs through the built CLI in well
 * under ten seconds and shows what its comment header says it shows. The checks are the qualitative claims of
 * those headers (a VM held to its limit, balancing instead of throttling, the driver's energy charged to its
 * clients…), with margins, so that retuning a model's constants does not break them while breaking the mechanism
 * does.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, readJson, requireBuiltCli, ROOT, runCli } from './cli-helpers.js';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = makeTempDir('host-examples');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLES = join(ROOT, 'examples', 'host');

type Row = Record<string, string>;

/** A CSV file without quoted fields as rows keyed by the header. */
function readCsv(file: string): Row[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, index) => [columns[index], value])));
}

interface ExampleRun {
  summary: Record<string, any>;
  vms: Map<string, Row>;
  threads: Map<string, Row>;
  wallMilliseconds: number;
}

async function runExample(name: string, out: string, ...extra: string[]): Promise<ExampleRun> {
  const started = performance.now();
  const result = await runCli(['run', join(EXAMPLES, `${name}.yaml`), '--out', join(dir, out), ...extra]);
  const wallMilliseconds = performance.now() - started;
  expect(result.status, result.stderr).toBe(0);
  return {
    summary: readJson(join(dir, out, 'summary.json')),
    vms: new Map(readCsv(join(dir, out, 'vms.csv')).map((row) => [row.vm, row])),
    threads: new Map(readCsv(join(dir, out, 'threads.csv')).map((row) => [row.thread, row])),
    wallMilliseconds,
  };
}

const number = (row: Row | undefined, column: string): number => Number(row?.[column]);

describe.concurrent('host examples', () => {
  it('every example validates', async () => {
    const files = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'));
    expect(files.sort()).toEqual(['governors.yaml', 'guest-level.yaml', 'misbehaving-guest.yaml', 'power-cap.yaml', 'recursive-disk.yaml', 'thermal-balancing.yaml']);
    const results = await Promise.all(files.map((file) => runCli(['validate', join(EXAMPLES, file)])));
    for (const result of results) expect(result.status, result.stderr).toBe(0);
  });

  it('power-cap: the capped VM is held to 12 W, its neighbours keep their throughput', async () => {
    const run = await runExample('power-cap', 'power-cap');
    expect(run.wallMilliseconds).toBeLessThan(10_000);
    const capped = run.vms.get('capped');
    expect(number(capped, 'max_window_true_watts')).toBeLessThanOrEqual(12 * 1.03);
    expect(number(capped, 'mean_cpu_watts')).toBeLessThanOrEqual(12 * 1.01);
    // Each uncapped VM's vCPUs share their cores with the capped ones but keep at least half of them.
    for (const name of ['neighbour', 'memory']) expect(number(run.vms.get(name), 'work_seconds'), name).toBeGreaterThanOrEqual(0.99 * 1.5 * run.summary.sim_seconds);
  });

  it('thermal-balancing: balancing keeps the cores under 64 °C with little throttling; without it they throttle', async () => {
    const [balanced, unbalanced] = await Promise.all([
      runExample('thermal-balancing', 'thermal-on'),
      runExample('thermal-balancing', 'thermal-off', '--set', 'manager.coreLimit.balancing=false'),
    ]);
    expect(balanced.wallMilliseconds).toBeLessThan(10_000);
    expect(balanced.summary.balancing_moves).toBeGreaterThan(0);
    expect(balanced.summary.throttled_core_seconds).toBeLessThan(0.5);
    expect(balanced.summary.max_core_temperature_c).toBeLessThan(64.5);
    expect(unbalanced.summary.balancing_moves).toBe(0);
    expect(unbalanced.summary.throttled_core_seconds).toBeGreaterThan(2);
    expect(number(unbalanced.vms.get('compute'), 'work_seconds')).toBeLessThan(0.95 * number(balanced.vms.get('compute'), 'work_seconds'));
  });

  it('recursive-disk: the driver’s CPU energy is charged to the guests whose requests it served', async () => {
    const run = await runExample('recursive-disk', 'recursive-disk');
    expect(run.wallMilliseconds).toBeLessThan(10_000);
    const driver = run.vms.get('driver');
    expect(driver?.kind).toBe('driver');
    const driverOwn = number(driver, 'cpu_active_j');
    expect(driverOwn).toBeGreaterThan(1);
    // The driver keeps none of it; the disk clients get it all, storage (large requests) the most.
    expect(Math.abs(number(driver, 'cpu_estimated_j'))).toBeLessThan(1e-6 * driverOwn + 1e-9);
    const storage = number(run.vms.get('storage'), 'recursive_j');
    const database = number(run.vms.get('database'), 'recursive_j');
    expect(storage + database).toBeCloseTo(driverOwn, 0);
    expect(storage).toBeGreaterThan(database);
    expect(database).toBeGreaterThan(0);
    for (const name of ['web', 'batch']) expect(number(run.vms.get(name), 'recursive_j'), name).toBe(0);
    // Per byte, the small-request guest pays more: the fixed per-request cost dominates its requests.
    const perMiB = (name: string): number => number(run.vms.get(name), 'recursive_j') / number(run.vms.get(name), 'disk_mib');
    expect(perMiB('database')).toBeGreaterThan(2 * perMiB('storage'));
  });

  it('guest-level: the energy-aware guest keeps its VM near its 14 W budget and the indexer well under half the CPU', async () => {
    const run = await runExample('guest-level', 'guest-level');
    expect(run.wallMilliseconds).toBeLessThan(10_000);
    expect(number(run.vms.get('aware'), 'mean_cpu_watts')).toBeLessThanOrEqual(14 * 1.03);
    expect(run.vms.get('aware')?.cpu_limit_watts).toBe(''); // no host limit: the guest does it alone
    const indexer = run.threads.get('aware/indexer');
    const render = run.threads.get('aware/render');
    expect(number(indexer, 'limit_watts')).toBe(4);
    expect(number(render, 'limit_watts')).toBe(10);
    expect(number(indexer, 'cpu_seconds')).toBeLessThan(0.5 * number(render, 'cpu_seconds'));
  });

  it('misbehaving-guest: the host holds a VM without a guest policy to its 15 W limit', async () => {
    const run = await runExample('misbehaving-guest', 'misbehaving-guest');
    expect(run.wallMilliseconds).toBeLessThan(10_000);
    const greedy = run.vms.get('greedy');
    expect(number(greedy, 'cpu_limit_watts')).toBe(15);
    expect(number(greedy, 'max_window_true_watts')).toBeLessThanOrEqual(15 * 1.03);
    expect(number(greedy, 'max_window_estimated_watts')).toBeLessThanOrEqual(15 * 1.03);
  });

  it('governors: ondemand slows the idle cores and saves energy; powersave halves the busy VM’s work', async () => {
    const [ondemand, performance, powersave] = await Promise.all([
      runExample('governors', 'governors'),
      runExample('governors', 'governors-performance', '--set', 'host.governor=performance'),
      runExample('governors', 'governors-powersave', '--set', 'host.governor=powersave'),
    ]);
    expect(ondemand.wallMilliseconds).toBeLessThan(10_000);
    expect(ondemand.summary.slow_pstate_core_seconds).toBeGreaterThan(0.9 * 2 * ondemand.summary.sim_seconds);
    expect(performance.summary.slow_pstate_core_seconds).toBe(0);
    expect(ondemand.summary.host_energy_true_j).toBeLessThan(0.95 * performance.summary.host_energy_true_j);
    // The busy VM keeps its work under ondemand, not under powersave.
    const busyWork = (run: ExampleRun): number => number(run.vms.get('busy'), 'work_seconds');
    expect(busyWork(ondemand)).toBeCloseTo(busyWork(performance), 1);
    expect(busyWork(powersave)).toBeLessThan(0.6 * busyWork(performance));
  });
});
