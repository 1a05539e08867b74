import { FAULTS_PATH, type FaultState, type ShopEvents } from '@periscope/example-shop-kit';
import { periscope } from '@periscope/fastify';
import type { Telemetry } from '@periscope/sdk';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AccountsService } from '../domain/accounts.js';

interface NewUserBody {
  email: string;
  plan: 'basic' | 'pro';
  channel: 'ads' | 'search' | 'direct';
}

const newUserSchema = {
  body: {
    type: 'object',
    required: ['email'],
    properties: {
      email: { type: 'string', minLength: 3, maxLength: 200 },
      plan: { type: 'string', enum: ['basic', 'pro'], default: 'basic' },
      channel: { type: 'string', enum: ['ads', 'search', 'direct'], default: 'direct' },
    },
  },
};

/** The Fastify app: validation by JSON schema, the use cases behind it. */
export async function createApp(telemetry: Telemetry<ShopEvents>, accounts: AccountsService, faults: FaultState): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(periscope, { telemetry });
  const log = telemetry.logger.child({ module: 'accounts' });

  app.get(FAULTS_PATH, async () => faults.current);
  app.post(FAULTS_PATH, async (request, reply) => {
    try {
      return faults.set(request.body);
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
  });
  app.get('/healthz', async () => 'ok');

  // Business routes only: the injected faults run before their handlers.
  await app.register(async (business) => {
    business.addHook('preHandler', async () => faults.apply());

    business.post<{ Body: NewUserBody }>('/users', { schema: newUserSchema }, async (request, reply) => {
      const user = await accounts.register(request.body);
      log.info({ plan: user.plan, channel: user.channel }, 'user created');
      return reply.code(201).send({ id: user.id, plan: user.plan });
    });

    business.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
      const user = await accounts.find(request.params.id);
      if (!user) return reply.code(404).send({ error: 'no such user' });
      return { id: user.id, plan: user.plan };
    });
  });
  return app;
}
