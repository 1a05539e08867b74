import { PeriscopeError } from '@periscope/sdk';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { periscope } from '../src/index.js';
import { createHarness, type Harness, startApp } from './helpers.js';

let harness: Harness;
let app: FastifyInstance;

beforeEach(() => {
  harness = createHarness();
  app = Fastify({ logger: false });
});

afterEach(async () => {
  await app.close().catch(() => {});
  await harness.telemetry.shutdown();
});

describe('bad input fails at registration, with a coded error', () => {
  test.each([
    ['no options', undefined],
    ['no telemetry', {}],
    ['telemetry: null', { telemetry: null }],
    ['a string', { telemetry: 'telemetry' }],
    ['an object without http', { telemetry: { forceFlush: async () => {} } }],
    ['an object whose http cannot start', { telemetry: { forceFlush: async () => {}, http: { reportInternalError() {} } } }],
  ])('registering with %s rejects with PERISCOPE_MISSING_TELEMETRY', async (_name, options) => {
    const registered = app.register(periscope, options as never);
    await expect(registered).rejects.toBeInstanceOf(PeriscopeError);
    await expect(registered).rejects.toMatchObject({
      code: 'PERISCOPE_MISSING_TELEMETRY',
      message: expect.stringContaining('createTelemetry()'),
    });
  });

  test('registering twice on the same app rejects with PERISCOPE_ALREADY_REGISTERED', async () => {
    await app.register(periscope, { telemetry: harness.telemetry });
    await expect(app.register(periscope, { telemetry: harness.telemetry })).rejects.toMatchObject({
      name: 'PeriscopeError',
      code: 'PERISCOPE_ALREADY_REGISTERED',
    });
  });

  test('registering again inside an encapsulated child of an instrumented app rejects with PERISCOPE_ALREADY_REGISTERED', async () => {
    await app.register(periscope, { telemetry: harness.telemetry });
    const child = app.register(async (scope) => {
      await scope.register(periscope, { telemetry: createHarness().telemetry });
    });
    await expect(child).rejects.toMatchObject({ code: 'PERISCOPE_ALREADY_REGISTERED' });
  });

  test('a telemetry handle can instrument two separate apps', async () => {
    const other = Fastify({ logger: false });
    await app.register(periscope, { telemetry: harness.telemetry });
    await other.register(periscope, { telemetry: harness.telemetry });
    other.get('/', async () => 'other');
    expect((await other.inject('/')).headers['x-request-id']).toEqual(expect.any(String));
    await other.close();
  });
});

describe('the plugin in the app', () => {
  test('is named @periscope/fastify and declares Fastify 5', async () => {
    await app.register(periscope, { telemetry: harness.telemetry });
    await app.ready();
    expect(app.hasPlugin('@periscope/fastify')).toBe(true);
    expect((periscope as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]).toMatchObject({
      name: '@periscope/fastify',
      fastify: '5.x',
    });
  });

  test('request.correlationId and request.requestId hold the IDs echoed in the response headers', async () => {
    const running = await startApp(harness, (scope) => {
      scope.get('/ids', async (request) => ({ correlationId: request.correlationId, requestId: request.requestId }));
    });
    try {
      const response = await fetch(`${running.url}/ids`, { headers: { 'x-correlation-id': 'abc-123' } });
      expect(await response.json()).toEqual({ correlationId: 'abc-123', requestId: response.headers.get('x-request-id') });
    } finally {
      await running.app.close();
    }
  });

  test('closing the app flushes the spans still queued for export', async () => {
    const slow = createHarness({ traces: { scheduledDelayMillis: 600_000 } });
    const running = await startApp(slow, (scope) => {
      scope.get('/', async () => 'ok');
    });
    try {
      await (await fetch(running.url)).text();
      await slow.logs.accessLines(1);
      expect(slow.exporter.getFinishedSpans()).toHaveLength(0);
      await running.app.close();
      expect(slow.exporter.getFinishedSpans().map((span) => span.name)).toEqual(['GET /']);
    } finally {
      await slow.telemetry.shutdown();
    }
  });
});
