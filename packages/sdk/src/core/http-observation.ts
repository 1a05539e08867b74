import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { ClientInstrumentation } from './client-observation.js';
import { generateId, type HeaderValue, resolveCorrelationId } from './correlation.js';
import type { Guard } from './guard.js';
import { LinkedContext } from './linked-context.js';
import type { AccessLineFields, HttpMetricsPort, LogPort, SelfTelemetryPort } from './ports.js';
import { type RequestContext, withRequestContext } from './request-context.js';
import {
  ATTR_CORRELATION_ID,
  ATTR_REQUEST_ID,
  errorType,
  normaliseMethod,
  normaliseRoute,
  normaliseStatus,
  OTHER_METHOD,
  toException,
  UNMATCHED_ROUTE,
} from './semconv.js';

/** What a plugin knows about an inbound request when it starts. */
export interface HttpRequestInfo {
  method: string;
  /** Path and query as received (`req.url`); only the path is kept, never in a metric label. */
  url: string;
  headers: Readonly<Record<string, HeaderValue>>;
  scheme?: 'http' | 'https';
  /** Local port the request arrived on. */
  serverPort?: number;
  clientAddress?: string;
  /** `1.1`, `2` ... */
  httpVersion?: string;
}

/** How the request ended, as the plugin saw it. */
export interface HttpFinishInfo {
  /** Route template (`/users/:id`), undefined when no route matched. */
  route?: string;
  statusCode: unknown;
  /** The exception the app raised, if any (also see {@link HttpObservation.recordError}). */
  error?: unknown;
  /** The client went away before the response was complete. */
  aborted?: boolean;
}

/** One request in flight; `finish` may be called many times, only the first counts. */
export interface HttpObservation {
  readonly correlationId: string;
  readonly requestId: string;
  /** The OpenTelemetry context to run the rest of the request in. */
  readonly context: Context;
  /** Headers the plugin sets on the response (correlation and request IDs). */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** Runs `fn` inside the request's context. */
  run<T>(fn: () => T): T;
  /**
   * Keeps the exception the app raised (the first one). If the request then
   * fails (5xx, or no response), `finish` puts it on the span, the
   * `error_type` label and the access log; a 4xx stays a client error.
   */
  recordError(error: unknown): void;
  finish(info: HttpFinishInfo): void;
}

export interface HttpInstrumentationDeps {
  tracer: Tracer;
  propagator: TextMapPropagator;
  metrics: HttpMetricsPort;
  /** Writes access-log lines that carry an exception (redacted, as any app line). */
  logger: LogPort;
  /** Writes the other access-log lines, whose fields Periscope builds itself: no redaction pass needed. */
  accessLogger: LogPort;
  self: SelfTelemetryPort;
  guard: Guard;
  correlationHeader: string;
  requestIdHeader: string;
  maxIdLength: number;
  accessLog: boolean;
  /** Outbound propagation bound into each request's context; undefined turns it off. */
  client: ClientInstrumentation | undefined;
}

const headerGetter: TextMapGetter<Readonly<Record<string, HeaderValue>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'number' ? String(value) : value;
  },
};

const MAX_PATH_LENGTH = 512;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.length > MAX_PATH_LENGTH ? path.slice(0, MAX_PATH_LENGTH) : path;
}

