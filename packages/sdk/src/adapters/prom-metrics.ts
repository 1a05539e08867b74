import { Counter, Gauge } from 'prom-client';
import type { CardinalityGuard } from '../core/cardinality.js';
import type { Exemplar, HttpMetricsPort, SelfTelemetryPort, SpanDropReason } from '../core/ports.js';
import { METRIC_HTTP_SERVER_ACTIVE, METRIC_HTTP_SERVER_DURATION } from '../core/semconv.js';
import { FastHistogram, type HistogramSeries } from './histogram.js';
import type { MetricsRegistry as Registry } from './registry.js';

/**
 * Periscope's own counters, on the same registry as the app's metrics.
 * Registered eagerly (with zero values where a label is known) so a
 * dashboard can tell "nothing dropped" from "not reporting".
 */
export class PromSelfTelemetry implements SelfTelemetryPort {
  readonly #spansDropped: Counter<'reason'>;
  readonly #spansExported: Counter;
  readonly #exportFailures: Counter<'signal'>;
  readonly #correlationRejected: Counter<'reason'>;
  readonly #invalidInput: Counter<'input'>;
  readonly #overflow: Counter<'metric'>;
  readonly #logsDropped: Counter;
  readonly #internalErrors: Counter<'where'>;
  readonly #eventsRejected: Counter<'reason'>;
  readonly #eventsDropped: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#spansDropped = new Counter({
      name: 'periscope_spans_dropped_total',
      help: 'Spans that never reached the trace backend, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.#spansExported = new Counter({ name: 'periscope_spans_exported_total', help: 'Spans the trace backend accepted.', registers });
    this.#exportFailures = new Counter({
      name: 'periscope_export_failures_total',
      help: 'Export requests that failed, by signal.',
      labelNames: ['signal'],
      registers,
    });
    this.#correlationRejected = new Counter({
      name: 'periscope_correlation_id_rejected_total',
      help: 'Inbound correlation IDs refused (and replaced), by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.#invalidInput = new Counter({
      name: 'periscope_invalid_input_total',
      help: 'Malformed inputs handled (traceparent, status code...), by input.',
      labelNames: ['input'],
      registers,
    });
    this.#overflow = new Counter({
      name: 'periscope_metric_cardinality_overflow_total',
      help: 'Label sets folded into __overflow__ because a metric reached its limit.',
      labelNames: ['metric'],
      registers,
    });
    this.#logsDropped = new Counter({
      name: 'periscope_log_lines_dropped_total',
      help: 'Log lines dropped because the log buffer was full or the stream failed.',
      registers,
    });
    this.#internalErrors = new Counter({
      name: 'periscope_internal_errors_total',
      help: 'Exceptions inside Periscope caught before reaching the app, by place.',
      labelNames: ['where'],
      registers,
    });
    this.#eventsRejected = new Counter({
      name: 'periscope_events_rejected_total',
      help: 'track() calls refused (unknown event, bad properties), by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.#eventsDropped = new Counter({
      name: 'periscope_events_dropped_total',
      help: 'Business events accepted but not delivered to the event sink, by reason.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['queue_full', 'export_failed', 'shutdown']) this.#spansDropped.inc({ reason }, 0);
    this.#exportFailures.inc({ signal: 'traces' }, 0);
  }

  spansDropped(reason: SpanDropReason, count: number): void {
    this.#spansDropped.inc({ reason }, count);
  }
  spansExported(count: number): void {
    this.#spansExported.inc(count);
  }
  exportFailed(signal: string): void {
    this.#exportFailures.inc({ signal });
  }
  correlationIdRejected(reason: string): void {
    this.#correlationRejected.inc({ reason });
  }
  invalidInput(input: string): void {
    this.#invalidInput.inc({ input });
  }
  cardinalityOverflow(metric: string): void {
    this.#overflow.inc({ metric });
  }
  logLinesDropped(count: number): void {
    this.#logsDropped.inc(count);
  }
  internalError(where: string): void {
    this.#internalErrors.inc({ where });
  }
  eventRejected(reason: string): void {
    this.#eventsRejected.inc({ reason });
  }
  eventsDropped(reason: string, count: number): void {
    this.#eventsDropped.inc({ reason }, count);
  }
}

