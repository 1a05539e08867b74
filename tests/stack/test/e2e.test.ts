/**
 * The stack's queries against real data: a Fastify service instrumented with
 * @periscope/sdk and @periscope/fastify, real traffic (including 5xx and slow
 * requests), a real Prometheus scraping it with the repository's SLO and
 * funnel rules loaded, and the OTLP test receiver taking its spans.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { periscope } from '@periscope/fastify';
import { createTelemetry, defineEvents, type Telemetry } from '@periscope/sdk';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../../packages/sdk/test/support/otlp-receiver.js';
import { poll } from './support/poll.js';
import { type PromSeries, type StackPrometheus, startStackPrometheus } from './support/prometheus.js';
import { DEFAULT_MACROS, dashboardQueries, type PanelQuery, substitute, syntaxErrors } from './support/queries.js';

const SERVICE = 'accounts';
const ENV = 'test';

const events = defineEvents({
  'landing.viewed': { labels: ['page'], allowed: { page: ['home', 'pricing'] } },
  'user.signed_up': { labels: ['plan', 'channel'], allowed: { plan: ['free', 'pro'], channel: ['ads', 'search'] } },
  'checkout.completed': { labels: ['plan'], allowed: { plan: ['free', 'pro'] }, value: 'amount_usd' },
  // `topic` has no allowed list: the cardinality guard holds it, and the traffic overflows it
  'newsletter.subscribed': { labels: ['topic'] },
});

/**
 * Panels whose query cannot return data in a run of seconds, with why; their
 * queries are still parsed (below) and run (they must not error).
 */
const EXEMPT: Array<{ match: (query: PanelQuery) => boolean; why: string }> = [
  {
    match: (q) => q.dashboard === 'periscope-boundaries.json',
    why: 'module boundaries: this service defines none; boundaries-e2e.test.ts runs them against the modular monolith',
  },
  { match: (q) => q.raw.includes('offset 1w'), why: 'compares with a week ago; a fresh Prometheus has no last week' },
  {
    match: (q) => q.raw.includes('periscope_internal_errors_total'),
    why: 'counts failures inside Periscope that its guard contained; a healthy SDK has none to count',
  },
];

let telemetry: Telemetry;
let app: FastifyInstance;
let receiver: OtlpReceiver;
let prometheus: StackPrometheus;
let base: string;
let trafficDone: Promise<void>;
let stopTraffic = false;
const startedAt = Math.floor(Date.now() / 1000);

async function hit(path: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(`${base}${path}`, init);
  await response.arrayBuffer();
  return response.status;
}

/**
 * One round of traffic: the funnel (landing > sign-up > checkout, so each
 * conversion is well under 1), 5xx answers, two slow requests in parallel
 * (over the latency SLO's 0.5 s), and input Periscope refuses or overflows.
 */
async function visit(round: number): Promise<void> {
  const slow = [hit('/slow'), hit('/slow')];
  await hit(`/landing?page=${round % 2 ? 'home' : 'pricing'}`);
  if (round % 3 !== 0) await hit('/signup', { method: 'POST', headers: { 'x-signup-channel': round % 2 ? 'ads' : 'search' } });
  if (round % 3 === 1) await hit('/checkout', { method: 'POST' });
  if (round % 3 === 0) await hit('/fail');
  if (round % 4 === 0) await hit('/boom');
  await hit(`/subscribe?topic=topic-${round}`, { method: 'POST' });
  if (round % 6 === 0)
    await hit('/landing?page=home', { headers: { 'x-correlation-id': 'x'.repeat(200), traceparent: 'not-a-traceparent' } });
  if (round % 7 === 0) await hit('/track-unknown');
  await Promise.all(slow);
}

/** Every label set the rounds produce, once, so all series exist before rates are taken. */
async function warmUp(): Promise<void> {
  for (let round = 0; round < 4; round++) await visit(round);
}

/** Polls an instant query until `accept` holds; bounded, never a wall-clock assertion. */
/** Polls an instant query until `accept` holds (see `poll`). */
const pollQuery = (promql: string, accept: (result: PromSeries[]) => boolean, tries = 60): Promise<PromSeries[]> =>
  poll(() => prometheus.query(promql), accept, tries);

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  telemetry = createTelemetry({
    serviceName: SERVICE,
    environment: ENV,
    env: {},
    events,
    funnels: { signup: ['landing.viewed', 'user.signed_up', 'checkout.completed'] },
    // a sink that always fails: what periscope_events_dropped_total{reason="sink_failed"} counts
    eventSink: {
      send: async () => {
        throw new Error('warehouse down');
      },
    },
    eventBuffer: { flushMillis: 100 },
    logs: { destination: { write: () => true } },
    traces: { endpoint: receiver.url, scheduledDelayMillis: 100 },
    metrics: { server: { host: '127.0.0.1', port: 0 }, maxLabelSets: 20 },
  });
  const metricsUrl = await telemetry.metricsUrl;
  if (!metricsUrl) throw new Error('the metrics listener did not bind');

  app = Fastify();
  await app.register(periscope, { telemetry });
  app.get<{ Querystring: { page?: 'home' | 'pricing' } }>('/landing', async (request) => {
    telemetry.track('landing.viewed', { page: request.query.page ?? 'home' });
    return { ok: true };
  });
  app.post('/signup', async (request) => {
    telemetry.track('user.signed_up', { plan: 'pro', channel: request.headers['x-signup-channel'] === 'ads' ? 'ads' : 'search' });
    return { ok: true };
  });
  app.post<{ Querystring: { topic?: string } }>('/subscribe', async (request) => {
    telemetry.track('newsletter.subscribed', { topic: request.query.topic ?? 'none' });
    return { ok: true };
  });
  app.post('/checkout', async () => {
    telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 49 });
    return { ok: true };
  });
  app.get('/fail', async (_request, reply) => reply.code(503).send({ error: 'unavailable' }));
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  app.get('/slow', async () => {
    await sleep(600); // over the latency SLO's 0.5 s bucket
    return { ok: true };
  });
  app.get('/track-unknown', async () => {
    (telemetry.track as (name: string, labels: object) => void)('no.such.event', {});
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;

  prometheus = await startStackPrometheus(new URL(metricsUrl).host, { service: SERVICE, env: ENV });

  // Series must exist in one scrape before their increase can show in a rate.
  await warmUp();
  await pollQuery('count(http_server_request_duration_seconds_count)', (result) => Number(result[0]?.value[1]) >= 7);
  trafficDone = (async () => {
    for (let round = 4; !stopTraffic; round++) {
      await visit(round);
      await sleep(20);
    }
  })();
}, 60_000);

