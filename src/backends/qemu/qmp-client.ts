/**
 * A QMP (QEMU Machine Protocol) client over a unix socket: capabilities negotiation, typed commands matched to
 * their replies by id, events to listeners and to waiters, timeouts, QMP errors as typed errors, and reconnection.
 *
 * Protocol (docs/interop/qmp-spec.rst in QEMU): the server greets with `{"QMP": {"version": …, "capabilities": […]}}`;
 * the client must send `qmp_capabilities` before any other command; then each `{"execute": NAME, "arguments": …,
 * "id": ID}` is answered by `{"return": …, "id": ID}` or `{"error": {"class", "desc"}, "id": ID}`, and the server may
 * send `{"event": NAME, "data": …, "timestamp": {"seconds", "microseconds"}}` at any time. Messages are JSON objects
 * separated by line breaks.
 *
 * No maintained npm library exists for this (the `qemu-qmp` package is untyped, unmaintained since 2016 and has no
 * timeouts), and the protocol is small; this one is ours. The command types cover what Hyperwatt drives (migration,
 * vCPU hot-plug, the balloon, status, vCPU threads); `execute` also takes any other command name untyped.
 */
import { connect, type Socket } from 'node:net';

/** A reply `{"error": …}` from QEMU. */
export class QmpError extends Error {
  /** QMP's error class, e.g. `GenericError`, `CommandNotFound`, `DeviceNotFound`. */
  readonly errorClass: string;
  readonly command: string;
  constructor(command: string, errorClass: string, description: string) {
    super(`QMP ${command}: ${errorClass}: ${description}`);
    this.name = 'QmpError';
    this.errorClass = errorClass;
    this.command = command;
  }
}

/** No reply (or event) within the time allowed. */
export class QmpTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`QMP: ${what}: no answer within ${timeoutMs} ms`);
    this.name = 'QmpTimeoutError';
  }
}

/** The socket could not be reached, or closed with requests in flight. */
export class QmpConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QmpConnectionError';
  }
}

export interface QmpEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly timestamp: { readonly seconds: number; readonly microseconds: number };
}

export interface QmpGreeting {
  readonly version: { readonly qemu: { readonly major: number; readonly minor: number; readonly micro: number }; readonly package: string };
  readonly capabilities: readonly string[];
}

/** `query-migrate`'s reply (the fields Hyperwatt reads; QEMU 7.2). */
export interface MigrationInfo {
  status?: 'none' | 'setup' | 'cancelling' | 'cancelled' | 'active' | 'postcopy-active' | 'postcopy-paused' | 'postcopy-recover' | 'completed' | 'failed' | 'colo' | 'pre-switchover' | 'device' | 'wait-unplug';
  'total-time'?: number;
  'expected-downtime'?: number;
  downtime?: number;
  'setup-time'?: number;
  ram?: {
    transferred: number;
    remaining: number;
    total: number;
    duplicate: number;
    normal: number;
    'normal-bytes': number;
    'dirty-pages-rate': number;
    mbps: number;
    'dirty-sync-count': number;
    'postcopy-requests': number;
    'precopy-bytes'?: number;
    'postcopy-bytes'?: number;
  };
  'error-desc'?: string;
}

/** The commands with typed arguments and replies. */
export interface QmpCommands {
  qmp_capabilities: { args: { enable?: string[] }; reply: Record<string, never> };
  'query-status': { args: undefined; reply: { running: boolean; status: string; singlestep?: boolean } };
  'query-version': { args: undefined; reply: QmpGreeting['version'] };
  'query-cpus-fast': { args: undefined; reply: { 'cpu-index': number; 'thread-id': number; 'qom-path': string; target: string; props?: Record<string, number> }[] };
  'query-hotpluggable-cpus': { args: undefined; reply: { type: string; 'vcpus-count': number; props: Record<string, number>; 'qom-path'?: string }[] };
  'device_add': { args: { driver: string; id: string; [property: string]: unknown }; reply: Record<string, never> };
  'device_del': { args: { id: string }; reply: Record<string, never> };
  balloon: { args: { value: number }; reply: Record<string, never> };
  'query-balloon': { args: undefined; reply: { actual: number } };
  'migrate-set-capabilities': { args: { capabilities: { capability: string; state: boolean }[] }; reply: Record<string, never> };
  'migrate-set-parameters': { args: Record<string, unknown>; reply: Record<string, never> };
  'query-migrate-parameters': { args: undefined; reply: Record<string, unknown> };
  migrate: { args: { uri: string; resume?: boolean }; reply: Record<string, never> };
  'migrate-incoming': { args: { uri: string }; reply: Record<string, never> };
  'migrate-start-postcopy': { args: undefined; reply: Record<string, never> };
  'migrate-recover': { args: { uri: string }; reply: Record<string, never> };
  'migrate-pause': { args: undefined; reply: Record<string, never> };
  migrate_cancel: { args: undefined; reply: Record<string, never> };
  'query-migrate': { args: undefined; reply: MigrationInfo };
  'qom-set': { args: { path: string; property: string; value: unknown }; reply: unknown };
  'qom-get': { args: { path: string; property: string }; reply: unknown };
  stop: { args: undefined; reply: Record<string, never> };
  cont: { args: undefined; reply: Record<string, never> };
  quit: { args: undefined; reply: Record<string, never> };
}

