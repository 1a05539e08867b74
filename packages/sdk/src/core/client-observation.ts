import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { Guard } from './guard.js';
import { getRequestContext } from './request-context.js';
import { errorType, normaliseMethod, normaliseStatus, OTHER_METHOD, toException } from './semconv.js';

/** What an outbound-call adapter (fetch, node:http) knows when a call starts. */
export interface ClientRequestInfo {
  method: string;
  /** Absolute URL of the call. */
  url: string | URL;
}

/** One outbound call in flight: the headers to add, and how it ended. */
export interface ClientObservation {
  /** `traceparent`, `tracestate`, `baggage` and the correlation header. */
  readonly headers: Readonly<Record<string, string>>;
  finish(result: { statusCode?: number; error?: unknown }): void;
}

export interface ClientInstrumentationDeps {
  tracer: Tracer;
  propagator: TextMapPropagator;
  guard: Guard;
  correlationHeader: string;
  /** Calls never traced (the telemetry backends themselves), as `origin + path` prefixes. */
  excludedUrls: string[];
  /** True when the current context asks for no tracing (set around our own exports). */
  isSuppressed(ctx: Context): boolean;
}

const CLIENT_INSTRUMENTATION = createContextKey('periscope.client-instrumentation');

/**
 * Outbound propagation, framework- and client-neutral. The inbound request's
 * context carries the instance that observed it, so a call made while serving
 * a request is traced by that request's telemetry, and a call made outside any
 * request is left alone.
 */
export class ClientInstrumentation {
  readonly #deps: ClientInstrumentationDeps;

  constructor(deps: ClientInstrumentationDeps) {
    this.#deps = deps;
  }

  /** Marks a request's context so outbound calls made in it are observed by this instance. */
  bind(ctx: Context): Context {
    return ctx.setValue(CLIENT_INSTRUMENTATION, this);
  }

  /** The instance bound to `ctx`, if the code runs inside an observed request. */
  static active(ctx: Context = context.active()): ClientInstrumentation | undefined {
    return ctx.getValue(CLIENT_INSTRUMENTATION) as ClientInstrumentation | undefined;
  }

  start(info: ClientRequestInfo, ctx: Context = context.active()): ClientObservation | undefined {
    try {
      return this.#start(info, ctx);
    } catch (error) {
      this.#deps.guard.report('http.client.start', error);
      return undefined;
    }
  }

  #start(info: ClientRequestInfo, ctx: Context): ClientObservation | undefined {
    const { tracer, propagator, correlationHeader, excludedUrls, isSuppressed } = this.#deps;
    if (isSuppressed(ctx)) return undefined;
    const url = typeof info.url === 'string' ? new URL(info.url) : info.url;
    const target = `${url.origin}${url.pathname}`;
    if (excludedUrls.some((prefix) => target.startsWith(prefix))) return undefined;

    const method = normaliseMethod(info.method);
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_SERVER_ADDRESS]: url.hostname,
      [ATTR_SERVER_PORT]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      // Query strings and credentials often hold secrets: the span keeps the path only.
      [ATTR_URL_FULL]: target,
    };
    if (method === OTHER_METHOD) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = String(info.method).slice(0, 32);
    const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, ctx);

    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(ctx, span), headers, {
      set: (carrier, key, value) => {
        carrier[key] = value;
      },
    });
    const request = getRequestContext(ctx);
    if (request) headers[correlationHeader] = request.correlationId;
    return new ActiveClientObservation(span, headers, this.#deps.guard);
  }
}

class ActiveClientObservation implements ClientObservation {
  readonly headers: Readonly<Record<string, string>>;
  readonly #span: Span;
  readonly #guard: Guard;
  #done = false;

  constructor(span: Span, headers: Record<string, string>, guard: Guard) {
    this.#span = span;
    this.headers = headers;
    this.#guard = guard;
  }

  finish(result: { statusCode?: number; error?: unknown }): void {
    if (this.#done) return;
    this.#done = true;
    this.#guard.run(
      'http.client.finish',
      () => {
        const span = this.#span;
        const status = normaliseStatus(result.statusCode);
        if (status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        let error: string | undefined;
        if (result.error !== undefined) {
          error = errorType(result.error);
          span.recordException(toException(result.error));
        } else if (status !== undefined && status >= 400) {
          // Client spans: any 4xx/5xx is a failed call (semconv).
          error = String(status);
        }
        if (error !== undefined) {
          span.setAttribute(ATTR_ERROR_TYPE, error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error });
        }
        span.end();
      },
      undefined,
    );
  }
}
