import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { periscope, periscopeErrors } from '../src/index.js';
import { EXPRESS_VERSIONS } from './support/express-versions.js';
import { expectRecorded, type Harness, startApp } from './support/harness.js';
import { series } from './support/openmetrics.js';

const REJECTED = 'periscope_correlation_id_rejected_total';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(EXPRESS_VERSIONS)('$name: correlation and context', ({ express }) => {
  let h: Harness;
  afterEach(() => h?.close());

  const serve = async (routes: (app: ReturnType<typeof express>, telemetry: Harness['telemetry']) => void) => {
    h = await startApp(express, (app, telemetry) => {
      app.use(periscope(telemetry));
      routes(app, telemetry);
      app.use(periscopeErrors(telemetry));
    });
    return h;
  };

  it('a valid inbound x-correlation-id is kept and echoed', async () => {
    await serve((app) => app.get('/users/:id', (_req, res) => void res.send('ok')));
    const res = await fetch(h.url('/users/1'), { headers: { 'x-correlation-id': 'order-2024:abc_1.2' } });
    expect(res.headers.get('x-correlation-id')).toBe('order-2024:abc_1.2');
    const { line } = await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: '/users/:id', status: 200 }, res);
    expect(line.correlation_id).toBe('order-2024:abc_1.2');
    expect((await h.samples()).filter((s) => s.name === REJECTED && s.value > 0)).toEqual([]);
  });

  it.each([
    { offered: 'has spaces in it', reason: 'invalid_characters' },
    { offered: 'x'.repeat(200), reason: 'too_long' },
  ])('an invalid inbound correlation ID ($reason) is replaced and counted', async ({ offered, reason }) => {
    await serve((app) => app.get('/users/:id', (_req, res) => void res.send('ok')));
    const res = await request(h.url('/users/1'), { headers: { 'x-correlation-id': offered } });
    await res.body.text();
    const echoed = res.headers['x-correlation-id'] as string;
    expect(echoed).not.toBe(offered);
    expect(echoed).toMatch(UUID);
    const { line } = await expectRecorded(h, res.headers['x-request-id'] as string, { method: 'GET', route: '/users/:id', status: 200 });
    expect(line.correlation_id).toBe(echoed);
    const rejected = series(await h.samples(), REJECTED, { reason });
    expect(rejected.map((s) => s.value)).toEqual([1]);
  });

  it('an inbound traceparent is continued: same trace ID, the caller span as parent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await serve((app) => app.get('/users/:id', (_req, res) => void res.send('ok')));
    const res = await fetch(h.url('/users/5'), { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    expect(res.status).toBe(200);
    const { span, line } = await expectRecorded(
      h,
      res.headers.get('x-request-id')!,
      { method: 'GET', route: '/users/:id', status: 200 },
      res,
    );
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(parentId);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(line.trace_id).toBe(traceId);
  });

  it("log lines written by a handler carry that request's IDs, also after await and setTimeout", async () => {
    await serve((app, telemetry) =>
      app.get('/work', async (_req, res) => {
        telemetry.logger.info({ step: 'before' }, 'handler log');
        await sleep(1);
        await new Promise((resolve) => setTimeout(resolve, 1));
        telemetry.logger.info({ step: 'after' }, 'handler log');
        res.send('done');
      }),
    );
    // Two concurrent requests: each line must carry its own request's IDs.
    const [a, b] = await Promise.all([
      fetch(h.url('/work'), { headers: { 'x-correlation-id': 'req-a' } }),
      fetch(h.url('/work'), { headers: { 'x-correlation-id': 'req-b' } }),
    ]);
    for (const res of [a!, b!]) {
      const { span, correlationId } = await expectRecorded(
        h,
        res.headers.get('x-request-id')!,
        { method: 'GET', route: '/work', status: 200, observations: 2 },
        res,
      );
      const own = h.logs.lines.filter((l) => l.msg === 'handler log' && l.correlation_id === correlationId);
      expect(own.map((l) => l.step)).toEqual(['before', 'after']);
      for (const l of own) {
        expect(l.trace_id).toBe(span.spanContext().traceId);
        expect(l.request_id).toBe(res.headers.get('x-request-id'));
      }
    }
    expect(h.logs.lines.filter((l) => l.msg === 'handler log')).toHaveLength(4);
    // Each exemplar points at one of the two requests' traces.
    const traces = new Set((await h.spans()).map((s) => s.spanContext().traceId));
    const exemplarTraces = series(await h.samples(), 'http_server_request_duration_seconds_bucket', {
      http_request_method: 'GET',
      http_route: '/work',
      http_response_status_code: '200',
    }).flatMap((s) => (s.exemplar ? [s.exemplar.labels.trace_id] : []));
    expect(exemplarTraces.length).toBeGreaterThan(0);
    for (const id of exemplarTraces) expect(traces.has(id!)).toBe(true);
  });

  it('the request context survives body parsing (express.json) into the handler', async () => {
    await serve((app, telemetry) => {
      app.use(express.json());
      app.post('/orders', (req, res) => {
        telemetry.logger.info({ items: req.body.items }, 'order received');
        res.status(201).json({ ok: true });
      });
    });
    const res = await fetch(h.url('/orders'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'order-1' },
      body: JSON.stringify({ items: 3 }),
    });
    expect(res.status).toBe(201);
    const { span } = await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'POST', route: '/orders', status: 201 }, res);
    const line = h.logs.lines.find((l) => l.msg === 'order received');
    expect(line).toMatchObject({ items: 3, correlation_id: 'order-1', trace_id: span.spanContext().traceId });
  });
});
