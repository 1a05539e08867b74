import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PeriscopeExpressOptions, periscope, periscopeErrors } from '@periscope/express';
import type { Telemetry } from '@periscope/sdk';
import express from 'express';
import {
  AsyncBoomError,
  BadInputError,
  BoomError,
  closed,
  laterTick,
  type RunningServer,
  SLOW_WAITING,
  STREAM_CHUNKS,
  trackCheckout,
  USER_LOADED,
  type Variant,
} from './contract.js';

function buildApp(telemetry: Telemetry, options: PeriscopeExpressOptions | undefined) {
  const app = express();
  app.use(periscope(telemetry, options));

  app.get('/users/:id', async (req, res) => {
    await laterTick();
    telemetry.logger.info(USER_LOADED);
    res.json({ id: req.params.id });
  });
  app.get('/boom', () => {
    throw new BoomError('sync failure');
  });
  app.get('/async-boom', async () => {
    await laterTick();
    throw new AsyncBoomError('async failure');
  });
  app.get('/bad', (_req, res) => {
    res.status(400).json({ error: 'bad request' });
  });
  app.get('/bad-thrown', () => {
    throw new BadInputError('bad input');
  });
  app.get('/slow', async (_req, res) => {
    telemetry.logger.info(SLOW_WAITING);
    await closed(res);
  });
  app.get('/stream', async (_req, res) => {
    res.type('text/plain');
    for (const chunk of STREAM_CHUNKS) {
      res.write(chunk);
      await laterTick();
    }
    res.end();
  });

  app.get('/checkout', async (_req, res) => {
    await trackCheckout(telemetry);
    res.json({ ok: true });
  });

  const api = express.Router();
  api.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.use('/api', api);

  // After the routes, so it sees what they raise; Express's default handler still answers.
  app.use(periscopeErrors(telemetry));
  return app;
}

/** An Express 5 app on a node:http server; `options` lets the suite build a deliberately wrong one. */
export function expressVariant(name = 'Express', options?: PeriscopeExpressOptions): Variant {
  return {
    name,
    async start(telemetry): Promise<RunningServer> {
      const server = createServer(buildApp(telemetry, options));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: async () => {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
      };
    },
  };
}
