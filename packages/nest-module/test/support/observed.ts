import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect, vi } from 'vitest';
import { parseOpenMetrics, type Sample, select } from './openmetrics.js';
import type { LogLine, TestTelemetry } from './telemetry.js';

export interface Expected {
  method: string;
  route: string;
  path: string;
  /** Undefined for an aborted request that never got a status. */
  status?: number;
  errorType?: string;
  /** The response, when there was one: its headers must carry the request's IDs. */
  response?: Response;
}

export interface Observed {
  span: ReadableSpan;
  log: LogLine;
  series: Sample;
  samples: Sample[];
}

const DURATION_COUNT = 'http_server_request_duration_seconds_count';

/** Waits for the one request to complete on the server (its access log line), then flushes spans. */
export async function settle(t: TestTelemetry, requests = 1): Promise<void> {
  await vi.waitFor(() => expect(t.accessLogs()).toHaveLength(requests), { timeout: 10_000, interval: 5 });
  await t.telemetry.forceFlush();
}

/**
 * Checks every output of one observed request against `expected`: the one
 * duration series (exact labels, count 1, exemplar of the span's trace), the
 * SERVER span (name, status, attributes), the access log line and the
 * response headers.
 */
export async function expectObserved(t: TestTelemetry, expected: Expected): Promise<Observed> {
  await settle(t);
  const { method, route, path, status, errorType, response } = expected;

  const spans = t.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
  expect(spans).toHaveLength(1);
  const span = spans[0]!;
  // semconv: no route, no http.route, and the span is named by the method alone.
  const matched = route !== 'unmatched';
  expect(span.name).toBe(matched ? `${method} ${route}` : method);
  expect(span.attributes['http.request.method']).toBe(method);
  expect(span.attributes['http.route']).toBe(matched ? route : undefined);
  expect(span.attributes['url.path']).toBe(path);
  expect(span.attributes['http.response.status_code']).toBe(status);
  expect(span.attributes['error.type']).toBe(errorType);
  expect(span.status.code).toBe(errorType === undefined ? SpanStatusCode.UNSET : SpanStatusCode.ERROR);
  const traceId = span.spanContext().traceId;

  const samples = parseOpenMetrics(await t.telemetry.metrics('openmetrics'));
  const labels: Record<string, string> = { http_request_method: method, http_route: route };
  if (status !== undefined) labels.http_response_status_code = String(status);
  if (errorType !== undefined) labels.error_type = errorType;
  const counts = select(samples, DURATION_COUNT);
  expect(counts.map((s) => s.labels)).toEqual([labels]);
  const series = counts[0]!;
  expect(series.value).toBe(1);
  const exemplars = select(samples, 'http_server_request_duration_seconds_bucket', labels).filter((s) => s.exemplar);
  expect(exemplars).toHaveLength(1);
  expect(exemplars[0]!.exemplar!.labels).toEqual({ trace_id: traceId, span_id: span.spanContext().spanId });
  expect(select(samples, 'http_server_active_requests', { http_request_method: method })[0]?.value).toBe(0);

  const lines = t.accessLogs();
  expect(lines).toHaveLength(1);
  const log = lines[0]!;
  expect(log).toMatchObject({ method, route, path, trace_id: traceId, span_id: span.spanContext().spanId });
  expect(log.status_code).toBe(status);
  expect(log.error_type).toBe(errorType);
  expect(typeof log.duration_ms).toBe('number');
  expect(log.duration_ms as number).toBeGreaterThanOrEqual(0);
  expect(log.correlation_id).toBe(span.attributes['periscope.correlation_id']);
  expect(log.request_id).toBe(span.attributes['periscope.request_id']);

  if (response) {
    expect(response.headers.get('x-correlation-id')).toBe(log.correlation_id);
    expect(response.headers.get('x-request-id')).toBe(log.request_id);
  }
  return { span, log, series, samples };
}
