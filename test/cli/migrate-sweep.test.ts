/**
 * `hyperwatt migrate sweep` end to end on a tiny sweep (a 64 MiB guest, 48 migrations in a few tenths of a second):
 * the three outputs, one CSV row per point with the pre-copy that cannot converge on the slow link, byte-identical
 * outputs for the same file, `--json`, and bad files (every problem with file:line:column and field, exit code 2).
 * The example examples/migration/dirty-rate-sweep.yaml is run too, and its headline figures pinned.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUserError, lineOf, makeTempDir, parseSingleJsonObject, readJson, requireBuiltCli, runCli, snapshotTree } from './cli-helpers.js';

beforeAll(requireBuiltCli);

const TINY = `name: tiny-migration-sweep
guest:
  ram_mib: 64
  hot_set_mib: 64
qemu:
  max_bandwidth_mib_s: 1024
  time_limit_s: 10
strategies:
  - strategy: precopy
  - strategy: postcopy
  - name: hybrid after 1 pass
    strategy: hybrid
    switch_after_passes: 1
grid:
  dirty_pages_per_s: [0, 2000, 20000, 50000]
  bandwidth_mbit: [200, 1000]
seeds: 2
`;

/** What the CSV header must start with (the columns), in order. */
const LEADING_COLUMNS = ['point', 'strategy', 'mechanism', 'bandwidth_mbit', 'dirty_pages_per_s', 'seed', 'outcome', 'converged', 'total_s', 'downtime_s', 'switchover_s', 'transferred_mib'];

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split('\n');
  const columns = header.split(',');
  // The tiny sweep's notes have commas in them: split only the columns before the last (quoted) one.
  return lines.map((line) => {
    const fields = line.split(',');
    const row: Record<string, string> = {};
    columns.forEach((column, index) => (row[column] = index < columns.length - 1 ? fields[index] : fields.slice(index).join(',')));
    return row;
  });
}

