import { createTelemetry, PeriscopeError } from '@periscope/sdk';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { periscope, periscopeErrors } from '../src/index.js';
import { EXPRESS_VERSIONS } from './support/express-versions.js';
import { DURATION, expectRecorded, type Harness, startApp } from './support/harness.js';
import { LogCollector } from './support/log-collector.js';
import { labelSets, series } from './support/openmetrics.js';

const INTERNAL = 'periscope_internal_errors_total';

describe('start-up errors', () => {
  const telemetry = createTelemetry({
    serviceName: 'startup-test',
    env: {},
    metrics: { server: false },
    logs: { destination: new LogCollector() },
  });
  afterAll(() => telemetry.shutdown());

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a plain object', {}],
    ['the logger instead of the telemetry', telemetry.logger],
  ])('periscope() with %s throws PERISCOPE_MISSING_TELEMETRY', (_what, value) => {
    expect(() => periscope(value as never)).toThrow(PeriscopeError);
    expect(() => periscope(value as never)).toThrow(expect.objectContaining({ code: 'PERISCOPE_MISSING_TELEMETRY' }));
    expect(() => periscopeErrors(value as never)).toThrow(expect.objectContaining({ code: 'PERISCOPE_MISSING_TELEMETRY' }));
  });

  it('a route option that is not a function throws PERISCOPE_INVALID_OPTION naming it', () => {
    expect(() => periscope(telemetry, { route: '/fixed' as never })).toThrow(
      expect.objectContaining({ code: 'PERISCOPE_INVALID_OPTION', message: expect.stringContaining('route') }),
    );
  });

  it('a telemetry instance is accepted', () => {
    expect(typeof periscope(telemetry)).toBe('function');
    expect(periscopeErrors(telemetry).length).toBe(4);
  });
});

describe.each(EXPRESS_VERSIONS)('$name: failures around the plugin', ({ express }) => {
  let h: Harness;
  afterEach(() => h?.close());

  it('a throwing error-middleware chain still ends in the app’s own response', async () => {
    h = await startApp(express, (app, telemetry) => {
      app.use(periscope(telemetry));
      app.get('/orders/:id', () => {
        throw new TypeError('order lookup failed');
      });
      app.use(periscopeErrors(telemetry));
      app.use((err: Error, _req: unknown, _res: unknown, _next: unknown) => {
        throw new RangeError(`while handling: ${err.message}`);
      });
      app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(503).json({ handled: err.name });
      });
    });
    const res = await fetch(h.url('/orders/3'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ handled: 'RangeError' });
    const { span } = await expectRecorded(
      h,
      res.headers.get('x-request-id')!,
      { method: 'GET', route: '/orders/:id', status: 503, errorType: 'TypeError' },
      res,
    );
    // The first exception is the one recorded; the app's replacement does not overwrite it.
    expect(span.events.map((e) => e.attributes?.['exception.message'])).toEqual(['order lookup failed']);
  });

  it('an app error handler after periscopeErrors keeps its own status and body', async () => {
    h = await startApp(express, (app, telemetry) => {
      app.use(periscope(telemetry));
      app.get('/pay', () => {
        throw new Error('card declined');
      });
      app.use(periscopeErrors(telemetry));
      app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(402).type('text/plain').send(`sorry: ${err.message}`);
      });
    });
    const res = await fetch(h.url('/pay'));
    expect(res.status).toBe(402);
    expect(await res.text()).toBe('sorry: card declined');
    // The app turned the exception into a 4xx: a client error, with no error_type (one rule for all frameworks).
    await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: '/pay', status: 402 }, res);
  });

  it('a throwing route option does not fail the request; the built-in label is used and the failure counted', async () => {
    h = await startApp(express, (app, telemetry) => {
      app.use(
        periscope(telemetry, {
          route: () => {
            throw new Error('hook bug');
          },
        }),
      );
      app.get('/users/:id', (_req, res) => void res.send('fine'));
    });
    const res = await fetch(h.url('/users/1'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('fine');
    await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: '/users/:id', status: 200 }, res);
    expect(series(await h.samples(), INTERNAL, { where: 'express.route' }).map((s) => s.value)).toEqual([1]);
  });

  it('a route option replaces the label', async () => {
    h = await startApp(express, (app, telemetry) => {
      app.use(periscope(telemetry, { route: (req) => (req.originalUrl?.startsWith('/static/') ? '/static/*' : undefined) }));
      app.use('/static', (_req, res) => void res.send('asset'));
    });
    const res = await fetch(h.url('/static/app.js'));
    await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: '/static/*', status: 200 }, res);
  });

  it('registering periscope() twice counts each request once and reports PERISCOPE_ALREADY_REGISTERED', async () => {
    h = await startApp(express, (app, telemetry) => {
      app.use(periscope(telemetry));
      app.use(periscope(telemetry));
      app.get('/users/:id', (_req, res) => void res.send('once'));
    });
    const first = await fetch(h.url('/users/1'));
    const second = await fetch(h.url('/users/2'));
    expect(await first.text()).toBe('once');
    expect(await second.text()).toBe('once');
    await expectRecorded(
      h,
      first.headers.get('x-request-id')!,
      { method: 'GET', route: '/users/:id', status: 200, observations: 2 },
      first,
    );
    await expectRecorded(
      h,
      second.headers.get('x-request-id')!,
      { method: 'GET', route: '/users/:id', status: 200, observations: 2 },
      second,
    );
    expect(h.logs.accessLines()).toHaveLength(2);
    expect(labelSets(await h.samples(), `${DURATION}_count`)).toHaveLength(1);
    expect(series(await h.samples(), INTERNAL, { where: 'express.already_registered' }).map((s) => s.value)).toEqual([2]);
    // Warned once (then only counted), with the coded error.
    const warnings = h.logs.lines.filter((l) => l.where === 'express.already_registered');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', component: 'periscope', err: { code: 'PERISCOPE_ALREADY_REGISTERED' } });
  });

  it('periscopeErrors without periscope() passes the error on untouched', async () => {
    h = await startApp(express, (app, telemetry) => {
      app.get('/x', () => {
        throw Object.assign(new Error('unobserved'), { status: 409 });
      });
      app.use(periscopeErrors(telemetry));
    });
    const res = await fetch(h.url('/x'));
    expect(res.status).toBe(409);
    expect(h.logs.accessLines()).toEqual([]);
  });
});
