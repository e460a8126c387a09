/**
 * The node agent with real VMs: the bearer token, starting a VM from a spec (bad specs refused with the field), the
 * balloon, a CPU cap and guest vCPU offlining through the API, Prometheus metrics, a restarted agent reattaching to
 * the VM it left running, and stopping it with nothing left running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuestImage, type GuestImage } from '../../src/backends/qemu/guest-image.js';
import { NodeAgent } from '../../src/backends/qemu/node-agent.js';
import { processAlive } from '../../src/backends/qemu/qemu-vm.js';
import { linearPowerModel } from '../../src/model/power-model.js';

let image: GuestImage;
let dir: string;
const agents: NodeAgent[] = [];
const TOKEN = 'test-token-123';

beforeAll(() => {
  image = buildGuestImage();
  dir = mkdtempSync(join(tmpdir(), 'hyperwatt-agent-'));
}, 300_000);

afterAll(async () => {
  // The last agent stops its VMs; earlier ones were closed by the test.
  await agents[agents.length - 1]?.shutdown().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const options = () => ({ dataDirectory: dir, token: TOKEN, image, power: linearPowerModel('test', 100, 200), cores: 2, sampleSeconds: 0.5 });

describe('NodeAgent', () => {
  it('serves VMs behind a bearer token, reports metrics, and reattaches after a restart', async () => {
    let { agent, url } = await NodeAgent.start(options(), { port: 0 });
    agents.push(agent);
    const call = (path: string, init: RequestInit = {}, token = TOKEN) =>
      fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

    expect((await call('/vms', {}, 'wrong')).status).toBe(401);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const json = async (response: Response): Promise<any> => response.json();
    const openapi = await json(await fetch(`${url}/openapi.json`));
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/vms/{name}/cpu-cap');

    const bad = await call('/vms', { method: 'POST', body: JSON.stringify({ name: 'Bad Name', memoryMiB: 8, vcpus: 1 }) });
    expect(bad.status).toBe(400);
    const issues = (await json(bad)).issues.map((i: { path: string }) => i.path);
    expect(issues).toEqual(expect.arrayContaining(['name', 'memoryMiB']));

    const created = await call('/vms', { method: 'POST', body: JSON.stringify({ name: 'web', memoryMiB: 128, vcpus: 2, workload: { kind: 'counter' } }) });
    expect(created.status, await created.clone().text()).toBe(201);
    const { pid } = await json(created);
    expect((await call('/vms', { method: 'POST', body: JSON.stringify({ name: 'web', memoryMiB: 128, vcpus: 1 }) })).status).toBe(409);

    // Wait for the guest's agent port, then offline a vCPU through the API.
    for (let i = 0; i < 100; i++) {
      const online = await call('/vms/web/online-vcpus', { method: 'POST', body: JSON.stringify({ count: 1 }) });
      if (online.status === 200) {
        expect((await json(online)).online).toBe('0');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await call('/vms/web/balloon', { method: 'POST', body: JSON.stringify({ targetMiB: 96 }) })).status).toBe(200);
    expect((await call('/vms/web/cpu-cap', { method: 'POST', body: JSON.stringify({ cores: 0.5 }) })).status).toBe(200);
    expect((await json(await call('/vms/web'))).cpuCapCores).toBe(0.5);
    expect((await call('/vms/nope')).status).toBe(404);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const metrics = await (await call('/metrics')).text();
    expect(metrics).toMatch(/^hyperwatt_vm_up\{vm="web"\} 1$/m);
    expect(metrics).toMatch(/^hyperwatt_vcpu_cpu_seconds_total\{vm="web",vcpu="0"\} [0-9.]+$/m);
    expect(metrics).toMatch(/^hyperwatt_vm_balloon_bytes\{vm="web"\} \d+$/m);
    const energy = Number(/^hyperwatt_vm_energy_joules_total\{vm="web"\} ([0-9.e+]+)$/m.exec(metrics)![1]);
    expect(energy).toBeGreaterThan(0);

    // Restart the agent: the VM keeps running and the new agent reattaches to it.
    await agent.close();
    expect(processAlive(pid)).toBe(true);
    ({ agent, url } = await NodeAgent.start(options(), { port: 0 }));
    agents.push(agent);
    expect(agent.vmNames).toEqual(['web']);
    const described = await json(await call('/vms/web'));
    expect(described).toMatchObject({ name: 'web', pid, running: true, status: 'running', cpuCapCores: 0.5 });
    expect(described.energyJoules).toBeGreaterThanOrEqual(energy);

    expect((await call('/vms/web', { method: 'DELETE' })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processAlive(pid)).toBe(false);
    expect(agent.vmNames).toEqual([]);
  }, 180_000);
});

describe('migration between two agents', () => {
  it('moves a VM from one agent to another; a destination killed during pre-copy leaves it on the source; an unreachable agent is a clear error', async () => {
    const a = await NodeAgent.start({ ...options(), dataDirectory: join(dir, 'a') }, { port: 0 });
    const b = await NodeAgent.start({ ...options(), dataDirectory: join(dir, 'b') }, { port: 0 });
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const call = async (url: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> => {
        const response = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : null };
      };
      const post = (url: string, path: string, value: unknown) => call(url, path, { method: 'POST', body: JSON.stringify(value) });
      const to = { url: b.url, token: TOKEN };

      expect((await post(a.url, '/vms', { name: 'mover', memoryMiB: 128, vcpus: 1, workload: { kind: 'counter' } })).status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 4000)); // let it boot
      const moved = await post(a.url, '/vms/mover/migrate', { destination: to, strategy: 'precopy' });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      expect(moved.body.status).toBe('completed');
      expect(a.agent.vmNames).toEqual([]);
      expect(b.agent.vmNames).toEqual(['mover']);
      expect((await call(b.url, '/vms/mover')).body).toMatchObject({ running: true, status: 'running' });

      expect((await post(a.url, '/vms', { name: 'slow', memoryMiB: 128, vcpus: 1, workload: { kind: 'dirty', mib: 32, pagesPerSecond: 2000 } })).status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const migrating = post(a.url, '/vms/slow/migrate', { destination: to, strategy: 'precopy', maxBandwidthMiBps: 4 });
      // Kill the destination's QEMU in the middle of pre-copy.
      let destinationPid = 0;
      for (let i = 0; i < 50 && !destinationPid; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        destinationPid = (await call(b.url, '/vms/slow')).body?.pid ?? 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      process.kill(destinationPid, 'SIGKILL');
      const failed = await migrating;
      expect(failed.status).toBe(502);
      expect(failed.body.error).toMatch(/^migration (failed|cancelled)/);
      expect(failed.body.sourceStatus).toBe('running');
      expect(a.agent.vmNames).toEqual(['slow']);
      expect((await call(a.url, '/vms/slow')).body).toMatchObject({ running: true, status: 'running' });

      const unreachable = await post(a.url, '/vms/slow/migrate', { destination: { url: 'http://127.0.0.1:1', token: TOKEN }, strategy: 'precopy' });
      expect(unreachable.status).toBe(502);
      expect(unreachable.body.error).toMatch(/destination agent http:\/\/127.0.0.1:1 is unreachable/);
    } finally {
      await a.agent.shutdown();
      await b.agent.shutdown();
    }
  }, 240_000);
});

