/** `hyperwatt compare` and `hyperwatt guest build` through the built CLI: bad input is exit 2 with file, line and field, and nothing runs. */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUserError, lineOf, makeTempDir, requireBuiltCli, runCli, writeYaml } from './cli-helpers.js';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = makeTempDir('compare');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hyperwatt compare', () => {
  it('reports every problem of a comparison file at once, with file, line and field, and runs nothing', async () => {
    const file = join(dir, 'bad.yaml');
    const text = writeYaml(file, {
      kind: 'migration-compare',
      name: 'bad',
      cases: [
        { id: 'a', strategy: 'precopy', workload: 'dirty', maxBandwidthMiBps: 32 },
        { id: 'a', strategy: 'hybrid', workload: 'idle', maxBandwidthMiBps: 10240 },
      ],
    });
    const out = join(dir, 'never');
    const result = await runCli(['compare', file, '--out', out]);
    expectUserError(result, [
      `${file}:${lineOf(text, 'id: a')}`,
      "duplicate case id 'a'",
      'cases[1].switchAfterSeconds',
      "workload 'dirty 32 MiB at 5000 pages/s' needs a precopy case at maxBandwidthMiBps ≥ 10240",
    ]);
    expect(existsSync(out)).toBe(false);
    const unknown = join(dir, 'unknown.yaml');
    writeYaml(unknown, { kind: 'migration-compare', name: 'x', cases: [{ id: 'c', strategy: 'teleport', workload: 'idle', maxBandwidthMiBps: 10240 }] });
    expectUserError(await runCli(['compare', unknown, '--out', out]), ['cases[0].strategy', 'valid: precopy, postcopy, hybrid']);
  });

  it('guest build with a kernel package that does not exist is exit 2 with apt-get\'s reason', async () => {
    const result = await runCli(['guest', 'build', '--kernel-package', 'linux-image-no-such-version', '--cache', join(dir, 'cache')], { timeoutMs: 60_000 });
    expectUserError(result, ['linux-image-no-such-version']);
  }, 70_000);
});
