import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExpositionFormat, negotiateFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE } from './exposition.js';

/** A node:http-style handler that serves the metrics page; mountable in any framework. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createMetricsHandler(
  render: (format: ExpositionFormat) => Promise<string>,
  onError: (error: unknown) => void,
): MetricsHandler {
  return (req, res) => {
    const format = negotiateFormat(req.headers.accept);
    render(format).then(
      (body) => {
        res.writeHead(200, { 'content-type': format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_TEXT_CONTENT_TYPE });
        res.end(body);
      },
      (error: unknown) => {
        onError(error);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('metrics unavailable\n');
      },
    );
  };
}

/** The standalone `/metrics` listener; binding failures are reported, never thrown. */
export class MetricsServer {
  readonly #server: Server;
  readonly ready: Promise<AddressInfo | undefined>;

  constructor(handler: MetricsHandler, host: string, port: number, onError: (error: unknown) => void) {
    this.#server = createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) return handler(req, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
    });
    // The listener must not keep a process alive that would otherwise exit.
    this.#server.unref();
    this.ready = new Promise((resolve) => {
      this.#server.once('error', (error) => {
        onError(error);
        resolve(undefined);
      });
      this.#server.listen(port, host, () => resolve(this.#server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
