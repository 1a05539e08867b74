import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { request as undiciRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createHarness, deferred, type Harness, type RunningApp, series, startApp } from './helpers.js';
import { expectRecordedOnce } from './observed.js';

/** The app every test here talks to, over a real socket. */
function routes(app: FastifyInstance): void {
  app.get('/health', async () => ({ ok: true }));
  app.get('/users/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.get('/sync-error', () => {
    throw new Error('boom');
  });
  app.get('/async-error', async () => {
    await Promise.resolve();
    throw new RangeError('nope');
  });
  app.get('/bad-request', (_request, reply) => {
    reply.code(400).send({ error: 'bad' });
  });
  app.post(
    '/items',
    { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
    async (_r, reply) => reply.code(201).send({ created: true }),
  );
  app.register(
    async (api) => {
      api.get('/users/:id', async (request) => ({ api: true, id: (request.params as { id: string }).id }));
    },
    { prefix: '/api' },
  );
}

let harness: Harness;
let running: RunningApp;

beforeEach(async () => {
  harness = createHarness();
});

afterEach(async () => {
  await running?.app.close();
  await harness.telemetry.shutdown();
});

async function start(extra?: (app: FastifyInstance) => void): Promise<string> {
  running = await startApp(harness, (app) => {
    routes(app);
    extra?.(app);
  });
  return running.url;
}

