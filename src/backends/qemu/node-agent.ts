/**
 * The node agent (`hyperwatt agent`), one per host: starts and stops QEMU VMs from a VM spec, keeps its state in an
 * embedded store so that a restarted agent reattaches to its running VMs, and serves an HTTP API (fastify) with a
 * bearer token, its OpenAPI description, and Prometheus metrics.
 *
 * VMs are started detached (their own process group): they outlive the agent, which is the point of reattaching.
 * Every `sampleSeconds` the agent reads each VM's CPU time from /proc and charges energy with `VmEnergyMeter` (the
 * fallback without counters or RAPL); the running total is kept in the store.
 *
 * API (all but /openapi.json need `Authorization: Bearer <token>`):
 * - `GET /vms`, `POST /vms` (a VM spec), `GET /vms/{name}`, `DELETE /vms/{name}`;
 * - `POST /vms/{name}/balloon` `{targetMiB}`, `POST /vms/{name}/cpu-cap` `{cores}` (null removes the cap),
 *   `POST /vms/{name}/online-vcpus` `{count}` (guest offlining and onlining);
 * - `POST /vms/{name}/migrate` `{destination: {url, token}, strategy, …limits}`: live migration to another agent,
 *   which `POST /incoming` `{vm, postcopy}` prepares (a VM waiting for the stream); on success the source VM is gone,
 *   on failure the destination's is removed and the source's keeps running (pre-copy);
 * - `GET /metrics` (Prometheus text format), `GET /openapi.json`.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { PowerModel } from '../../model/power-model.js';
import { AgentStore } from './agent-store.js';
import { cpuSecondsOf, CpuCap, threadsOf } from './cpu-control.js';
import type { GuestImage } from './guest-image.js';
import { QemuVm, type VmSpec } from './qemu-vm.js';
import { migrateFromSource, prepareIncoming } from './vm-migration.js';
import { VmEnergyMeter, type IdleRule } from './vm-energy.js';

export interface NodeAgentOptions {
  /** Where the store and the VMs' run directories live. */
  readonly dataDirectory: string;
  /** The bearer token clients must send. */
  readonly token: string;
  /** The guest VMs boot by default. */
  readonly image: GuestImage;
  /** The host's power model for the energy estimate. */
  readonly power: PowerModel;
  readonly cores: number;
  readonly idleRule?: IdleRule;
  /** How often CPU time is sampled for energy, seconds (default 1). */
  readonly sampleSeconds?: number;
}

const VmRequestSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and -, starting with a letter, at most 32'),
  memoryMiB: z.number().int().min(64).max(16384),
  vcpus: z.number().int().min(1).max(64),
  maxVcpus: z.number().int().min(1).max(64).optional(),
  workload: z
    .strictObject({ kind: z.enum(['idle', 'dirty', 'spin', 'counter']), mib: z.number().int().positive().optional(), pagesPerSecond: z.number().nonnegative().optional() })
    .optional(),
  balloon: z.boolean().optional(),
});

const BalloonSchema = z.strictObject({ targetMiB: z.number().int().min(16) });
const IncomingSchema = z.strictObject({ vm: VmRequestSchema, postcopy: z.boolean() });
const MigrateSchema = z.strictObject({
  destination: z.strictObject({ url: z.string().url(), token: z.string().min(1) }),
  strategy: z.enum(['precopy', 'postcopy', 'hybrid']),
  maxBandwidthMiBps: z.number().positive().optional(),
  downtimeLimitMs: z.number().positive().optional(),
  switchAfterSeconds: z.number().nonnegative().optional(),
  autoConverge: z.boolean().optional(),
  timeoutSeconds: z.number().positive().max(3600).optional(),
});
const CapSchema = z.strictObject({ cores: z.number().positive().max(1024).nullable() });
const OnlineSchema = z.strictObject({ count: z.number().int().min(1) });

interface ManagedVm {
  vm: QemuVm;
  cap: CpuCap | null;
  /** Energy charged before this agent process (from the store), joules. */
  energyOffset: number;
}

export class NodeAgent {
  readonly options: NodeAgentOptions;
  readonly store: AgentStore;
  private readonly vms = new Map<string, ManagedVm>();
  private readonly meter: VmEnergyMeter;
  private server: FastifyInstance | null = null;
  private sampler: NodeJS.Timeout | null = null;
  private readonly started = performance.now();

