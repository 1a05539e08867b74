import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { HttpInstrumentation, HttpObservation } from '../core/http-observation.js';

export interface NodeHttpOptions {
  /** Route template of a request, e.g. from your own router; undefined means `unmatched`. */
  route?: (req: IncomingMessage) => string | undefined;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Instruments a plain `node:http` request listener: the reference adapter the
 * framework plugins follow. Completion listens to both `finish` and `close`:
 * `close` without `finish` is a client abort, and only the first is recorded.
 */
export function observeRequestListener(http: HttpInstrumentation, listener: Listener, options: NodeHttpOptions = {}): Listener {
  return (req, res) => {
    const observation = http.start({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      scheme: (req.socket as TLSSocket).encrypted ? 'https' : 'http',
      serverPort: req.socket.localPort,
      clientAddress: req.socket.remoteAddress,
      httpVersion: req.httpVersion,
    });
    for (const [name, value] of Object.entries(observation.responseHeaders)) res.setHeader(name, value);
    const done = (): void => finish(observation, req, res, options);
    res.once('finish', done);
    res.once('close', done);
    observation.run(() => {
      try {
        listener(req, res);
      } catch (error) {
        // Observed, never owned: record, then let it propagate as it would have.
        observation.recordError(error);
        throw error;
      }
    });
  };
}

function finish(observation: HttpObservation, req: IncomingMessage, res: ServerResponse, options: NodeHttpOptions): void {
  let route: string | undefined;
  try {
    route = options.route?.(req);
  } catch {
    route = undefined;
  }
  const aborted = !res.writableFinished;
  observation.finish({ route, statusCode: aborted && !res.headersSent ? undefined : res.statusCode, aborted });
}
