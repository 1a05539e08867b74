/** Codes carried by {@link PeriscopeError}, one per kind of misuse. */
export type PeriscopeErrorCode =
  | 'PERISCOPE_INVALID_OPTION'
  | 'PERISCOPE_INVALID_ENV'
  | 'PERISCOPE_INVALID_EVENT'
  | 'PERISCOPE_MISSING_TELEMETRY'
  | 'PERISCOPE_ALREADY_REGISTERED'
  | 'PERISCOPE_INVALID_BOUNDARY';

/**
 * The one error type Periscope throws, and only at start-up (bad options or
 * environment, a plugin registered twice). Request-time failures are never
 * thrown into the application: they are counted and logged once.
 */
export class PeriscopeError extends Error {
  /** Stable, machine-readable code, e.g. `PERISCOPE_INVALID_OPTION`. */
  readonly code: PeriscopeErrorCode;

  constructor(code: PeriscopeErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'PeriscopeError';
    this.code = code;
  }
}