  private constructor(options: NodeAgentOptions) {
    this.options = options;
    mkdirSync(join(options.dataDirectory, 'vms'), { recursive: true });
    this.store = new AgentStore(join(options.dataDirectory, 'agent.db'));
    this.meter = new VmEnergyMeter(options.power, options.cores, options.idleRule ?? 'equal');
  }

  /** Opens the store, reattaches to the VMs it lists as running (marking the others lost), and serves the API. */
  static async start(options: NodeAgentOptions, listen: { port: number; host?: string }): Promise<{ agent: NodeAgent; url: string }> {
    const agent = new NodeAgent(options);
    await agent.reattach();
    const url = await agent.serve(listen.port, listen.host ?? '127.0.0.1');
    agent.sampler = setInterval(() => agent.sampleEnergy(), (options.sampleSeconds ?? 1) * 1000);
    agent.sampler.unref();
    return { agent, url };
  }

  /** Names of the VMs the agent manages now. */
  get vmNames(): string[] {
    return [...this.vms.keys()].sort();
  }

  /** Stops serving (the VMs keep running: a new agent reattaches). */
  async close(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    this.sampleEnergy();
    await this.server?.close();
    for (const { vm } of this.vms.values()) vm.qmp.close();
    this.store.close();
  }

  /** Stops every VM and the agent (tests, shutdown). */
  async shutdown(): Promise<void> {
    for (const name of [...this.vms.keys()]) await this.stopVm(name);
    await this.close();
  }

  private async reattach(): Promise<void> {
    for (const stored of this.store.list()) {
      if (stored.state !== 'running') continue;
      try {
        const vm = await QemuVm.attach(stored.spec, stored.pid);
        this.vms.set(stored.name, { vm, cap: CpuCap.find(stored.name, stored.pid), energyOffset: stored.energyJoules });
      } catch {
        this.store.setState(stored.name, 'lost');
      }
    }
  }

  private sampleEnergy(): void {
    const readings = [];
    for (const [name, managed] of this.vms) {
      if (!managed.vm.running) continue;
      try {
        readings.push({ name, vcpus: managed.vm.spec.vcpus, cpuSeconds: cpuSecondsOf(managed.vm.pid) });
      } catch {
        /* exited between the check and the read */
      }
    }
    this.meter.sample((performance.now() - this.started) / 1000, readings);
    for (const { name } of readings) this.store.setEnergy(name, this.energyOf(name));
  }

  private energyOf(name: string): number {
    return (this.vms.get(name)?.energyOffset ?? 0) + this.meter.energyJoules(name);
  }

  private async startVm(request: z.infer<typeof VmRequestSchema>, incoming = false): Promise<QemuVm> {
    const spec: VmSpec = {
      name: request.name,
      memoryMiB: request.memoryMiB,
      vcpus: request.vcpus,
      maxVcpus: request.maxVcpus ?? request.vcpus,
      kernelPath: this.options.image.kernelPath,
      initrdPath: this.options.image.initrdPath,
      workload: request.workload ?? { kind: 'idle' },
      balloon: request.balloon ?? true,
      runDirectory: join(this.options.dataDirectory, 'vms', request.name),
      detached: true,
      incoming,
    };
    const vm = await QemuVm.start(spec);
    this.vms.set(spec.name, { vm, cap: null, energyOffset: 0 });
    this.store.put({ name: spec.name, spec, pid: vm.pid, state: 'running' });
    return vm;
  }

  private async stopVm(name: string): Promise<void> {
    const managed = this.vms.get(name);
    if (!managed) return;
    managed.cap?.release();
    await managed.vm.stop();
    this.vms.delete(name);
    this.store.setState(name, 'stopped');
  }

  private async describe(name: string): Promise<Record<string, unknown>> {
    const managed = this.vms.get(name)!;
    const { vm } = managed;
    const status = vm.running ? await vm.qmp.execute('query-status', undefined, { timeoutMs: 5000 }).catch(() => null) : null;
    const balloon = vm.running && vm.spec.balloon !== false ? await vm.qmp.execute('query-balloon', undefined, { timeoutMs: 5000 }).catch(() => null) : null;
    return {
      name,
      pid: vm.pid,
      running: vm.running,
      status: status?.status ?? 'exited',
      memoryMiB: vm.spec.memoryMiB,
      vcpus: vm.spec.vcpus,
      maxVcpus: vm.spec.maxVcpus,
      balloonMiB: balloon ? balloon.actual / 2 ** 20 : null,
      cpuCapCores: managed.cap ? managed.cap.cores : null,
      cpuSeconds: vm.running ? cpuSecondsOf(vm.pid) : null,
      energyJoules: this.energyOf(name),
    };
  }