describe('over a real socket', () => {
  test('a 200 is recorded once on every signal, and the IDs are echoed in the response headers', async () => {
    const url = await start();
    const response = await fetch(`${url}/health?probe=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    const { access } = await expectRecordedOnce(harness, { route: '/health', path: '/health', status: 200 }, response.headers);
    expect(access.msg).toBe('request completed');
    expect(access.level).toBe('info');
  });

  test('404 is labelled http_route="unmatched", never with the raw URL', async () => {
    const url = await start();
    const response = await fetch(`${url}/no/such/page`);
    expect(response.status).toBe(404);
    const { samples } = await expectRecordedOnce(harness, { route: 'unmatched', path: '/no/such/page', status: 404 }, response.headers);
    expect(samples.some((sample) => Object.values(sample.labels).includes('/no/such/page'))).toBe(false);
  });

  test('a synchronous throw is answered 500 by Fastify and labelled with the exception type', async () => {
    const url = await start();
    const response = await fetch(`${url}/sync-error`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'boom' });
    const { span, access } = await expectRecordedOnce(
      harness,
      { route: '/sync-error', path: '/sync-error', status: 500, errorType: 'Error' },
      response.headers,
    );
    expect(span.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([['exception', 'boom']]);
    expect(access.level).toBe('error');
    expect((access.err as { message: string }).message).toBe('boom');
  });

  test('a rejected promise is answered 500 and labelled with its exception type', async () => {
    const url = await start();
    const response = await fetch(`${url}/async-error`);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ statusCode: 500, message: 'nope' });
    const { span } = await expectRecordedOnce(
      harness,
      { route: '/async-error', path: '/async-error', status: 500, errorType: 'RangeError' },
      response.headers,
    );
    expect(span.events[0]?.attributes?.['exception.type']).toBe('RangeError');
  });

  test("reply.code(400) is the client's error: no error_type and the span status stays unset", async () => {
    const url = await start();
    const response = await fetch(`${url}/bad-request`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'bad' });
    const { access } = await expectRecordedOnce(harness, { route: '/bad-request', path: '/bad-request', status: 400 }, response.headers);
    expect(access.level).toBe('warn');
  });

  test("a schema validation error keeps Fastify's 400 and is not labelled as a server error", async () => {
    const url = await start();
    const response = await fetch(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_VALIDATION' });
    await expectRecordedOnce(harness, { method: 'POST', route: '/items', path: '/items', status: 400 }, response.headers);
  });

  test('a client abort mid-request is recorded once, as error_type="aborted", even after the handler replies late', async () => {
    const started = deferred();
    const release = deferred();
    const lateReplySent = deferred();
    const url = await start((app) => {
      app.get(
        '/slow',
        {
          onSend: (_request, _reply, payload, done) => {
            done(null, payload);
            lateReplySent.resolve();
          },
        },
        async () => {
          started.resolve();
          await release.promise;
          return { late: true };
        },
      );
    });
    const controller = new AbortController();
    const pending = fetch(`${url}/slow`, { signal: controller.signal });
    await started.promise;
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);

    const { access } = await expectRecordedOnce(harness, { route: '/slow', path: '/slow', status: undefined, errorType: 'aborted' });
    expect(access).toMatchObject({ aborted: true, msg: 'request aborted' });

    // The handler now replies into the closed socket: still one recording.
    release.resolve();
    await lateReplySent.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(harness.logs.access()).toHaveLength(1);
    expect(series(await harness.samples(), 'http_server_request_duration_seconds_count')).toHaveLength(1);
  });

  test('a streamed response (reply.send(Readable)) is recorded when the stream ends, not when its headers go out', async () => {
    const release = deferred();
    const url = await start((app) => {
      app.get('/stream', (_request, reply) => {
        async function* chunks(): AsyncGenerator<string> {
          yield 'first,';
          await release.promise;
          yield 'second';
        }
        reply.type('text/plain').send(Readable.from(chunks()));
      });
    });
    const response = await fetch(`${url}/stream`);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first,');
    expect(harness.logs.access()).toEqual([]);

    release.resolve();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('second');
    await expectRecordedOnce(harness, { route: '/stream', path: '/stream', status: 200 }, response.headers);
  });

  test('a client that goes away mid-stream is recorded once as aborted, with the 200 it already received', async () => {
    const firstSent = deferred();
    const url = await start((app) => {
      app.get('/stream', (_request, reply) => {
        // Never ends on its own: only the client's abort finishes this request.
        const body = new Readable({ read() {} });
        body.push('first,');
        reply.type('text/plain').send(body);
        firstSent.resolve();
      });
    });
    const response = await undiciRequest(`${url}/stream`);
    expect(response.statusCode).toBe(200);
    await firstSent.promise;
    for await (const _chunk of response.body) break;
    response.body.destroy();
    const headers = new Headers(Object.entries(response.headers) as Array<[string, string]>);
    const { access } = await expectRecordedOnce(harness, { route: '/stream', path: '/stream', status: 200, errorType: 'aborted' }, headers);
    expect(access.aborted).toBe(true);
  });

  test('a hijacked reply written on the raw response still carries the IDs and is recorded once', async () => {
    const url = await start((app) => {
      app.get('/raw', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(202, { 'content-type': 'text/plain' });
        reply.raw.end('raw');
      });
    });
    const response = await fetch(`${url}/raw`);
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('raw');
    await expectRecordedOnce(harness, { route: '/raw', path: '/raw', status: 202 }, response.headers);
  });

  test('a route with params is labelled with its template, /users/:id', async () => {
    const url = await start();
    const response = await fetch(`${url}/users/42`);
    expect(await response.json()).toEqual({ id: '42' });
    await expectRecordedOnce(harness, { route: '/users/:id', path: '/users/42', status: 200 }, response.headers);
  });

  test('a route of a plugin registered with { prefix: "/api" } is labelled /api/users/:id', async () => {
    const url = await start();
    const response = await fetch(`${url}/api/users/7`);
    expect(await response.json()).toEqual({ api: true, id: '7' });
    await expectRecordedOnce(harness, { route: '/api/users/:id', path: '/api/users/7', status: 200 }, response.headers);
  });

  test('a valid x-correlation-id is kept, echoed and carried by the span and the log', async () => {
    const url = await start();
    const response = await fetch(`${url}/health`, { headers: { 'x-correlation-id': 'order-42.retry:1' } });
    expect(response.headers.get('x-correlation-id')).toBe('order-42.retry:1');
    const { samples } = await expectRecordedOnce(
      harness,
      { route: '/health', path: '/health', status: 200, correlationId: 'order-42.retry:1' },
      response.headers,
    );
    expect(series(samples, 'periscope_correlation_id_rejected_total')).toEqual([]);
  });

  test('an invalid x-correlation-id is replaced by a fresh one and counted in periscope_correlation_id_rejected_total', async () => {
    const url = await start();
    const response = await fetch(`${url}/health`, { headers: { 'x-correlation-id': 'bad id<script>' } });
    const echoed = response.headers.get('x-correlation-id');
    expect(echoed).not.toBe('bad id<script>');
    const { samples } = await expectRecordedOnce(harness, { route: '/health', path: '/health', status: 200 }, response.headers);
    expect(series(samples, 'periscope_correlation_id_rejected_total')).toEqual([
      { name: 'periscope_correlation_id_rejected_total', labels: { reason: 'invalid_characters' }, value: 1 },
    ]);
  });

  test('an inbound traceparent is continued: the server span is its remote child and the exemplar carries its trace', async () => {
    const url = await start();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    const response = await fetch(`${url}/users/1`, { headers: { traceparent: `00-${traceId}-${spanId}-01` } });
    expect(response.status).toBe(200);
    const { access } = await expectRecordedOnce(
      harness,
      { route: '/users/:id', path: '/users/1', status: 200, parent: { traceId, spanId } },
      response.headers,
    );
    expect(access.trace_id).toBe(traceId);
  });
});

describe('through app.inject', () => {
  test('an injected request is recorded like a real one, with its route template', async () => {
    await start();
    const response = await running.app.inject({ method: 'GET', url: '/users/9', headers: { 'x-correlation-id': 'inject-1' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-correlation-id']).toBe('inject-1');
    const headers = new Headers(Object.entries(response.headers).map(([k, v]) => [k, String(v)]) as Array<[string, string]>);
    await expectRecordedOnce(harness, { route: '/users/:id', path: '/users/9', status: 200, correlationId: 'inject-1' }, headers);
  });
});