function firstHeader(value: HeaderValue): string | undefined {
  if (Array.isArray(value)) return value[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The framework-neutral HTTP observation: plugins translate their lifecycle
 * into `start(request)` and `finish({ route, statusCode, error })`, and this
 * class turns that into the span, the RED metrics, the access log line and
 * the correlation headers, identically for every framework.
 */
/** What a framework plugin calls: the inbound port of the core. */
export interface HttpInstrumentationPort {
  /** Starts observing a request; never throws. */
  start(request: HttpRequestInfo): HttpObservation;
  /** Reports a failure in the plugin's own code: counted and logged once. */
  reportInternalError(where: string, error: unknown): void;
}

export class HttpInstrumentation implements HttpInstrumentationPort {
  readonly #deps: HttpInstrumentationDeps;
  /** The headers the propagator reads (`traceparent`, `tracestate`, `baggage`): with none of them, there is nothing to extract. */
  readonly #propagationFields: readonly string[];
  #lastHost: string | undefined;
  #lastServerAddress = '';

  constructor(deps: HttpInstrumentationDeps) {
    this.#deps = deps;
    this.#propagationFields = deps.propagator.fields();
  }

  /**
   * For adapters: reports a failure inside the adapter's own code. It is
   * counted in `periscope_internal_errors_total{where}` and logged once; the
   * adapter then carries on as if Periscope were absent.
   */
  reportInternalError(where: string, error: unknown): void {
    this.#deps.guard.report(where, error);
  }

  start(request: HttpRequestInfo): HttpObservation {
    try {
      return this.#start(request);
    } catch (error) {
      this.#deps.guard.report('http.start', error);
      return fallbackObservation(this.#deps);
    }
  }

  #start(request: HttpRequestInfo): HttpObservation {
    const { tracer, propagator, self, correlationHeader, requestIdHeader, maxIdLength } = this.#deps;
    const headers = request.headers ?? {};
    const correlation = resolveCorrelationId(headers[correlationHeader], headers[requestIdHeader], maxIdLength);
    if (correlation.rejected) self.correlationIdRejected(correlation.rejected);

    const parent = this.#carriesPropagation(headers) ? propagator.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
    if (headers.traceparent !== undefined && !trace.getSpanContext(parent)) self.invalidInput('traceparent');

    const method = normaliseMethod(request.method);
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_PATH]: pathOf(String(request.url ?? '')),
      [ATTR_URL_SCHEME]: request.scheme ?? 'http',
      [ATTR_CORRELATION_ID]: correlation.id,
    };
    if (method === OTHER_METHOD) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = String(request.method).slice(0, 32);
    const host = firstHeader(headers.host);
    if (host) attributes[ATTR_SERVER_ADDRESS] = this.#serverAddress(host);
    if (request.serverPort) attributes[ATTR_SERVER_PORT] = request.serverPort;
    if (request.clientAddress) attributes[ATTR_CLIENT_ADDRESS] = request.clientAddress;
    if (request.httpVersion) attributes[ATTR_NETWORK_PROTOCOL_VERSION] = request.httpVersion;
    const userAgent = firstHeader(headers['user-agent']);
    if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent.slice(0, 512);

    const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
    const requestId = generateId();
    span.setAttribute(ATTR_REQUEST_ID, requestId);
    const requestContext: RequestContext = {
      correlationId: correlation.id,
      requestId,
      userId: undefined,
      rootSpan: span,
      logMemo: undefined,
    };
    // The request's values are chained over the extracted context instead of copying a Map per value.
    let ctx = withRequestContext(trace.setSpan(LinkedContext.over(parent), span), requestContext);
    if (this.#deps.client) ctx = this.#deps.client.bind(ctx);
    this.#deps.metrics.requestStarted(method);
    return new ActiveObservation(this.#deps, span, ctx, requestContext, method, attributes[ATTR_URL_PATH] as string);
  }

  /** The `Host` header without its port; a service sees few hosts, so the last one is kept. */
  #serverAddress(host: string): string {
    if (host !== this.#lastHost) {
      this.#lastHost = host;
      this.#lastServerAddress = host.replace(/:\d+$/, '').slice(0, 255);
    }
    return this.#lastServerAddress;
  }

  #carriesPropagation(headers: Readonly<Record<string, HeaderValue>>): boolean {
    const fields = this.#propagationFields;
    for (let i = 0; i < fields.length; i++) if (headers[fields[i] as string] !== undefined) return true;
    return false;
  }
}

class ActiveObservation implements HttpObservation {
  readonly correlationId: string;
  readonly requestId: string;
  readonly context: Context;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly #deps: HttpInstrumentationDeps;
  readonly #span: Span;
  readonly #method: string;
  readonly #path: string;
  readonly #startedAt = performance.now();
  #error: unknown;
  #finished = false;