  private async metrics(): Promise<string> {
    const lines = [
      '# HELP hyperwatt_vm_up Whether the VM\'s QEMU process runs.',
      '# TYPE hyperwatt_vm_up gauge',
      '# HELP hyperwatt_vm_cpu_seconds_total CPU time of the VM\'s QEMU process (all threads), seconds.',
      '# TYPE hyperwatt_vm_cpu_seconds_total counter',
      '# HELP hyperwatt_vcpu_cpu_seconds_total CPU time of each vCPU thread, seconds.',
      '# TYPE hyperwatt_vcpu_cpu_seconds_total counter',
      '# HELP hyperwatt_vm_energy_joules_total Energy charged to the VM (CPU-time fallback model), joules.',
      '# TYPE hyperwatt_vm_energy_joules_total counter',
      '# HELP hyperwatt_vm_balloon_bytes Memory the VM has with its balloon (query-balloon actual), bytes.',
      '# TYPE hyperwatt_vm_balloon_bytes gauge',
    ];
    const samples: string[] = [];
    for (const name of this.vmNames) {
      const { vm } = this.vms.get(name)!;
      const label = `vm="${name}"`;
      samples.push(`hyperwatt_vm_up{${label}} ${vm.running ? 1 : 0}`);
      samples.push(`hyperwatt_vm_energy_joules_total{${label}} ${this.energyOf(name)}`);
      if (!vm.running) continue;
      samples.push(`hyperwatt_vm_cpu_seconds_total{${label}} ${cpuSecondsOf(vm.pid)}`);
      const cpus = await vm.qmp.execute('query-cpus-fast', undefined, { timeoutMs: 5000 }).catch(() => []);
      const threads = new Set(threadsOf(vm.pid));
      for (const cpu of cpus) {
        if (threads.has(cpu['thread-id'])) samples.push(`hyperwatt_vcpu_cpu_seconds_total{${label},vcpu="${cpu['cpu-index']}"} ${cpuSecondsOf(vm.pid, cpu['thread-id'])}`);
      }
      if (vm.spec.balloon !== false) {
        const balloon = await vm.qmp.execute('query-balloon', undefined, { timeoutMs: 5000 }).catch(() => null);
        if (balloon) samples.push(`hyperwatt_vm_balloon_bytes{${label}} ${balloon.actual}`);
      }
    }
    return `${lines.join('\n')}\n${samples.join('\n')}\n`;
  }

