import { assertTelemetry, type Telemetry } from '@periscope/sdk';

/** Options of the {@link periscope} plugin. */
export interface PeriscopeFastifyOptions {
  /**
   * The handle returned by `createTelemetry()`. Required: the plugin owns no
   * telemetry of its own, so one handle can serve several apps and outlive them.
   */
  telemetry: Telemetry;
}

/** Checks the options once, at registration, with the SDK's shared brand check. */
export function resolveTelemetry(options: unknown): Telemetry {
  const telemetry = (options as { telemetry?: unknown } | null | undefined)?.telemetry;
  assertTelemetry(telemetry, '@periscope/fastify (app.register(periscope, { telemetry }))');
  return telemetry as Telemetry;
}
