import type { ServerResponse } from 'node:http';
import type { Telemetry } from '@periscope/sdk';
import { assertTelemetry, type ExpressRequestLike } from './options.js';
import { getRequestState } from './request-state.js';

/** Express's error-handler shape `(err, req, res, next)`; the four parameters are how Express recognises it. */
export type PeriscopeErrorMiddleware = (
  error: unknown,
  req: ExpressRequestLike,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Records the exception an Express app raised (thrown, rejected in Express 5,
 * or passed to `next(err)`) on the request's span and access-log line, and
 * labels the request with its type (`error_type="TypeError"`). It never
 * answers: it calls `next(err)`, so status and body stay the app's. Register
 * it after your routes and before your own error handlers; without them,
 * Express's default handler answers as usual.
 *
 * @throws PeriscopeError `PERISCOPE_MISSING_TELEMETRY` when `telemetry` is not
 * the object `createTelemetry()` returned.
 */
export function periscopeErrors(telemetry: Telemetry): PeriscopeErrorMiddleware {
  assertTelemetry(telemetry, 'periscopeErrors');
  const http = telemetry.http;
  return function periscopeErrorMiddleware(error, req, _res, next) {
    try {
      getRequestState(req)?.observation?.recordError(error);
    } catch (failure) {
      http.reportInternalError('express.errors', failure);
    }
    next(error);
  };
}
