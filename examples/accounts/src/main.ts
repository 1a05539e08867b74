import { FaultState, readServiceEnv, runService, shopEvents, shopFunnels } from '@periscope/example-shop-kit';
import { createTelemetry } from '@periscope/sdk';
import { InMemoryUsers } from './adapters/memory-users.js';
import { TelemetrySignupNotifier } from './adapters/telemetry-notifier.js';
import { AccountsService } from './domain/accounts.js';
import { createApp } from './http/app.js';

/**
 * accounts: the composition root. Environment: PORT (8081), METRICS_PORT
 * (9465), HOST, and the SDK's OTEL_* variables.
 */
const env = readServiceEnv({ port: 8081, metricsPort: 9465 });
const telemetry = createTelemetry({
  serviceName: 'accounts',
  events: shopEvents,
  funnels: shopFunnels,
  metrics: { server: { host: env.host, port: env.metricsPort } },
});
const accounts = new AccountsService(new InMemoryUsers(), new TelemetrySignupNotifier(telemetry));
const app = await createApp(telemetry, accounts, new FaultState());

await runService('accounts', env, telemetry, async () => {
  await app.listen({ port: env.port, host: env.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.port;
  return { url: `http://${env.host}:${port}`, close: () => app.close() };
});
