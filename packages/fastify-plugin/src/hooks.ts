import type { ServerResponse } from 'node:http';
import type { HttpObservation, Telemetry } from '@periscope/sdk';
import type { FastifyRequest, onErrorHookHandler, onRequestHookHandler, onResponseHookHandler } from 'fastify';

/**
 * What the plugin keeps per request, on the request itself under a decorated
 * symbol. Not in a WeakMap: V8's young-generation GC keeps every WeakMap value
 * alive, so each request (its state holds the response, which holds the whole
 * request) would survive into the old generation; measured, the scavenges went
 * from ~0.8 ms to 6-12 ms under load.
 */
interface RequestState {
  readonly observation: HttpObservation;
  readonly res: ServerResponse;
  /** The first error the app raised, as seen by `onError`. */
  error: unknown;
}

/** The Fastify hooks that translate the request lifecycle into the core's `start` / `finish`. */
export interface PeriscopeHooks {
  onRequest: onRequestHookHandler;
  onError: onErrorHookHandler;
  onResponse: onResponseHookHandler;
}

/**
 * Builds the hooks for one telemetry handle. Each hook keeps its own work in a
 * try/catch reported through `reportInternalError` and calls `done()` exactly
 * once, outside that try, so the app's lifecycle and response are the same
 * with or without Periscope.
 */
/** The request decoration holding a request's {@link RequestState}. */
export const kState: unique symbol = Symbol('periscope.fastify.state');

type StatefulRequest = FastifyRequest & { [kState]?: RequestState | null };

export function createHooks(telemetry: Telemetry): PeriscopeHooks {
  const http = telemetry.http;

  const report = (where: string, error: unknown): void => {
    try {
      http.reportInternalError(where, error);
    } catch {
      // The report itself failed; nothing is left to tell.
    }
  };

  /** `finished`: the response was handed over in full (onResponse runs only after 'finish'). */
  const complete = (request: FastifyRequest, state: RequestState, finished: boolean, where: string): void => {
    try {
      const { res } = state;
      // 'close' without 'finish' is a client abort; the core records only the first call.
      // onResponse says so itself: app.inject's response emits 'finish' without setting writableFinished.
      const aborted = !(finished || res.writableFinished);
      const statusCode = aborted && !res.headersSent ? undefined : res.statusCode;
      // A 4xx (a validation error, a thrown 400) is the client's fault: its
      // exception stays out of error_type and span status, as semconv asks.
      const error = state.error !== undefined && (statusCode === undefined || statusCode >= 500) ? state.error : undefined;
      state.observation.finish({ route: request.routeOptions.url, statusCode, error, aborted });
    } catch (failure) {
      report(where, failure);
    }
  };

  return {
    onRequest(request, reply, done) {
      let observation: HttpObservation | undefined;
      try {
        const raw = request.raw;
        observation = http.start({
          method: raw.method ?? request.method,
          url: raw.url ?? request.url,
          headers: raw.headers,
          scheme: request.protocol,
          serverPort: raw.socket?.localPort,
          clientAddress: request.ip,
          httpVersion: raw.httpVersion,
        });
        const res = reply.raw;
        // On the raw response, as node-http does, so hijacked replies carry them too.
        const headers = observation.responseHeaders;
        for (const name in headers) res.setHeader(name, headers[name] as string);
        request.correlationId = observation.correlationId;
        request.requestId = observation.requestId;
        const state: RequestState = { observation, res, error: undefined };
        (request as StatefulRequest)[kState] = state;
        // onResponse only runs after 'finish'; 'close' also covers client aborts. A response closes once:
        // `on`, not `once`, which would wrap the listener in another function and object per request.
        res.on('close', () => complete(request, state, false, 'fastify.close'));
      } catch (error) {
        report('fastify.onRequest', error);
      }
      // Later hooks, the handler, and their awaits and timers run inside the
      // request's context (AsyncLocalStorage), as @fastify/otel does. A body read
      // later from the socket keeps it too: Fastify runs its content-type
      // parsers in an AsyncResource created here (lib/content-type-parser.js).
      if (observation) observation.run(done);
      else done();
    },

    onError(request, _reply, error, done) {
      const state = (request as StatefulRequest)[kState];
      if (state && state.error === undefined) state.error = error;
      done();
    },

    onResponse(request, _reply, done) {
      const state = (request as StatefulRequest)[kState];
      if (state) complete(request, state, true, 'fastify.onResponse');
      done();
    },
  };
}
