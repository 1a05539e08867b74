import { PeriscopeError, type Telemetry } from '@periscope/sdk';

/** Options of the {@link periscope} plugin. */
export interface PeriscopeFastifyOptions {
  /**
   * The handle returned by `createTelemetry()`. Required: the plugin owns no
   * telemetry of its own, so one handle can serve several apps and outlive them.
   */
  telemetry: Telemetry;
}

/**
 * Checks the options once, at registration. Duck-typed rather than
 * `instanceof` so a telemetry built by the CJS copy of the SDK is accepted by
 * the ESM copy of the plugin, and the other way round.
 */
export function resolveTelemetry(options: unknown): Telemetry {
  const telemetry = (options as { telemetry?: unknown } | null | undefined)?.telemetry as Partial<Telemetry> | undefined;
  const http = telemetry?.http as Partial<Telemetry['http']> | undefined;
  if (
    typeof telemetry !== 'object' ||
    telemetry === null ||
    typeof telemetry.forceFlush !== 'function' ||
    typeof http?.start !== 'function' ||
    typeof http.reportInternalError !== 'function'
  ) {
    throw new PeriscopeError(
      'PERISCOPE_MISSING_TELEMETRY',
      '@periscope/fastify needs the object returned by createTelemetry(): app.register(periscope, { telemetry })',
    );
  }
  return telemetry as Telemetry;
}
