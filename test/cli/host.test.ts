/**
 * Host scenarios (`kind: host`) through the built CLI: `hyperwatt run` writes the host outputs, byte-identical
 * between runs; `--json`; `validate`; bad host scenarios fail as bad input (exit 2, file:line:column and the field
 * path, no stack trace, no output directory); and `hyperwatt calibrate` writes weights that `host.weights` reads
 * back into the very run that `weights: calibrate` gives.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectUserError,
  HOST_OUTPUT_FILES,
  lineOf,
  makeTempDir,
  parseSingleJsonObject,
  readJson,
  requireBuiltCli,
  ROOT,
  runCli,
  snapshotTree,
  tinyHostScenario,
  tinyScenario,
  writeYaml,
} from './cli-helpers.js';

let dir: string;
let scenario: string;

beforeAll(() => {
  requireBuiltCli();
  dir = makeTempDir('host');
  scenario = join(dir, 'tiny-host.yaml');
  writeYaml(scenario, tinyHostScenario());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POWER_CAP = join(ROOT, 'examples', 'host', 'power-cap.yaml');

/** Every file of a host run but the report, which names where its weights came from. */
const RUN_DATA_FILES = ['cores.csv', 'rules.csv', 'threads.csv', 'vm-series.csv', 'vms.csv', 'weights.json'];

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `file:line:column: path: ` in a message (the first problem follows `hyperwatt: `, the others start a line). */
const located = (file: string, line: number, path: string): RegExp => new RegExp(`(^|\\n|hyperwatt: )${escapeRegExp(file)}:${line}:\\d+: ${escapeRegExp(path)}: `);

