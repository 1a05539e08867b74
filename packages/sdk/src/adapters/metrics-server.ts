import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsAuth } from '../config/options.js';
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

/** Compares the Authorization header in constant time against the configured credentials. */
function createAuthCheck(auth: MetricsAuth): (header: string | undefined) => boolean {
  const expected = Buffer.from(
    'bearerToken' in auth ? `Bearer ${auth.bearerToken}` : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
  );
  return (header) => {
    if (typeof header !== 'string') return false;
    const given = Buffer.from(header);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}

/** The standalone `/metrics` listener; binding failures are reported, never thrown. */
export class MetricsServer {
  readonly #server: Server;
  readonly ready: Promise<AddressInfo | undefined>;

  constructor(handler: MetricsHandler, host: string, port: number, onError: (error: unknown) => void, auth?: MetricsAuth) {
    const allowed = auth ? createAuthCheck(auth) : undefined;
    this.#server = createServer((req, res) => {
      if (allowed && !allowed(req.headers.authorization)) {
        const scheme = 'bearerToken' in (auth as MetricsAuth) ? 'Bearer' : 'Basic';
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': `${scheme} realm="metrics"` }).end('unauthorized\n');
        return;
      }
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
