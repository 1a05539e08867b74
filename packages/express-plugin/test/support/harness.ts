import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '@periscope/sdk';
import type { Express } from 'express';
import { expect } from 'vitest';
import type { ExpressFactory } from './express-versions.js';
import { isAccessLine, LogCollector } from './log-collector.js';
import { parseOpenMetrics, type Sample, series } from './openmetrics.js';

export const DURATION = 'http_server_request_duration_seconds';

/** One app under test: a real server on 127.0.0.1, its telemetry, spans and log lines. */
export interface Harness {
  readonly telemetry: Telemetry;
  readonly exporter: InMemorySpanExporter;
  readonly logs: LogCollector;
  readonly baseUrl: string;
  url(path: string): string;
  /** Resolves with the access-log line of the request whose response carried `requestId`. */
  accessLine(requestId: string): Promise<Record<string, unknown>>;
  samples(): Promise<Sample[]>;
  spans(): Promise<ReadableSpan[]>;
  close(): Promise<void>;
}

/** Builds an app with `build`, serves it on port 0 and returns the handles a test needs. */
export async function startApp(
  express: ExpressFactory,
  build: (app: Express, telemetry: Telemetry) => void,
  options: TelemetryOptions = {},
): Promise<Harness> {
  const exporter = new InMemorySpanExporter();
  const logs = new LogCollector();
  const telemetry = createTelemetry({
    serviceName: 'express-test',
    env: {},
    ...options,
    metrics: { server: false, runtime: false, ...options.metrics },
    traces: { exporter, scheduledDelayMillis: 10, ...options.traces },
    logs: { destination: logs, ...options.logs },
  });
  const app = express();
  build(app, telemetry);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    telemetry,
    exporter,
    logs,
    baseUrl,
    url: (path) => baseUrl + path,
    accessLine: (requestId) => logs.waitFor((line) => isAccessLine(line) && line.request_id === requestId),
    samples: async () => parseOpenMetrics(await telemetry.metrics('openmetrics')),
    spans: async () => {
      await telemetry.forceFlush();
      return exporter.getFinishedSpans();
    },
    close: () => closeAll(server, telemetry),
  };
}

async function closeAll(server: Server, telemetry: Telemetry): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
}

/** What one request should have produced in every signal. */
export interface Expected {
  method: string;
  route: string;
  /** undefined when the client went away before any header was sent. */
  status: number | undefined;
  /** `error_type` label / attribute, when the request failed. */
  errorType?: string;
  /** Observations expected in the series, when other requests share it. @default 1 */
  observations?: number;
}

/** The evidence of one request, once checked. */
export interface Recorded {
  span: ReadableSpan;
  line: Record<string, unknown>;
  correlationId: string;
  requestId: string;
}

/**
 * Checks that a request was recorded once, consistently, in the metric (series,
 * count, exemplar), the span, the access-log line and the response headers.
 * `requestId` identifies the request: from `x-request-id` of the response, or
 * from its log line when the client never got one.
 */
export async function expectRecorded(h: Harness, requestId: string | null, expected: Expected, response?: Response): Promise<Recorded> {
  // Fail fast, rather than wait for a line that cannot come, when the response lacked the header.
  if (typeof requestId !== 'string' || requestId === '') throw new Error(`no request ID to look the request up by: ${requestId}`);
  const line = await h.accessLine(requestId);
  const correlationId = line.correlation_id as string;

  // The access-log line.
  expect(line).toMatchObject({ method: expected.method, route: expected.route, request_id: requestId });
  expect(line.status_code).toBe(expected.status);
  expect(typeof line.duration_ms).toBe('number');
  expect(line.duration_ms as number).toBeGreaterThanOrEqual(0);
  expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(correlationId).toEqual(expect.any(String));
  expect(line.error_type).toBe(expected.errorType);
  expect(h.logs.accessLines().filter((l) => l.request_id === requestId)).toHaveLength(1);

  // The response headers, when the client got a response.
  if (response) {
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(response.headers.get('x-correlation-id')).toBe(correlationId);
  }

  // The span.
  const spans = (await h.spans()).filter((s) => s.attributes['periscope.request_id'] === requestId);
  expect(spans).toHaveLength(1);
  const span = spans[0]!;
  // semconv: no route, no http.route, and the span is named by the method alone.
  const matched = expected.route !== 'unmatched';
  expect(span.name).toBe(matched ? `${expected.method} ${expected.route}` : expected.method);
  expect(span.kind).toBe(SpanKind.SERVER);
  expect(span.spanContext().traceId).toBe(line.trace_id);
  expect(span.attributes['http.route']).toBe(matched ? expected.route : undefined);
  expect(span.attributes['http.request.method']).toBe(expected.method);
  expect(span.attributes['http.response.status_code']).toBe(expected.status);
  expect(span.attributes['periscope.correlation_id']).toBe(correlationId);
  expect(span.attributes['error.type']).toBe(expected.errorType);
  expect(span.status.code).toBe(expected.errorType === undefined ? SpanStatusCode.UNSET : SpanStatusCode.ERROR);

  // The metric series: exactly these labels, one observation, the span's trace as exemplar.
  const labels: Record<string, string> = { http_request_method: expected.method, http_route: expected.route };
  if (expected.status !== undefined) labels.http_response_status_code = String(expected.status);
  if (expected.errorType !== undefined) labels.error_type = expected.errorType;
  const samples = await h.samples();
  const count = series(samples, `${DURATION}_count`, labels);
  expect(count, `series ${JSON.stringify(labels)}`).toHaveLength(1);
  expect(count[0]!.value).toBe(expected.observations ?? 1);
  const exemplars = series(samples, `${DURATION}_bucket`, labels).filter((s) => s.exemplar);
  if ((expected.observations ?? 1) === 1) {
    expect(exemplars.map((s) => s.exemplar!.labels.trace_id)).toEqual([span.spanContext().traceId]);
    expect(exemplars[0]!.exemplar!.labels.span_id).toBe(span.spanContext().spanId);
  } else {
    expect(exemplars.length).toBeGreaterThan(0);
  }

  return { span, line, correlationId, requestId };
}

/** A promise with its resolver, to let a test and a handler take turns. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
