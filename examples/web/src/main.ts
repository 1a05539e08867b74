import type { AddressInfo } from 'node:net';
import { FaultState, readServiceEnv, readUrl, runService, shopEvents, shopFunnels } from '@periscope/example-shop-kit';
import { createTelemetry } from '@periscope/sdk';
import { AccountsHttpClient } from './adapters/accounts-client.js';
import { BillingHttpClient } from './adapters/billing-client.js';
import { TelemetryAnalytics } from './adapters/telemetry-analytics.js';
import { SignupJourney } from './domain/signup-journey.js';
import { createApp } from './http/app.js';

/**
 * web: the composition root. Environment: PORT (8080), METRICS_PORT (9464),
 * HOST, ACCOUNTS_URL, BILLING_URL, and the SDK's OTEL_* variables
 * (OTEL_EXPORTER_OTLP_ENDPOINT for traces).
 */
const env = readServiceEnv({ port: 8080, metricsPort: 9464 });
const telemetry = createTelemetry({
  serviceName: 'web',
  events: shopEvents,
  funnels: shopFunnels,
  metrics: { server: { host: env.host, port: env.metricsPort } },
});
const journey = new SignupJourney(
  new AccountsHttpClient(readUrl(process.env, 'ACCOUNTS_URL', 'http://127.0.0.1:8081')),
  new BillingHttpClient(readUrl(process.env, 'BILLING_URL', 'http://127.0.0.1:8082')),
  new TelemetryAnalytics(telemetry),
);
const app = createApp(telemetry, journey, new FaultState());

await runService('web', env, telemetry, async () => {
  const server = app.listen(env.port, env.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${env.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
});
