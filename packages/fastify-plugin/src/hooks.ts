import type { ServerResponse } from 'node:http';
import type { HttpObservation, Telemetry } from '@periscope/sdk';
import type { FastifyRequest, onErrorHookHandler, onRequestHookHandler } from 'fastify';

/**
 * What the plugin keeps per request, on the raw response under a symbol,
 * where the 'finish' and 'close' listeners and `onError` find it. Not in a
 * WeakMap: V8's young-generation GC keeps every WeakMap value alive, so
 * each request (its state holds the response, which holds the whole request)
 * would survive into the old generation; measured, the scavenges went from
 * ~0.8 ms to 6-12 ms under load.
 */
interface RequestState {
  readonly observation: HttpObservation;
  readonly request: FastifyRequest;
  /** The first error the app raised, as seen by `onError`. */
  error: unknown;
  /** 'finish' or 'close' handled it; the other one returns at once. */
  done: boolean;
}

/** The Fastify hooks that translate the request lifecycle into the core's `start` / `finish`. */
export interface PeriscopeHooks {
  onRequest: onRequestHookHandler;
  onError: onErrorHookHandler;
}

/** A request's {@link RequestState} on its raw response (Node's responses share one hidden class, so it adds no map). */
const kResponseState: unique symbol = Symbol('periscope.fastify.response');

type StatefulResponse = ServerResponse & { [kResponseState]?: RequestState };

/**
 * Builds the hooks for one telemetry handle. Each hook keeps its own work in a
 * try/catch reported through `reportInternalError` and calls `done()` exactly
 * once, outside that try, so the app's lifecycle and response are the same
 * with or without Periscope.
 *
 * The end of a request is seen on the raw response, not in an `onResponse`
 * hook: Fastify adds its own 'finish' listener, a closure and a hook runner to
 * every request when any `onResponse` hook exists (lib/route.js), and 'close'
 * is needed anyway for client aborts and hijacked replies. One pair of
 * listeners shared by every request does both.
 */
export function createHooks(telemetry: Telemetry): PeriscopeHooks {
  const http = telemetry.http;

  const report = (where: string, error: unknown): void => {
    try {
      http.reportInternalError(where, error);
    } catch {
      // The report itself failed; nothing is left to tell.
    }
  };

  /** `finished`: the response emitted 'finish' (handed over in full), as opposed to closing first. */
  const complete = (res: StatefulResponse, finished: boolean, where: string): void => {
    try {
      const state = res[kResponseState];
      if (state === undefined || state.done) return;
      state.done = true;
      // 'close' without 'finish' is a client abort; app.inject's response emits 'finish' without setting writableFinished.
      const aborted = !(finished || res.writableFinished);
      const statusCode = aborted && !res.headersSent ? undefined : res.statusCode;
      // A 4xx (a validation error, a thrown 400) is the client's fault: its
      // exception stays out of error_type and span status, as semconv asks.
      const error = state.error !== undefined && (statusCode === undefined || statusCode >= 500) ? state.error : undefined;
      state.observation.finish({ route: state.request.routeOptions.url, statusCode, error, aborted });
    } catch (failure) {
      report(where, failure);
    }
  };
  function onFinish(this: ServerResponse): void {
    complete(this, true, 'fastify.finish');
  }
  function onClose(this: ServerResponse): void {
    complete(this, false, 'fastify.close');
  }

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
        const res = reply.raw as StatefulResponse;
        // On the raw response, as node-http does, so hijacked replies carry them too.
        const headers = observation.responseHeaders;
        for (const name in headers) res.setHeader(name, headers[name] as string);
        request.correlationId = observation.correlationId;
        request.requestId = observation.requestId;
        const state: RequestState = { observation, request, error: undefined, done: false };
        res[kResponseState] = state;
        // 'finish': the response was handed over (also for hijacked replies that end the raw response);
        // 'close' without it: the client went away. A response emits each at most once.
        res.on('finish', onFinish);
        res.on('close', onClose);
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

    onError(_request, reply, error, done) {
      const state = (reply.raw as StatefulResponse)[kResponseState];
      if (state && state.error === undefined) state.error = error;
      done();
    },
  };
}
