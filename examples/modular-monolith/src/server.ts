import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '@periscope/sdk';
import { createMonolithApp } from './app.js';

export interface StartOptions {
  /** App port; 0 picks a free one. @default 3000 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Passed to `createTelemetry()`; `serviceName` defaults to `modular-monolith`. */
  telemetry?: TelemetryOptions;
}

export interface RunningMonolith {
  /** `http://host:port` of the app. */
  url: string;
  /** The metrics page, when the metrics listener is on. */
  metricsUrl: string | undefined;
  telemetry: Telemetry;
  close(): Promise<void>;
}

/** Starts the monolith and its metrics listener; `close()` stops both and flushes telemetry. */
export async function startMonolith(options: StartOptions = {}): Promise<RunningMonolith> {
  const telemetry = createTelemetry({ serviceName: 'modular-monolith', ...options.telemetry });
  const app = createMonolithApp(telemetry);
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(options.port ?? 3000, host, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    metricsUrl: await telemetry.metricsUrl,
    telemetry,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await telemetry.shutdown();
    },
  };
}
