import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Counter, register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, observeRequestListener, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { family, type ParsedExposition, parseExposition, samplesOf, sampleValue } from './support/parse-metrics.js';

const DURATION = 'http_server_request_duration_seconds';
const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** What Prometheus 2.42 sends when scraping (with native histograms on). */
const PROMETHEUS_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,' +
  'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,' +
  'text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

class InventoryUnavailableError extends Error {}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Writable collecting log lines, so tests print nothing. */
function logSink(): Writable & { lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return Object.assign(sink, { lines });
}

function makeTelemetry(options: TelemetryOptions = {}): Telemetry {
  const telemetry = createTelemetry({
    serviceName: 'metrics-test',
    env: {},
    ...options,
    logs: { destination: logSink(), ...options.logs },
    traces: { exporter: 'none', ...options.traces },
    metrics: { server: false, ...options.metrics },
  });
  cleanups.push(() => telemetry.shutdown());
  return telemetry;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The route templates of the test app, as a router would report them. */
function routeOf(req: IncomingMessage): string | undefined {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (/^\/users\/[^/]+$/.test(path)) return '/users/:id';
  if (['/fail', '/boom', '/slow'].includes(path)) return path;
  return undefined;
}

/**
 * The test app behind observeRequestListener on a real server. It echoes the
 * trace and span IDs it sees through `telemetry.currentContext()`; a thrown
 * exception reaches the outer handler (a framework's error handler) which answers 500.
 */
async function serveApp(telemetry: Telemetry, slow?: { entered: () => void; release: Promise<void> }): Promise<string> {
  const app: Listener = (req, res) => {
    const ids = telemetry.currentContext();
    res.setHeader('x-trace-id', ids.trace_id ?? '');
    res.setHeader('x-span-id', ids.span_id ?? '');
    const route = routeOf(req);
    if (route === '/users/:id') return void res.end('user');
    if (route === '/fail') {
      res.statusCode = 500;
      return void res.end('failed');
    }
    if (route === '/boom') throw new InventoryUnavailableError('no stock');
    if (route === '/slow' && slow) {
      slow.entered();
      return void slow.release.then(() => res.end('slow'));
    }
    res.statusCode = 404;
    res.end('not found');
  };
  const observed = observeRequestListener(telemetry.http, app, { route: routeOf });
  const server = createServer((req, res) => {
    try {
      observed(req, res);
    } catch {
      res.statusCode = 500;
      res.end('internal error');
    }
  });
  return listen(server);
}

async function request(url: string, init?: RequestInit): Promise<{ status: number; traceId: string; spanId: string }> {
  const response = await fetch(url, init);
  await response.text();
  return { status: response.status, traceId: response.headers.get('x-trace-id') ?? '', spanId: response.headers.get('x-span-id') ?? '' };
}

async function page(telemetry: Telemetry, format: 'openmetrics' | 'text' = 'openmetrics'): Promise<ParsedExposition> {
  return parseExposition(await telemetry.metrics(format));
}

/** The label sets of the duration histogram, one per series (read from its `_count` samples). */
function durationSeries(parsed: ParsedExposition): Array<Record<string, string>> {
  return samplesOf(parsed, `${DURATION}_count`).map((sample) => sample.labels);
}

describe('HTTP server duration histogram', () => {
  it('labels a matched request with method, route template and status code, and no error_type', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    expect((await request(`${base}/users/42`)).status).toBe(200);
    expect((await request(`${base}/users/43?tab=orders`)).status).toBe(200);

    for (const format of ['openmetrics', 'text'] as const) {
      const parsed = await page(telemetry, format);
      expect(family(parsed, DURATION)).toMatchObject({ type: 'histogram', help: 'Duration of HTTP server requests.' });
      expect(durationSeries(parsed)).toEqual([{ http_request_method: 'GET', http_route: '/users/:id', http_response_status_code: '200' }]);
      expect(sampleValue(parsed, `${DURATION}_count`, { http_route: '/users/:id' })).toBe(2);
      expect(sampleValue(parsed, `${DURATION}_bucket`, { http_route: '/users/:id', le: '+Inf' })).toBe(2);
      expect(sampleValue(parsed, `${DURATION}_sum`, { http_route: '/users/:id' })).toBeGreaterThan(0);
    }
  });

  it('labels a request no route matched http_route="unmatched", never the raw URL', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    expect((await request(`${base}/no/such/page`)).status).toBe(404);

    const text = await telemetry.metrics();
    expect(text).not.toContain('/no/such/page');
    expect(durationSeries(parseExposition(text))).toEqual([
      { http_request_method: 'GET', http_route: 'unmatched', http_response_status_code: '404' },
    ]);
  });

  it('labels a 500 response error_type="500"', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    expect((await request(`${base}/fail`)).status).toBe(500);

    expect(durationSeries(await page(telemetry))).toEqual([
      { http_request_method: 'GET', http_route: '/fail', http_response_status_code: '500', error_type: '500' },
    ]);
  });

  it('labels a thrown exception with its class name as error_type', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    expect((await request(`${base}/boom`)).status).toBe(500);

    expect(durationSeries(await page(telemetry))).toEqual([
      { http_request_method: 'GET', http_route: '/boom', http_response_status_code: '500', error_type: 'InventoryUnavailableError' },
    ]);
  });

  it('labels unknown HTTP methods _OTHER and upper-cases known ones', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    expect((await request(`${base}/users/1`, { method: 'PURGE' })).status).toBe(200);
    telemetry.http.start({ method: 'get', url: '/users/2', headers: {} }).finish({ route: '/users/:id', statusCode: 200 });

    const parsed = await page(telemetry);
    expect(durationSeries(parsed)).toEqual([
      { http_request_method: '_OTHER', http_route: '/users/:id', http_response_status_code: '200' },
      { http_request_method: 'GET', http_route: '/users/:id', http_response_status_code: '200' },
    ]);
    expect(samplesOf(parsed, 'http_server_active_requests').map((sample) => sample.labels.http_request_method)).toEqual(['_OTHER', 'GET']);
  });

  it('uses custom durationBuckets as the le bounds in both formats', async () => {
    const telemetry = makeTelemetry({ metrics: { durationBuckets: [0.1, 0.5, 2] } });
    const base = await serveApp(telemetry);
    await request(`${base}/users/1`);

    for (const format of ['openmetrics', 'text'] as const) {
      const buckets = samplesOf(await page(telemetry, format), `${DURATION}_bucket`);
      expect(buckets.map((sample) => sample.labels.le)).toEqual(['0.1', '0.5', '2', '+Inf']);
      // Cumulative: every bucket holds at most what the next one holds, +Inf holds the one request.
      const counts = buckets.map((sample) => sample.value);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).toBe(1);
    }
  });

  it('escapes HELP text of a metric registered on telemetry.registry so it parses back unchanged', async () => {
    const telemetry = makeTelemetry({ metrics: { runtime: false } });
    const help = 'Jobs done, see C:\\jobs\nsecond line';
    new Counter({ name: 'jobs_done_total', help, registers: [telemetry.registry] }).inc(3);

    for (const format of ['openmetrics', 'text'] as const) {
      const parsed = await page(telemetry, format);
      const name = format === 'openmetrics' ? 'jobs_done' : 'jobs_done_total';
      expect(family(parsed, name)).toMatchObject({ type: 'counter', help });
      expect(sampleValue(parsed, 'jobs_done_total')).toBe(3);
    }
  });

  it('escapes label values so quotes, backslashes and newlines in a route parse back unchanged', async () => {
    const telemetry = makeTelemetry();
    const route = '/say/"hi"\\there\nnow';
    telemetry.http.start({ method: 'GET', url: '/say', headers: {} }).finish({ route, statusCode: 200 });

    for (const format of ['openmetrics', 'text'] as const) {
      const text = await telemetry.metrics(format);
      expect(text).toContain('http_route="/say/\\"hi\\"\\\\there\\nnow"');
      expect(durationSeries(parseExposition(text))).toEqual([
        { http_request_method: 'GET', http_route: route, http_response_status_code: '200' },
      ]);
    }
  });
});

