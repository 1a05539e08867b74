import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { EventSinkPort } from '../core/event-dispatcher.js';
import type { LogCorrelationFields } from '../core/request-context.js';
import type { EventCatalog, FunnelDefinitions } from '../events/catalog.js';

/** Log levels accepted by `logs.level`, from most to least verbose. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Values of `OTEL_TRACES_SAMPLER` that Periscope implements. */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** A stream pino can write to: anything with `write(line)`. */
export interface LogDestination {
  write(chunk: string): unknown;
}

/** Options of {@link createTelemetry}. Options beat `OTEL_*` variables. */
export interface TelemetryOptions<C extends EventCatalog = EventCatalog> {
  /** Service name on every signal. Required here or in the environment. Env: `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. */
  serviceName?: string;
  /** Source revision of the running build (`vcs_revision` of `periscope_build_info`). Env: `vcs.ref.head.revision` in `OTEL_RESOURCE_ATTRIBUTES`. */
  vcsRevision?: string;
  /** Service version (`service.version`). Env: `service.version` in `OTEL_RESOURCE_ATTRIBUTES`, then `npm_package_version`. */
  serviceVersion?: string;
  /** Deployment environment, the `env` field of every log line. Env: `deployment.environment.name` in `OTEL_RESOURCE_ATTRIBUTES`, then `NODE_ENV`. @default 'development' */
  environment?: string;
  /** Extra resource attributes on spans. Env: `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, merged, options win). */
  resourceAttributes?: Record<string, string>;
  /** Turns every signal off; correlation IDs and the logger keep working. Env: `OTEL_SDK_DISABLED=true`. @default false */
  disabled?: boolean;
  /** Level of Periscope's own diagnostics (written through the logger with `component: "periscope"`). Env: `OTEL_LOG_LEVEL` (`none`, `error`, `warn`, `info`, `debug`, `verbose`, `all`). @default 'warn' */
  diagnosticLevel?: LogLevel;
  /** Propagate `traceparent`, `baggage` and the correlation ID into outbound `fetch`/undici and `node:http`/`https` calls made while serving a request, each with a client span. @default true */
  outbound?: boolean;
  /** Where `OTEL_*` variables are read from. @default process.env */
  env?: Record<string, string | undefined>;
  /** The business-event catalog, from `defineEvents()`; it types `telemetry.track()`. */
  events?: C;
  /** Funnels: ordered steps of catalog events, e.g. `{ signup: ['landing.viewed', 'user.signed_up'] }`; steps also mark the request's span. */
  funnels?: FunnelDefinitions<C>;
  /** Also send every tracked event here (a warehouse, a queue), in batches, off the request path. @default none */
  eventSink?: EventSinkPort;
  /** The bounded buffer in front of `eventSink`. */
  eventBuffer?: EventBufferOptions;
  correlation?: CorrelationOptions;
  logs?: LogOptions;
  metrics?: MetricOptions;
  traces?: TraceOptions;
  shutdown?: ShutdownOptions;
}

export interface EventBufferOptions {
  /** Events held for the sink; beyond it events are dropped and counted. @default 10000 */
  maxEvents?: number;
  /** Events per `send()` call. @default 500 */
  batchSize?: number;
  /** Delay before sending a partial batch, ms. @default 1000 */
  flushMillis?: number;
  /** Time one `send()` may take before its batch counts as failed, ms. @default 10000 */
  timeoutMillis?: number;
}

export interface CorrelationOptions {
  /** Header read for an inbound correlation ID and echoed in the response. @default 'x-correlation-id' */
  header?: string;
  /** Fallback header read when `header` is absent, and the header the request ID is echoed in. @default 'x-request-id' */
  requestIdHeader?: string;
  /** Longest inbound ID accepted (1-128). @default 128 */
  maxLength?: number;
}

