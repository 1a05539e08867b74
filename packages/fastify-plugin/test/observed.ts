import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import { type Harness, type LogLine, type Sample, series } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DURATION = 'http_server_request_duration_seconds';

/** What one request should have produced, on every signal. */
export interface Expected {
  method?: string;
  route: string;
  path: string;
  /** Undefined for a client abort before any response. */
  status: number | undefined;
  errorType?: string;
  /** The correlation ID the client sent and expects back; otherwise a fresh UUID is expected. */
  correlationId?: string;
  /** The `traceparent` the client sent: the server span must be its child. */
  parent?: { traceId: string; spanId: string };
}

/** Everything the one recorded request produced, after the assertions passed. */
export interface Observed {
  span: ReadableSpan;
  access: LogLine;
  samples: Sample[];
}

/**
 * Asserts that exactly one request was recorded, and that its metric series
 * (with exemplar), span, access-log line and (when given) response headers agree
 * with each other and with `expected`.
 */
export async function expectRecordedOnce(harness: Harness, expected: Expected, headers?: Headers): Promise<Observed> {
  const method = expected.method ?? 'GET';
  const [access, ...more] = await harness.logs.accessLines(1);
  expect(more).toEqual([]);

  // Response headers: the IDs the access log carries.
  if (headers) {
    expect(headers.get('x-correlation-id')).toBe(access!.correlation_id);
    expect(headers.get('x-request-id')).toBe(access!.request_id);
  }
  if (expected.correlationId !== undefined) expect(access!.correlation_id).toBe(expected.correlationId);
  else expect(access!.correlation_id).toMatch(UUID);
  expect(access!.request_id).toMatch(UUID);
  expect(access!.request_id).not.toBe(access!.correlation_id);

  // The span.
  const spans = (await harness.spans()).filter((span) => span.kind === SpanKind.SERVER);
  expect(spans).toHaveLength(1);
  const span = spans[0]!;
  // semconv: no route, no http.route, and the span is named by the method alone.
  const matched = expected.route !== 'unmatched';
  expect(span.name).toBe(matched ? `${method} ${expected.route}` : method);
  expect(span.attributes['http.route']).toBe(matched ? expected.route : undefined);
  expect(span.attributes).toMatchObject({
    'http.request.method': method,
    'url.path': expected.path,
    'url.scheme': 'http',
    'client.address': '127.0.0.1',
    'periscope.correlation_id': access!.correlation_id,
    'periscope.request_id': access!.request_id,
  });
  expect(span.attributes['http.response.status_code']).toBe(expected.status);
  expect(span.attributes['error.type']).toBe(expected.errorType);
  expect(span.status).toEqual(
    expected.errorType === undefined ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: expected.errorType },
  );
  if (expected.parent) {
    expect(span.spanContext().traceId).toBe(expected.parent.traceId);
    expect(span.parentSpanContext?.spanId).toBe(expected.parent.spanId);
    expect(span.parentSpanContext?.isRemote).toBe(true);
  } else {
    expect(span.parentSpanContext).toBeUndefined();
  }
  const traceId = span.spanContext().traceId;

  // The access-log line.
  expect(access).toMatchObject({
    method,
    route: expected.route,
    path: expected.path,
    trace_id: traceId,
    span_id: span.spanContext().spanId,
  });
  expect(access!.status_code).toBe(expected.status);
  expect(access!.error_type).toBe(expected.errorType);
  expect(typeof access!.duration_ms).toBe('number');
  expect(access!.duration_ms as number).toBeGreaterThanOrEqual(0);

  // The metric series: one observation, with the labels the core defines and an exemplar of this trace.
  const samples = await harness.samples();
  const labels: Record<string, string> = { http_request_method: method, http_route: expected.route };
  if (expected.status !== undefined) labels.http_response_status_code = String(expected.status);
  if (expected.errorType !== undefined) labels.error_type = expected.errorType;
  expect(series(samples, `${DURATION}_count`)).toEqual([{ name: `${DURATION}_count`, labels, value: 1 }]);
  const exemplars = series(samples, `${DURATION}_bucket`, labels).filter((sample) => sample.exemplar);
  expect(exemplars).toHaveLength(1);
  expect(exemplars[0]!.exemplar!.labels).toEqual({ trace_id: traceId, span_id: span.spanContext().spanId });
  expect(series(samples, 'http_server_active_requests', { http_request_method: method })).toMatchObject([{ value: 0 }]);

  return { span, access: access!, samples };
}
