/**
 * `hyperwatt migrate` end to end: the JSON keys the issue asks for, SimGrid's compatibility mode on a published
 * point, the human-readable table, and bad options (every problem listed, exit code 2, no stack trace).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, runCli } from './cli-helpers.js';

beforeAll(requireBuiltCli);

describe('hyperwatt migrate', () => {
  it('prints one JSON object with the figures of a pre-copy migration', async () => {
    const r = await runCli(['migrate', '--strategy', 'precopy', '--ram-mib', '256', '--bandwidth-mbit', '1000', '--dirty-pages-per-s', '5000', '--hot-set-mib', '64', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    for (const key of ['total_s', 'downtime_s', 'switchover_s', 'transferred_mib', 'passes', 'remote_faults', 'converged']) expect(json).toHaveProperty(key);
    expect(json.converged).toBe(true);
    expect(json.transferred_mib).toBeGreaterThanOrEqual(256);
    expect(json.downtime_s).toBeLessThan(0.31);
  });

  it('post-copy switches over at once and faults pages in; hybrid switches after the given time', async () => {
    const post = JSON.parse((await runCli(['migrate', '--strategy', 'postcopy', '--ram-mib', '256', '--bandwidth-mbit', '1000', '--dirty-pages-per-s', '5000', '--hot-set-mib', '64', '--json'])).stdout);
    expect(post.switchover_s).toBeLessThan(0.05);
    expect(post.remote_faults).toBeGreaterThan(0);
    const hybrid = JSON.parse(
      (await runCli(['migrate', '--strategy', 'hybrid', '--switch-after-s', '1', '--ram-mib', '512', '--bandwidth-mbit', '1000', '--dirty-pages-per-s', '30000', '--hot-set-mib', '256', '--json'])).stdout,
    );
    expect(hybrid.switchover_s).toBeGreaterThan(1);
    expect(hybrid.switchover_s).toBeLessThan(1.2);
  });

  it("runs SimGrid's model with --compat simgrid (10 % intensity, computing: 10.4942 s in SimGrid 3.32)", async () => {
    const r = await runCli(['migrate', '--compat', 'simgrid', '--ram-mib', '1024', '--dirty-intensity', '10', '--json']);
    const json = JSON.parse(r.stdout);
    expect(json.total_s).toBeCloseTo(10.4942, 3);
    expect(json.converged).toBe(true);
    const idle = JSON.parse((await runCli(['migrate', '--compat', 'simgrid', '--ram-mib', '1024', '--dirty-intensity', '90', '--idle', '--json'])).stdout);
    expect(idle.total_s).toBeCloseTo(9.3023, 3);
    const stuck = JSON.parse((await runCli(['migrate', '--compat', 'simgrid', '--ram-mib', '1024', '--dirty-intensity', '90', '--time-limit-s', '100', '--json'])).stdout);
    expect(stuck.converged).toBe(false);
  });

  it('injects failures: pre-copy keeps the VM on the source, post-copy loses it unless recovery is on', async () => {
    const base = ['migrate', '--ram-mib', '512', '--bandwidth-mbit', '1000', '--dirty-pages-per-s', '5000', '--hot-set-mib', '128', '--json'];
    const pre = JSON.parse((await runCli([...base, '--strategy', 'precopy', '--fail-at-s', '1', '--failure', 'destination'])).stdout);
    expect(pre.outcome).toBe('aborted');
    expect(pre.total_s).toBeCloseTo(1, 9);
    const lost = JSON.parse((await runCli([...base, '--strategy', 'postcopy', '--fail-at-s', '1', '--failure', 'link'])).stdout);
    expect(lost.outcome).toBe('lost');
    const recovered = JSON.parse((await runCli([...base, '--strategy', 'postcopy', '--fail-at-s', '1', '--link-back-after-s', '2', '--postcopy-recovery'])).stdout);
    expect(recovered.outcome).toBe('completed');
    expect(recovered.vcpu_blocked_s).toBeGreaterThanOrEqual(2);
    const bad = await runCli([...base, '--failure', 'power']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--failure: unknown value 'power' (valid: link, source, destination)");
    expect(bad.stderr).toContain('--failure needs --fail-at-s');
  });

  it('prints a table on a terminal', async () => {
    const r = await runCli(['migrate', '--ram-mib', '64', '--bandwidth-mbit', '1000']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/precopy migration of 64 MiB over 1000 Mbit\/s/);
    expect(r.stdout).toMatch(/downtime\s+[\d.]+ ms/);
  });

  it('lists every bad option and exits with 2', async () => {
    const r = await runCli(['migrate', '--strategy', 'teleport', '--ram-mib', '0', '--bandwidth-mbit', 'fast', '--touch-locality', '2']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("--strategy: unknown value 'teleport' (valid: precopy, postcopy, hybrid, stop-and-copy)");
    expect(r.stderr).toContain("--ram-mib: expected a positive number, got '0'");
    expect(r.stderr).toContain("--bandwidth-mbit: expected a positive number, got 'fast'");
    expect(r.stderr).toContain('--touch-locality: expected a fraction in [0, 1]');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = await runCli(['migrate', '--strategy', 'hybrid']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--ram-mib is required');
    expect(missing.stderr).toContain('--strategy hybrid needs --switch-after-s or --switch-after-passes');
  });
});