export interface LogOptions {
  /** Level of `telemetry.logger`. @default 'info' */
  level?: LogLevel;
  /** Redaction rules added to the defaults: a key (`ssn`) is redacted at any depth, case-insensitively; a dotted path (`card.number`, `*.pin`) only there. Also applied to business-event properties. */
  redact?: string[];
  /** Replace the default redaction paths instead of adding to them. @default false */
  replaceDefaultRedaction?: boolean;
  /** One access-log line per request at completion. @default true */
  accessLog?: boolean;
  /** Where lines go. @default stdout, asynchronously, with a bounded buffer (`bufferLimitBytes`) */
  destination?: LogDestination;
  /**
   * Largest stdout buffer before lines are dropped (and counted in
   * `periscope_log_lines_dropped_total`), in bytes of UTF-8 waiting to be written.
   * @default 16 MiB
   */
  bufferLimitBytes?: number;
  /**
   * Adds your own fields to every line written inside a request (your lines
   * and the access log), e.g. `({ request_id }) => ({ tenant: tenants.get(request_id) })`.
   * Called once per line with a copy of the request's ID fields (`trace_id`,
   * `correlation_id`, `request_id`, `user_id`...); the fields it returns pass
   * through redaction, and on a name clash the line's own fields and
   * Periscope's IDs win. A throw (or a result that is not an object) is
   * counted in `periscope_internal_errors_total{where="logs.enrich"}` and
   * logged once; the line is written without the extra fields. @default none
   */
  enrich?: (fields: Readonly<LogCorrelationFields>) => Record<string, unknown>;
  /**
   * Your own redaction, applied after the `redact` rules to every key of every
   * line written through `telemetry.logger` (and to `enrich`'s fields), at any
   * depth of plain objects and arrays (6 levels): return what to write in
   * place of `value`: `value` itself keeps it, `undefined` drops the key, and
   * an object returned is walked in turn. Business-event properties on spans
   * and in the sink use the `redact` rules only. A throw is counted in
   * `periscope_internal_errors_total{where="logs.redactor"}` and logged once;
   * the value it was called for is written as `"[Redacted]"` (a failing
   * redactor fails closed). @default none
   */
  redactor?: (key: string, value: unknown) => unknown;
}

/** Credentials the `/metrics` listener requires: a bearer token, or basic auth (Prometheus: `authorization` / `basic_auth`). */
export type MetricsAuth = { bearerToken: string } | { username: string; password: string };

export interface MetricOptions {
  /** Record metrics at all. @default true */
  enabled?: boolean;
  /** The `/metrics` listener; `false` turns it off (mount `telemetry.metricsHandler` yourself). Env: `OTEL_EXPORTER_PROMETHEUS_HOST`, `OTEL_EXPORTER_PROMETHEUS_PORT`. @default { host: '0.0.0.0', port: 9464 } */
  server?: false | { host?: string; port?: number; auth?: MetricsAuth };
  /** Bucket bounds (seconds) of `http_server_request_duration_seconds`. @default OpenTelemetry's HTTP buckets, 5 ms to 10 s */
  durationBuckets?: number[];
  /** Most label sets per metric; beyond it new values fold into `__overflow__`. @default 1000 */
  maxLabelSets?: number;
  /** Event loop, GC, heap and CPU metrics. @default true */
  runtime?: boolean;
  /** Exemplars (`trace_id`, `span_id`) on the duration histogram. @default true */
  exemplars?: boolean;
}

export interface TraceOptions {
  /** Span exporter. Env: `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`). @default 'otlp' */
  exporter?: 'otlp' | 'console' | 'none' | SpanExporter;
  /** OTLP/HTTP traces URL. Env: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. @default 'http://localhost:4318/v1/traces' */
  endpoint?: string;
  /** Headers sent with every export. Env: `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`). */
  headers?: Record<string, string>;
  /** Wire encoding. Env: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`. @default 'http/protobuf' */
  protocol?: 'http/protobuf' | 'http/json';
  /** Compression of export bodies. Env: `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, `OTEL_EXPORTER_OTLP_COMPRESSION`. @default 'none' */
  compression?: 'gzip' | 'none';
  /** Sampler. Env: `OTEL_TRACES_SAMPLER`. @default 'parentbased_always_on' */
  sampler?: SamplerName;
  /** Ratio for the `*traceidratio` samplers, 0 to 1. Env: `OTEL_TRACES_SAMPLER_ARG`. @default 1 */
  samplerArg?: number;
  /** Spans held for export; beyond it spans are dropped and counted. @default 2048 */
  maxQueueSize?: number;
  /** Spans per export request. @default 512 */
  maxExportBatchSize?: number;
  /** Delay between exports of a partial batch, ms. @default 1000 */
  scheduledDelayMillis?: number;
  /** Time one export may take before it is counted as failed, ms. Env: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT`. @default 10000 */
  exportTimeoutMillis?: number;
}

export interface ShutdownOptions {
  /** Longest `shutdown()` waits for flushing, ms. @default 5000 */
  timeoutMillis?: number;
  /** Shut down on these signals, then re-raise them so the process still exits. `true` means SIGTERM and SIGINT. @default false */
  signals?: boolean | NodeJS.Signals[];
  /**
   * Runs first when shutting down, inside the same deadline: close your HTTP
   * server here so in-flight requests finish (and are recorded) before the
   * flush. A throw or rejection is counted and logged, and shutdown goes on.
   */
  beforeFlush?: () => unknown;
}
