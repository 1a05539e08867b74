import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, defineEvents, type EventSinkPort, PeriscopeError, type TrackedEvent } from '../src/index.js';
import { startServer, type TestServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';
import { parseExposition, sampleValue } from './support/parse-metrics.js';

const events = defineEvents({
  'landing.viewed': { labels: ['page'], allowed: { page: ['home', 'pricing'] } },
  'user.signed_up': { labels: ['plan', 'channel'], properties: ['referrer', 'password', 'email'] },
  'checkout.completed': { labels: ['plan'], value: 'amount_usd' },
});
const funnels = { signup: ['landing.viewed', 'user.signed_up', 'checkout.completed'] as const };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function make(options: { sink?: EventSinkPort; maxLabelSets?: number; eventBuffer?: object } = {}) {
  const logs = new LogLines();
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({
    serviceName: 'shop',
    events,
    funnels,
    eventSink: options.sink,
    eventBuffer: { flushMillis: 5, timeoutMillis: 200, ...options.eventBuffer },
    logs: { destination: logs },
    metrics: { server: false, runtime: false, maxLabelSets: options.maxLabelSets },
    traces: { exporter, scheduledDelayMillis: 5 },
  });
  cleanups.push(() => telemetry.shutdown());
  return { telemetry, logs, exporter };
}

async function counter(telemetry: { metrics(f: 'openmetrics'): Promise<string> }, name: string, labels: Record<string, string>) {
  return sampleValue(parseExposition(await telemetry.metrics('openmetrics')), name, labels) ?? 0;
}

describe('a tracked event', () => {
  it('becomes a counter, a value sum, a log line with the request IDs, a span event and a funnel attribute', async () => {
    const { telemetry, logs, exporter } = make();
    const server: TestServer = await startServer(telemetry, async (_req, res) => {
      telemetry.track('user.signed_up', { plan: 'pro', channel: 'ads', referrer: 'newsletter' });
      telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 49.5 });
      telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 0.5 });
      res.end();
    });
    cleanups.push(() => server.close());
    const response = await fetch(`${server.url}/signup`, { headers: { 'x-correlation-id': 'journey-9' } });
    expect(response.status).toBe(200);

    expect(await counter(telemetry, 'business_events_total', { event: 'user.signed_up', plan: 'pro', channel: 'ads' })).toBe(1);
    expect(await counter(telemetry, 'business_events_total', { event: 'checkout.completed', plan: 'pro' })).toBe(2);
    expect(await counter(telemetry, 'business_event_value_total', { event: 'checkout.completed', plan: 'pro' })).toBe(50);

    await telemetry.forceFlush();
    const server_ = exporter.getFinishedSpans().find((s) => s.kind === 1);
    const [line] = logs.withMessage('business event');
    expect(line).toMatchObject({
      event: 'user.signed_up',
      properties: { plan: 'pro', channel: 'ads', referrer: 'newsletter' },
      correlation_id: 'journey-9',
      trace_id: server_?.spanContext().traceId,
    });
    expect(server_?.events.map((e) => [e.name, e.attributes])).toEqual([
      ['user.signed_up', { plan: 'pro', channel: 'ads', referrer: 'newsletter' }],
      ['checkout.completed', { plan: 'pro', amount_usd: 49.5 }],
      ['checkout.completed', { plan: 'pro', amount_usd: 0.5 }],
    ]);
    // Funnel steps are searchable on the request's server span: the furthest step reached.
    expect(server_?.attributes['periscope.funnel.signup']).toBe('checkout.completed');
  });

  it('outside a request it still counts and logs, without request IDs', async () => {
    const { telemetry, logs } = make();
    telemetry.track('user.signed_up', { plan: 'free', channel: 'organic' });
    expect(await counter(telemetry, 'business_events_total', { event: 'user.signed_up', plan: 'free', channel: 'organic' })).toBe(1);
    expect(logs.withMessage('business event')[0]).not.toHaveProperty('correlation_id');
  });

  it('a label value outside its allowed list is counted as __other__', async () => {
    const { telemetry } = make();
    telemetry.track('landing.viewed', { page: 'home' });
    telemetry.track('landing.viewed', { page: '/wp-admin' });
    expect(await counter(telemetry, 'business_events_total', { event: 'landing.viewed', page: 'home' })).toBe(1);
    expect(await counter(telemetry, 'business_events_total', { event: 'landing.viewed', page: '__other__' })).toBe(1);
  });

  it('labels without an allowed list are capped by the cardinality guard', async () => {
    const { telemetry } = make({ maxLabelSets: 10 });
    for (let i = 0; i < 50; i++) telemetry.track('checkout.completed', { plan: `plan-${i}`, amount_usd: 1 });
    const families = parseExposition(await telemetry.metrics('openmetrics'));
    const series = families.samples.filter((s) => s.name === 'business_events_total');
    expect(series).toHaveLength(11);
    expect(sampleValue(families, 'business_events_total', { event: 'checkout.completed', plan: '__overflow__' })).toBe(40);
    expect(sampleValue(families, 'periscope_metric_cardinality_overflow_total', { metric: 'business_events_total' })).toBe(40);
  });

  it('secret-named properties are redacted in the log, the span event and the sink', async () => {
    const received: TrackedEvent[] = [];
    const { telemetry, logs, exporter } = make({ sink: { send: (batch) => void received.push(...batch) } });
    const span = telemetry.tracer.startSpan('manual');
    const { context, trace } = await import('@opentelemetry/api');
    context.with(trace.setSpan(context.active(), span), () =>
      telemetry.track('user.signed_up', { plan: 'pro', channel: 'ads', password: 'hunter2' }),
    );
    span.end();
    await telemetry.forceFlush();
    expect(JSON.stringify(logs.lines)).not.toContain('hunter2');
    expect(exporter.getFinishedSpans()[0]?.events[0]?.attributes?.password).toBe('[Redacted]');
    expect(received[0]?.properties.password).toBe('[Redacted]');
  });

  it('event lines still pass the user redactor, and a dotted rule redacts the property it ends in', async () => {
    const logs = new LogLines();
    const telemetry = createTelemetry({
      serviceName: 'shop',
      events,
      logs: { destination: logs, redact: ['signup.referrer'], redactor: (key, value) => (key === 'channel' ? 'masked' : value) },
      metrics: { server: false, runtime: false },
      traces: { exporter: 'none' },
    });
    cleanups.push(() => telemetry.shutdown());
    telemetry.track('user.signed_up', { plan: 'pro', channel: 'ads', referrer: 'https://secret.example' });
    const line = logs.lines.find((l) => l.event === 'user.signed_up') as { properties: Record<string, unknown> } | undefined;
    expect(line?.properties).toEqual({ plan: 'pro', channel: 'masked', referrer: '[Redacted]' });
    // The metric label keeps the declared value: the redactor shapes log lines, not series.
    expect(await counter(telemetry, 'business_events_total', { event: 'user.signed_up', plan: 'pro', channel: 'ads' })).toBe(1);
  });

  it('counts tracked between scrapes add up in the next scrape', async () => {
    const { telemetry } = make();
    const labels = { event: 'checkout.completed', plan: 'pro' };
    telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 10 });
    expect(await counter(telemetry, 'business_events_total', labels)).toBe(1);
    telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 2.5 });
    telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 0 });
    expect(await counter(telemetry, 'business_events_total', labels)).toBe(3);
    expect(await counter(telemetry, 'business_event_value_total', labels)).toBe(12.5);
    expect(await counter(telemetry, 'business_events_total', labels)).toBe(3);
  });
});

