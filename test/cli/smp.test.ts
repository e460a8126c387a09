/**
 * `hyperwatt run` for the double-scheduling formats (kind: smp and kind: vcpu-experiment) through the built
 * CLI: the files it writes, byte-identical reruns, and bad input (exit 2, file, line and field, no output).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUserError, lineOf, makeTempDir, requireBuiltCli, ROOT, runCli, writeYaml } from './cli-helpers.js';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = makeTempDir('smp');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const smp = {
  kind: 'smp',
  name: 'pair',
  schedulers: ['fair-share', 'flexcore'],
  vms: [
    { name: 'a', vcpus: 12, profile: 'bodytrack', params: { totalWorkSeconds: 3 } },
    { name: 'b', vcpus: 12, profile: 'blackscholes', params: { totalWorkSeconds: 3 } },
  ],
};

describe('kind: smp', () => {
  it('runs every scheduler, prints the table and writes the files; a rerun gives the same bytes', async () => {
    const file = join(dir, 'pair.yaml');
    writeYaml(file, smp);
    const first = await runCli(['run', file, '--out', join(dir, 'out1')]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^flexcore\s+a\s+bodytrack/m);
    expect(first.stdout).toContain('wrote');
    const rows = readFileSync(join(dir, 'out1', 'vms.csv'), 'utf8').trimEnd().split('\n');
    expect(rows[0]).toMatch(/^scheduler,vm,profile,completion_s,/);
    expect(rows).toHaveLength(1 + 2 * 2);
    const series = readFileSync(join(dir, 'out1', 'online-vcpus.csv'), 'utf8').split('\n')[0];
    expect(series).toBe('time_s,fair-share/a,fair-share/b,flexcore/a,flexcore/b');
    const second = await runCli(['run', file, '--out', join(dir, 'out2')]);
    expect(second.status, second.stderr).toBe(0);
    for (const name of ['summary.json', 'vms.csv', 'online-vcpus.csv', 'report.html']) {
      expect(readFileSync(join(dir, 'out2', name), 'utf8'), name).toBe(readFileSync(join(dir, 'out1', name), 'utf8'));
    }
    const html = readFileSync(join(dir, 'out1', 'report.html'), 'utf8');
    expect(html).toContain('Online vCPUs per VM (flexcore, flexcore policy)');
  });

  it('an unknown profile is exit 2 with the file, line, field and the valid names, and no output directory', async () => {
    const file = join(dir, 'bad-profile.yaml');
    const text = writeYaml(file, { ...smp, vms: [{ name: 'a', vcpus: 12, profile: 'raytrace' }] });
    const out = join(dir, 'never');
    const result = await runCli(['run', file, '--out', out]);
    expectUserError(result, [`${file}:${lineOf(text, 'profile: raytrace')}`, 'vms[0].profile', 'streamcluster']);
    expect(existsSync(out)).toBe(false);
  });

  it('duplicate VM names and schedulers are reported together', async () => {
    const file = join(dir, 'dupes.yaml');
    writeYaml(file, { ...smp, schedulers: ['fair-share', 'fair-share'], vms: [smp.vms[0], smp.vms[0]] });
    const result = await runCli(['run', file, '--out', join(dir, 'never2')]);
    expectUserError(result, ['vms[1].name', 'duplicate VM name "a"', 'schedulers[1]']);
  });
});

describe('examples/vcpu as regression tests', () => {
  it("vscale-pair: the barrier-heavy VM completes several times sooner, the pipeline VM is held near its share", async () => {
    const out = join(dir, 'vscale-pair');
    const result = await runCli(['run', join(ROOT, 'examples', 'vcpu', 'vscale-pair.yaml'), '--out', out], { timeoutMs: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const rows = readFileSync(join(out, 'vms.csv'), 'utf8').trimEnd().split('\n');
    const columns = rows[0].split(',');
    const cell = (scheduler: string, vm: string, column: string): number => {
      const row = rows.find((line) => line.startsWith(`${scheduler},${vm},`))!.split(',');
      return Number(row[columns.indexOf(column)]);
    };
    expect(cell('fair-share', 'simulation', 'completion_s') / cell('flexcore', 'simulation', 'completion_s')).toBeGreaterThan(3);
    expect(cell('flexcore', 'simulation', 'barrier_wait_s')).toBeLessThan(cell('fair-share', 'simulation', 'barrier_wait_s') / 3);
    expect(cell('flexcore', 'dedup', 'completion_s')).toBeGreaterThan(cell('fair-share', 'dedup', 'completion_s'));
    const online = cell('flexcore', 'simulation', 'mean_online_vcpus') + cell('flexcore', 'dedup', 'mean_online_vcpus');
    expect(online).toBeGreaterThan(11);
    expect(online).toBeLessThan(14);
  }, 70_000);
});

describe('kind: vcpu-experiment', () => {
  it('runs the quick example and writes experiment.csv with one row per profile, VM count and scheduler', async () => {
    const out = join(dir, 'quick');
    const result = await runCli(['run', join(ROOT, 'examples', 'vcpu', 'flexcore-quick.yaml'), '--out', out, '--quiet'], { timeoutMs: 120_000 });
    expect(result.status, result.stderr).toBe(0);
    const rows = readFileSync(join(out, 'experiment.csv'), 'utf8').trimEnd().split('\n');
    expect(rows).toHaveLength(1 + 3 * 2 * 3);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(Object.keys(summary.mean_speedup)).toEqual(['co-scheduling', 'flexcore']);
  }, 130_000);

  it('the baseline must come first', async () => {
    const file = join(dir, 'baseline.yaml');
    writeYaml(file, { kind: 'vcpu-experiment', name: 'x', profiles: ['blackscholes'], schedulers: ['flexcore', 'fair-share'] });
    const result = await runCli(['run', file, '--out', join(dir, 'never3')]);
    expectUserError(result, ['schedulers[0]', 'must be fair-share']);
  });

  it('hyperwatt schema prints both formats as JSON Schema', async () => {
    const smpSchema = JSON.parse((await runCli(['schema', '--smp'])).stdout);
    expect(smpSchema.properties.kind.const).toBe('smp');
    expect(Object.keys(smpSchema.properties)).toContain('schedulers');
    const experiment = JSON.parse((await runCli(['schema', '--vcpu-experiment'])).stdout);
    expect(experiment.properties.kind.const).toBe('vcpu-experiment');
    expectUserError(await runCli(['schema', '--smp', '--host']), ['at most one of --host, --smp, --vcpu-experiment']);
  });

  it('hyperwatt validate describes both formats', async () => {
    const a = await runCli(['validate', join(ROOT, 'examples', 'vcpu', 'consolidation-pair.yaml')]);
    expect(a.stdout).toContain('valid (SMP scenario: 12 cores, 2 VMs, 24 vCPUs');
    const b = await runCli(['validate', join(ROOT, 'examples', 'vcpu', 'flexcore-experiment.yaml')]);
    expect(b.stdout).toContain('valid (vCPU experiment: 11 profiles × 4 VM counts × 3 schedulers)');
  });
});
