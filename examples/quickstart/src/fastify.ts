import { periscope } from '@periscope/fastify';
import { createTelemetry } from '@periscope/sdk';
import Fastify from 'fastify';

export const telemetry = createTelemetry({ serviceName: 'users-api' }); // or OTEL_SERVICE_NAME
export const app = Fastify();
await app.register(periscope, { telemetry }); // hooks cover the whole app
app.get<{ Params: { id: string } }>('/users/:id', async (request) => {
  telemetry.logger.info({ user: request.params.id }, 'loading user'); // carries trace_id, correlation_id...
  return { id: request.params.id, correlationId: request.correlationId };
});
await app.listen({ port: Number(process.env.PORT ?? 3000) });