describe('hyperwatt migrate sweep', () => {
  let dir: string;
  let sweepFile: string;
  beforeAll(() => {
    dir = makeTempDir('migrate-sweep');
    sweepFile = join(dir, 'tiny.yaml');
    writeFileSync(sweepFile, TINY);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes results.csv, results.json and report.html with one row per strategy × bandwidth × dirty rate × seed', async () => {
    const out = join(dir, 'out-a');
    const r = await runCli(['migrate', 'sweep', sweepFile, '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`tiny-migration-sweep: 48 migrations in`);
    expect(r.stdout).toMatch(/precopy\s+converges up to 2,000, fails at 20,000\s+converges at every rate/);
    for (const name of ['results.csv', 'results.json', 'report.html']) expect(existsSync(join(out, name)), name).toBe(true);

    const csv = readFileSync(join(out, 'results.csv'), 'utf8');
    expect(csv.split('\n')[0].split(',').slice(0, LEADING_COLUMNS.length)).toEqual(LEADING_COLUMNS);
    expect(csv.split('\n')[0]).toContain('passes,remote_faults');
    expect(csv.split('\n')[0]).toContain('throughput_loss_during,throughput_loss_after');
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(3 * 2 * 4 * 2);
    // Order: strategy × bandwidth × dirty rate × seed.
    expect(rows.slice(0, 3).map((row) => [row.strategy, row.bandwidth_mbit, row.dirty_pages_per_s, row.seed])).toEqual([
      ['precopy', '200', '0', '1'],
      ['precopy', '200', '0', '2'],
      ['precopy', '200', '2000', '1'],
    ]);
    // 20,000 pages/s is 80 MB/s, more than a 200 Mbit/s link carries: pre-copy is cancelled at its 10 s limit.
    const stuck = rows.find((row) => row.strategy === 'precopy' && row.bandwidth_mbit === '200' && row.dirty_pages_per_s === '20000')!;
    expect(stuck).toMatchObject({ outcome: 'aborted', converged: 'false', total_s: '10', switchover_s: '' });
    const fast = rows.find((row) => row.strategy === 'precopy' && row.bandwidth_mbit === '1000' && row.dirty_pages_per_s === '20000')!;
    expect(fast.outcome).toBe('completed');
    expect(Number(fast.downtime_s)).toBeLessThan(0.31);
    // Post-copy switches at once and faults pages in.
    const post = rows.find((row) => row.strategy === 'postcopy' && row.bandwidth_mbit === '200' && row.dirty_pages_per_s === '20000')!;
    expect(Number(post.switchover_s)).toBeLessThan(0.05);
    expect(Number(post.remote_faults)).toBeGreaterThan(0);

    const json = readJson(join(out, 'results.json'));
    expect(json.sweep).toBe('tiny-migration-sweep');
    expect(json.points).toBe(48);
    expect(json.rows).toHaveLength(48);
    expect(json.rows[4]).toMatchObject({ strategy: 'precopy', bandwidth_mbit: 200, dirty_pages_per_s: 20000, seed: 1, converged: false, switchover_s: null });
    expect(json.definition.qemu).toEqual({ max_bandwidth_mib_s: 1024, time_limit_s: 10 });
    expect(json).not.toHaveProperty('wall_seconds');

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const id of ['total-200mbit', 'downtime-200mbit', 'total-1000mbit', 'downtime-1000mbit']) expect(html).toContain(`data-chart="${id}"`);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('writes the same bytes for the same file', async () => {
    const first = join(dir, 'out-b');
    const second = join(dir, 'out-c');
    const [a, b] = await Promise.all([
      runCli(['migrate', 'sweep', sweepFile, '--out', first, '--quiet']),
      runCli(['migrate', 'sweep', sweepFile, '--out', second, '--quiet']),
    ]);
    expect([a.status, b.status]).toEqual([0, 0]);
    const treeA = snapshotTree(first);
    expect(Object.keys(treeA).sort()).toEqual(['.hyperwatt-output', 'report.html', 'results.csv', 'results.json']);
    expect(snapshotTree(second)).toEqual(treeA);
  });

  it('prints the results as one JSON object with --json, and still writes the files', async () => {
    const out = join(dir, 'out-json');
    const r = await runCli(['migrate', 'sweep', sweepFile, '--out', out, '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const json = parseSingleJsonObject(r.stdout);
    expect(json.sweep).toBe('tiny-migration-sweep');
    expect(json.rows).toHaveLength(48);
    expect(typeof json.wall_seconds).toBe('number');
    const { wall_seconds: _wall, ...results } = json;
    expect(results).toEqual(readJson(join(out, 'results.json')));
  });

  it('writes to out/<name> by default', async () => {
    const cwd = join(dir, 'default-out');
    mkdirSync(cwd);
    const r = await runCli(['migrate', 'sweep', sweepFile, '--quiet'], { cwd });
    expect(r.status).toBe(0);
    expect(existsSync(join(cwd, 'out', 'tiny-migration-sweep', 'results.csv'))).toBe(true);
  });

  it('lists every problem of a bad file with file:line:column and field, and exits with 2', async () => {
    const bad = join(dir, 'bad.yaml');
    const text = TINY.replace('hot_set_mib: 64', 'hot_set_mib: 128')
      .replace('  - strategy: postcopy\n', '  - strategy: postcopy\n    auto_converge: true\n')
      .replace('switch_after_passes: 1', 'switch_after: 1')
      .replace('bandwidth_mbit: [200, 1000]', 'bandwidth_mbit: [200, -1000]');
    writeFileSync(bad, text);
    const out = join(dir, 'out-bad');
    const r = await runCli(['migrate', 'sweep', bad, '--out', out]);
    expectUserError(r, [
      `${bad}:${lineOf(text, 'hot_set_mib')}:16: guest.hot_set_mib: is larger than ram_mib (128 > 64)`,
      `${bad}:${lineOf(text, 'auto_converge')}:5: strategies[1]: unknown key "auto_converge"`,
      `${bad}:${lineOf(text, 'switch_after:')}:5: strategies[2]: unknown key "switch_after" (did you mean "switch_after_s"?)`,
      `strategies[2]: hybrid needs switch_after_s or switch_after_passes`,
      `${bad}:${lineOf(text, 'bandwidth_mbit')}:25: grid.bandwidth_mbit[1]: expected a positive number, got -1000`,
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('names the file for a missing file and a YAML syntax error', async () => {
    const missing = join(dir, 'nope.yaml');
    expectUserError(await runCli(['migrate', 'sweep', missing]), [`${missing}: file not found`]);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: x\nguest: [\n');
    expectUserError(await runCli(['migrate', 'sweep', broken]), [new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `)]);
  });

  it('refuses to replace a directory it did not write', async () => {
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'thesis.tex'), 'precious');
    expectUserError(await runCli(['migrate', 'sweep', sweepFile, '--out', foreign, '--quiet']), ['was not written by Hyperwatt']);
    expect(readFileSync(join(foreign, 'thesis.tex'), 'utf8')).toBe('precious');
  });

  it('leaves `hyperwatt migrate` (one migration, options) as it was', async () => {
    const r = await runCli(['migrate', '--ram-mib', '64', '--bandwidth-mbit', '1000', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).converged).toBe(true);
  });
});

describe('examples/migration/dirty-rate-sweep.yaml', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir('migrate-sweep-example');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs in seconds; pre-copy stops converging between 30,000 and 40,000 pages/s at 1 Gbit/s and always converges at 10 Gbit/s', async () => {
    const out = join(dir, 'out');
    const started = performance.now();
    const r = await runCli(['migrate', 'sweep', 'examples/migration/dirty-rate-sweep.yaml', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect((performance.now() - started) / 1000).toBeLessThan(20);
    const rows: Record<string, any>[] = parseSingleJsonObject(r.stdout).rows as Record<string, any>[];
    expect(rows).toHaveLength(4 * 2 * 10);
    const at = (strategy: string, bandwidth: number, rate: number) =>
      rows.find((row) => row.strategy === strategy && row.bandwidth_mbit === bandwidth && row.dirty_pages_per_s === rate)!;
    expect(at('precopy', 1000, 30000).converged).toBe(true);
    for (const rate of [40000, 50000, 60000, 80000, 100000]) expect(at('precopy', 1000, rate).outcome, String(rate)).toBe('aborted');
    expect(rows.filter((row) => row.bandwidth_mbit === 10000).every((row) => row.converged && row.outcome === 'completed')).toBe(true);
    // Auto-converge gets there by throttling; post-copy's time does not depend on the dirty rate.
    expect(at('precopy + auto-converge', 1000, 100000)).toMatchObject({ outcome: 'completed', converged: true });
    expect(at('precopy + auto-converge', 1000, 100000).max_throttle_percent).toBeGreaterThan(0);
    expect(at('postcopy', 1000, 100000).total_s).toBeCloseTo(at('postcopy', 1000, 0).total_s, 6);
    expect(at('hybrid (2 passes)', 1000, 100000).downtime_s).toBeLessThan(0.01);
  });
});
