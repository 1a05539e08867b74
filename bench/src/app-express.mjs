import { createRequire } from 'node:module';
import pino from 'pino';
import { realistic } from './payload.mjs';

const require = createRequire(import.meta.url);

/** An Express 5 app with the cell's stack. Required lazily: the OpenTelemetry stacks patch it on load. */
export async function buildExpress({ cell, telemetry }) {
  const express = require('express');
  const app = express();

  if (cell.stack === 'bare-dictionary') {
    // What Periscope's middleware does to the request's and response's hidden classes, and nothing else.
    const { toSharedShape } = await import('@periscope/sdk');
    app.use((req, res, next) => {
      toSharedShape(req);
      toSharedShape(res);
      next();
    });
  }
  if (telemetry) {
    const { periscope } = await import('@periscope/express');
    app.use(periscope(telemetry));
  }
  if (cell.stack === 'metrics-logs' || cell.stack === 'otel-metrics-logs') {
    const promBundle = require('express-prom-bundle');
    const pinoHttp = require('pino-http');
    app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true, promClient: { collectDefaultMetrics: {} } }));
    app.use(pinoHttp({ logger: pino(pino.destination({ dest: '/dev/null', sync: false })) }));
  }

  app.get('/users/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.get('/realistic/:id', async (req, res) => {
    res.json(await realistic(req.params.id));
  });
  if (telemetry) {
    const { periscopeErrors } = await import('@periscope/express');
    app.use(periscopeErrors(telemetry));
  }

  const server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve(listening)));
  });
  return { port: server.address().port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