  /** Serves the API on `host`:`port`; migration streams for `/incoming` VMs come in on the same address. */
  private async serve(port: number, host: string): Promise<string> {
    const app = Fastify({ logger: false });
    this.server = app;
    const expected = Buffer.from(`Bearer ${this.options.token}`);
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.url === '/openapi.json') return;
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token' });
      }
    });
    const body = <T>(schema: z.ZodType<T>, request: FastifyRequest, reply: FastifyReply): T | null => {
      const parsed = schema.safeParse(request.body ?? {});
      if (parsed.success) return parsed.data;
      void reply.code(400).send({ error: 'invalid request body', issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) });
      return null;
    };
    const managed = (request: FastifyRequest, reply: FastifyReply): ManagedVm | null => {
      const name = (request.params as { name: string }).name;
      const vm = this.vms.get(name);
      if (!vm) void reply.code(404).send({ error: `no VM '${name}' on this agent` });
      return vm ?? null;
    };

    app.get('/openapi.json', async () => OPENAPI);
    app.get('/vms', async () => ({ vms: await Promise.all(this.vmNames.map((name) => this.describe(name))) }));
    app.post('/vms', async (request, reply) => {
      const spec = body(VmRequestSchema, request, reply);
      if (!spec) return reply;
      if (this.vms.has(spec.name)) return reply.code(409).send({ error: `a VM '${spec.name}' already runs on this agent` });
      if ((spec.maxVcpus ?? spec.vcpus) < spec.vcpus) return reply.code(400).send({ error: 'invalid request body', issues: [{ path: 'maxVcpus', message: 'must be at least vcpus' }] });
      if (!existsSync(this.options.image.kernelPath)) return reply.code(500).send({ error: `the guest kernel ${this.options.image.kernelPath} is missing (run hyperwatt guest build)` });
      try {
        await this.startVm(spec);
      } catch (error) {
        return reply.code(500).send({ error: `QEMU did not start: ${(error as Error).message}` });
      }
      return reply.code(201).send(await this.describe(spec.name));
    });
    app.get('/vms/:name', async (request, reply) => (managed(request, reply) ? this.describe((request.params as { name: string }).name) : reply));
    app.delete('/vms/:name', async (request, reply) => {
      if (!managed(request, reply)) return reply;
      await this.stopVm((request.params as { name: string }).name);
      return reply.code(204).send();
    });
    app.post('/vms/:name/balloon', async (request, reply) => {
      const vm = managed(request, reply);
      const wanted = vm && body(BalloonSchema, request, reply);
      if (!vm || !wanted) return reply;
      if (wanted.targetMiB > vm.vm.spec.memoryMiB) return reply.code(400).send({ error: `targetMiB must be at most the VM's ${vm.vm.spec.memoryMiB} MiB` });
      await vm.vm.qmp.execute('balloon', { value: wanted.targetMiB * 2 ** 20 });
      return { name: vm.vm.spec.name, targetMiB: wanted.targetMiB };
    });
    app.post('/vms/:name/cpu-cap', async (request, reply) => {
      const vm = managed(request, reply);
      const wanted = vm && body(CapSchema, request, reply);
      if (!vm || !wanted) return reply;
      if (wanted.cores === null) {
        vm.cap?.release();
        vm.cap = null;
      } else if (vm.cap) {
        vm.cap.set(wanted.cores);
      } else {
        vm.cap = CpuCap.apply(vm.vm.spec.name, vm.vm.pid, wanted.cores);
      }
      return { name: vm.vm.spec.name, cores: wanted.cores };
    });
    app.post('/vms/:name/online-vcpus', async (request, reply) => {
      const vm = managed(request, reply);
      const wanted = vm && body(OnlineSchema, request, reply);
      if (!vm || !wanted) return reply;
      if (wanted.count > vm.vm.spec.vcpus) return reply.code(400).send({ error: `count must be at most the VM's ${vm.vm.spec.vcpus} vCPUs` });
      await vm.vm.waitForGuest(60_000);
      for (let cpu = 1; cpu < vm.vm.spec.vcpus; cpu++) {
        const result = await vm.vm.guestCommand(`echo ${cpu < wanted.count ? 1 : 0} > /sys/devices/system/cpu/cpu${cpu}/online`);
        if (result.status !== 0) return reply.code(500).send({ error: `the guest refused to change cpu${cpu}: ${result.output.trim()}` });
      }
      return { name: vm.vm.spec.name, online: (await vm.vm.guestCommand('cat /sys/devices/system/cpu/online')).output.trim() };
    });
    app.post('/incoming', async (request, reply) => {
      const wanted = body(IncomingSchema, request, reply);
      if (!wanted) return reply;
      if (this.vms.has(wanted.vm.name)) return reply.code(409).send({ error: `a VM '${wanted.vm.name}' already runs on this agent` });
      let vm: QemuVm;
      try {
        vm = await this.startVm(wanted.vm, true);
      } catch (error) {
        return reply.code(500).send({ error: `QEMU did not start: ${(error as Error).message}` });
      }
      const port = await prepareIncoming(vm, wanted.postcopy, host);
      return reply.code(201).send({ name: wanted.vm.name, address: host, port });
    });
    app.post('/vms/:name/migrate', async (request, reply) => {
      const source = managed(request, reply);
      const wanted = source && body(MigrateSchema, request, reply);
      if (!source || !wanted) return reply;
      const spec = source.vm.spec;
      const destination = wanted.destination.url.replace(/\/$/, '');
      const headers = { authorization: `Bearer ${wanted.destination.token}`, 'content-type': 'application/json' };
      let incoming: { address: string; port: number };
      try {
        const response = await fetch(`${destination}/incoming`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            vm: { name: spec.name, memoryMiB: spec.memoryMiB, vcpus: spec.vcpus, maxVcpus: spec.maxVcpus, workload: spec.workload, balloon: spec.balloon },
            postcopy: wanted.strategy !== 'precopy',
          }),
          signal: AbortSignal.timeout(60_000),
        });
        if (response.status !== 201) return reply.code(502).send({ error: `the destination agent refused the VM (${response.status}): ${await response.text()}` });
        incoming = (await response.json()) as { address: string; port: number };
      } catch (error) {
        return reply.code(502).send({ error: `the destination agent ${destination} is unreachable: ${(error as Error).message}` });
      }
      const result = await migrateFromSource(source.vm, `tcp:${incoming.address}:${incoming.port}`, {
        strategy: wanted.strategy,
        maxBandwidthBytesPerSecond: wanted.maxBandwidthMiBps === undefined ? undefined : wanted.maxBandwidthMiBps * 2 ** 20,
        downtimeLimitMs: wanted.downtimeLimitMs,
        postcopyAfterSeconds: wanted.switchAfterSeconds,
        autoConverge: wanted.autoConverge,
        timeoutMs: (wanted.timeoutSeconds ?? 120) * 1000,
      }).catch((error: Error) => ({ status: 'failed', errorDescription: error.message }) as const);
      const figures = { ...result, progress: undefined };
      if (result.status === 'completed') {
        await this.stopVm(spec.name);
        this.store.setState(spec.name, 'migrated');
        return { name: spec.name, destination, ...figures };
      }
      // Failed or cancelled: drop the half-filled destination; a pre-copy source never stopped and runs on.
      await fetch(`${destination}/vms/${spec.name}`, { method: 'DELETE', headers: { authorization: headers.authorization }, signal: AbortSignal.timeout(30_000) }).catch(() => {});
      const status = source.vm.running ? await source.vm.qmp.execute('query-status', undefined, { timeoutMs: 5000 }).catch(() => null) : null;
      return reply.code(502).send({ error: `migration ${result.status}: ${result.errorDescription ?? 'no description'}`, sourceStatus: status?.status ?? 'exited', ...figures });
    });
    app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(await this.metrics()));
    return app.listen({ port, host });
  }
}