describe('bad events from untyped callers', () => {
  it.each<[string, string, unknown, string]>([
    ['an unknown event', 'user.signed_out', {}, 'unknown_event'],
    ['a label that is not a string', 'user.signed_up', { plan: 1, channel: 'ads' }, 'invalid_label'],
    ['a missing label', 'user.signed_up', { plan: 'pro' }, 'invalid_label'],
    ['a negative value', 'checkout.completed', { plan: 'pro', amount_usd: -1 }, 'invalid_value'],
    ['a NaN value', 'checkout.completed', { plan: 'pro', amount_usd: Number.NaN }, 'invalid_value'],
    ['an infinite value', 'checkout.completed', { plan: 'pro', amount_usd: Number.POSITIVE_INFINITY }, 'invalid_value'],
    ['an undeclared property', 'user.signed_up', { plan: 'pro', channel: 'ads', country: 'fr' }, 'unknown_property'],
    ['an object property', 'user.signed_up', { plan: 'pro', channel: 'ads', referrer: { a: 1 } }, 'invalid_property'],
    ['properties that are not an object', 'user.signed_up', 'pro', 'invalid_properties'],
  ])('%s is dropped, counted by reason and warned about once, never thrown', async (_case, name, properties, reason) => {
    const { telemetry, logs } = make();
    const untyped = telemetry.track as (name: string, properties?: unknown) => void;
    expect(() => {
      untyped(name, properties);
      untyped(name, properties);
    }).not.toThrow();
    expect(await counter(telemetry, 'periscope_events_rejected_total', { reason })).toBe(2);
    expect(await telemetry.metrics('openmetrics')).not.toContain(`business_events_total{event="${name}"`);
    const warnings = logs.lines.filter((l) => l.component === 'periscope' && l.event === name);
    expect(warnings).toHaveLength(1);
  });
});

