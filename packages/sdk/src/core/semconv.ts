import type { Exception } from '@opentelemetry/api';

/**
 * Every name Periscope emits, defined once so the three framework plugins
 * cannot disagree. Metric names are the OpenTelemetry HTTP semantic
 * conventions translated to Prometheus (dots to underscores, unit suffix).
 */
export const METRIC_HTTP_SERVER_DURATION = 'http_server_request_duration_seconds';
export const METRIC_HTTP_SERVER_ACTIVE = 'http_server_active_requests';

/** The route label of requests no route matched: a constant, never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';
/** The method label of methods outside the known set (semconv's `_OTHER`). */
export const OTHER_METHOD = '_OTHER';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** The method as a bounded label value: known methods upper-cased, anything else `_OTHER`. */
export function normaliseMethod(method: unknown): string {
  if (typeof method !== 'string') return OTHER_METHOD;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : OTHER_METHOD;
}

const MAX_ROUTE_LENGTH = 256;

/** A route template from a framework, or `unmatched`. Templates are bounded by the app's code, not by clients. */
export function normaliseRoute(route: unknown): string {
  if (typeof route !== 'string' || route.length === 0) return UNMATCHED_ROUTE;
  return route.length > MAX_ROUTE_LENGTH ? route.slice(0, MAX_ROUTE_LENGTH) : route;
}

/** An HTTP status code as an integer in 100..599, or undefined when the value is not one. */
export function normaliseStatus(status: unknown): number | undefined {
  const code = typeof status === 'string' ? Number(status) : status;
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599 ? code : undefined;
}

/** `error.type` for an exception: its class name, limited to identifier characters. */
export function errorType(error: unknown): string {
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (typeof name === 'string' && /^[A-Za-z_$][\w$.]{0,63}$/.test(name) && name !== 'Object') return name;
  return '_OTHER';
}

/** Span attributes that are Periscope's own, beside the semantic conventions. */
export const ATTR_CORRELATION_ID = 'periscope.correlation_id';
export const ATTR_REQUEST_ID = 'periscope.request_id';

/** The span's exception event, typed like the `error_type` label (the class name, not `err.name`). */
export function toException(error: unknown): Exception {
  if (error instanceof Error) return { name: errorType(error), message: error.message, stack: error.stack };
  return typeof error === 'string' ? error : String(error);
}
