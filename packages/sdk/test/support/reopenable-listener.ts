import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP listener on 127.0.0.1 that test backends can take down (connection
 * refused, every open socket destroyed) and bring back on the same port: the
 * "down" mode of the OTLP test receivers.
 */
export class ReopenableListener {
  readonly #handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #keepAliveTimeout: number | undefined;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void, options: { keepAliveTimeout?: number } = {}) {
    this.#handler = handler;
    this.#keepAliveTimeout = options.keepAliveTimeout;
  }

  /** The port: chosen by the OS on the first `listen()`, kept afterwards. */
  get port(): number {
    return this.#port;
  }

  async listen(): Promise<void> {
    const server = createServer(this.#handler);
    if (this.#keepAliveTimeout !== undefined) server.keepAliveTimeout = this.#keepAliveTimeout;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.listen(this.#port, '127.0.0.1');
    await once(server, 'listening');
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and destroys every open socket, black-holed ones included. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