describe('the catalog is checked at definition', () => {
  it.each([
    ['a user ID label', { 'order.placed': { labels: ['customer_user_id'] } }, 'identifies a person'],
    ['an email label', { 'order.placed': { labels: ['Email'] } }, 'identifies a person'],
    ['a bad event name', { 'Order Placed': {} }, 'lower-case words'],
    ['a reserved label', { 'order.placed': { labels: ['event'] } }, 'reserved'],
    ['an allowed list for a non-label', { 'order.placed': { labels: ['plan'], allowed: { tier: ['a'] } } }, 'not one of its labels'],
  ])('%s is refused with PERISCOPE_INVALID_EVENT', (_case, catalog, message) => {
    expect(() => defineEvents(catalog as never)).toThrowError(PeriscopeError);
    expect(() => defineEvents(catalog as never)).toThrowError(message);
  });

  it('a funnel step outside the catalog fails at start-up', () => {
    expect(() =>
      createTelemetry({ serviceName: 's', events, funnels: { signup: ['landing.viewed', 'nope'] as never }, metrics: { server: false } }),
    ).toThrowError(/step "nope" is not an event of the catalog/);
  });
});

describe('the event sink', () => {
  it('receives each event with the request IDs, in batches off the request path', async () => {
    const received: TrackedEvent[] = [];
    const { telemetry } = make({ sink: { send: async (batch) => void received.push(...batch) } });
    const server = await startServer(telemetry, (_req, res) => {
      telemetry.setUser('u-7');
      telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 12 });
      res.end();
    });
    cleanups.push(() => server.close());
    await fetch(server.url, { headers: { 'x-correlation-id': 'c-77' } });
    await telemetry.forceFlush();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      name: 'checkout.completed',
      labels: { plan: 'pro' },
      value: 12,
      correlationId: 'c-77',
      userId: 'u-7',
    });
    expect(received[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each<[string, EventSinkPort]>([
    [
      'throws',
      {
        send: () => {
          throw new Error('warehouse down');
        },
      },
    ],
    ['rejects', { send: () => Promise.reject(new Error('queue full')) }],
    ['never answers', { send: () => new Promise(() => {}) }],
  ])('a sink that %s never affects the request, and its drops are counted', async (_case, sink) => {
    const { telemetry } = make({ sink });
    const server = await startServer(telemetry, (_req, res) => {
      telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 1 });
      res.end('ok');
    });
    cleanups.push(() => server.close());
    const response = await fetch(server.url);
    expect(await response.text()).toBe('ok');
    await telemetry.forceFlush();
    expect(await counter(telemetry, 'periscope_events_dropped_total', { reason: 'sink_failed' })).toBe(1);
    expect(await counter(telemetry, 'business_events_total', { event: 'checkout.completed', plan: 'pro' })).toBe(1);
  });

  it('the buffer is bounded: beyond it events are dropped and counted', async () => {
    const received: TrackedEvent[] = [];
    const { telemetry } = make({
      sink: { send: (batch) => void received.push(...batch) },
      eventBuffer: { maxEvents: 10, flushMillis: 60_000 },
    });
    for (let i = 0; i < 25; i++) telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 1 });
    expect(await counter(telemetry, 'periscope_events_dropped_total', { reason: 'buffer_full' })).toBe(15);
    await telemetry.shutdown();
    expect(received).toHaveLength(10);
  });
});
