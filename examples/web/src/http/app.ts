import { FAULTS_PATH, type FaultState, type ShopEvents } from '@periscope/example-shop-kit';
import { periscope, periscopeErrors } from '@periscope/express';
import type { Telemetry } from '@periscope/sdk';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { UpstreamError } from '../domain/ports.js';
import type { SignupJourney } from '../domain/signup-journey.js';
import { landingPage } from './landing-page.js';

/** The Express app: routes translate HTTP to the journey's use cases and back. */
export function createApp(telemetry: Telemetry<ShopEvents>, journey: SignupJourney, faults: FaultState): Express {
  const app = express();
  const log = telemetry.logger.child({ module: 'web' });
  app.use(periscope(telemetry));
  app.use(express.json(), express.urlencoded({ extended: false }));

  app.get(FAULTS_PATH, (_req, res) => {
    res.json(faults.current);
  });
  app.post(FAULTS_PATH, (req, res) => {
    try {
      res.json(faults.set(req.body));
    } catch (error) {
      res.status(400).json({ error: (error as Error).message });
    }
  });
  app.get('/healthz', (_req, res) => {
    res.send('ok');
  });
  // Everything below is business traffic: the injected faults apply to it.
  app.use(async (_req, _res, next) => {
    await faults.apply();
    next();
  });

  app.get('/', (req, res) => {
    const page = journey.viewLanding(typeof req.query.page === 'string' ? req.query.page : undefined);
    res.type('html').send(landingPage(page));
  });
  app.post('/signup', async (req, res) => {
    const user = await journey.signUp(req.body ?? {});
    log.info({ plan: user.plan }, 'visitor signed up');
    if (req.is('application/x-www-form-urlencoded')) res.redirect(303, `/?page=pricing&user=${user.userId}`);
    else res.status(201).json(user);
  });
  app.post('/checkout', async (req, res) => {
    const order = await journey.checkout(req.body ?? {});
    log.info({ order_id: order.orderId, amount_usd: order.amountUsd }, 'checkout done');
    res.status(201).json(order);
  });

  app.use(periscopeErrors(telemetry));
  const toResponse: ErrorRequestHandler = (error, _req, res, _next) => {
    if (error instanceof UpstreamError) {
      log.warn({ upstream: error.upstream, upstream_status: error.status }, 'upstream failed');
      res.status(502).json({ error: error.message });
      return;
    }
    const status = typeof error?.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 500) log.error({ err: error }, 'request failed');
    res.status(status).json({ error: status >= 500 ? 'internal error' : error.message });
  };
  app.use(toResponse);
  return app;
}
