/**
 * A migration link that can be cut: a TCP relay between the source QEMU and the destination's incoming port.
 * Cutting it destroys every relayed connection (both QEMUs see the stream break) and refuses new ones until it is
 * restored — a network failure in the middle of a migration, on one host.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class MigrationLink {
  readonly port: number;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private cutNow = false;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  /** Listens on a free localhost port and relays each connection to `targetPort`. */
  static open(targetPort: number): Promise<MigrationLink> {
    return new Promise((resolve, reject) => {
      const holder: { link: MigrationLink | null } = { link: null };
      const server = createServer((incoming) => {
        const link = holder.link!;
        if (link.cutNow) {
          incoming.destroy();
          return;
        }
        const outgoing = connect(targetPort, '127.0.0.1');
        for (const socket of [incoming, outgoing]) {
          link.sockets.add(socket);
          socket.on('close', () => link.sockets.delete(socket));
          socket.on('error', () => {
            incoming.destroy();
            outgoing.destroy();
          });
        }
        incoming.pipe(outgoing);
        outgoing.pipe(incoming);
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const link = new MigrationLink(server, typeof address === 'object' && address ? address.port : 0);
        holder.link = link;
        resolve(link);
      });
    });
  }

  /** Breaks every relayed connection and refuses new ones. */
  cut(): void {
    this.cutNow = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Accepts connections again. */
  restore(): void {
    this.cutNow = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
