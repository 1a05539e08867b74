/**
 * @periscope/sdk: correlation IDs, structured logs, RED metrics and traces
 * for Node.js services, behind one `createTelemetry()` call.
 */

export type { ExpositionFormat } from './adapters/exposition.js';
export type { MetricsHandler } from './adapters/metrics-server.js';
export type { NodeHttpOptions } from './adapters/node-http.js';
export { observeNodeRequest, observeRequestListener } from './adapters/node-http.js';
export { BOUNDARY_DURATION_BUCKETS } from './adapters/prom-boundary-metrics.js';
export { toSharedShape } from './adapters/shared-shape.js';
export type {
  CorrelationOptions,
  EventBufferOptions,
  LogDestination,
  LogLevel,
  LogOptions,
  MetricOptions,
  MetricsAuth,
  SamplerName,
  ShutdownOptions,
  TelemetryOptions,
  TraceOptions,
} from './config/options.js';
export { DEFAULT_DURATION_BUCKETS, DEFAULT_REDACT_PATHS } from './config/resolve-config.js';
export type {
  Boundary,
  BoundaryCallLabels,
  BoundaryMethodDecorator,
  BoundaryMetricsPort,
  BoundaryOutcome,
  LegacyMethodDecorator,
} from './core/boundary.js';
export {
  callingModule,
  copyReflectMetadata,
  currentModule,
  FROM_HTTP,
  FROM_NONE,
  METRIC_MODULE_CALL_DURATION,
  METRIC_MODULE_CALLS,
} from './core/boundary.js';
export type { EventMetricsPort, EventRejection, EventSeries } from './core/business-events.js';
export { OTHER_VALUE } from './core/business-events.js';
export { OVERFLOW_VALUE } from './core/cardinality.js';
export type { ClientObservation, ClientRequestInfo } from './core/client-observation.js';
export { ClientInstrumentation } from './core/client-observation.js';
export type { HeaderValue, RejectionReason } from './core/correlation.js';
export { checkInboundId } from './core/correlation.js';
export type { EventSinkPort, TrackedEvent } from './core/event-dispatcher.js';
export type { HttpFinishInfo, HttpInstrumentationPort, HttpObservation, HttpRequestInfo } from './core/http-observation.js';
export { HttpInstrumentation } from './core/http-observation.js';
export type { Exemplar, HttpMetricLabels, HttpMetricsPort, LogPort, SelfTelemetryPort, SpanDropReason } from './core/ports.js';
export type { LogCorrelationFields, RequestContext } from './core/request-context.js';
export { getRequestContext } from './core/request-context.js';
export {
  METRIC_HTTP_SERVER_ACTIVE,
  METRIC_HTTP_SERVER_DURATION,
  OTHER_METHOD,
  UNMATCHED_ROUTE,
} from './core/semconv.js';
export type { Telemetry, TrackArguments } from './create-telemetry.js';
export { createTelemetry } from './create-telemetry.js';
export type { PeriscopeErrorCode } from './errors.js';
export { PeriscopeError } from './errors.js';
export type {
  CheckedCatalog,
  EventCatalog,
  EventDefinition,
  EventProperties,
  EventPropertyValue,
  FunnelDefinitions,
} from './events/catalog.js';
export { defineEvents } from './events/catalog.js';
export type { FunnelRuleOptions } from './events/funnel-rules.js';
export { funnelRules } from './events/funnel-rules.js';
export { assertTelemetry, isTelemetry, TELEMETRY_BRAND } from './telemetry-brand.js';
