import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import pino from 'pino';
import { realistic } from './payload.mjs';

const require = createRequire(import.meta.url);

/** A Fastify 5 app with the cell's stack. Required lazily: the OpenTelemetry stacks patch it on load. */
export async function buildFastify({ cell, telemetry, otel }) {
  const Fastify = require('fastify');
  const withLogs = cell.stack === 'metrics-logs' || cell.stack === 'otel-metrics-logs';
  const app = Fastify(withLogs ? { loggerInstance: pino(pino.destination({ dest: '/dev/null', sync: false })) } : {});

  if (telemetry) {
    const { periscope } = await import('@periscope/fastify');
    await app.register(periscope, { telemetry });
  }
  if (withLogs) await app.register(require('fastify-metrics').default, { endpoint: '/metrics' });
  if (otel) await app.register(otel.fastifyOtel.plugin());
  if (cell.stack === 'als') {
    const als = new AsyncLocalStorage();
    app.addHook('onRequest', (request, _reply, done) => als.run({ requestId: request.id }, done));
  }

  app.get('/users/:id', async (request) => ({ id: request.params.id }));
  app.get('/realistic/:id', (request) => realistic(request.params.id));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: app.server.address().port, close: () => app.close() };
}
