import { periscope, periscopeErrors } from '@periscope/express';
import type { Telemetry } from '@periscope/sdk';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { createBilling, PaymentDeclined } from './modules/billing.js';
import { createCatalog, ProductNotFound } from './modules/catalog.js';
import { createOrders } from './modules/orders.js';

/**
 * One process, three modules. The HTTP layer only calls the modules' public
 * faces; the modules call each other through theirs. Every call across a
 * boundary is recorded by Periscope (see docs/boundaries.md).
 */
export function createMonolithApp(telemetry: Telemetry): Express {
  const catalog = createCatalog(telemetry);
  const billing = createBilling(telemetry, catalog);
  const orders = createOrders(telemetry, catalog, billing);

  const app = express();
  app.use(periscope(telemetry));
  app.use(express.json());
  app.get('/catalog/products/:sku', (req, res) => {
    res.json(catalog.product(req.params.sku));
  });
  app.post('/orders', async (req, res) => {
    const { sku, quantity = 1, country = 'FR' } = (req.body ?? {}) as { sku?: string; quantity?: number; country?: string };
    res.status(201).json(await orders.place({ sku: String(sku), quantity: Number(quantity), country: String(country) }));
  });
  app.get('/orders', (_req, res) => {
    res.json(orders.list());
  });
  app.use(periscopeErrors(telemetry));
  const answer: ErrorRequestHandler = (error, _req, res, _next) => {
    if (error instanceof ProductNotFound) res.status(404).json({ error: error.message });
    else if (error instanceof PaymentDeclined) res.status(402).json({ error: error.message });
    else res.status(500).json({ error: 'internal error' });
  };
  app.use(answer);
  return app;
}
