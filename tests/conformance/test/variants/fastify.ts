import { Readable } from 'node:stream';
import { periscope } from '@periscope/fastify';
import type { Telemetry } from '@periscope/sdk';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  AsyncBoomError,
  BadInputError,
  BoomError,
  closed,
  laterTick,
  SLOW_WAITING,
  STREAM_CHUNKS,
  trackCheckout,
  USER_LOADED,
  type Variant,
} from './contract.js';

type IdParams = { Params: { id: string } };

function routes(app: FastifyInstance, telemetry: Telemetry): void {
  app.get<IdParams>('/users/:id', async (request) => {
    await laterTick();
    telemetry.logger.info(USER_LOADED);
    return { id: request.params.id };
  });
  app.get('/boom', () => {
    throw new BoomError('sync failure');
  });
  app.get('/async-boom', async () => {
    await laterTick();
    throw new AsyncBoomError('async failure');
  });
  app.get('/checkout', async () => {
    await trackCheckout(telemetry);
    return { ok: true };
  });
  app.get('/bad', (_request, reply) => {
    reply.code(400).send({ error: 'bad request' });
  });
  app.get('/bad-thrown', () => {
    throw new BadInputError('bad input');
  });
  app.get('/slow', async (_request, reply) => {
    telemetry.logger.info(SLOW_WAITING);
    await closed(reply.raw);
    // Resolving with the reply tells Fastify the handler answers by itself: here, never.
    return reply;
  });
  app.get('/stream', (_request, reply) => {
    reply.type('text/plain').send(Readable.from(chunks()));
  });
  app.register(
    async (api) => {
      api.get<IdParams>('/items/:id', async (request) => ({ id: request.params.id }));
    },
    { prefix: '/api' },
  );
}

async function* chunks(): AsyncGenerator<string> {
  for (const chunk of STREAM_CHUNKS) {
    yield chunk;
    await laterTick();
  }
}

/** A Fastify 5 app with the plugin registered first on the root instance. */
export const fastifyVariant: Variant = {
  name: 'Fastify',
  async start(telemetry) {
    const app = Fastify({ logger: false });
    await app.register(periscope, { telemetry });
    routes(app, telemetry);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url,
      close: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
    };
  },
};
