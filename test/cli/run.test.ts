/**
 * `hyperwatt run`, `validate` and `schema` end to end, through the built CLI: the files a run writes, the
 * `--json`, `--no-out`, `--set` and `--seed` options, and the safety rules of the output directory.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FRACTION_FIELDS,
  JSON_FIELDS,
  makeTempDir,
  makeWorkspace,
  parseSingleJsonObject,
  readJson,
  requireBuiltCli,
  runCli,
  snapshotTree,
  tinyScenario,
  writeYaml,
  expectUserError,
} from './cli-helpers.js';

let dir: string;
let scenario: string;

beforeAll(() => {
  requireBuiltCli();
  ({ dir, scenario } = makeWorkspace('run'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUTPUT_FILES = ['.hyperwatt-output', 'datacenter.csv', 'hosts.csv', 'report.html', 'scenario.json', 'summary.json'];

// Tests that write only below their own output directory run concurrently; the suite stays a few seconds.
describe.concurrent('hyperwatt run', () => {
  it('writes summary.json, scenario.json, the CSV files, report.html and the marker', async () => {
    const out = join(dir, 'out-basic');
    const result = await runCli(['run', scenario, '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(OUTPUT_FILES);
    // The terminal summary names the run and where it was written.
    expect(result.stdout).toContain('tiny (cloudsim-3.0.3, seed 1)');
    expect(result.stdout).toContain(`wrote ${out}/`);

    const summary = readJson(join(out, 'summary.json'));
    expect(summary).toMatchObject({ scenario: 'tiny', mode: 'cloudsim-3.0.3', seed: 1, hosts: 4, vms: 8, sim_seconds: 3600 });
    for (const field of [...JSON_FIELDS.filter((f) => f !== 'wall_seconds'), 'average_sla_violation']) {
      expect(typeof summary[field], field).toBe('number');
      expect(Number.isFinite(summary[field]), field).toBe(true);
    }
    for (const field of FRACTION_FIELDS) {
      expect(summary[field], field).toBeGreaterThanOrEqual(0);
      expect(summary[field], field).toBeLessThanOrEqual(1);
    }
    expect(summary.energy_kwh).toBeGreaterThan(0);
    expect(Number.isInteger(summary.migrations)).toBe(true);
    expect(summary.migrations).toBeGreaterThan(0); // the tiny scenario does overload hosts
    expect(summary.slav).toBeCloseTo(summary.slatah * summary.pdm, 12);
    expect(summary.esv).toBeCloseTo(summary.energy_kwh * summary.slav, 12);
    // Wall-clock time would make summary.json differ between identical runs.
    expect(summary).not.toHaveProperty('wall_seconds');

    // scenario.json is the resolved scenario, defaults filled in.
    const resolved = readJson(join(out, 'scenario.json'));
    expect(resolved).toMatchObject({ name: 'tiny', seed: 1, hosts: { count: 4 } });
    expect(resolved.hosts.types[0].storageMB).toBe(1_000_000);
    expect(resolved.policy.placement).toEqual({ name: 'pabfd' });

    // Time series: a header and one row per scheduling interval (per host for hosts.csv).
    const dataCenter = readFileSync(join(out, 'datacenter.csv'), 'utf8').trim().split('\n');
    const hosts = readFileSync(join(out, 'hosts.csv'), 'utf8').trim().split('\n');
    expect(dataCenter.length).toBeGreaterThan(1);
    expect(hosts.length - 1).toBe((dataCenter.length - 1) * 4);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('--json prints exactly one JSON object with the summary figures, agreeing with summary.json', async () => {
    const out = join(dir, 'out-json');
    const result = await runCli(['run', scenario, '--json', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const printed = parseSingleJsonObject(result.stdout);
    for (const field of JSON_FIELDS) {
      expect(printed, field).toHaveProperty(field);
      expect(typeof printed[field], field).toBe('number');
    }
    for (const field of FRACTION_FIELDS) {
      expect(printed[field], field).toBeGreaterThanOrEqual(0);
      expect(printed[field], field).toBeLessThanOrEqual(1);
    }
    expect(printed.wall_seconds).toBeGreaterThan(0);
    // Everything in summary.json is also printed, with the same value.
    const summary = readJson(join(out, 'summary.json'));
    for (const [key, value] of Object.entries(summary)) expect(printed[key], key).toEqual(value);
    // Progress is not mixed into stdout, nor printed at all with --json.
    expect(result.stderr).toBe('');
  });

  it('--no-out writes nothing, not even the default out/<name>', async () => {
    // Its own workspace, so concurrent tests writing next to the shared scenario do not disturb the check.
    const own = makeWorkspace('no-out');
    const cwd = makeTempDir('no-out-cwd');
    try {
      const before = snapshotTree(own.dir);
      const result = await runCli(['run', own.scenario, '--no-out', '--quiet'], { cwd });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain('energy');
      expect(result.stdout).not.toContain('wrote ');
      expect(readdirSync(cwd)).toEqual([]);
      expect(snapshotTree(own.dir)).toEqual(before);
    } finally {
      rmSync(own.dir, { recursive: true, force: true });
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('without --out writes out/<scenario name> relative to the working directory', async () => {
    const cwd = makeTempDir('default-out');
    try {
      const result = await runCli(['run', scenario, '--quiet'], { cwd });
      expect(result.status, result.stderr).toBe(0);
      expect(readdirSync(join(cwd, 'out', 'tiny')).sort()).toEqual(OUTPUT_FILES);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('--set overrides a field, and scenario.json and the results reflect it', async () => {
    const base = join(dir, 'out-set-base');
    const changed = join(dir, 'out-set-changed');
    const [a, b] = await Promise.all([
      runCli(['run', scenario, '--quiet', '--out', base]),
      runCli(['run', scenario, '--quiet', '--out', changed, '--set', 'policy.overload.threshold=0.95', '--set', 'hosts.count=6']),
    ]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const resolved = readJson(join(changed, 'scenario.json'));
    expect(resolved.policy.overload).toEqual({ name: 'thr', threshold: 0.95 });
    expect(resolved.hosts.count).toBe(6);
    expect(readJson(join(base, 'scenario.json')).policy.overload.threshold).toBe(0.8);
    const summary = readJson(join(changed, 'summary.json'));
    expect(summary.hosts).toBe(6);
    expect(summary.migrations).not.toBe(readJson(join(base, 'summary.json')).migrations);
  });

  it('--seed sets summary.seed and scenario.json seed (and wins over the file)', async () => {
    const out = join(dir, 'out-seed');
    const result = await runCli(['run', scenario, '--quiet', '--seed', '7', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(readJson(join(out, 'summary.json')).seed).toBe(7);
    expect(readJson(join(out, 'scenario.json')).seed).toBe(7);
    expect(result.stdout).toContain('seed 7');
  });

  it('accepts a JSON scenario file', async () => {
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(tinyScenario(), null, 2));
    const result = await runCli(['run', file, '--json', '--no-out']);
    expect(result.status, result.stderr).toBe(0);
    const yaml = await runCli(['run', scenario, '--json', '--no-out']);
    const { wall_seconds: _a, process_cpu_seconds: _b, max_rss_mib: _rb, ...fromJson } = parseSingleJsonObject(result.stdout);
    const { wall_seconds: _c, process_cpu_seconds: _d, max_rss_mib: _rd, ...fromYaml } = parseSingleJsonObject(yaml.stdout);
    expect(fromJson).toEqual(fromYaml);
  });

  it('rejects a bad --seed value with exit 2', async () => {
    const result = await runCli(['run', scenario, '--no-out', '--seed', 'abc']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--seed');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe.concurrent('hyperwatt validate', () => {
  it('accepts the tiny scenario and says what it found', async () => {
    const result = await runCli(['validate', scenario]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${scenario}: valid (4 hosts, 8 VMs, mode cloudsim-3.0.3)\n`);
  });

  it('accepts the PlanetLab example with its 1052 trace files and VM-order file', async () => {
    const result = await runCli(['validate', 'examples/planetlab/lr-mmt.yaml']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('valid (800 hosts, 1052 VMs, mode cloudsim-3.0.3)');
  });

  it('applies --set before validating', async () => {
    const result = await runCli(['validate', scenario, '--set', 'hosts.count=10']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('valid (10 hosts, 8 VMs');
  });
});

describe('hyperwatt schema', () => {
  it('prints a JSON Schema whose properties include hosts, policy and workload', async () => {
    const result = await runCli(['schema']);
    expect(result.status, result.stderr).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'mode', 'hosts', 'vms', 'policy', 'workload']));
    // Strict objects: editors flag unknown keys too.
    expect(schema.additionalProperties).toBe(false);
  });

  it('--host prints the host scenario format', async () => {
    const result = await runCli(['schema', '--host']);
    expect(result.status, result.stderr).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['kind', 'name', 'host', 'vms', 'manager', 'accounting']));
    expect(schema.properties.kind.const).toBe('host');
  });
});

describe('output directory safety', () => {
  it('refuses an existing non-empty directory that Hyperwatt did not write, leaving it untouched', async () => {
    const out = join(dir, 'precious');
    mkdirSync(join(out, 'sub'), { recursive: true });
    writeFileSync(join(out, 'thesis.tex'), '\\documentclass{article}\n');
    writeFileSync(join(out, 'sub', 'data.csv'), '1,2,3\n');
    const before = snapshotTree(out);
    const siblingsBefore = readdirSync(dir).sort();
    const result = await runCli(['run', scenario, '--quiet', '--out', out]);
    expectUserError(result, [out, 'refusing', '.hyperwatt-output']);
    expect(snapshotTree(out)).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(siblingsBefore); // no temporary directory left behind
  });

  it('refuses an --out path that is a regular file', async () => {
    const out = join(dir, 'a-file');
    writeFileSync(out, 'keep me\n');
    const result = await runCli(['run', scenario, '--quiet', '--out', out]);
    expectUserError(result, [out, 'not a directory']);
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');
  });

  it('uses an existing empty directory, and replaces a previous Hyperwatt output completely', async () => {
    const out = join(dir, 'reused');
    mkdirSync(out);
    const first = await runCli(['run', scenario, '--quiet', '--out', out]);
    expect(first.status, first.stderr).toBe(0);
    expect(readJson(join(out, 'summary.json')).seed).toBe(1);
    writeFileSync(join(out, 'stale.txt'), 'from an older version\n');
    const second = await runCli(['run', scenario, '--quiet', '--seed', '2', '--out', out]);
    expect(second.status, second.stderr).toBe(0);
    expect(readJson(join(out, 'summary.json')).seed).toBe(2);
    expect(readdirSync(out).sort()).toEqual(OUTPUT_FILES); // stale.txt is gone: the directory was replaced
    expect(existsSync(join(out, '.hyperwatt-output'))).toBe(true);
  });

  it('leaves a previous output intact when a later run fails (validation or trace data)', async () => {
    const out = join(dir, 'kept');
    const first = await runCli(['run', scenario, '--quiet', '--out', out]);
    expect(first.status, first.stderr).toBe(0);
    const before = snapshotTree(out);
    const badScenario = join(dir, 'bad-field.yaml');
    writeYaml(badScenario, { ...tinyScenario(), colour: 'blue' });
    const missingTraces = join(dir, 'missing-traces.yaml');
    writeYaml(missingTraces, tinyScenario('no-such-traces'));
    const siblingsBefore = readdirSync(dir).sort();

    const invalid = await runCli(['run', badScenario, '--quiet', '--out', out]);
    expectUserError(invalid, [badScenario, 'colour']);
    expect(snapshotTree(out)).toEqual(before);

    const failed = await runCli(['run', missingTraces, '--quiet', '--out', out]);
    expectUserError(failed, ['no-such-traces']);
    expect(snapshotTree(out)).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(siblingsBefore);
  });
});
