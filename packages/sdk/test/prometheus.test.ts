import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry, observeRequestListener, type Telemetry } from '../src/index.js';
import { type PromSeries, type RunningPrometheus, startPrometheus } from './support/prometheus.js';

/**
 * A real Prometheus 2.42 scrapes the SDK's own /metrics listener every second,
 * negotiating the format itself (it asks for OpenMetrics, the only format that
 * carries exemplars), and the queries a dashboard would run are checked
 * against what it stored.
 */

const ROUTES: Record<string, { route: string | undefined; status: number }> = {
  '/orders/17': { route: '/orders/:id', status: 200 },
  '/fail': { route: '/fail', status: 500 },
  '/nowhere': { route: undefined, status: 404 },
};
const EXPECTED_SERIES = [
  { http_request_method: 'GET', http_route: '/fail', http_response_status_code: '500', error_type: '500' },
  { http_request_method: 'GET', http_route: '/orders/:id', http_response_status_code: '200' },
  { http_request_method: 'GET', http_route: 'unmatched', http_response_status_code: '404' },
];
/** Polls every 250 ms, so about 15 s of scrapes at a 1 s interval. */
const ATTEMPTS = 60;

interface Made {
  path: string;
  traceId: string;
  spanId: string;
}

let telemetry: Telemetry;
let app: Server;
let base: string;
let prometheus: RunningPrometheus | undefined;
const made: Made[] = [];
const startedAt = Math.floor(Date.now() / 1000);

async function request(path: string): Promise<void> {
  const response = await fetch(`${base}${path}`);
  await response.text();
  if (response.status !== ROUTES[path]?.status) throw new Error(`${path} answered ${response.status}`);
  made.push({ path, traceId: response.headers.get('x-trace-id') ?? '', spanId: response.headers.get('x-span-id') ?? '' });
}

/** Runs `query` until `done` accepts its result, a bounded number of times. */
async function poll(query: string, done: (result: PromSeries[]) => boolean): Promise<PromSeries[]> {
  let last: PromSeries[] = [];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    last = await prometheus!.query(query);
    if (done(last)) return last;
    await sleep(250);
  }
  const targets = JSON.stringify(await prometheus!.targets());
  throw new Error(`${query} never met its condition; last result ${JSON.stringify(last)}; targets ${targets}`);
}

const sortByRoute = (series: Array<Record<string, string>>) =>
  [...series].sort((a, b) => (a.http_route ?? '').localeCompare(b.http_route ?? ''));

beforeAll(async () => {
  const lines: string[] = [];
  telemetry = createTelemetry({
    serviceName: 'prometheus-test',
    env: {},
    logs: {
      destination: new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    },
    traces: { exporter: 'none' },
    metrics: { server: { host: '127.0.0.1', port: 0 } },
  });
  const metricsUrl = await telemetry.metricsUrl;
  if (!metricsUrl) throw new Error('the metrics listener did not bind');

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const ids = telemetry.currentContext();
    res.setHeader('x-trace-id', ids.trace_id ?? '');
    res.setHeader('x-span-id', ids.span_id ?? '');
    res.statusCode = ROUTES[req.url ?? '']?.status ?? 404;
    res.end();
  };
  app = createServer(observeRequestListener(telemetry.http, listener, { route: (req) => ROUTES[req.url ?? '']?.route }));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

  prometheus = await startPrometheus({ target: new URL(metricsUrl).host });

  // Series must be in one scrape before more requests, or a rate over them stays 0.
  for (const path of Object.keys(ROUTES)) await request(path);
  await poll('count(http_server_request_duration_seconds_count)', (result) => Number(result[0]?.value[1]) === 3);
  for (let round = 0; round < 3; round++) for (const path of Object.keys(ROUTES)) await request(path);
}, 40_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise<void>((resolve) => {
    if (!app?.listening) return resolve();
    app.close(() => resolve());
    app.closeAllConnections();
  });
  await telemetry?.shutdown();
});

describe('a real Prometheus scraping the /metrics listener', () => {
  it('scrapes the listener successfully', async () => {
    const up = await poll(`up{job="${prometheus!.job}"}`, (result) => result.length === 1);
    expect(up[0]?.value[1]).toBe('1');
  });

  it('stores the duration histogram per method, route, status and error_type, and rate/histogram_quantile work on it', async () => {
    const rates = await poll(
      'sum by (http_request_method, http_route, http_response_status_code, error_type) ' +
        '(rate(http_server_request_duration_seconds_bucket{le="+Inf"}[30s]))',
      (result) => result.length === 3 && result.every((series) => Number(series.value[1]) > 0),
    );
    expect(sortByRoute(rates.map((series) => series.metric))).toEqual(EXPECTED_SERIES);

    const quantiles = await poll(
      'histogram_quantile(0.9, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket[30s])))',
      (result) => result.length === 3,
    );
    expect(quantiles.map((series) => series.metric.http_route).sort()).toEqual(['/fail', '/orders/:id', 'unmatched']);
    for (const series of quantiles) {
      const seconds = Number(series.value[1]);
      expect(Number.isFinite(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(0);
    }

    // What Prometheus stored is what the requests produced: 4 per route.
    const counts = await prometheus!.query('http_server_request_duration_seconds_count');
    expect(Object.fromEntries(counts.map((series) => [series.metric.http_route, Number(series.value[1])]))).toEqual({
      '/fail': 4,
      '/orders/:id': 4,
      unmatched: 4,
    });
  });

  it('stores exemplars whose trace_id and span_id are those of the requests made', async () => {
    let exemplars: Array<{ route: string; labels: Record<string, string> }> = [];
    const lastPerPath = Object.keys(ROUTES).map((path) => made.filter((m) => m.path === path).at(-1)!);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const result = await prometheus!.queryExemplars(
        'http_server_request_duration_seconds_bucket',
        startedAt - 60,
        Math.ceil(Date.now() / 1000) + 60,
      );
      exemplars = result.flatMap((series) =>
        series.exemplars.map((exemplar) => ({ route: series.seriesLabels.http_route ?? '', labels: exemplar.labels })),
      );
      const traceIds = new Set(exemplars.map((exemplar) => exemplar.labels.trace_id));
      if (lastPerPath.every((m) => traceIds.has(m.traceId))) break;
      await sleep(250);
    }

    // The latest request of each route is the one its bucket's exemplar ends on, so Prometheus must have it.
    for (const m of lastPerPath) {
      expect(exemplars).toContainEqual({
        route: ROUTES[m.path]?.route ?? 'unmatched',
        labels: { trace_id: m.traceId, span_id: m.spanId },
      });
    }
    // And every exemplar stored belongs to a request made, on the series of its route.
    const byTrace = new Map(made.map((m) => [m.traceId, m]));
    for (const exemplar of exemplars) {
      const m = byTrace.get(exemplar.labels.trace_id ?? '');
      expect(m, `exemplar ${JSON.stringify(exemplar)} matches no request`).toBeDefined();
      expect(exemplar).toEqual({ route: ROUTES[m!.path]?.route ?? 'unmatched', labels: { trace_id: m!.traceId, span_id: m!.spanId } });
    }
  });
});
