import type { IncomingMessage } from 'node:http';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import { assertTelemetry, PeriscopeError, type Telemetry } from '@periscope/sdk';
import { type BoundariesOptions, validateBoundaries } from './boundaries-options.js';

/** Options of {@link PeriscopeModule.forRoot}, also what the `forRootAsync` factory returns. */
export interface PeriscopeModuleOptions {
  /** The instance from `createTelemetry()`; required. The module never shuts it down: call `telemetry.shutdown()` yourself. */
  telemetry: Telemetry;
  /**
   * Requests for which this returns true are not observed: no span, metric or
   * access log line, and no correlation headers (health checks, e.g.
   * `(req) => req.url === '/health'`). A throwing function is counted in
   * `periscope_internal_errors_total{where="nest.ignore"}` and the request is observed.
   * @default observe every request
   */
  ignore?: (request: IncomingMessage) => boolean;
  /**
   * Module boundaries of a modular monolith: `{ auto: true }` records calls
   * from one Nest module into another's controllers and providers, with no
   * code change (see docs/boundaries.md).
   * @default off
   */
  boundaries?: BoundariesOptions;
}

/** Options of {@link PeriscopeModule.forRootAsync}: a factory resolved by Nest's injector. */
export interface PeriscopeModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Providers passed to `useFactory`, in order. @default [] */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Returns the module options (sync or async). */
  useFactory: (...args: never[]) => PeriscopeModuleOptions | Promise<PeriscopeModuleOptions>;
}

/** Start-up check of the options: a missing or malformed telemetry fails loudly, before the first request. */
export function validateOptions(options: unknown, where: string): PeriscopeModuleOptions {
  const telemetry = (options as Partial<PeriscopeModuleOptions> | null | undefined)?.telemetry;
  assertTelemetry(telemetry, `${where} ({ telemetry })`);
  const ignore = (options as PeriscopeModuleOptions).ignore;
  if (ignore !== undefined && typeof ignore !== 'function') {
    throw new PeriscopeError('PERISCOPE_INVALID_OPTION', `${where}: ignore must be a function, got ${describe(ignore)}`);
  }
  validateBoundaries((options as PeriscopeModuleOptions).boundaries, where);
  return options as PeriscopeModuleOptions;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object without http.start()' : typeof value;
}
