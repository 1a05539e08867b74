import { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type HttpInstrumentationPort, type HttpObservation, PeriscopeError, type Telemetry, toSharedShape } from '@periscope/sdk';
import { assertTelemetry, type ExpressRequestLike, type PeriscopeExpressOptions, resolveOptions } from './options.js';
import { isObserved, type RequestState, type RouteLabel, setRequestState } from './request-state.js';
import { RouteTracker } from './route.js';

/** The function Express calls; its `(req, res, next)` shape fits `app.use()` in Express 4 and 5. */
export type PeriscopeMiddleware = (req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Observes every request of an Express 4 or 5 app: a server span, the RED
 * metrics, an access-log line, and the correlation and request IDs echoed in
 * response headers. Register it first, so the rest of the request runs in its
 * context and `telemetry.logger` lines written by handlers carry its IDs:
 *
 * ```ts
 * const app = express();
 * app.use(periscope(telemetry));
 * // ...routes...
 * app.use(periscopeErrors(telemetry)); // before your own error handlers
 * ```
 *
 * The route label is the matched template including router mount paths
 * (`/api/users/:id`), or `unmatched`. Registering it twice on one app is
 * reported at the first request (`periscope_internal_errors_total{where="express.already_registered"}`)
 * and the second instance steps aside, so nothing is counted twice.
 *
 * @throws PeriscopeError `PERISCOPE_MISSING_TELEMETRY` when `telemetry` is not
 * the object `createTelemetry()` returned; `PERISCOPE_INVALID_OPTION` for bad options.
 */
export function periscope(telemetry: Telemetry, options?: PeriscopeExpressOptions): PeriscopeMiddleware {
  assertTelemetry(telemetry, 'periscope');
  const { route: routeHook } = resolveOptions(options);
  const http = telemetry.http;
  const reportRouteError = (error: unknown): void => http.reportInternalError('express.route', error);
  const label = (req: ExpressRequestLike, tracker: RouteLabel | undefined): string | undefined => {
    if (routeHook) {
      try {
        return routeHook(req);
      } catch (error) {
        reportRouteError(error);
      }
    }
    return tracker?.label;
  };

  return function periscopeMiddleware(req, res, next) {
    if (isObserved(req)) {
      // Throwing here would fail the app's request; the start-up error is
      // reported instead, and this instance lets the first one do the work.
      http.reportInternalError(
        'express.already_registered',
        new PeriscopeError(
          'PERISCOPE_ALREADY_REGISTERED',
          'periscope() is registered more than once for this request; remove the extra app.use()',
        ),
      );
      next();
      return;
    }
    const state: RequestState = { observation: undefined, route: undefined };
    // First, for speed: res gets the hidden class all responses share (Express gives each its own; see
    // toSharedShape), and req the same from the route accessors' redefinition of req.baseUrl. The reads and
    // stores below, and Express's and node:http's own, then hit V8's inline caches.
    try {
      if (Object.getPrototypeOf(res) !== ServerResponse.prototype) toSharedShape(res);
      RouteTracker.attach(req, state, reportRouteError);
    } catch (error) {
      http.reportInternalError('express.middleware', error);
    }
    // Stored before the rest: a second instance on the same request sees it even if the rest fails.
    setRequestState(req, state);
    const observation = startObservation(http, req);
    state.observation = observation;
    try {
      // One listener: 'close' follows 'finish' on every response, and comes alone when the client aborts.
      res.on('close', () => finish(observation, res, label(req, state.route)));
      const headers = observation.responseHeaders;
      for (const name in headers) res.setHeader(name, headers[name] as string);
    } catch (error) {
      http.reportInternalError('express.middleware', error);
    }
    observation.run(() => next());
  };
}

function startObservation(http: HttpInstrumentationPort, req: ExpressRequestLike): HttpObservation {
  return http.start({
    method: req.method ?? 'GET',
    url: req.originalUrl ?? req.url ?? '/',
    headers: req.headers,
    scheme: (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http',
    serverPort: req.socket?.localPort,
    clientAddress: req.socket?.remoteAddress,
    httpVersion: req.httpVersion,
  });
}

function finish(observation: HttpObservation, res: ServerResponse, route: string | undefined): void {
  const aborted = !res.writableFinished;
  observation.finish({ route, statusCode: aborted && !res.headersSent ? undefined : res.statusCode, aborted });
}
