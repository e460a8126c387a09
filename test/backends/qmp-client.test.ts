/**
 * The QMP client against a fake QEMU monitor on a unix socket that follows the protocol (greeting, capabilities
 * negotiation required first, replies by id, errors, events at any time): typed commands, errors, events to
 * listeners and waiters (including ones that arrived before the wait), timeouts, a server that goes away, and
 * reconnection once it is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpConnectionError, QmpError, QmpTimeoutError } from '../../src/backends/qemu/qmp-client.js';

/** A QMP server with just enough of QEMU's behaviour to test the client. */
class FakeQemu {
  readonly server: Server;
  readonly received: Record<string, unknown>[] = [];
  private clients = new Set<Socket>();
  private negotiated = new WeakSet<Socket>();
  /** Commands whose reply is withheld (to test timeouts). */
  silent = new Set<string>();

  constructor(readonly path: string) {
    this.server = createServer((socket) => {
      this.clients.add(socket);
      socket.on('close', () => this.clients.delete(socket));
      socket.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'Debian 1:7.2+dfsg-7' }, capabilities: ['oob'] } })}\r\n`);
      let buffer = '';
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim()) this.handle(socket, JSON.parse(line) as Record<string, unknown>);
        }
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  emit(event: string, data: Record<string, unknown> = {}): void {
    for (const socket of this.clients) socket.write(`${JSON.stringify({ event, data, timestamp: { seconds: 1, microseconds: 2 } })}\r\n`);
  }

  async stop(): Promise<void> {
    for (const socket of this.clients) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(socket: Socket, message: Record<string, unknown>): void {
    this.received.push(message);
    const { execute, id } = message as { execute: string; id?: string };
    const reply = (body: Record<string, unknown>): void => void socket.write(`${JSON.stringify({ ...body, ...(id === undefined ? {} : { id }) })}\r\n`);
    if (!this.negotiated.has(socket)) {
      if (execute === 'qmp_capabilities') {
        this.negotiated.add(socket);
        return reply({ return: {} });
      }
      return reply({ error: { class: 'CommandNotFound', desc: 'Expecting capabilities negotiation with \'qmp_capabilities\'' } });
    }
    if (this.silent.has(execute)) return;
    switch (execute) {
      case 'query-status':
        // An event first, as QEMU may send one at any time.
        this.emit('RESUME');
        return reply({ return: { running: true, status: 'running' } });
      case 'balloon':
        return reply({ return: {} });
      case 'device_del':
        return reply({ error: { class: 'DeviceNotFound', desc: `Device '${(message.arguments as { id: string }).id}' not found` } });
      default:
        return reply({ error: { class: 'CommandNotFound', desc: `The command ${execute} has not been found` } });
    }
  }
}

let dir: string;
let qemu: FakeQemu;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hyperwatt-qmp-'));
  qemu = new FakeQemu(join(dir, 'vm.qmp'));
  await qemu.listen();
});
afterEach(async () => {
  await qemu.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe('QmpClient', () => {
  it('negotiates capabilities first, then matches typed replies to commands by id', async () => {
    const client = await QmpClient.connect(qemu.path);
    expect(client.greeting.version.qemu).toEqual({ major: 7, minor: 2, micro: 22 });
    const [status] = await Promise.all([client.execute('query-status'), client.execute('balloon', { value: 256 * 2 ** 20 })]);
    expect(status).toEqual({ running: true, status: 'running' });
    expect(qemu.received.map((m) => m.execute)).toEqual(['qmp_capabilities', 'query-status', 'balloon']);
    expect(new Set(qemu.received.map((m) => m.id)).size).toBe(3);
    expect(qemu.received[2]!.arguments).toEqual({ value: 268435456 });
    client.close();
  });

  it('turns a QMP error into a QmpError with its class', async () => {
    const client = await QmpClient.connect(qemu.path);
    const error = await client.execute('device_del', { id: 'cpu3' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect((error as QmpError).errorClass).toBe('DeviceNotFound');
    expect((error as QmpError).message).toContain("Device 'cpu3' not found");
    client.close();
  });

  it('gives events to listeners and to waiters, including an event that came before the wait', async () => {
    const client = await QmpClient.connect(qemu.path);
    const seen: string[] = [];
    const stop = client.onEvent((event) => seen.push(event.event));
    await client.execute('query-status'); // emits RESUME before replying
    const resume = await client.waitForEvent('RESUME', { timeoutMs: 1000 });
    expect(resume.timestamp).toEqual({ seconds: 1, microseconds: 2 });
    const later = client.waitForEvent('MIGRATION', { timeoutMs: 1000, predicate: (e) => e.data.status === 'completed' });
    qemu.emit('MIGRATION', { status: 'active' });
    qemu.emit('MIGRATION', { status: 'completed' });
    expect((await later).data).toEqual({ status: 'completed' });
    stop();
    qemu.emit('SHUTDOWN');
    await expect(client.waitForEvent('SHUTDOWN', { timeoutMs: 1000 })).resolves.toMatchObject({ event: 'SHUTDOWN' });
    expect(seen).toEqual(['RESUME', 'MIGRATION', 'MIGRATION']);
    await expect(client.waitForEvent('NEVER', { timeoutMs: 50 })).rejects.toBeInstanceOf(QmpTimeoutError);
    client.close();
  });

  it('times out a command with no reply, and a late reply does no harm', async () => {
    const client = await QmpClient.connect(qemu.path, { commandTimeoutMs: 80 });
    qemu.silent.add('query-status');
    await expect(client.execute('query-status')).rejects.toBeInstanceOf(QmpTimeoutError);
    qemu.silent.clear();
    await expect(client.execute('query-status')).resolves.toMatchObject({ running: true });
    client.close();
  });

  it('rejects what is in flight when QEMU goes away, and reconnects once it is back', async () => {
    const client = await QmpClient.connect(qemu.path);
    qemu.silent.add('query-status');
    const inFlight = client.execute('query-status');
    await qemu.stop();
    await expect(inFlight).rejects.toBeInstanceOf(QmpConnectionError);
    expect(client.connected).toBe(false);
    await expect(client.execute('query-status')).rejects.toBeInstanceOf(QmpConnectionError);
    rmSync(qemu.path, { force: true });
    qemu = new FakeQemu(qemu.path);
    await qemu.listen();
    await client.reconnect();
    await expect(client.execute('query-status')).resolves.toMatchObject({ status: 'running' });
    client.close();
  });

  it('says clearly when nothing listens on the socket', async () => {
    const error = await QmpClient.connect(join(dir, 'missing.qmp'), { connectTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpConnectionError);
    expect((error as Error).message).toMatch(/missing\.qmp: cannot connect within 100 ms/);
  });
});
