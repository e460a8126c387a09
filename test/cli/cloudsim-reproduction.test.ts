/**
 * The CloudSim 3.0.3 reproduction through the CLI, run once: the LR/MMT PlanetLab example (800 hosts, 1052
 * VMs, day 20110303) must give CloudSim's energy and migration count (exactly 167.8339… kWh and 27649
 * migrations; the tolerances leave room for deliberate, documented model changes only).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FRACTION_FIELDS, makeTempDir, parseSingleJsonObject, requireBuiltCli, ROOT, runCli } from './cli-helpers.js';

let cwd: string;

beforeAll(() => {
  requireBuiltCli();
  cwd = makeTempDir('cloudsim');
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

it('hyperwatt run examples/planetlab/lr-mmt.yaml --json --no-out reproduces CloudSim', async () => {
  // From an empty working directory, so a broken --no-out would show up as files here.
  const result = await runCli(['run', join(ROOT, 'examples', 'planetlab', 'lr-mmt.yaml'), '--json', '--no-out'], { cwd, timeoutMs: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  const summary = parseSingleJsonObject(result.stdout) as Record<string, number>;
  expect(summary).toMatchObject({ scenario: 'planetlab-lr-mmt', mode: 'cloudsim-3.0.3', hosts: 800, vms: 1052, sim_seconds: 86_400 });
  expect(Math.abs(summary.energy_kwh - 167.83) / 167.83, `energy_kwh = ${summary.energy_kwh}`).toBeLessThan(0.01);
  expect(Math.abs(summary.migrations - 27649) / 27649, `migrations = ${summary.migrations}`).toBeLessThan(0.03);
  for (const field of FRACTION_FIELDS) {
    expect(summary[field], field).toBeGreaterThanOrEqual(0);
    expect(summary[field], field).toBeLessThanOrEqual(1);
  }
  expect(readdirSync(cwd)).toEqual([]);
});