export interface PromHttpMetricsOptions {
  buckets: number[];
  exemplars: boolean;
  guard: CardinalityGuard;
}

/** RED metrics of the HTTP server, named by the OpenTelemetry semantic conventions. */
export class PromHttpMetrics implements HttpMetricsPort {
  readonly #duration: FastHistogram;
  /**
   * Series by method, route, status code and error type (`''` for none): a
   * request finds its series with four lookups of strings it already has, and
   * builds no key; the guard runs only for a label set not seen before.
   */
  readonly #series: SeriesTree = new Map();
  /** The shared `__overflow__` series, by the label names the guard folded them to. */
  readonly #folded = new Map<string, HistogramSeries>();
  /** In-flight requests per method: a plain map on the hot path, copied into the gauge at scrape time. */
  readonly #active = new Map<string, number>();
  readonly #guard: CardinalityGuard;
  readonly #exemplars: boolean;

  constructor(registry: Registry, options: PromHttpMetricsOptions) {
    this.#guard = options.guard;
    this.#exemplars = options.exemplars;
    this.#duration = new FastHistogram(registry, {
      name: METRIC_HTTP_SERVER_DURATION,
      help: 'Duration of HTTP server requests.',
      buckets: options.buckets,
    });
    const active = this.#active;
    new Gauge({
      name: METRIC_HTTP_SERVER_ACTIVE,
      help: 'Number of HTTP server requests in flight.',
      labelNames: ['http_request_method'],
      registers: [registry],
      collect() {
        for (const [method, count] of active) this.set({ http_request_method: method }, count);
      },
    });
  }

  requestStarted(method: string): void {
    this.#active.set(method, (this.#active.get(method) ?? 0) + 1);
  }

  requestFinished(
    method: string,
    route: string,
    statusCode: string | undefined,
    errorType: string | undefined,
    durationSeconds: number,
    exemplar: Exemplar | undefined,
  ): void {
    this.#active.set(method, (this.#active.get(method) ?? 1) - 1);
    const series =
      this.#series
        .get(method)
        ?.get(route)
        ?.get(statusCode ?? '')
        ?.get(errorType ?? '') ?? this.#seriesFor(method, route, statusCode, errorType);
    if (this.#exemplars && exemplar) this.#duration.observe(series, durationSeconds, exemplar.traceId, exemplar.spanId);
    else this.#duration.observe(series, durationSeconds);
  }

  /** A label set seen for the first time: through the guard; kept in the tree when admitted, else the shared `__overflow__` series. */
  #seriesFor(method: string, route: string, statusCode: string | undefined, errorType: string | undefined): HistogramSeries {
    const labels: Record<string, string> = { http_request_method: method, http_route: route };
    if (statusCode !== undefined) labels.http_response_status_code = statusCode;
    if (errorType !== undefined) labels.error_type = errorType;
    // The guard returns the labels as they are, or folded.
    const admitted = this.#guard.admit(METRIC_HTTP_SERVER_DURATION, labels);
    if (admitted === labels) {
      const series = this.#duration.series(labels);
      branch(branch(branch(this.#series, method), route), statusCode ?? '').set(errorType ?? '', series);
      return series;
    }
    // Not kept in the tree: the guard counts every overflowing request, and the tree stays as bounded as the series.
    const foldedKey = Object.keys(admitted).join(',');
    let folded = this.#folded.get(foldedKey);
    if (!folded) {
      folded = this.#duration.series(admitted);
      this.#folded.set(foldedKey, folded);
    }
    return folded;
  }
}

type SeriesTree = Map<string, Map<string, Map<string, Map<string, HistogramSeries>>>>;

/** The map under `key`, made when missing. */
function branch<V>(map: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let next = map.get(key);
  if (!next) {
    next = new Map();
    map.set(key, next);
  }
  return next;
}

/** Used when metrics are off: every call is a no-op decided once, not a branch per request. */
export const noopHttpMetrics: HttpMetricsPort = { requestStarted() {}, requestFinished() {} };

export const noopSelfTelemetry: SelfTelemetryPort = {
  spansDropped() {},
  spansExported() {},
  exportFailed() {},
  correlationIdRejected() {},
  invalidInput() {},
  cardinalityOverflow() {},
  logLinesDropped() {},
  internalError() {},
  eventRejected() {},
  eventsDropped() {},
};
