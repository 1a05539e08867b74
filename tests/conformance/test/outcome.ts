import type { IdCheck, Observed, ObservedLogLine } from './observed.js';

/** The facts of one expected outcome; the rest (the IDs agreeing on every signal) is common to all. */
export interface Outcome {
  span: string;
  spanStatus: 'UNSET' | 'ERROR';
  /** `http.route`; undefined when no route matched. */
  route?: string;
  /** The `http_route` label. */
  routeLabel: string;
  path: string;
  /** undefined when the client left before any response. */
  status?: number;
  errorType?: string;
  /** The exception class recorded as a span event and as `err` on the access line. */
  exception?: string;
  msg: 'request completed' | 'request failed' | 'request aborted';
  level: 'info' | 'warn' | 'error';
  correlation?: IdCheck;
  trace?: 'inbound';
  body?: string;
  chunked?: boolean;
  /** Messages the handler logged, each carrying the request's IDs. */
  appLog?: string[];
  selfCounters?: Record<string, number>;
}

/** The full expected record of a request with this outcome. */
export function outcome(o: Outcome): Observed {
  const correlation = o.correlation ?? 'generated-uuid';
  const ids = { correlation_id: correlation, request_id: 'request-uuid', trace_id: 'span', span_id: 'span' } as const;
  const attributes: Record<string, string | number> = { 'http.request.method': 'GET', 'url.path': o.path };
  if (o.route !== undefined) attributes['http.route'] = o.route;
  if (o.status !== undefined) attributes['http.response.status_code'] = o.status;
  if (o.errorType !== undefined) attributes['error.type'] = o.errorType;
  const labels: Record<string, string> = { http_request_method: 'GET', http_route: o.routeLabel };
  if (o.status !== undefined) labels.http_response_status_code = String(o.status);
  if (o.errorType !== undefined) labels.error_type = o.errorType;
  const access: ObservedLogLine = { msg: o.msg, level: o.level, method: 'GET', route: o.routeLabel, path: o.path };
  if (o.status !== undefined) access.status_code = o.status;
  if (o.errorType !== undefined) access.error_type = o.errorType;
  if (o.status === undefined) access.aborted = true;
  if (o.exception !== undefined) access.err = o.exception;

  const response: Observed['response'] =
    o.status === undefined
      ? { status: 'none' }
      : { status: o.status, 'x-correlation-id': correlation, 'x-request-id': 'request-uuid', chunked: o.chunked ?? false };
  if (o.body !== undefined) response.body = o.body;
  return {
    response,
    serverSpans: [
      {
        name: o.span,
        kind: 'SERVER',
        status: o.spanStatus,
        attributes: { ...attributes, 'periscope.correlation_id': correlation, 'periscope.request_id': 'request-uuid' },
        exceptions: o.exception === undefined ? [] : [o.exception],
        trace: o.trace ?? 'new',
        parent: o.trace === 'inbound' ? 'inbound' : 'none',
      },
    ],
    durationSeries: [{ labels, count: 1, exemplar: { trace_id: 'span', span_id: 'span' } }],
    accessLog: [{ ...access, duration_ms: 'number', ...ids }],
    appLog: (o.appLog ?? []).map((msg) => ({ msg, level: 'info', ...ids })),
    selfCounters: o.selfCounters ?? {},
  };
}
