/**
 * `hyperwatt run` for guest-memory scenarios (kind: memory) through the built CLI: the files it writes and their
 * columns, byte-identical reruns, the report's sections, `validate` and `schema --memory`, and bad input (exit 2,
 * file, line and field, no output).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUserError, lineOf, makeTempDir, requireBuiltCli, runCli, writeYaml } from './cli-helpers.js';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = makeTempDir('memory');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenario = {
  kind: 'memory',
  name: 'tiny',
  guest: { memoryMiB: 8, kernelReservedMiB: 1, fileSystem: { sizeMiB: 128, journalMiB: 4, inodes: 256 } },
  memoryManager: { hostMemoryMiB: 12, epochSeconds: 20 },
  experiments: { ablation: true, trueCurve: { memoryMiB: [8, 12, 16] }, remoteCache: { cacheMiB: [4, 8] }, memoryPolicies: ['static', 'max-hits'] },
  vms: [
    { name: 'scan', workload: { dataFiles: 3, dataFileBlocks: 1024, phases: [{ kind: 'scan', accesses: 20000 }] } },
    { name: 'zipf', workload: { dataFiles: 1, dataFileBlocks: 512, phases: [{ kind: 'zipf', accesses: 20000 }] } },
  ],
};

describe('kind: memory', () => {
  it('runs every experiment, prints the tables and writes the files; a rerun gives the same bytes', async () => {
    const file = join(dir, 'tiny.yaml');
    writeYaml(file, scenario);
    const first = await runCli(['run', file, '--out', join(dir, 'out1'), '--quiet']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^scan\s+8\s/m);
    for (const heading of ['Geiger ablation', 'Remote storage cache', 'Memory manager']) expect(first.stdout).toContain(heading);
    const files = ['summary.json', 'scenario.json', 'vms.csv', 'inference.csv', 'curves.csv', 'remote-cache.csv', 'memory-policies.csv', 'balloon.csv', 'report.html'];
    const csv = (name: string) => readFileSync(join(dir, 'out1', name), 'utf8').trimEnd().split('\n');
    expect(csv('vms.csv')[0]).toMatch(/^vm,memory_mib,final_mib,completion_s,reads,read_hits,/);
    expect(csv('vms.csv')).toHaveLength(3);
    expect(csv('inference.csv')).toHaveLength(1 + 5 * 2);
    expect(csv('curves.csv').filter((line) => line.includes(',true,'))).toHaveLength(2 * 3);
    expect(csv('remote-cache.csv')).toHaveLength(1 + 2 * 2);
    expect(csv('memory-policies.csv')).toHaveLength(1 + 2 * 2);
    const second = await runCli(['run', file, '--out', join(dir, 'out2'), '--quiet']);
    expect(second.status, second.stderr).toBe(0);
    for (const name of files) expect(readFileSync(join(dir, 'out2', name), 'utf8'), name).toBe(readFileSync(join(dir, 'out1', name), 'utf8'));
    const html = readFileSync(join(dir, 'out1', 'report.html'), 'utf8');
    for (const title of ['Eviction inference', 'Working-set size', 'Remote storage cache', 'Memory manager', 'Disk reads against memory: scan', 'Precision by Geiger variant']) expect(html).toContain(title);
  }, 60_000);

  it('validate summarises without running; schema --memory prints the format', async () => {
    const file = join(dir, 'valid.yaml');
    writeYaml(file, scenario);
    const result = await runCli(['validate', file]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('valid (guest-memory scenario: 2 VMs, 16 runs)');
    const schema = JSON.parse((await runCli(['schema', '--memory'])).stdout);
    expect(schema.properties.kind.const).toBe('memory');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['guest', 'inference', 'estimators', 'vms', 'storage', 'memoryManager', 'experiments']));
  });

  it('an unknown phase kind is exit 2 with the file, line, field and the valid kinds, and no output directory', async () => {
    const file = join(dir, 'bad-kind.yaml');
    const text = writeYaml(file, { ...scenario, vms: [{ name: 'a', workload: { dataFiles: 1, dataFileBlocks: 64, phases: [{ kind: 'stride', accesses: 10 }] } }] });
    const out = join(dir, 'never');
    const result = await runCli(['run', file, '--out', out]);
    expectUserError(result, [`${file}:${lineOf(text, 'kind: stride')}`, 'vms[0].workload.phases[0].kind', 'churn']);
    expect(existsSync(out)).toBe(false);
  });

  it('problems across fields are reported together: anonymous memory beyond the VM, duplicate names, a disk too small', async () => {
    const file = join(dir, 'cross.yaml');
    writeYaml(file, {
      ...scenario,
      memoryManager: undefined,
      experiments: { memoryPolicies: ['static'] },
      vms: [
        { name: 'a', workload: { dataFiles: 1, dataFileBlocks: 64, phases: [{ kind: 'zipf', accesses: 10, anonymousFromMiB: 0, anonymousToMiB: 8 }] } },
        { name: 'a', workload: { dataFiles: 40, dataFileBlocks: 1024, phases: [{ kind: 'scan', accesses: 10 }] } },
      ],
    });
    const result = await runCli(['run', file, '--out', join(dir, 'never2')]);
    expectUserError(result, ['vms[0].workload.phases[0].anonymousToMiB', 'no swap', 'vms[1].name', "duplicate VM name 'a'", 'vms[1].workload', 'guest.fileSystem.sizeMiB', 'experiments.memoryPolicies', 'needs a memoryManager']);
  });

  it('sweep refuses a memory scenario with a clear message', async () => {
    const file = join(dir, 'swept.yaml');
    writeYaml(file, scenario);
    const sweepFile = join(dir, 'sweep.yaml');
    writeYaml(sweepFile, { name: 's', scenarios: ['swept.yaml'], grid: { 'guest.memoryMiB': [8, 12] } });
    const result = await runCli(['sweep', sweepFile, '--out', join(dir, 'never3')]);
    expectUserError(result, ['is a memory scenario, which sweep does not run', 'experiments']);
  });
});
