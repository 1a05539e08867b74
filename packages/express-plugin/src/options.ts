import type { IncomingMessage } from 'node:http';
import { assertTelemetry as assertSdkTelemetry, PeriscopeError, type Telemetry } from '@periscope/sdk';

/**
 * What the plugin reads from an Express request. Structural, so the same
 * types fit Express 4 and 5 (and their `@types/express` versions).
 */
export interface ExpressRequestLike extends IncomingMessage {
  /** Path the current router was mounted at, e.g. `/api`. */
  baseUrl?: string;
  /** URL as received, before routers trimmed it. */
  originalUrl?: string;
  /** The route that matched, set by Express's router. */
  route?: { path?: unknown } | undefined;
  /** Route parameters of the layer being handled. */
  params?: unknown;
}

/** Options of {@link periscope}. */
export interface PeriscopeExpressOptions {
  /**
   * Returns the route label of a request, replacing the built-in one
   * (`req.baseUrl` templates + `req.route.path`). Return `undefined` for
   * `unmatched`. Called once, when the response completes; if it throws, the
   * failure is counted in `periscope_internal_errors_total{where="express.route"}`
   * and the built-in label is used. Never return the raw URL: it is a metric label.
   * @default the matched route template
   */
  route?: (req: ExpressRequestLike) => string | undefined;
}

/** Start-up check that `telemetry` came from `createTelemetry()` (the SDK's shared brand check). */
export function assertTelemetry(telemetry: unknown, caller: string): asserts telemetry is Telemetry {
  assertSdkTelemetry(telemetry, `${caller}(telemetry)`);
}

/** Validates {@link PeriscopeExpressOptions} once, at start-up. */
export function resolveOptions(options: unknown): PeriscopeExpressOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new PeriscopeError('PERISCOPE_INVALID_OPTION', `periscope() options must be an object, got ${describe(options)}`);
  }
  const { route } = options as PeriscopeExpressOptions;
  if (route !== undefined && typeof route !== 'function') {
    throw new PeriscopeError('PERISCOPE_INVALID_OPTION', `route must be a function (req) => string | undefined, got ${describe(route)}`);
  }
  return route === undefined ? {} : { route };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without http.start()' : typeof value;
}
