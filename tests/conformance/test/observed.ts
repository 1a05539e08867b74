/**
 * The framework-free record of one request: what the client, the span, the
 * metric series and the log lines showed, with every value that differs per
 * run (IDs, durations) replaced by what it was checked to be. Two frameworks
 * that behave alike produce equal records.
 */

/**
 * How an ID compared with the request's own:
 * - `echoed`: the correlation ID the client sent;
 * - `generated-uuid`: a fresh UUID, the same one on every signal;
 * - `request-uuid`: the request's own UUID, distinct from the correlation ID;
 * - `span`: the trace / span ID of the request's server span;
 * - anything else is the unexpected value itself, so a diff shows it.
 */
export type IdCheck = 'echoed' | 'generated-uuid' | 'request-uuid' | 'span' | 'absent' | `unexpected: ${string}`;

export interface ObservedResponse {
  /** `none` when the client left before any response. */
  status: number | 'none';
  'x-correlation-id'?: IdCheck;
  'x-request-id'?: IdCheck;
  /** Sent with `transfer-encoding: chunked`. */
  chunked?: boolean;
  /** The body of a 2xx (error bodies are the framework's own and not compared). */
  body?: string;
}

export interface ObservedSpan {
  name: string;
  kind: string;
  status: string;
  /** The attribute subset every framework must set alike; absent attributes are left out. */
  attributes: Record<string, string | number | IdCheck>;
  /** `inbound`: the trace of the client's `traceparent`; `new`: a fresh one. */
  trace: 'inbound' | 'new' | `unexpected: ${string}`;
  /** `exception.type` of each exception event, in order. */
  exceptions: unknown[];
  /** `none` for a root span; `inbound`: the span ID of the client's `traceparent`. */
  parent: 'none' | 'inbound' | `unexpected: ${string}`;
}

export interface ObservedSeries {
  labels: Record<string, string>;
  count: number;
  /** The exemplar of the series' buckets (exactly one expected), or `none`. */
  exemplar: { trace_id: IdCheck; span_id: IdCheck } | 'none' | `${number} exemplars`;
}

export type ObservedLogLine = Record<string, unknown>;

export interface Observed {
  response: ObservedResponse;
  /** Every SERVER span exported. */
  serverSpans: ObservedSpan[];
  /** Every series of `http_server_request_duration_seconds`. */
  durationSeries: ObservedSeries[];
  /** Every access-log line, normalised. */
  accessLog: ObservedLogLine[];
  /** Every other log line: the app's own, and Periscope's diagnostics if it wrote any. */
  appLog: ObservedLogLine[];
  /** Periscope's self-telemetry counters that moved (`name{labels}` to value), exports aside. */
  selfCounters: Record<string, number>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The request's own IDs, from its server span, and what the client sent. */
export interface Reference {
  correlationId: unknown;
  requestId: unknown;
  traceId: string | undefined;
  spanId: string | undefined;
  sentCorrelationId: string | undefined;
}

/** Checks IDs against one request's {@link Reference}. */
export class IdChecker {
  constructor(private readonly ref: Reference) {}

  correlation(value: unknown): IdCheck {
    if (value === undefined) return 'absent';
    // Equal to the span's first: two different fresh UUIDs must not both pass.
    if (value !== this.ref.correlationId) return `unexpected: ${String(value)}`;
    if (value === this.ref.sentCorrelationId) return 'echoed';
    return typeof value === 'string' && UUID.test(value) ? 'generated-uuid' : `unexpected: ${value}`;
  }

  request(value: unknown): IdCheck {
    if (value === undefined) return 'absent';
    const own = value === this.ref.requestId && value !== this.ref.correlationId;
    return own && typeof value === 'string' && UUID.test(value) ? 'request-uuid' : `unexpected: ${String(value)}`;
  }

  trace(value: unknown): IdCheck {
    if (value === undefined) return 'absent';
    return value === this.ref.traceId ? 'span' : `unexpected: ${String(value)}`;
  }

  span(value: unknown): IdCheck {
    if (value === undefined) return 'absent';
    return value === this.ref.spanId ? 'span' : `unexpected: ${String(value)}`;
  }
}

const LOG_FIELDS = ['msg', 'level', 'method', 'route', 'path', 'status_code', 'error_type', 'aborted'] as const;

/** The fields of a log line every framework must write alike; IDs checked, the duration typed. */
export function normaliseLogLine(line: Record<string, unknown>, ids: IdChecker): ObservedLogLine {
  const out: ObservedLogLine = {};
  for (const key of LOG_FIELDS) if (line[key] !== undefined) out[key] = line[key];
  if ('duration_ms' in line) {
    const ms = line.duration_ms;
    out.duration_ms = typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? 'number' : ms;
  }
  // The serialised exception: its type is compared, message and stack are the app's.
  if (line.err !== undefined) out.err = (line.err as { type?: unknown } | null)?.type;
  out.correlation_id = ids.correlation(line.correlation_id);
  out.request_id = ids.request(line.request_id);
  out.trace_id = ids.trace(line.trace_id);
  out.span_id = ids.span(line.span_id);
  return out;
}
