/**
 * Same scenario and seed ⇒ byte-identical summary.json and CSV files (ARCHITECTURE.md, "Principles"), through
 * the built CLI; and the seed really matters where randomness is involved (random VM selection, `rs`).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readJson, requireBuiltCli, runCli, tinyScenario, writeYaml } from './cli-helpers.js';

let dir: string;
let scenario: string;

beforeAll(() => {
  requireBuiltCli();
  ({ dir, scenario } = makeWorkspace('determinism'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every output file, the report included (it leaves wall-clock time out for this reason).
const DETERMINISTIC_FILES = ['summary.json', 'datacenter.csv', 'hosts.csv', 'scenario.json', 'report.html'];

async function runInto(file: string, out: string, ...extra: string[]): Promise<void> {
  const result = await runCli(['run', file, '--quiet', '--out', out, ...extra]);
  expect(result.status, result.stderr).toBe(0);
}

describe('determinism', () => {
  it('two runs of the same scenario and seed give byte-identical output files', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    // Concurrently, as a sweep or a CI job would: runs share nothing.
    await Promise.all([runInto(scenario, a, '--seed', '3'), runInto(scenario, b, '--seed', '3')]);
    for (const name of DETERMINISTIC_FILES) {
      const left = readFileSync(join(a, name));
      expect(left.length, name).toBeGreaterThan(0);
      expect(left.equals(readFileSync(join(b, name))), `${name} differs between identical runs`).toBe(true);
    }
    expect(readJson(join(a, 'summary.json')).seed).toBe(3);
  });

  it('with random VM selection (rs), different seeds give different results', async () => {
    // The tiny scenario uses rs and overloads hosts, so which VM is migrated depends on the seed stream.
    const results = await Promise.all(
      [1, 2, 3].map(async (seed) => {
        const result = await runCli(['run', scenario, '--json', '--no-out', '--seed', String(seed)]);
        expect(result.status, result.stderr).toBe(0);
        const summary = JSON.parse(result.stdout) as { seed: number; energy_kwh: number; migrations: number };
        expect(summary.seed).toBe(seed);
        return `${summary.energy_kwh}/${summary.migrations}`;
      }),
    );
    expect(new Set(results).size, `energy/migrations per seed: ${results.join(', ')}`).toBeGreaterThan(1);
  });

  it('with a deterministic selection (mmt), the seed changes nothing but summary.seed', async () => {
    const file = join(dir, 'mmt.yaml');
    const mmt = tinyScenario();
    mmt.policy.selection = { name: 'mmt' };
    writeYaml(file, mmt);
    const [one, two] = await Promise.all(
      [1, 2].map(async (seed) => {
        const result = await runCli(['run', file, '--json', '--no-out', '--seed', String(seed)]);
        expect(result.status, result.stderr).toBe(0);
        const { wall_seconds: _wall, process_cpu_seconds: _cpu, max_rss_mib: _rss, seed: _seed, ...rest } = JSON.parse(result.stdout);
        return rest;
      }),
    );
    expect(one).toEqual(two);
  });
});
