import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { observeRequestListener, type Telemetry } from '../../src/index.js';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** A real node:http server on 127.0.0.1, port chosen by the OS, instrumented by the reference adapter. */
export async function startServer(
  telemetry: Telemetry,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  route: (req: IncomingMessage) => string | undefined = (req) => req.url?.split('?')[0],
): Promise<TestServer> {
  const server: Server = createServer(observeRequestListener(telemetry.http, handler, { route }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