describe('active requests gauge', () => {
  it('counts a request while it is in flight and drops back to zero when it completes', async () => {
    const telemetry = makeTelemetry();
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const base = await serveApp(telemetry, { entered, release: released });

    const pending = request(`${base}/slow`);
    await inside;
    const during = await page(telemetry);
    expect(family(during, 'http_server_active_requests').type).toBe('gauge');
    expect(sampleValue(during, 'http_server_active_requests', { http_request_method: 'GET' })).toBe(1);
    expect(samplesOf(during, `${DURATION}_count`)).toEqual([]);

    release();
    expect((await pending).status).toBe(200);
    const after = await page(telemetry);
    expect(sampleValue(after, 'http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
    expect(sampleValue(after, `${DURATION}_count`, { http_route: '/slow' })).toBe(1);
  });
  it('drops back to zero when the client aborts, and labels the request error_type="aborted"', async () => {
    const telemetry = makeTelemetry();
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    cleanups.push(async () => release());
    const base = await serveApp(telemetry, { entered, release: released });

    const abort = new AbortController();
    const pending = fetch(`${base}/slow`, { signal: abort.signal }).catch((error: unknown) => error);
    await inside;
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);

    // The server learns of the abort when the socket closes: poll a bounded number of times.
    let parsed = await page(telemetry);
    for (let attempt = 0; attempt < 100 && samplesOf(parsed, `${DURATION}_count`).length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      parsed = await page(telemetry);
    }
    expect(sampleValue(parsed, 'http_server_active_requests', { http_request_method: 'GET' })).toBe(0);
    expect(durationSeries(parsed)).toEqual([{ http_request_method: 'GET', http_route: '/slow', error_type: 'aborted' }]);
  });
});

describe('exemplars', () => {
  it('carry the trace_id and span_id the app saw, in OpenMetrics output only', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    const before = Date.now() / 1000;
    const seen = await request(`${base}/users/7`);
    const after = Date.now() / 1000;
    expect(seen.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.spanId).toMatch(/^[0-9a-f]{16}$/);

    const withExemplar = samplesOf(await page(telemetry, 'openmetrics'), `${DURATION}_bucket`).filter((sample) => sample.exemplar);
    // One observation: exactly one bucket (the one it fell in) holds its exemplar.
    expect(withExemplar).toHaveLength(1);
    const [bucket] = withExemplar;
    expect(bucket?.exemplar?.labels).toEqual({ trace_id: seen.traceId, span_id: seen.spanId });
    expect(bucket?.exemplar?.value).toBeGreaterThan(0);
    expect(bucket?.exemplar?.value).toBeLessThanOrEqual(Number(bucket?.labels.le === '+Inf' ? Infinity : bucket?.labels.le));
    // OpenMetrics timestamps are seconds, not milliseconds.
    expect(bucket?.exemplar?.timestamp).toBeGreaterThanOrEqual(Math.floor(before));
    expect(bucket?.exemplar?.timestamp).toBeLessThanOrEqual(Math.ceil(after));

    const text = await telemetry.metrics('text');
    expect(parseExposition(text).samples.filter((sample) => sample.exemplar)).toEqual([]);
    expect(text).not.toContain(seen.traceId);
  });

  it('follow the trace of an inbound traceparent', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const seen = await request(`${base}/users/8`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(seen.traceId).toBe(traceId);

    const exemplars = samplesOf(await page(telemetry), `${DURATION}_bucket`).flatMap((sample) => sample.exemplar ?? []);
    expect(exemplars.map((exemplar) => exemplar.labels)).toEqual([{ trace_id: traceId, span_id: seen.spanId }]);
  });

  it('are left out for unsampled requests and when metrics.exemplars is false', async () => {
    const unsampled = makeTelemetry({ traces: { sampler: 'always_off' } });
    const noExemplars = makeTelemetry({ metrics: { exemplars: false } });
    for (const telemetry of [unsampled, noExemplars]) {
      const base = await serveApp(telemetry);
      await request(`${base}/users/9`);
      const parsed = await page(telemetry, 'openmetrics');
      expect(sampleValue(parsed, `${DURATION}_count`, { http_route: '/users/:id' })).toBe(1);
      expect(parsed.samples.filter((sample) => sample.exemplar)).toEqual([]);
    }
  });
});

