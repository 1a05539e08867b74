/**
 * The ports: what the core needs from the outside world. Adapters (pino,
 * prom-client, the OpenTelemetry SDK) implement them; the core names none.
 */

import type { Context } from '@opentelemetry/api';

/** Structured logging, in pino's `(fields, message)` shape. */
export interface LogPort {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /**
   * Optional: writes a line with the IDs of `ctx` instead of the active
   * context's, so the caller need not enter `ctx` (an AsyncLocalStorage run)
   * just to log in it. The access line uses it when the logger has it.
   */
  writeIn?(ctx: Context, level: 'info' | 'warn' | 'error', fields: object, message: string): void;
  /**
   * Optional: writes an access line in `ctx`, the same line `writeIn` would
   * write for these fields, from fields whose names and types it knows
   * (the access line is the one line every request writes).
   */
  writeAccess?(ctx: Context, level: 'info' | 'warn' | 'error', fields: AccessLineFields, message: string): void;
}

/** The fields of an access-log line, in the order they are written; absent ones are left out. */
export interface AccessLineFields {
  method: string;
  route: string;
  path: string;
  status_code: number | undefined;
  duration_ms: number;
  error_type?: string;
  aborted?: true;
  /** Only on lines that go through the redacting logger, never to `writeAccess`. */
  err?: unknown;
}

/** Labels of the HTTP server metrics, already bounded (route template, known method). */
export interface HttpMetricLabels {
  http_request_method: string;
  http_route: string;
  http_response_status_code?: string;
  error_type?: string;
}

/** Trace IDs attached to a measurement so a dashboard can jump to the trace (a span's `SpanContext` is one). */
export interface Exemplar {
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * Where the HTTP RED metrics go. The labels of `requestFinished` come as
 * arguments, not an object: it runs once per request, and an adapter builds
 * a label object only for a label set it has not seen.
 */
export interface HttpMetricsPort {
  requestStarted(method: string): void;
  requestFinished(
    method: string,
    route: string,
    statusCode: string | undefined,
    errorType: string | undefined,
    durationSeconds: number,
    exemplar: Exemplar | undefined,
  ): void;
}

/** Reasons a span never reaches the backend. */
export type SpanDropReason = 'queue_full' | 'export_failed' | 'shutdown';

/** Counters about Periscope itself, served beside the application's metrics. */
export interface SelfTelemetryPort {
  spansDropped(reason: SpanDropReason, count: number): void;
  spansExported(count: number): void;
  exportFailed(signal: 'traces' | 'logs' | 'events'): void;
  /** A `track()` call refused (unknown event, bad property...). */
  eventRejected(reason: string): void;
  /** Events accepted but never delivered to the sink. */
  eventsDropped(reason: 'buffer_full' | 'sink_failed' | 'shutdown', count: number): void;
  correlationIdRejected(reason: string): void;
  invalidInput(input: string): void;
  cardinalityOverflow(metric: string): void;
  logLinesDropped(count: number): void;
  internalError(where: string): void;
}
