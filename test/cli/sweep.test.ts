/**
 * `hyperwatt sweep` through the built CLI: a 2 × 2 grid (overload threshold × seed) over the tiny scenario,
 * run whole on worker threads, and as two shards merged back together.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, expectUserError, makeWorkspace, readJson, requireBuiltCli, runCli, tinyHostScenario, writeYaml } from './cli-helpers.js';

let dir: string;
let sweepFile: string;
/** Output directories of the runs made once in beforeAll. */
let whole: string;
let wholeOneThread: string;
let shard0: string;
let shard1: string;

interface Row {
  job: number;
  scenario: string;
  parameters: Record<string, unknown>;
  seed: number;
  summary: Record<string, unknown>;
}

const THRESHOLD = 'policy.overload.threshold';

beforeAll(async () => {
  requireBuiltCli();
  ({ dir } = makeWorkspace('sweep'));
  sweepFile = join(dir, 'sweep.yaml');
  writeFileSync(sweepFile, ['name: tiny-sweep', 'scenarios: [tiny.yaml]', 'grid:', `  ${THRESHOLD}: [0.7, 0.9]`, 'seeds: [1, 2]', ''].join('\n'));
  whole = join(dir, 'whole');
  wholeOneThread = join(dir, 'whole-1');
  shard0 = join(dir, 'shard0');
  shard1 = join(dir, 'shard1');
  const results = await Promise.all([
    runCli(['sweep', sweepFile, '--jobs', '2', '--quiet', '--out', whole]),
    runCli(['sweep', sweepFile, '--jobs', '1', '--quiet', '--out', wholeOneThread]),
    runCli(['sweep', sweepFile, '--jobs', '2', '--quiet', '--shard', '0/2', '--out', shard0]),
    runCli(['sweep', sweepFile, '--jobs', '2', '--quiet', '--shard', '1/2', '--out', shard1]),
  ]);
  for (const result of results) expect(result.status, result.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rowsOf = (out: string): Row[] => readJson(join(out, 'results.json')).rows;

describe('hyperwatt sweep', () => {
  it('writes results.json and results.csv with one row per grid point and seed', () => {
    expect(readdirSync(whole).sort()).toEqual(['.hyperwatt-output', 'results.csv', 'results.json', 'timing.json']);
    const results = readJson(join(whole, 'results.json'));
    expect(results).toMatchObject({ sweep: 'tiny-sweep', totalJobs: 4, shard: { index: 0, count: 1 } });
    const rows: Row[] = results.rows;
    expect(rows.map((r) => [r.job, r.parameters[THRESHOLD], r.seed])).toEqual([
      [0, 0.7, 1],
      [1, 0.7, 2],
      [2, 0.9, 1],
      [3, 0.9, 2],
    ]);
    for (const row of rows) {
      expect(row.scenario).toBe('tiny.yaml');
      expect(row.summary).toMatchObject({ scenario: 'tiny', seed: row.seed, hosts: 4, vms: 8, sim_seconds: 3600 });
      expect(row.summary).not.toHaveProperty('wall_seconds');
    }
    const csv = readFileSync(join(whole, 'results.csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(1 + 4);
    expect(csv[0]).toMatch(/^job,scenario_file,policy\.overload\.threshold,seed,/);
    expect(csv.slice(1).map((line) => line.split(',').slice(0, 4).join(','))).toEqual([
      '0,tiny.yaml,0.7,1',
      '1,tiny.yaml,0.7,2',
      '2,tiny.yaml,0.9,1',
      '3,tiny.yaml,0.9,2',
    ]);
    expect(readJson(join(whole, 'timing.json'))).toMatchObject({ threads: 2, jobs: 4 });
  });

  it('applies the grid values: the threshold changes the results', () => {
    const rows = rowsOf(whole);
    const key = (r: Row): string => `${r.summary.energy_kwh}/${r.summary.migrations}`;
    expect(key(rows[0])).not.toBe(key(rows[2])); // 0.7 vs 0.9, seed 1
    expect(key(rows[1])).not.toBe(key(rows[3])); // 0.7 vs 0.9, seed 2
  });

  it('each row equals a single `hyperwatt run` with the same --set and --seed', async () => {
    const row = rowsOf(whole)[3];
    const single = await runCli(['run', join(dir, 'tiny.yaml'), '--json', '--no-out', '--set', `${THRESHOLD}=0.9`, '--seed', '2']);
    expect(single.status, single.stderr).toBe(0);
    const printed = JSON.parse(single.stdout);
    for (const [field, value] of Object.entries(row.summary)) expect(printed[field], field).toEqual(value);
  });

  it('results.json is byte-identical whatever the number of threads', () => {
    expect(readFileSync(join(wholeOneThread, 'results.json'), 'utf8')).toBe(readFileSync(join(whole, 'results.json'), 'utf8'));
    expect(readFileSync(join(wholeOneThread, 'results.csv'), 'utf8')).toBe(readFileSync(join(whole, 'results.csv'), 'utf8'));
  });

  // Known defect (see the report): the summary's own `scenario` and `seed` columns repeat the row's
  // `scenario` (the file) and `seed` columns, so results.csv has two columns each named scenario and seed.
  it('results.csv has unique column names', () => {
    const header = readFileSync(join(whole, 'results.csv'), 'utf8').split('\n')[0].split(',');
    expect(header.filter((name, i) => header.indexOf(name) !== i)).toEqual([]);
  });
});

describe('hyperwatt sweep --shard', () => {
  it('splits the jobs by index modulo the shard count', () => {
    expect(readJson(join(shard0, 'results.json'))).toMatchObject({ totalJobs: 4, shard: { index: 0, count: 2 } });
    expect(readJson(join(shard1, 'results.json'))).toMatchObject({ totalJobs: 4, shard: { index: 1, count: 2 } });
    expect(rowsOf(shard0).map((r) => r.job)).toEqual([0, 2]);
    expect(rowsOf(shard1).map((r) => r.job)).toEqual([1, 3]);
  });

  it('the shards together hold exactly the rows of the unsharded run', () => {
    const union = [...rowsOf(shard0), ...rowsOf(shard1)].sort((a, b) => a.job - b.job);
    expect(union).toEqual(rowsOf(whole));
  });

  it('rejects a malformed --shard with exit 2', async () => {
    const out = join(dir, 'bad-shard');
    const result = await runCli(['sweep', sweepFile, '--quiet', '--shard', '2/2', '--out', out]);
    expectUserError(result, ['--shard 2/2']);
    expect(existsSync(out)).toBe(false);
  });
});

describe('hyperwatt sweep merge', () => {
  // Known bug (see the report): `sweep` declares its own `--out` option and the program does not call
  // enablePositionalOptions(), so commander gives the `--out` after `merge` to `sweep`, and `merge` always
  // fails with "error: required option '--out <dir>' not specified" (exit 2), wherever --out is written.
  it('merging both shards gives the rows of the unsharded run', async () => {
    const merged = join(dir, 'merged');
    const result = await runCli(['sweep', 'merge', shard0, shard1, '--out', merged]);
    expect(result.status, result.stderr).toBe(0);
    const results = readJson(join(merged, 'results.json'));
    expect(results).toMatchObject({ sweep: 'tiny-sweep', totalJobs: 4, shard: { index: 0, count: 1 } });
    expect(results.rows).toEqual(rowsOf(whole));
    expect(readFileSync(join(merged, 'results.csv'), 'utf8')).toBe(readFileSync(join(whole, 'results.csv'), 'utf8'));
  });

  // Same bug: today this exits with 2, but because of the missing --out, not because a shard is missing.
  it('merging only one shard fails with exit 2, saying jobs are missing, and writes nothing', async () => {
    const merged = join(dir, 'merged-one');
    const result: CliResult = await runCli(['sweep', 'merge', shard0, '--out', merged]);
    expectUserError(result, ['2 of 4 jobs are missing']);
    expect(existsSync(merged)).toBe(false);
  });
});

describe('hyperwatt sweep over host scenarios', () => {
  it('runs a grid over a host scenario: one row per point, the host summary as columns, byte-identical results', async () => {
    const { dir: hostDir } = makeWorkspace('sweep-host');
    try {
      writeYaml(join(hostDir, 'host.yaml'), tinyHostScenario());
      const file = join(hostDir, 'sweep.yaml');
      writeFileSync(file, ['name: host-sweep', 'scenarios: [host.yaml]', 'grid:', '  vms[0].cpuPowerLimitWatts: [6, 12]', ''].join('\n'));
      const [a, b] = await Promise.all([
        runCli(['sweep', file, '--jobs', '2', '--quiet', '--out', join(hostDir, 'a')]),
        runCli(['sweep', file, '--jobs', '1', '--quiet', '--out', join(hostDir, 'b')]),
      ]);
      expect(a.status, a.stderr).toBe(0);
      expect(b.status, b.stderr).toBe(0);
      const rows: Row[] = readJson(join(hostDir, 'a', 'results.json')).rows;
      expect(rows.map((r) => r.parameters['vms[0].cpuPowerLimitWatts'])).toEqual([6, 12]);
      expect(rows[0].summary).toMatchObject({ kind: 'host', scenario: 'tiny-host' });
      expect(rows[0].summary).not.toHaveProperty('wall_seconds');
      // A lower limit: less host energy and less work.
      expect(rows[0].summary.host_energy_true_j as number).toBeLessThan(rows[1].summary.host_energy_true_j as number);
      expect(rows[0].summary.total_work_seconds as number).toBeLessThan(rows[1].summary.total_work_seconds as number);
      expect(readFileSync(join(hostDir, 'a', 'results.json'), 'utf8')).toBe(readFileSync(join(hostDir, 'b', 'results.json'), 'utf8'));
      expect(readFileSync(join(hostDir, 'a', 'results.csv'), 'utf8').split('\n')[0]).toContain('host_energy_true_j');
      // Host runs have no seed: several seeds would repeat the same run.
      writeFileSync(file, ['name: host-sweep', 'scenarios: [host.yaml]', 'seeds: [1, 2]', ''].join('\n'));
      const seeded = await runCli(['sweep', file, '--quiet', '--out', join(hostDir, 'c')]);
      expectUserError(seeded, [/host scenario \(kind: host\), which is deterministic and has no seed/]);
      expect(existsSync(join(hostDir, 'c'))).toBe(false);
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
    }
  });
});