describe('exposition formats', () => {
  it('serves OpenMetrics to a scraper that asks for it and Prometheus text otherwise', async () => {
    const telemetry = makeTelemetry({ metrics: { server: { host: '127.0.0.1', port: 0 } } });
    const url = await telemetry.metricsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const mounted = await listen(createServer(telemetry.metricsHandler));

    const cases: Array<[Record<string, string>, string]> = [
      [{ accept: 'application/openmetrics-text; version=1.0.0' }, OPENMETRICS_TYPE],
      [{ accept: PROMETHEUS_ACCEPT }, OPENMETRICS_TYPE],
      [{ accept: 'text/plain' }, TEXT_TYPE],
      [{ accept: '*/*' }, TEXT_TYPE],
      [{}, TEXT_TYPE],
    ];
    for (const target of [url!, mounted]) {
      for (const [headers, contentType] of cases) {
        const response = await fetch(target, { headers });
        const body = await response.text();
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe(contentType);
        expect(parseExposition(body).eof).toBe(contentType === OPENMETRICS_TYPE);
      }
    }
  });

  it('ends OpenMetrics with # EOF and text without it', async () => {
    const telemetry = makeTelemetry();
    const openMetrics = await telemetry.metrics('openmetrics');
    expect(openMetrics.endsWith('\n# EOF\n')).toBe(true);
    expect(openMetrics.match(/# EOF/g)).toHaveLength(1);
    expect(await telemetry.metrics('text')).not.toContain('# EOF');
    // OpenMetrics is the default format.
    expect((await telemetry.metrics()).endsWith('\n# EOF\n')).toBe(true);
  });

  it('names every counter sample *_total in both formats, the family without _total only in OpenMetrics', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    await request(`${base}/users/1`);

    const openMetrics = await page(telemetry, 'openmetrics');
    const text = await page(telemetry, 'text');
    const counters = (parsed: ParsedExposition) => [...parsed.families.values()].filter((f) => f.type === 'counter');
    expect(counters(openMetrics).length).toBeGreaterThan(5);
    expect(counters(text).map((f) => f.name)).toEqual(counters(openMetrics).map((f) => `${f.name}_total`));
    for (const counter of counters(openMetrics)) {
      expect(counter.name).not.toMatch(/_total$/);
      for (const sample of counter.samples) expect(sample.name).toBe(`${counter.name}_total`);
    }
    for (const counter of counters(text)) {
      expect(counter.name).toMatch(/[^_]_total$/);
      expect(counter.name).not.toMatch(/_total_total$/);
      for (const sample of counter.samples) expect(sample.name).toBe(counter.name);
    }
    expect(sampleValue(text, 'periscope_spans_dropped_total', { reason: 'queue_full' })).toBe(0);
    expect(sampleValue(openMetrics, 'periscope_spans_dropped_total', { reason: 'queue_full' })).toBe(0);
  });
});

describe('cardinality guard', () => {
  it('holds 10,000 distinct routes to 1,000 series plus one __overflow__ series and counts 9,000 overflows', async () => {
    const telemetry = makeTelemetry({ logs: { accessLog: false } });
    for (let i = 0; i < 10_000; i++) {
      telemetry.http.start({ method: 'GET', url: `/r/${i}`, headers: {} }).finish({ route: `/r/${i}`, statusCode: 200 });
    }
    // A label set admitted before the limit keeps counting under its own values.
    telemetry.http.start({ method: 'GET', url: '/r/5', headers: {} }).finish({ route: '/r/5', statusCode: 200 });

    const parsed = await page(telemetry);
    const series = durationSeries(parsed);
    expect(series).toHaveLength(1001);
    expect(series.filter((labels) => labels.http_route === '__overflow__')).toEqual([
      { http_request_method: '__overflow__', http_route: '__overflow__', http_response_status_code: '__overflow__' },
    ]);
    expect(sampleValue(parsed, `${DURATION}_count`, { http_route: '__overflow__' })).toBe(9000);
    expect(sampleValue(parsed, `${DURATION}_count`, { http_route: '/r/5' })).toBe(2);
    expect(sampleValue(parsed, `${DURATION}_count`, { http_route: '/r/999' })).toBe(1);
    expect(samplesOf(parsed, `${DURATION}_count`, { http_route: '/r/1000' })).toEqual([]);
    expect(sampleValue(parsed, 'periscope_metric_cardinality_overflow_total', { metric: DURATION })).toBe(9000);
  });
});

describe('invalid input', () => {
  it('records a non-numeric status code without throwing and counts it in periscope_invalid_input_total', async () => {
    const telemetry = makeTelemetry();
    const observation = telemetry.http.start({ method: 'GET', url: '/x', headers: {} });
    expect(() => observation.finish({ route: '/x', statusCode: 'teapot' })).not.toThrow();
    telemetry.http.start({ method: 'GET', url: '/x', headers: {} }).finish({ route: '/x', statusCode: Number.NaN });

    const parsed = await page(telemetry);
    expect(sampleValue(parsed, 'periscope_invalid_input_total', { input: 'status_code' })).toBe(2);
    expect(durationSeries(parsed)).toEqual([{ http_request_method: 'GET', http_route: '/x' }]);
    expect(sampleValue(parsed, `${DURATION}_count`, { http_route: '/x' })).toBe(2);
    expect(samplesOf(parsed, 'periscope_internal_errors_total')).toEqual([]);
  });
});

describe('runtime metrics', () => {
  const RUNTIME = [
    'nodejs_eventloop_lag_seconds',
    'nodejs_gc_duration_seconds',
    'nodejs_heap_size_used_bytes',
    'nodejs_eventloop_utilization_ratio',
  ];

  it('exposes event loop lag and utilisation, GC durations, heap and CPU', async () => {
    const telemetry = makeTelemetry();
    await telemetry.metrics();
    const parsed = await page(telemetry);
    expect(family(parsed, 'nodejs_gc_duration_seconds').type).toBe('histogram');
    expect(family(parsed, 'nodejs_eventloop_lag_seconds').type).toBe('gauge');
    expect(sampleValue(parsed, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(parsed, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    const utilisation = sampleValue(parsed, 'nodejs_eventloop_utilization_ratio');
    expect(utilisation).toBeGreaterThanOrEqual(0);
    expect(utilisation).toBeLessThanOrEqual(1);
    const cpu = [...samplesOf(parsed, 'process_cpu_seconds_total'), ...samplesOf(parsed, 'process_cpu_user_seconds_total')].map(
      (sample) => sample.value,
    );
    expect(cpu.length).toBeGreaterThan(0);
    expect(Math.max(...cpu)).toBeGreaterThan(0);
  });

  it('are absent with metrics.runtime false', async () => {
    const parsed = await page(makeTelemetry({ metrics: { runtime: false } }));
    for (const name of [...RUNTIME, 'process_cpu_seconds', 'process_cpu_user_seconds']) expect(parsed.families.has(name)).toBe(false);
    expect(parsed.families.has(DURATION)).toBe(true);
  });
});

describe('switched off', () => {
  it.each([
    ['metrics.enabled false', { metrics: { enabled: false, server: { host: '127.0.0.1', port: 0 } } }],
    ['disabled true', { disabled: true, metrics: { server: { host: '127.0.0.1', port: 0 } } }],
  ] as Array<[string, TelemetryOptions]>)('%s records no HTTP metrics and opens no listener', async (_, options) => {
    const telemetry = makeTelemetry(options);
    const base = await serveApp(telemetry);
    expect((await request(`${base}/users/1`)).status).toBe(200);

    expect(await telemetry.metricsUrl).toBeUndefined();
    for (const format of ['openmetrics', 'text'] as const) {
      const parsed = await page(telemetry, format);
      expect(parsed.samples.filter((sample) => sample.name.startsWith('http_server_'))).toEqual([]);
      expect([...parsed.families.keys()]).toEqual([]);
    }
  });
});

describe('metrics listener', () => {
  it('answers 404 off GET /metrics', async () => {
    const telemetry = makeTelemetry({ metrics: { server: { host: '127.0.0.1', port: 0 } } });
    const url = (await telemetry.metricsUrl)!;
    const origin = new URL(url).origin;

    for (const path of ['/', '/metricsx', '/metrics/', '/other']) expect((await fetch(`${origin}${path}`)).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${url}?name[]=x`)).status).toBe(200);
  });

  it('stops listening on shutdown', async () => {
    const telemetry = makeTelemetry({ metrics: { server: { host: '127.0.0.1', port: 0 } } });
    const url = (await telemetry.metricsUrl)!;
    expect((await fetch(url)).status).toBe(200);
    await telemetry.shutdown();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('registries', () => {
  it('keeps two telemetry instances independent', async () => {
    const a = makeTelemetry({ serviceName: 'a' });
    const b = makeTelemetry({ serviceName: 'b' });
    expect(a.registry).not.toBe(b.registry);
    const base = await serveApp(a);
    await request(`${base}/users/1`);
    await request(`${base}/users/2`);

    expect(sampleValue(await page(a), `${DURATION}_count`, { http_route: '/users/:id' })).toBe(2);
    const pageB = await page(b);
    expect(family(pageB, DURATION).samples).toEqual([]);
    expect(samplesOf(pageB, 'http_server_active_requests')).toEqual([]);
  });

  it('leaves the global prom-client registry empty', async () => {
    const telemetry = makeTelemetry();
    const base = await serveApp(telemetry);
    await request(`${base}/users/1`);
    await telemetry.metrics();

    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
    expect((await globalRegistry.metrics()).trim()).toBe('');
  });
});
