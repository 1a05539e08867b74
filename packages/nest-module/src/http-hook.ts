import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type ArgumentsHost, HttpException, Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type HttpInstrumentationPort, type HttpObservation, observeNodeRequest, toSharedShape } from '@periscope/sdk';
import { captureExceptions } from './exception-capture.js';
import type { PeriscopeModuleOptions } from './options.js';
import { type FastifyRouteSource, routeTemplate } from './route.js';
import { PERISCOPE_MODULE_OPTIONS } from './tokens.js';

/** What the hook needs of Nest's `AbstractHttpAdapter`. */
export interface HttpAdapterLike {
  getType(): string;
  getInstance(): unknown;
  getHttpServer(): unknown;
}

interface RequestState {
  readonly observation: HttpObservation;
  fastifyRequest?: FastifyRouteSource;
}

type Listener = (this: unknown, req: IncomingMessage, res: ServerResponse) => void;

interface FastifyRequestLike extends FastifyRouteSource {
  readonly raw: IncomingMessage;
}

interface ExpressApp {
  use(middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): unknown;
}

interface FastifyApp {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: unknown, done: () => void) => void): unknown;
}

/**
 * Observes every request the Nest application's server receives, mirroring
 * the SDK's `observeRequestListener` on the raw node req/res:
 *
 * - the server's `request` listener (the Express app, or Fastify's handler)
 *   is wrapped, so the observation starts before any routing, body parsing
 *   or Nest middleware, and unmatched requests (404) are observed too;
 * - the correlation headers are set on the response at start;
 * - the platform's whole handling runs inside `observation.run()`, so
 *   AsyncLocalStorage carries the request's context into Nest. The body's
 *   stream events run in the socket's context, but both platforms' body
 *   readers rebind their callback to the caller's (raw-body and Fastify's
 *   content-type parser use `AsyncResource`): the tests send a body that
 *   arrives after the headers to prove it;
 * - completion listens to both `finish` and `close`: `close` without
 *   `finish` is a client abort, and only the first is recorded.
 *
 * Every step is guarded: a failure is reported through
 * `telemetry.http.reportInternalError()` and the request goes on untouched.
 */
/** Per-request state on the request objects themselves, under a symbol of its own. */
class RequestStates {
  readonly #key = Symbol('periscope.nest.state');

