import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { HttpInstrumentationPort, HttpObservation } from '../core/http-observation.js';

export interface NodeHttpOptions {
  /** Route template of a request, read at completion; undefined means `unmatched`. */
  route?: (req: IncomingMessage) => string | undefined;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Starts observing one `node:http` request/response pair: the per-request
 * part every adapter on Node's HTTP server shares. It sets the correlation
 * headers and records completion on `finish` or `close` (`close` without
 * `finish` is a client abort; only the first is recorded). The caller runs
 * the rest of the request in `observation.run()`.
 */
export function observeNodeRequest(
  http: HttpInstrumentationPort,
  req: IncomingMessage,
  res: ServerResponse,
  options: NodeHttpOptions = {},
): HttpObservation {
  const observation = http.start({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    scheme: (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http',
    serverPort: req.socket?.localPort,
    clientAddress: req.socket?.remoteAddress,
    httpVersion: req.httpVersion,
  });
  try {
    // One listener, no `once` wrapper: 'close' follows 'finish' on every response, and comes alone when the client aborts.
    res.on('close', () => {
      let route: string | undefined;
      try {
        route = options.route?.(req);
      } catch (error) {
        http.reportInternalError('node-http.route', error);
      }
      const aborted = !res.writableFinished;
      observation.finish({ route, statusCode: aborted && !res.headersSent ? undefined : res.statusCode, aborted });
    });
    const headers = observation.responseHeaders;
    for (const name in headers) res.setHeader(name, headers[name] as string);
  } catch (error) {
    http.reportInternalError('node-http.start', error);
  }
  return observation;
}

/**
 * Instruments a plain `node:http` request listener; the reference adapter
 * the framework plugins follow.
 */
export function observeRequestListener(http: HttpInstrumentationPort, listener: Listener, options: NodeHttpOptions = {}): Listener {
  return (req, res) => {
    const observation = observeNodeRequest(http, req, res, options);
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