afterAll(async () => {
  stopTraffic = true;
  await trafficDone;
  await prometheus?.stop();
  await app?.close();
  await telemetry?.shutdown();
  await receiver?.close();
});

describe('every dashboard panel against a real Prometheus scraping a Periscope service', () => {
  // Grafana's $__rate_interval for a 1 s scrape is about 4 s; 20 s keeps several samples per window here.
  const macros = { ...DEFAULT_MACROS, service: SERVICE, env: ENV, route: '.*', funnel: 'signup', rateInterval: '20s', range: '5m' };

  it('each panel query returns data (exempt: last-week comparisons and contained internal errors, which still run)', async () => {
    const { panels } = await dashboardQueries();
    expect(panels.length).toBeGreaterThan(30);
    const empty: string[] = [];
    for (const panel of panels) {
      const promql = substitute(panel.raw, macros);
      expect(syntaxErrors('promql', promql), panel.where).toEqual([]);
      const exempt = EXEMPT.find((rule) => rule.match(panel));
      if (exempt) {
        await prometheus.query(promql); // must still be a query Prometheus accepts
        continue;
      }
      const result = await pollQuery(promql, (series) => series.length > 0, 80);
      if (result.length === 0) empty.push(`${panel.where}: ${promql}`);
    }
    expect(empty).toEqual([]);
  });

  it('the fast-burn SLO alerts fire for a service whose 5xx and slow shares are far over budget', async () => {
    // the traffic's real shares, as the recording rules see them: far over 14.4x either budget (1.44% and 14.4%)
    const errors = await pollQuery(`service:slo_errors:ratio_rate5m{service="${SERVICE}"}`, (result) => result.length === 1);
    const slow = await pollQuery(`service:slo_slow_requests:ratio_rate5m{service="${SERVICE}"}`, (result) => result.length === 1);
    expect(Number(errors[0]?.value[1])).toBeGreaterThan(0.05);
    expect(Number(slow[0]?.value[1])).toBeGreaterThan(0.2);
    const alerts = await pollQuery(`ALERTS{alertstate="firing", service="${SERVICE}"}`, (result) => result.length >= 4);
    const names = alerts.map((series) => series.metric.alertname);
    expect(names).toContain('PeriscopeAvailabilityBudgetBurnFast');
    expect(names).toContain('PeriscopeLatencyBudgetBurnFast');
  });

  it('the funnel conversion rules yield ratios between 0 and 1 for each step', async () => {
    // Waits for ratios in (0, 1]: early on, rate() extrapolates each counter from its first samples, and a
    // later step can briefly read above an earlier one. A ratio that never gets there fails the test.
    const ratios = await pollQuery(
      'periscope:funnel_conversion:ratio5m{funnel="signup"}',
      (result) => result.length === 3 && result.every((series) => Number(series.value[1]) > 0 && Number(series.value[1]) <= 1),
    );
    expect(ratios.map((series) => `${series.metric.from_step} -> ${series.metric.to_step}`).sort()).toEqual([
      'landing.viewed -> checkout.completed',
      'landing.viewed -> user.signed_up',
      'user.signed_up -> checkout.completed',
    ]);
    for (const series of ratios) {
      expect(Number(series.value[1])).toBeGreaterThan(0);
      expect(Number(series.value[1])).toBeLessThanOrEqual(1);
    }
  });

  it('exemplars from /api/v1/query_exemplars carry trace IDs of spans the OTLP receiver got', async () => {
    let traceIds: string[] = [];
    let unmatched: string[] = [];
    for (let attempt = 0; attempt < 80; attempt++) {
      const series = await prometheus.queryExemplars(
        `http_server_request_duration_seconds_bucket{service="${SERVICE}"}`,
        startedAt - 60,
        Math.ceil(Date.now() / 1000) + 60,
      );
      traceIds = [...new Set(series.flatMap((s) => s.exemplars.map((exemplar) => exemplar.labels.trace_id ?? '')))];
      const received = new Set(receiver.spans.map((span) => span.traceId));
      unmatched = traceIds.filter((id) => !received.has(id));
      if (traceIds.length >= 5 && unmatched.length === 0) break;
      await sleep(250);
    }
    expect(traceIds.length).toBeGreaterThanOrEqual(5);
    for (const id of traceIds) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(unmatched).toEqual([]);
    // and the span behind an exemplar is the server span of a request to this service
    const span = receiver.spans.find((s) => s.traceId === traceIds[0] && s.kind === 2);
    expect(span?.resource['service.name']).toBe(SERVICE);
  });
});
