import { createServer } from 'node:http';
import { observeRequestListener } from '@periscope/sdk';

/**
 * A tiny catalogue service on plain node:http. Routing is the app's; Periscope
 * only needs the matched route template for its labels.
 */
const routes = [
  { method: 'GET', template: '/products/:id', pattern: /^\/products\/([^/]+)$/ },
  { method: 'POST', template: '/orders', pattern: /^\/orders$/ },
  { method: 'GET', template: '/health', pattern: /^\/health$/ },
];

function match(req) {
  const path = (req.url ?? '/').split('?')[0];
  for (const route of routes) {
    const found = req.method === route.method && route.pattern.exec(path);
    if (found) return { route, params: found.slice(1) };
  }
  return undefined;
}

export function createCatalogue(telemetry, { pricingUrl }) {
  const log = telemetry.logger.child({ module: 'catalogue' });
  const handler = async (req, res) => {
    const matched = match(req);
    if (!matched) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    try {
      if (matched.route.template === '/products/:id') {
        const [id] = matched.params;
        telemetry.setUser(`user-${Number.parseInt(id, 10) % 7}`);
        // An outbound call: carries traceparent and x-correlation-id automatically.
        const price = await fetch(`${pricingUrl}/prices/${id}`).then((r) => r.json());
        log.info({ product_id: id, price: price.amount }, 'product viewed');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, price: price.amount }));
      } else if (matched.route.template === '/orders') {
        if (Math.random() < 0.1) throw new Error('payment provider timed out');
        log.info('order placed');
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      } else {
        res.writeHead(200).end('ok');
      }
    } catch (error) {
      log.error({ err: error }, 'request failed in handler');
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
    }
  };
  return createServer(observeRequestListener(telemetry.http, handler, { route: (req) => match(req)?.route.template }));
}

export function createPricing(telemetry) {
  return createServer(
    observeRequestListener(
      telemetry.http,
      (_req, res) => {
        const delay = 5 + Math.random() * 40;
        setTimeout(() => {
          telemetry.logger.info({ delay_ms: Math.round(delay) }, 'price computed');
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ amount: 9.99 }));
        }, delay);
      },
      { route: () => '/prices/:id' },
    ),
  );
}