  get(req: IncomingMessage): RequestState | null | undefined {
    return (req as unknown as Record<symbol, RequestState | null | undefined>)[this.#key];
  }

  set(req: IncomingMessage, state: RequestState | null): void {
    (req as unknown as Record<symbol, RequestState | null>)[this.#key] = state;
  }
}

@Injectable()
export class PeriscopeHttpHook implements OnModuleDestroy {
  readonly #http: HttpInstrumentationPort;
  readonly #ignore: ((request: IncomingMessage) => boolean) | undefined;
  /**
   * Per-request state, on the raw request under this hook's own symbol; `null`
   * marks a request not observed. Not in a WeakMap: V8's young-generation GC
   * keeps WeakMap values alive, which would promote every request to the old heap.
   */
  readonly #states = new RequestStates();
  #platform = 'unknown';
  #stopCapture: (() => void) | undefined;

  constructor(@Inject(PERISCOPE_MODULE_OPTIONS) options: PeriscopeModuleOptions) {
    this.#http = options.telemetry.http;
    this.#ignore = options.ignore;
  }

  /** Hooks the adapter's server and platform; called once, from the module's `configure()`. */
  attach(adapter: HttpAdapterLike | undefined): void {
    if (!adapter) return; // an application context without HTTP: nothing to observe
    try {
      this.#platform = adapter.getType();
      this.#wrapServer(adapter.getHttpServer() as Server | undefined);
      this.#stopCapture ??= captureExceptions((exception, host) => this.#recordException(exception, host));
      if (this.#platform === 'fastify') this.#hookFastify(adapter.getInstance() as FastifyApp);
      if (this.#platform === 'express') this.#hookExpress(adapter.getInstance() as ExpressApp);
    } catch (error) {
      this.#http.reportInternalError('nest.attach', error);
    }
  }

  onModuleDestroy(): void {
    this.#stopCapture?.();
    this.#stopCapture = undefined;
  }

  /**
   * An exception on its way to Nest's filters: recorded on the request's span
   * (they still produce the app's own status and body). An `HttpException`
   * below 500 is the client's error, answered by the app: not recorded (the
   * span stays unset, as the semantic conventions ask of 4xx on server spans).
   */
  #recordException(exception: unknown, host: ArgumentsHost): void {
    try {
      if (host.getType() !== 'http') return;
      if (exception instanceof HttpException && exception.getStatus() < 500) return;
      this.observationOf(host.switchToHttp().getRequest())?.recordError(exception);
    } catch (failure) {
      this.#http.reportInternalError('nest.recordError', failure);
    }
  }

  /** The observation of a request (raw, Express or Fastify request object), if it is observed. */
  observationOf(request: unknown): HttpObservation | undefined {
    const raw = (request as { raw?: IncomingMessage } | undefined)?.raw ?? (request as IncomingMessage | undefined);
    if (typeof raw !== 'object' || raw === null) return undefined;
    return this.#states.get(raw)?.observation;
  }

  #wrapServer(server: Server | undefined): void {
    if (typeof server?.listeners !== 'function') return;
    for (const listener of server.listeners('request') as Listener[]) {
      server.removeListener('request', listener);
      server.on('request', this.#wrap(listener));
    }
  }

  #wrap(listener: Listener): Listener {
    const hook = this;
    return function observedListener(this: unknown, req, res) {
      const state = hook.#begin(req, res);
      if (!state) {
        listener.call(this, req, res);
        return;
      }
      state.observation.run(() => {
        try {
          listener.call(this, req, res);
        } catch (error) {
          // Observed, never owned: record, then let it propagate as it would have.
          state.observation.recordError(error);
          throw error;
        }
      });
    };
  }

  /**
   * A first Express middleware that gives the request and response the hidden
   * class they all share, once Express has swapped their prototypes (see
   * `toSharedShape`): Express's, Nest's and node:http's property accesses on
   * them, and the completion's, then hit V8's inline caches.
   */
  #hookExpress(app: ExpressApp): void {
    if (typeof app?.use !== 'function') return;
    app.use(function periscopeSharedShape(req: IncomingMessage, res: ServerResponse, next: () => void) {
      toSharedShape(req);
      toSharedShape(res);
      next();
    });
  }

  #hookFastify(app: FastifyApp): void {
    // The route is read at completion from the Fastify request, which the raw one does not reach.
    app.addHook('onRequest', (request, _reply, done) => {
      try {
        const state = this.#states.get(request.raw);
        if (state) state.fastifyRequest = request;
      } catch (error) {
        this.#http.reportInternalError('nest.onRequest', error);
      }
      done();
    });
  }

  /** The request's state, starting its observation on first sight; undefined when it is not observed. */
  #begin(req: IncomingMessage, res: ServerResponse): RequestState | undefined {
    const known = this.#states.get(req);
    if (known !== undefined) return known ?? undefined;
    if (this.#ignored(req)) {
      this.#states.set(req, null);
      return undefined;
    }
    try {
      // The SDK's per-request node:http adapter: headers at start, completion on 'finish' or 'close'.
      // The route is read at completion, from the platform's match.
      const state: RequestState = {
        observation: observeNodeRequest(this.#http, req, res, { route: () => routeTemplate(this.#platform, req, state.fastifyRequest) }),
      };
      this.#states.set(req, state);
      return state;
    } catch (error) {
      this.#http.reportInternalError('nest.start', error);
      return this.#states.get(req) ?? undefined;
    }
  }

  #ignored(req: IncomingMessage): boolean {
    if (!this.#ignore) return false;
    try {
      return this.#ignore(req) === true;
    } catch (error) {
      this.#http.reportInternalError('nest.ignore', error);
      return false;
    }
  }
}
