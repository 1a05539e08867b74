import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan, SpanKindOtlp, StatusCodeOtlp } from '../../../packages/sdk/test/support/otlp-receiver.js';
import { parseExposition, samplesOf, sampleValue } from '../../../packages/sdk/test/support/parse-metrics.js';
import { type RunningMonolith, startMonolith } from '../src/server.js';
import { driveRound, ROUND_STATUSES } from '../src/traffic.js';

/**
 * The example run for real: Express on 127.0.0.1, called over HTTP; metrics
 * read from its /metrics listener, spans from the OTLP receiver the real
 * exporter sends to.
 */
let receiver: OtlpReceiver;
let monolith: RunningMonolith;
let spans: ReceivedSpan[];
const ROUNDS = 2;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  monolith = await startMonolith({
    port: 0,
    telemetry: {
      env: {},
      logs: { level: 'silent' },
      metrics: { server: { host: '127.0.0.1', port: 0 }, runtime: false },
      traces: { endpoint: receiver.url, scheduledDelayMillis: 20 },
    },
  });
  for (let round = 0; round < ROUNDS; round++) expect(await driveRound(monolith.url)).toEqual(ROUND_STATUSES);
  await monolith.telemetry.forceFlush();
  // 9 server spans and 22 boundary spans per round.
  spans = await receiver.waitForSpans(ROUNDS * 31);
  expect(spans).toHaveLength(ROUNDS * 31);
});

afterAll(async () => {
  await monolith?.close();
  await receiver?.close();
});

async function scrape() {
  expect(monolith.metricsUrl).toBeDefined();
  const response = await fetch(monolith.metricsUrl as string, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

describe('the modular monolith over HTTP', () => {
  it('module_calls_total gives the exact call graph, counts and outcomes', async () => {
    const graph = samplesOf(await scrape(), 'module_calls_total')
      .map((s) => `${s.labels.from_module} > ${s.labels.to_module}.${s.labels.operation} ${s.labels.outcome} = ${s.value}`)
      .sort();
    expect(graph).toEqual(
      [
        `billing > catalog.taxRate ok = ${4 * ROUNDS}`,
        `http > catalog.product error = ${1 * ROUNDS}`,
        `http > catalog.product ok = ${2 * ROUNDS}`,
        `http > orders.list ok = ${1 * ROUNDS}`,
        `http > orders.place error = ${2 * ROUNDS}`,
        `http > orders.place ok = ${3 * ROUNDS}`,
        `orders > billing.charge error = ${1 * ROUNDS}`,
        `orders > billing.charge ok = ${3 * ROUNDS}`,
        `orders > catalog.price error = ${1 * ROUNDS}`,
        `orders > catalog.price ok = ${4 * ROUNDS}`,
      ].sort(),
    );
  });

  it('module_call_duration_seconds has one histogram per edge, counting every call', async () => {
    const parsed = await scrape();
    const counts = samplesOf(parsed, 'module_call_duration_seconds_count')
      .map((s) => `${s.labels.from_module} > ${s.labels.to_module} = ${s.value}`)
      .sort();
    expect(counts).toEqual(
      [
        `billing > catalog = ${4 * ROUNDS}`,
        `http > catalog = ${3 * ROUNDS}`,
        `http > orders = ${6 * ROUNDS}`,
        `orders > billing = ${4 * ROUNDS}`,
        `orders > catalog = ${5 * ROUNDS}`,
      ].sort(),
    );
    // billing.charge waits 2 ms for the card processor: its edge cannot sum to less.
    expect(sampleValue(parsed, 'module_call_duration_seconds_sum', { from_module: 'orders', to_module: 'billing' })).toBeGreaterThanOrEqual(
      0.002 * 4 * ROUNDS,
    );
  });

  it('spans: each request is a tree http server span > orders.place > billing.charge > catalog.taxRate', () => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const chain = (span: ReceivedSpan): string[] => {
      const names: string[] = [];
      for (let s: ReceivedSpan | undefined = span; s; s = byId.get(s.parentSpanId)) names.unshift(s.name);
      return names;
    };
    const taxRates = spans.filter((s) => s.name === 'catalog.taxRate');
    expect(taxRates).toHaveLength(4 * ROUNDS);
    for (const span of taxRates) {
      expect(chain(span)).toEqual(['POST /orders', 'orders.place', 'billing.charge', 'catalog.taxRate']);
      expect(span.kind).toBe(SpanKindOtlp.INTERNAL);
      expect(span.attributes).toMatchObject({
        'code.namespace': 'catalog',
        'periscope.module': 'catalog',
        'periscope.module.caller': 'billing',
        'periscope.module.path': 'http>orders>billing>catalog',
      });
    }
    const server = spans.filter((s) => s.kind === SpanKindOtlp.SERVER);
    expect(server).toHaveLength(9 * ROUNDS);
    // Every boundary span belongs to the trace of the request that caused it.
    for (const span of spans.filter((s) => s.kind === SpanKindOtlp.INTERNAL)) {
      const root = rootOf(span, byId);
      expect(root.kind).toBe(SpanKindOtlp.SERVER);
      expect(root.traceId).toBe(span.traceId);
    }
  });

  it('spans: a declined charge is an error on billing.charge and orders.place, with the exception', () => {
    const declined = spans.filter((s) => s.name === 'billing.charge' && s.status.code === StatusCodeOtlp.ERROR);
    expect(declined).toHaveLength(ROUNDS);
    for (const span of declined) {
      expect(span.attributes['error.type']).toBe('PaymentDeclined');
      expect(span.events.map((e) => e.name)).toEqual(['exception']);
      const parent = spans.find((s) => s.spanId === span.parentSpanId);
      expect(parent?.name).toBe('orders.place');
      expect(parent?.status.code).toBe(StatusCodeOtlp.ERROR);
    }
    const okCharges = spans.filter((s) => s.name === 'billing.charge' && s.status.code !== StatusCodeOtlp.ERROR);
    expect(okCharges).toHaveLength(3 * ROUNDS);
  });

  it('concurrent requests keep their own caller: every catalog span names the module of its parent span', () => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const catalog = spans.filter((s) => s.attributes['periscope.module'] === 'catalog');
    expect(catalog).toHaveLength(12 * ROUNDS);
    for (const span of catalog) {
      const parent = byId.get(span.parentSpanId);
      const expected = parent?.kind === SpanKindOtlp.SERVER ? 'http' : parent?.attributes['periscope.module'];
      expect(span.attributes['periscope.module.caller']).toBe(expected);
    }
  });
});

function rootOf(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan {
  let current = span;
  for (let parent = byId.get(current.parentSpanId); parent; parent = byId.get(current.parentSpanId)) current = parent;
  return current;
}
