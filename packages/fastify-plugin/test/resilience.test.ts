import type { Telemetry } from '@periscope/sdk';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { periscope } from '../src/index.js';
import { createHarness, type Harness, type RunningApp, series, startApp } from './helpers.js';
import { expectRecordedOnce } from './observed.js';

let harness: Harness;
let running: RunningApp | undefined;
const others: FastifyInstance[] = [];

beforeEach(() => {
  harness = createHarness();
  running = undefined;
});

afterEach(async () => {
  await running?.app.close();
  await Promise.all(others.splice(0).map((app) => app.close()));
  await harness.telemetry.shutdown();
});

interface Answer {
  status: number;
  body: string;
  contentType: string | null;
}

async function answer(url: string): Promise<Answer & { headers: Headers }> {
  const response = await fetch(url);
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type'),
    headers: response.headers,
  };
}

/** The same app without Periscope: what the app answers on its own. */
async function withoutPeriscope(routes: (app: FastifyInstance) => void): Promise<string> {
  const app = Fastify({ logger: false });
  others.push(app);
  routes(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

test("a throwing user hook still ends in the app's own error response, recorded with the error type", async () => {
  const routes = (app: FastifyInstance): void => {
    app.setErrorHandler((error, _request, reply) => {
      reply.code(503).send({ custom: 'sorry', reason: (error as Error).message });
    });
    app.addHook('preHandler', async () => {
      throw new TypeError('hook failed');
    });
    app.get('/guarded', async () => 'never');
  };
  running = await startApp(harness, routes);
  const withIt = await answer(`${running.url}/guarded`);
  const plain = await answer(`${await withoutPeriscope(routes)}/guarded`);

  expect(withIt).toMatchObject({ status: 503, body: '{"custom":"sorry","reason":"hook failed"}' });
  expect({ ...withIt, headers: undefined }).toEqual({ ...plain, headers: undefined });
  await expectRecordedOnce(harness, { route: '/guarded', path: '/guarded', status: 503, errorType: 'TypeError' }, withIt.headers);
});

test("a throwing user onRequest hook gets Fastify's default 500, recorded with the error type", async () => {
  const routes = (app: FastifyInstance): void => {
    app.addHook('onRequest', (_request, _reply, done) => {
      done(new SyntaxError('bad hook'));
    });
    app.get('/early', async () => 'never');
  };
  running = await startApp(harness, routes);
  const withIt = await answer(`${running.url}/early`);
  const plain = await answer(`${await withoutPeriscope(routes)}/early`);

  expect(withIt.status).toBe(500);
  expect({ ...withIt, headers: undefined }).toEqual({ ...plain, headers: undefined });
  await expectRecordedOnce(harness, { route: '/early', path: '/early', status: 500, errorType: 'SyntaxError' }, withIt.headers);
});

test("an error the app's error handler turns into a 200 is not labelled as an error", async () => {
  running = await startApp(harness, (app) => {
    app.setErrorHandler((_error, _request, reply) => {
      reply.code(200).send({ fallback: true });
    });
    app.get('/recovered', async () => {
      throw new Error('recovered');
    });
  });
  const withIt = await answer(`${running.url}/recovered`);
  expect(withIt).toMatchObject({ status: 200, body: '{"fallback":true}' });
  await expectRecordedOnce(harness, { route: '/recovered', path: '/recovered', status: 200 }, withIt.headers);
});

test("a failure inside the plugin's own hook is counted and logged once, and the app's responses are unchanged", async () => {
  const real = harness.telemetry;
  // A telemetry whose HTTP core throws on every start: the only way to reach
  // the plugin's own guard, since the real core never throws.
  const broken: Telemetry = {
    ...real,
    forceFlush: () => real.forceFlush(),
    http: {
      start() {
        throw new Error('core exploded');
      },
      reportInternalError: (where: string, error: unknown) => real.http.reportInternalError(where, error),
    } as unknown as Telemetry['http'],
  };
  const routes = (app: FastifyInstance): void => {
    app.get('/ok', async () => ({ fine: true }));
    app.get('/fails', async () => {
      throw new Error('app error');
    });
  };
  const app = Fastify({ logger: false });
  await app.register(periscope, { telemetry: broken });
  routes(app);
  running = { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
  const plainUrl = await withoutPeriscope(routes);

  for (const path of ['/ok', '/fails', '/ok']) {
    const withIt = await answer(`${running.url}${path}`);
    const plain = await answer(`${plainUrl}${path}`);
    expect({ ...withIt, headers: undefined }, path).toEqual({ ...plain, headers: undefined });
    expect(withIt.headers.get('x-correlation-id')).toBeNull();
  }

  expect(series(await harness.samples(), 'periscope_internal_errors_total')).toEqual([
    { name: 'periscope_internal_errors_total', labels: { where: 'fastify.onRequest' }, value: 3 },
  ]);
  const warnings = harness.logs.lines.filter((line) => line.component === 'periscope');
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ level: 'warn', where: 'fastify.onRequest', err: { message: 'core exploded' } });
  expect(harness.logs.access()).toEqual([]);
});