describe.concurrent('hyperwatt run with a host scenario', () => {
  it('writes every host output, and two runs give byte-identical files', async () => {
    const a = join(dir, 'out-a');
    const b = join(dir, 'out-b');
    const [first, second] = await Promise.all([
      runCli(['run', POWER_CAP, '--set', 'durationSeconds=3', '--out', a]),
      runCli(['run', POWER_CAP, '--set', 'durationSeconds=3', '--out', b]),
    ]);
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    expect(readdirSync(a).sort()).toEqual(HOST_OUTPUT_FILES);
    expect(first.stdout).toContain('host-power-cap (host: 4 cores, 3 VMs, 6 vCPUs');
    expect(first.stdout).toMatch(/^capped +[\d.,]+ +[\d.,]+ +[−+]?\d+\.\d\d % /m);
    expect(first.stdout).toContain(`wrote ${a}/ (summary.json, `);
    for (const name of HOST_OUTPUT_FILES) {
      const left = readFileSync(join(a, name));
      expect(left.length, name).toBeGreaterThan(0);
      expect(left.equals(readFileSync(join(b, name))), `${name} differs between identical runs`).toBe(true);
    }

    const summary = readJson(join(a, 'summary.json'));
    expect(summary).toMatchObject({ scenario: 'host-power-cap', kind: 'host', cores: 4, vms: 3, vcpus: 6, sim_seconds: 3 });
    expect(summary).not.toHaveProperty('wall_seconds');
    expect(summary.host_energy_true_j).toBeGreaterThan(0);
    expect(readJson(join(a, 'scenario.json'))).toMatchObject({ kind: 'host', durationSeconds: 3, host: { cores: 4, governor: 'performance' } });

    const vms = readFileSync(join(a, 'vms.csv'), 'utf8').trimEnd().split('\n');
    expect(vms[0]).toMatch(/^vm,kind,vcpus,cpu_estimated_j,cpu_true_j,cpu_error_pct,/);
    expect(vms.slice(1).map((line) => line.split(',')[0])).toEqual(['capped', 'neighbour', 'memory']);
    const rules = readFileSync(join(a, 'rules.csv'), 'utf8').trimEnd().split('\n');
    expect(rules[0]).toBe('rule,capped,neighbour,memory,sum');
    expect(rules[1]).toMatch(/^events \(this model\),/);
    expect(rules.some((line) => line.startsWith('"cpu-time, idle equal",'))).toBe(true);
    const cores = readFileSync(join(a, 'cores.csv'), 'utf8').trimEnd().split('\n');
    expect(cores[0]).toBe('time_s,core,power_w,temperature_c,pstate,throttle');
    expect(cores.slice(1, 5).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['0.1,0', '0.1,1', '0.1,2', '0.1,3']);
    const series = readFileSync(join(a, 'vm-series.csv'), 'utf8').trimEnd().split('\n');
    expect(series[0]).toBe('time_s,vm,estimated_w,true_w,disk_w,throughput,allocation');
    expect((series.length - 1) / 3).toBe((cores.length - 1) / 4);
    expect(readFileSync(join(a, 'threads.csv'), 'utf8')).toMatch(/^thread,cpu_seconds,work_seconds,active_estimated_j,active_true_j,limit_watts\ncapped\/worker-0,/);
    expect(readJson(join(a, 'weights.json'))).toMatchObject({ counters: ['unhaltedCycles', 'instructions', 'l2Misses', 'floatingPoint'], tscHz: 1.6e9 });
    expect(readFileSync(join(a, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('--json prints one JSON object with the summary, agreeing with summary.json', async () => {
    const out = join(dir, 'out-json');
    const result = await runCli(['run', scenario, '--json', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const printed = parseSingleJsonObject(result.stdout);
    expect(printed).toMatchObject({ scenario: 'tiny-host', kind: 'host', cores: 2, vms: 2 });
    expect(printed.wall_seconds).toBeGreaterThan(0);
    expect(printed.process_cpu_seconds).toBeGreaterThan(0);
    const summary = readJson(join(out, 'summary.json'));
    for (const [key, value] of Object.entries(summary)) expect(printed[key], key).toEqual(value);
  });

  it('--no-out writes nothing, not even out/<name>', async () => {
    const cwd = makeTempDir('host-no-out');
    try {
      const result = await runCli(['run', scenario, '--no-out'], { cwd });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain('host energy');
      expect(result.stdout).not.toContain('wrote ');
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('validate accepts a host scenario without running it', async () => {
    const result = await runCli(['validate', POWER_CAP]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${POWER_CAP}: valid (host scenario: 4 cores, 3 VMs, 6 vCPUs, weights calibrated at start)\n`);
  });

  it('--seed is refused: host runs have no seed', async () => {
    const out = join(dir, 'out-seed');
    expectUserError(await runCli(['run', scenario, '--seed', '3', '--out', out]), ['--seed', 'kind: host', 'no seed']);
    expect(existsSync(out)).toBe(false);
  });
});

/** Writes a variant of the tiny host scenario; returns the file and its text (for line numbers). */
function variant(name: string, change: (scenario: Record<string, any>) => void): { file: string; text: string } {
  const data = tinyHostScenario();
  change(data);
  const file = join(dir, name);
  return { file, text: writeYaml(file, data) };
}

/** `run` and `validate` both fail as bad input mentioning `mentions`; `run` leaves no output directory. */
async function expectRejected(file: string, mentions: (string | RegExp)[]): Promise<void> {
  const out = join(dir, `out-${basename(file)}`);
  const [run, validate] = await Promise.all([runCli(['run', file, '--out', out]), runCli(['validate', file])]);
  expectUserError(run, mentions);
  expectUserError(validate, mentions);
  expect(existsSync(out), `${out} exists after a failed run`).toBe(false);
  expect(readdirSync(dir).filter((name) => name.startsWith(`.out-${basename(file)}.`))).toEqual([]);
}

describe.concurrent('bad host scenarios', () => {
  it('a thread on a vCPU the VM does not have', async () => {
    const { file, text } = variant('bad-vcpu.yaml', (s) => (s.vms[1].threads[0].vcpu = 3));
    await expectRejected(file, [located(file, lineOf(text, 'vcpu: 3'), 'vms[1].threads[0].vcpu'), 'vCPU 3 does not exist (the VM has 1)']);
  });

  it('an unknown profile name, listing the valid ones', async () => {
    const { file, text } = variant('bad-profile.yaml', (s) => (s.vms[0].threads[1].profile = 'floating'));
    await expectRejected(file, [
      located(file, lineOf(text, 'profile: floating\n'), 'vms[0].threads[1].profile'),
      'unknown value "floating"',
      /valid: compute, memory, floating-point, branchy, streaming, mixed, idle, disk/,
    ]);
  });

  it('a core the host does not have (a VM and the driver)', async () => {
    const { file, text } = variant('bad-core.yaml', (s) => {
      s.vms[0].cores = [0, 7];
      s.driver = { core: 2 };
    });
    await expectRejected(file, [
      located(file, lineOf(text, '- 7'), 'vms[0].cores[1]'),
      'core 7 does not exist (the host has 2)',
      located(file, lineOf(text, 'core: 2'), 'driver.core'),
      'core 2 does not exist (the host has 2)',
    ]);
  });

  it('a weights file that does not exist', async () => {
    const { file, text } = variant('missing-weights.yaml', (s) => (s.host.weights = 'no-such-weights.json'));
    await expectRejected(file, [
      located(file, lineOf(text, 'weights: no-such-weights.json'), 'host.weights'),
      'cannot read the weights file',
      'no-such-weights.json: file not found',
    ]);
  });

  it('a weights file that is not one, with its own line and field', async () => {
    const weights = join(dir, 'broken-weights.json');
    writeFileSync(weights, '{\n  "counters": ["unhaltedCycles", "cycles"],\n  "tscHz": 1600000000,\n  "pStates": []\n}\n');
    const { file, text } = variant('broken-weights.yaml', (s) => (s.host.weights = 'broken-weights.json'));
    await expectRejected(file, [
      located(file, lineOf(text, 'weights: broken-weights.json'), 'host.weights'),
      'is not a weights file written by `hyperwatt calibrate`',
      /broken-weights\.json:2:\d+: counters\[1\]: unknown value "cycles"/,
      /broken-weights\.json:4:\d+: pStates: /,
    ]);
  });

  it('weights fitted for other P-states or other counters', async () => {
    const weights = join(dir, 'other-host.json');
    const row = { frequencyHz: 2e9, voltageVolts: 1.2, tscJoules: 1e-9, eventJoules: { unhaltedCycles: 1e-9 } };
    writeFileSync(weights, JSON.stringify({ counters: ['unhaltedCycles'], tscHz: 2e9, pStates: [row] }));
    const { file } = variant('other-host.yaml', (s) => (s.host.weights = 'other-host.json'));
    await expectRejected(file, [/host\.weights: .*other-host\.json: pStates: 1 weight rows for a host with 6 P-states/, 'fitted for the counters [unhaltedCycles]']);
  });

  it('a P-state table whose frequencies do not decrease', async () => {
    const { file, text } = variant('bad-pstates.yaml', (s) => {
      s.host.pStates = [
        { frequencyHz: 1e9, voltageVolts: 1.1 },
        { frequencyHz: 2e9, voltageVolts: 1.2 },
      ];
    });
    await expectRejected(file, [located(file, lineOf(text, 'pStates:') + 1, 'host.pStates'), 'frequencies must decrease']);
  });

  it('an unknown scenario kind, naming the valid one', async () => {
    const { file, text } = variant('bad-kind.yaml', (s) => (s.kind = 'hots'));
    await expectRejected(file, [located(file, lineOf(text, 'kind: hots'), 'kind'), 'unknown scenario kind "hots"; valid: host']);
  });

  it('a bad value set on the command line is blamed on the --set argument', async () => {
    const out = join(dir, 'out-set');
    const result = await runCli(['run', scenario, '--set', 'vms[0].threads[0].vcpu=5', '--out', out]);
    expectUserError(result, ['--set vms[0].threads[0].vcpu=5: vms[0].threads[0].vcpu: vCPU 5 does not exist (the VM has 2)']);
    expect(existsSync(out)).toBe(false);
  });
});

describe.concurrent('hyperwatt calibrate', () => {
  it('writes weights that host.weights reads back into the same run as weights: calibrate', async () => {
    const workspace = join(dir, 'calibrate');
    mkdirSync(join(workspace, 'fitted'), { recursive: true });
    const own = join(workspace, 'tiny-host.yaml');
    writeYaml(own, tinyHostScenario());
    const weightsFile = join(workspace, 'fitted', 'weights.json');
    const calibrated = await runCli(['calibrate', own, '--out', weightsFile]);
    expect(calibrated.status, calibrated.stderr).toBe(0);
    expect(calibrated.stdout).toContain('tiny-host: estimator weights fitted per P-state (counters: unhaltedCycles, instructions, l2Misses, floatingPoint)');
    expect(calibrated.stdout).toMatch(/^ {2}P-state +MHz +samples +RMS rel\. error +R² +halted W /m);
    expect(calibrated.stdout.match(/^ {2}\d +[\d,]+ +\d+ +[\d.]+ % +0\.9\d+ /gm)).toHaveLength(6);
    expect(calibrated.stdout).toContain(`wrote ${weightsFile}`);
    const weights = readJson(weightsFile);
    expect(weights.pStates).toHaveLength(6);

    const fromFile = join(workspace, 'from-file.yaml');
    const withFile = tinyHostScenario();
    withFile.host.weights = 'fitted/weights.json'; // relative to the scenario file
    writeYaml(fromFile, withFile);
    const [a, b] = [join(workspace, 'out-calibrate'), join(workspace, 'out-file')];
    const [runA, runB] = await Promise.all([runCli(['run', own, '--out', a]), runCli(['run', fromFile, '--out', b])]);
    expect(runA.status, runA.stderr).toBe(0);
    expect(runB.status, runB.stderr).toBe(0);
    for (const name of RUN_DATA_FILES) {
      expect(readFileSync(join(a, name), 'utf8'), name).toBe(readFileSync(join(b, name), 'utf8'));
    }
    expect(readFileSync(join(b, 'weights.json'), 'utf8')).toBe(readFileSync(weightsFile, 'utf8'));
    const summaryA = readJson(join(a, 'summary.json'));
    const summaryB = readJson(join(b, 'summary.json'));
    expect(summaryA.weights).toBe('calibrated at start');
    expect(summaryB.weights).toBe('fitted/weights.json');
    expect({ ...summaryB, weights: summaryA.weights }).toEqual(summaryA);
    // The report says where the weights came from, and shows the fit only when it fitted them.
    expect(readFileSync(join(a, 'report.html'), 'utf8')).toContain('<h3 class="spaced">Fit quality</h3>');
    expect(readFileSync(join(b, 'report.html'), 'utf8')).toContain('Read from fitted/weights.json');
  });

  it('--json prints the fits and the weights; the default file is weights.json in the working directory', async () => {
    const cwd = makeTempDir('calibrate-json');
    try {
      const result = await runCli(['calibrate', scenario, '--json'], { cwd });
      expect(result.status, result.stderr).toBe(0);
      const printed = parseSingleJsonObject(result.stdout);
      expect(printed).toMatchObject({ scenario: 'tiny-host', out: 'weights.json' });
      expect(printed.fits).toHaveLength(6);
      expect(readdirSync(cwd)).toEqual(['weights.json']);
      expect(readJson(join(cwd, 'weights.json'))).toEqual(printed.weights);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('refuses a directory as --out, a file that is not .json, and a data-center scenario, before calibrating', async () => {
    const directory = join(dir, 'a-directory.json');
    mkdirSync(join(directory, 'inside'), { recursive: true });
    const before = snapshotTree(directory);
    const dataCenter = join(dir, 'data-center.yaml');
    writeYaml(dataCenter, tinyScenario());
    const [intoDirectory, notJson, wrongKind] = await Promise.all([
      runCli(['calibrate', scenario, '--out', directory]),
      runCli(['calibrate', scenario, '--out', join(dir, 'weights.txt')]),
      runCli(['calibrate', dataCenter, '--out', join(dir, 'dc-weights.json')]),
    ]);
    expectUserError(intoDirectory, [`${directory}: is a directory; refusing to replace it`]);
    expect(snapshotTree(directory)).toEqual(before);
    expectUserError(notJson, ['weights.txt: expected a .json file name']);
    expect(existsSync(join(dir, 'weights.txt'))).toBe(false);
    expectUserError(wrongKind, ['calibrate needs a host scenario (kind: host)']);
    expect(existsSync(join(dir, 'dc-weights.json'))).toBe(false);
  });

  it('bad input in the scenario is reported with its line, and nothing is written', async () => {
    const { file, text } = variant('calibrate-bad.yaml', (s) => (s.host.cores = 0));
    const out = join(dir, 'never.json');
    expectUserError(await runCli(['calibrate', file, '--out', out]), [located(file, lineOf(text, 'cores: 0'), 'host.cores')]);
    expect(existsSync(out)).toBe(false);
  });
});