  constructor(deps: HttpInstrumentationDeps, span: Span, ctx: Context, request: RequestContext, method: string, path: string) {
    this.#deps = deps;
    this.#span = span;
    this.context = ctx;
    this.correlationId = request.correlationId;
    this.requestId = request.requestId;
    this.#method = method;
    this.#path = path;
    this.responseHeaders = { [deps.correlationHeader]: request.correlationId, [deps.requestIdHeader]: request.requestId };
  }

  run<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  recordError(error: unknown): void {
    this.#deps.guard.run(
      'http.recordError',
      () => {
        if (!this.#finished && this.#error === undefined) this.#keepError(error);
      },
      undefined,
    );
  }

  finish(info: HttpFinishInfo): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#deps.guard.run('http.finish', () => this.#finish(info), undefined);
  }

  #finish(info: HttpFinishInfo): void {
    const { metrics, self, accessLog } = this.#deps;
    const durationSeconds = (performance.now() - this.#startedAt) / 1000;
    if (info.error !== undefined && this.#error === undefined) this.#keepError(info.error);
    const route = normaliseRoute(info.route);
    const status = info.aborted && info.statusCode === undefined ? undefined : normaliseStatus(info.statusCode);
    if (status === undefined && !info.aborted) self.invalidInput('status_code');

    // One rule for every framework: an exception labels the request only when
    // it ended it (5xx, or no response at all). A 4xx is the client's fault,
    // even when the framework signalled it by throwing (semconv).
    const failed = status === undefined || status >= 500;
    const exception = failed ? this.#error : undefined;
    let error: string | undefined;
    if (exception !== undefined) error = errorType(exception);
    else if (info.aborted) error = 'aborted';
    else if (status !== undefined && status >= 500) error = String(status);

    const span = this.#span;
    if (route === UNMATCHED_ROUTE) {
      // No route: the span is named by the method alone and has no http.route (semconv).
      span.updateName(this.#method);
    } else {
      span.updateName(`${this.#method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
    }
    if (status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (exception !== undefined) span.recordException(toException(exception));
    if (error !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, error);
      // Server spans: 4xx is the client's fault and stays unset (semconv).
      span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    }
    span.end();

    const spanContext = span.spanContext();
    const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    metrics.requestFinished(
      this.#method,
      route,
      status === undefined ? undefined : String(status),
      error,
      durationSeconds,
      sampled ? spanContext : undefined,
    );

    if (!accessLog) return;
    const fields: AccessLineFields = {
      method: this.#method,
      route,
      path: this.#path,
      status_code: status,
      duration_ms: Math.round(durationSeconds * 1e6) / 1e3,
    };
    if (error !== undefined) fields.error_type = error;
    if (info.aborted) fields.aborted = true;
    if (exception !== undefined) fields.err = exception;
    const logger = exception === undefined ? this.#deps.accessLogger : this.#deps.logger;
    const level = error !== undefined && !info.aborted ? 'error' : status !== undefined && status >= 400 ? 'warn' : 'info';
    const message = level === 'error' ? 'request failed' : level === 'info' && info.aborted ? 'request aborted' : 'request completed';
    // In the request's context so the line carries its IDs: handed over when the logger takes it, else entered.
    if (logger.writeAccess) logger.writeAccess(this.context, level, fields, message);
    else if (logger.writeIn) logger.writeIn(this.context, level, fields, message);
    else context.with(this.context, () => logger[level](fields, message));
  }

  #keepError(error: unknown): void {
    this.#error = error ?? new Error('undefined thrown');
  }
}

/** Used only when `start` itself failed: the app still gets IDs and a working `run`. */
function fallbackObservation(deps: HttpInstrumentationDeps): HttpObservation {
  const correlationId = generateId();
  const requestId = generateId();
  const ctx = withRequestContext(ROOT_CONTEXT, { correlationId, requestId, userId: undefined, logMemo: undefined });
  return {
    correlationId,
    requestId,
    context: ctx,
    responseHeaders: { [deps.correlationHeader]: correlationId, [deps.requestIdHeader]: requestId },
    run: (fn) => context.with(ctx, fn),
    recordError: () => {},
    finish: () => {},
  };
}
