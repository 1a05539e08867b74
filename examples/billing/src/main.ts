import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FaultState, readServiceEnv, readUrl, runService, shopEvents, shopFunnels } from '@periscope/example-shop-kit';
import { PeriscopeLogger } from '@periscope/nest';
import { createTelemetry } from '@periscope/sdk';
import { AppModule } from './app.module.js';

/**
 * billing: the composition root. Environment: PORT (8082), METRICS_PORT
 * (9466), HOST, ACCOUNTS_URL, and the SDK's OTEL_* variables.
 */
const env = readServiceEnv({ port: 8082, metricsPort: 9466 });
const telemetry = createTelemetry({
  serviceName: 'billing',
  events: shopEvents,
  funnels: shopFunnels,
  metrics: { server: { host: env.host, port: env.metricsPort } },
});
const accountsUrl = readUrl(process.env, 'ACCOUNTS_URL', 'http://127.0.0.1:8081');
const app = await NestFactory.create(AppModule.forRoot({ telemetry, accountsUrl, faults: new FaultState() }), { bufferLogs: true });
app.useLogger(app.get(PeriscopeLogger));

await runService('billing', env, telemetry, async () => {
  await app.listen(env.port, env.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://${env.host}:${port}`, close: () => app.close() };
});
