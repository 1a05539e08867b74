import { type Context, context, createContextKey, type Span, trace } from '@opentelemetry/api';

/** What Periscope knows about the request the current code runs for. */
export interface RequestContext {
  readonly correlationId: string;
  readonly requestId: string;
  /** Set by `telemetry.setUser(id)`; mutable because it is learnt mid-request. */
  userId: string | undefined;
  /** The request's server span, for attributes learnt later (funnel steps). */
  readonly rootSpan?: Span;
  /**
   * The log adapter's memo of this request's serialised IDs. On the request
   * itself rather than in a WeakMap keyed by it: V8's young-generation GC keeps
   * WeakMap values alive, which promotes per-request objects to the old heap.
   */
  logMemo?: unknown;
}

const REQUEST_CONTEXT = createContextKey('periscope.request-context');

export function withRequestContext(ctx: Context, request: RequestContext): Context {
  return ctx.setValue(REQUEST_CONTEXT, request);
}

/** The request context active here (through AsyncLocalStorage), if any. */
export function getRequestContext(ctx: Context = context.active()): RequestContext | undefined {
  return ctx.getValue(REQUEST_CONTEXT) as RequestContext | undefined;
}

/** The fields every log line written inside a request carries. */
export interface LogCorrelationFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
  correlation_id?: string;
  request_id?: string;
  user_id?: string;
}

/** Builds the correlation fields for the active context; cheap enough for every log line. */
export function logCorrelationFields(ctx: Context = context.active()): LogCorrelationFields {
  const fields: LogCorrelationFields = {};
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext && spanContext.traceId !== '00000000000000000000000000000000') {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
    fields.trace_flags = `0${spanContext.traceFlags.toString(16)}`.slice(-2);
  }
  const request = getRequestContext(ctx);
  if (request) {
    fields.correlation_id = request.correlationId;
    fields.request_id = request.requestId;
    if (request.userId !== undefined) fields.user_id = request.userId;
  }
  return fields;
}