/** The API's OpenAPI 3.1 description. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'Hyperwatt node agent', version: '0.1.0', description: 'Starts, stops and controls QEMU VMs on one host; Prometheus metrics.' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      VmRequest: z.toJSONSchema(VmRequestSchema),
      Balloon: z.toJSONSchema(BalloonSchema),
      CpuCap: z.toJSONSchema(CapSchema),
      OnlineVcpus: z.toJSONSchema(OnlineSchema),
      Migrate: z.toJSONSchema(MigrateSchema),
      Incoming: z.toJSONSchema(IncomingSchema),
      Error: { type: 'object', properties: { error: { type: 'string' }, issues: { type: 'array' } }, required: ['error'] },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/vms': {
      get: { summary: 'List the VMs', responses: { '200': { description: 'The VMs' } } },
      post: { summary: 'Start a VM', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/VmRequest' } } } }, responses: { '201': { description: 'Started' }, '400': { description: 'Invalid spec' }, '409': { description: 'Name taken' } } },
    },
    '/vms/{name}': {
      get: { summary: 'Describe a VM', responses: { '200': { description: 'The VM' }, '404': { description: 'No such VM' } } },
      delete: { summary: 'Stop a VM (QMP quit, then its PID)', responses: { '204': { description: 'Stopped' }, '404': { description: 'No such VM' } } },
    },
    '/vms/{name}/balloon': { post: { summary: 'Set the balloon target', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Balloon' } } } }, responses: { '200': { description: 'Set' } } } },
    '/vms/{name}/cpu-cap': { post: { summary: 'Cap (or uncap, with null) the VM\'s CPU with the cgroup cpu controller', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CpuCap' } } } }, responses: { '200': { description: 'Set' } } } },
    '/vms/{name}/online-vcpus': { post: { summary: 'Online the first count vCPUs in the guest, offline the rest', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/OnlineVcpus' } } } }, responses: { '200': { description: 'Set' } } } },
    '/vms/{name}/migrate': { post: { summary: 'Live-migrate the VM to another agent', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Migrate' } } } }, responses: { '200': { description: 'Completed; the VM runs on the destination' }, '502': { description: 'Failed; the VM still runs here (pre-copy)' } } } },
    '/incoming': { post: { summary: 'Start a VM waiting for a migration stream (called by the source agent)', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Incoming' } } } }, responses: { '201': { description: 'Listening: address and port' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Text format 0.0.4' } } } },
    '/openapi.json': { get: { summary: 'This description (no token needed)', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
  },
} as const;
