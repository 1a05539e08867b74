import 'reflect-metadata';
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { periscopeApps, platforms } from './support/app.js';
import { Gate, ProbeController, UsersController, UsersService } from './support/fixture.js';
import { expectObserved } from './support/observed.js';
import { parseOpenMetrics, select } from './support/openmetrics.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(platforms)('PeriscopeModule on %s', (platform) => {
  let gate: Gate;
  const app = periscopeApps(platform, () => {
    gate = new Gate();
    return { controllers: [UsersController, ProbeController], providers: [UsersService, { provide: Gate, useValue: gate }] };
  });
  const start = (globalPrefix?: string): Promise<string> => app.start({ globalPrefix });

  it('a 200 is observed under its route template, with the IDs in the handler matching the response headers', async () => {
    const url = await start();
    const response = await fetch(`${url}/ok?verbose=1`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ok: boolean; context: Record<string, string> };
    const { span } = await expectObserved(app.t, { method: 'GET', route: '/ok', path: '/ok', status: 200, response });
    expect(body.context.correlation_id).toBe(response.headers.get('x-correlation-id'));
    expect(body.context.request_id).toBe(response.headers.get('x-request-id'));
    expect(body.context.trace_id).toBe(span.spanContext().traceId);
    expect(response.headers.get('x-correlation-id')).toMatch(UUID);
    expect(span.parentSpanContext).toBeUndefined();
  });

  it('on Express, requests and responses are given the hidden class they all share; on Fastify they keep theirs', async () => {
    // Express swaps their prototypes, which leaves each with a class of its own (see toSharedShape); Fastify does not.
    const url = await start();
    const response = await fetch(`${url}/shape`);
    const shared = platform === 'express';
    expect(await response.json()).toEqual({ req: shared, res: shared });
    await expectObserved(app.t, { method: 'GET', route: '/shape', path: '/shape', status: 200, response });
  });

  it('404 is labelled http_route="unmatched", never the raw URL', async () => {
    const url = await start();
    const response = await fetch(`${url}/no/such/path/123`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    const { samples } = await expectObserved(app.t, {
      method: 'GET',
      route: 'unmatched',
      path: '/no/such/path/123',
      status: 404,
      response,
    });
    expect(samples.some((s) => Object.values(s.labels).some((v) => v.includes('/no/such')))).toBe(false);
  });

  it("a thrown error keeps Nest's 500 response and is recorded with error_type set to its class", async () => {
    const url = await start();
    const response = await fetch(`${url}/boom`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    const { span, log } = await expectObserved(app.t, {
      method: 'GET',
      route: '/boom',
      path: '/boom',
      status: 500,
      errorType: 'BoomError',
      response,
    });
    expect(span.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'sync failure']]);
    expect(log.level).toBe('error');
    expect((log.err as { message: string }).message).toBe('sync failure');
  });

  it("an error thrown after await keeps Nest's 500 response and is recorded with its class", async () => {
    const url = await start();
    const response = await fetch(`${url}/boom-async`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    const { span } = await expectObserved(app.t, {
      method: 'GET',
      route: '/boom-async',
      path: '/boom-async',
      status: 500,
      errorType: 'AsyncBoomError',
      response,
    });
    expect(span.events.map((e) => e.attributes?.['exception.message'])).toEqual(['async failure']);
  });

  it("BadRequestException stays the app's 400 with its body, without error_type and with the span status unset", async () => {
    const url = await start();
    const response = await fetch(`${url}/bad`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ statusCode: 400, message: 'name is required', error: 'Bad Request' });
    const { span, log } = await expectObserved(app.t, { method: 'GET', route: '/bad', path: '/bad', status: 400, response });
    expect(span.events).toEqual([]);
    expect(log.level).toBe('warn');
  });

  it("an HttpException of 5xx keeps the app's status and body and is recorded as an error", async () => {
    const url = await start();
    const response = await fetch(`${url}/unavailable`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ statusCode: 503, message: 'maintenance', error: 'Service Unavailable' });
    const { span } = await expectObserved(app.t, {
      method: 'GET',
      route: '/unavailable',
      path: '/unavailable',
      status: 503,
      errorType: 'ServiceUnavailableException',
      response,
    });
    expect(span.events.map((e) => e.attributes?.['exception.message'])).toEqual(['maintenance']);
  });

  it('a client abort mid-request is recorded once, with error_type="aborted" and no status code', async () => {
    const url = await start();
    const controller = new AbortController();
    const pending = fetch(`${url}/hang`, { signal: controller.signal }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    await gate.entered.promise;
    controller.abort();
    expect(await pending).toBe('AbortError');
    await gate.closed.promise;
    const { log } = await expectObserved(app.t, { method: 'GET', route: '/hang', path: '/hang', errorType: 'aborted' });
    expect(log).toMatchObject({ aborted: true, msg: 'request aborted' });
    // The handler resumed after the abort and Nest tried to answer: still one record.
    await new Promise((resolve) => setImmediate(resolve));
    await app.t.telemetry.forceFlush();
    expect(app.t.accessLogs()).toHaveLength(1);
    expect(app.t.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(1);
    const samples = parseOpenMetrics(await app.t.telemetry.metrics('openmetrics'));
    expect(select(samples, 'http_server_request_duration_seconds_count').map((s) => s.value)).toEqual([1]);
  });

  it('a StreamableFile response is observed once the stream has been sent', async () => {
    const url = await start();
    const response = await fetch(`${url}/stream`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('chunk-1 chunk-2');
    await expectObserved(app.t, { method: 'GET', route: '/stream', path: '/stream', status: 200, response });
  });

  it('a route with params is labelled with its template /users/:id', async () => {
    const url = await start();
    const response = await fetch(`${url}/users/42`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: '42' });
    await expectObserved(app.t, { method: 'GET', route: '/users/:id', path: '/users/42', status: 200, response });
  });

  it('with global prefix "api" the span is named GET /api/users/:id', async () => {
    const url = await start('api');
    const response = await fetch(`${url}/api/users/7`);
    expect(response.status).toBe(200);
    await response.json();
    const { span } = await expectObserved(app.t, { method: 'GET', route: '/api/users/:id', path: '/api/users/7', status: 200, response });
    expect(span.name).toBe('GET /api/users/:id');
  });

  it('a valid x-correlation-id is kept, echoed and logged, and nothing is counted as rejected', async () => {
    const url = await start();
    const response = await fetch(`${url}/ok`, { headers: { 'x-correlation-id': 'order-4711:retry.2' } });
    expect(response.headers.get('x-correlation-id')).toBe('order-4711:retry.2');
    await response.json();
    const { log, samples } = await expectObserved(app.t, { method: 'GET', route: '/ok', path: '/ok', status: 200, response });
    expect(log.correlation_id).toBe('order-4711:retry.2');
    expect(select(samples, 'periscope_correlation_id_rejected_total').reduce((sum, s) => sum + s.value, 0)).toBe(0);
  });

  it('an invalid x-correlation-id is replaced by a fresh ID and counted by reason', async () => {
    const url = await start();
    const response = await fetch(`${url}/ok`, { headers: { 'x-correlation-id': 'abc<script>' } });
    const replaced = response.headers.get('x-correlation-id');
    expect(replaced).toMatch(UUID);
    await response.json();
    const { log, samples } = await expectObserved(app.t, { method: 'GET', route: '/ok', path: '/ok', status: 200, response });
    expect(log.correlation_id).toBe(replaced);
    expect(select(samples, 'periscope_correlation_id_rejected_total', { reason: 'invalid_characters' }).map((s) => s.value)).toEqual([1]);
  });

  it("an inbound traceparent is continued: same trace, the caller's span as parent", async () => {
    const url = await start();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const response = await fetch(`${url}/users/1`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    await response.json();
    const { span, log } = await expectObserved(app.t, { method: 'GET', route: '/users/:id', path: '/users/1', status: 200, response });
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext).toMatchObject({ traceId, spanId: parentId, isRemote: true });
    expect(log.trace_id).toBe(traceId);
  });
});