type Args<K extends keyof QmpCommands> = QmpCommands[K]['args'];
type Reply<K extends keyof QmpCommands> = QmpCommands[K]['reply'];

export interface QmpConnectOptions {
  /** Keep trying to connect for this long (QEMU creates the socket a moment after it starts), ms. Default 10,000. */
  readonly connectTimeoutMs?: number;
  /** Default time allowed for a command's reply, ms. Default 30,000. */
  readonly commandTimeoutMs?: number;
  /**
   * Enable out-of-band execution when the server offers it (`exec-oob`): commands that bypass the monitor's queue,
   * for when QEMU's main loop is stuck — a post-copy destination whose missing pages cannot be fetched answers
   * `migrate-recover` only this way.
   */
  readonly oob?: boolean;
}

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface EventWaiter {
  readonly name: string;
  readonly predicate: (event: QmpEvent) => boolean;
  readonly resolve: (event: QmpEvent) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const CONNECT_RETRY_MS = 20;

export class QmpClient {
  readonly path: string;
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private socket: Socket | null = null;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<EventWaiter>();
  private readonly listeners = new Set<(event: QmpEvent) => void>();
  /** Events received that no waiter took yet, oldest first (bounded). */
  private readonly backlog: QmpEvent[] = [];
  private greetingValue: QmpGreeting | null = null;
  private closedByUs = false;

  private readonly wantOob: boolean;
  private oobEnabled = false;

  private constructor(path: string, options: QmpConnectOptions) {
    this.path = path;
    this.wantOob = options.oob ?? false;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
  }

  /** Connects to a QMP socket and negotiates capabilities. */
  static async connect(path: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const client = new QmpClient(path, options);
    await client.open();
    return client;
  }

  /** The server's greeting (QEMU's version and capabilities). */
  get greeting(): QmpGreeting {
    if (!this.greetingValue) throw new QmpConnectionError(`QMP ${this.path}: not connected`);
    return this.greetingValue;
  }

  get connected(): boolean {
    return this.socket !== null && this.greetingValue !== null;
  }

  /** Runs a command and returns its reply; a QMP error rejects with `QmpError`. */
  execute<K extends keyof QmpCommands>(command: K, ...rest: Args<K> extends undefined ? [args?: undefined, options?: { timeoutMs?: number }] : [args: Args<K>, options?: { timeoutMs?: number }]): Promise<Reply<K>>;
  execute(command: string, args?: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<unknown>;
  execute(command: string, args?: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const socket = this.socket;
    if (!socket || !this.greetingValue) return Promise.reject(new QmpConnectionError(`QMP ${this.path}: not connected (${command})`));
    return this.send(socket, command, args, options.timeoutMs ?? this.commandTimeoutMs, false);
  }

  /** Calls `listener` with every event from now on; returns a function that removes it. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The next event called `name` (and matching `predicate`): one already received and not yet taken, or the next to
   * arrive.
   */
  waitForEvent(name: string, options: { timeoutMs?: number; predicate?: (event: QmpEvent) => boolean } = {}): Promise<QmpEvent> {
    const predicate = options.predicate ?? (() => true);
    const index = this.backlog.findIndex((event) => event.event === name && predicate(event));
    if (index >= 0) return Promise.resolve(this.backlog.splice(index, 1)[0]!);
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    return new Promise<QmpEvent>((resolve, reject) => {
      const waiter: EventWaiter = {
        name,
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new QmpTimeoutError(`event ${name}`, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Closes the connection (requests in flight are rejected). */
  close(): void {
    this.closedByUs = true;
    this.dropSocket(new QmpConnectionError(`QMP ${this.path}: closed`));
  }

  /** Drops the connection if any and connects again (QEMU keeps one QMP client per socket). */
  async reconnect(): Promise<void> {
    this.dropSocket(new QmpConnectionError(`QMP ${this.path}: reconnecting`));
    await this.open();
  }

  private async open(): Promise<void> {
    this.closedByUs = false;
    const deadline = Date.now() + this.connectTimeoutMs;
    let lastError: unknown = null;
    for (;;) {
      try {
        const socket = await openSocket(this.path);
        this.attach(socket);
        break;
      } catch (error) {
        lastError = error;
        if (Date.now() >= deadline) {
          throw new QmpConnectionError(`QMP ${this.path}: cannot connect within ${this.connectTimeoutMs} ms (${(lastError as Error).message})`, { cause: lastError });
        }
        await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
      }
    }
    const greeting = await this.readGreeting(Math.max(1000, deadline - Date.now()));
    this.greetingValue = greeting;
    this.oobEnabled = this.wantOob && greeting.capabilities.includes('oob');
    await this.send(this.socket!, 'qmp_capabilities', this.oobEnabled ? { enable: ['oob'] } : undefined, this.commandTimeoutMs, false);
  }

  /** Whether out-of-band execution was negotiated. */
  get outOfBand(): boolean {
    return this.oobEnabled;
  }

  /** Runs a command out of band (`exec-oob`; only commands QEMU allows out of band, such as `migrate-recover`). */
  executeOob(command: string, args?: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const socket = this.socket;
    if (!socket || !this.greetingValue) return Promise.reject(new QmpConnectionError(`QMP ${this.path}: not connected (${command})`));
    if (!this.oobEnabled) return Promise.reject(new QmpConnectionError(`QMP ${this.path}: out-of-band execution not negotiated (${command})`));
    return this.send(socket, command, args, options.timeoutMs ?? this.commandTimeoutMs, true);
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.buffer = '';
    this.greetingValue = null;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => {
      if (this.socket === socket) this.dropSocket(new QmpConnectionError(`QMP ${this.path}: connection closed by QEMU${this.closedByUs ? '' : ' (did it exit?)'}`));
    });
    socket.on('error', () => {
      /* 'close' follows and rejects what is pending */
    });
  }

  private greetingResolver: ((greeting: QmpGreeting) => void) | null = null;
  private greetingRejecter: ((error: Error) => void) | null = null;

  private readGreeting(timeoutMs: number): Promise<QmpGreeting> {
    return new Promise<QmpGreeting>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.greetingResolver = null;
        this.greetingRejecter = null;
        reject(new QmpTimeoutError('greeting', timeoutMs));
        this.dropSocket(new QmpConnectionError(`QMP ${this.path}: no greeting`));
      }, timeoutMs);
      this.greetingResolver = (greeting) => {
        clearTimeout(timer);
        resolve(greeting);
      };
      this.greetingRejecter = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
  }

  private send(socket: Socket, command: string, args: unknown, timeoutMs: number, outOfBand: boolean): Promise<unknown> {
    const id = `hw-${this.nextId++}`;
    const message: Record<string, unknown> = outOfBand ? { 'exec-oob': command, id } : { execute: command, id };
    if (args !== undefined) message.arguments = args;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpTimeoutError(command, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line.length === 0) continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.dropSocket(new QmpConnectionError(`QMP ${this.path}: not JSON: ${line.slice(0, 200)}`));
        return;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    if ('QMP' in message) {
      const resolver = this.greetingResolver;
      this.greetingResolver = null;
      this.greetingRejecter = null;
      resolver?.(message.QMP as QmpGreeting);
      return;
    }
    if ('event' in message) {
      const event = { data: {}, timestamp: { seconds: 0, microseconds: 0 }, ...message } as unknown as QmpEvent;
      for (const listener of this.listeners) listener(event);
      for (const waiter of this.waiters) {
        if (waiter.name === event.event && waiter.predicate(event)) {
          this.waiters.delete(waiter);
          clearTimeout(waiter.timer);
          waiter.resolve(event);
          return;
        }
      }
      this.backlog.push(event);
      if (this.backlog.length > 1000) this.backlog.shift();
      return;
    }
    const id = typeof message.id === 'string' ? message.id : null;
    const pending = id === null ? undefined : this.pending.get(id);
    if (!pending) return; // a reply to a request that timed out
    this.pending.delete(id!);
    clearTimeout(pending.timer);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(new QmpError(pending.command, error.class ?? 'GenericError', error.desc ?? 'unknown error'));
    } else {
      pending.resolve(message.return);
    }
  }

  private dropSocket(error: Error): void {
    const socket = this.socket;
    this.socket = null;
    this.greetingValue = null;
    if (socket) socket.destroy();
    this.greetingRejecter?.(error);
    this.greetingResolver = null;
    this.greetingRejecter = null;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const onError = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
