import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { startServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';
import { OtlpReceiver, type ReceivedSpan, SpanKindOtlp, StatusCodeOtlp } from './support/otlp-receiver.js';
import { parseExposition, sampleValue } from './support/parse-metrics.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReceiver(): Promise<OtlpReceiver> {
  const receiver = await OtlpReceiver.start();
  cleanups.push(() => receiver.close());
  return receiver;
}

function startTelemetry(receiver: OtlpReceiver, options: TelemetryOptions = {}): { telemetry: Telemetry; logs: LogLines } {
  const logs = new LogLines();
  const telemetry = createTelemetry({
    serviceName: 'users-api',
    env: {}, // keep the runner's OTEL_* variables out
    ...options,
    metrics: { server: false, runtime: false, ...options.metrics },
    logs: { destination: logs, ...options.logs },
    traces: { endpoint: receiver.url, scheduledDelayMillis: 20, exportTimeoutMillis: 500, ...options.traces },
  });
  cleanups.push(() => telemetry.shutdown());
  return { telemetry, logs };
}

function route(req: IncomingMessage): string | undefined {
  const path = req.url?.split('?')[0] ?? '';
  return /^\/users\/[^/]+$/.test(path) ? '/users/:id' : undefined;
}

/**
 * `/users/:id` answers 200, or 500 for id `crash`; anything else is a 404.
 * Inside the request it creates a child span across an `await` and logs a line.
 */
async function startApp(telemetry: Telemetry): Promise<string> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      if (route(req) === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      const child = telemetry.tracer.startSpan('load user');
      await sleep(1);
      telemetry.logger.info('user loaded');
      child.end();
      if (req.url?.endsWith('/crash')) res.writeHead(500).end('boom');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42}');
    })();
  };
  const server = await startServer(telemetry, handler, route);
  cleanups.push(() => server.close());
  return server.url;
}

function serverSpans(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((span) => span.kind === SpanKindOtlp.SERVER);
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** Polls a condition a bounded number of times; for events with no promise to await. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10);
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
}

async function metric(telemetry: Telemetry, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(parseExposition(await telemetry.metrics('text')), name, labels);
}

describe('spans exported over OTLP/HTTP (http/protobuf)', () => {
  it('a request becomes one SERVER span named by method and route template, with the HTTP attributes', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver);
    const url = await startApp(telemetry);

    const response = await fetch(`${url}/users/42?expand=true`, { headers: { 'x-correlation-id': 'order-7781' } });
    expect(response.status).toBe(200);

    const spans = await receiver.waitForSpans(2);
    const request = only(receiver.requests.filter((r) => r.spans.some((s) => s.kind === SpanKindOtlp.SERVER)));
    expect(request.contentType).toBe('application/x-protobuf');
    expect(request.decodeError).toBeUndefined();

    const span = only(serverSpans(spans));
    expect(span.name).toBe('GET /users/:id');
    expect(span.traceId).toMatch(HEX_TRACE_ID);
    expect(span.spanId).toMatch(HEX_SPAN_ID);
    expect(span.parentSpanId).toBe('');
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
      'url.path': '/users/42',
      'url.scheme': 'http',
      'periscope.correlation_id': 'order-7781',
      'periscope.request_id': response.headers.get('x-request-id'),
    });
    expect(response.headers.get('x-correlation-id')).toBe('order-7781');
    expect(span.attributes).not.toHaveProperty('error.type');
    expect(span.status.code).toBe(StatusCodeOtlp.UNSET);
    expect(span.scope).toBe('@periscope/sdk');
  });

  it("server.address is each request's Host header without its port, host after host", async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver);
    const { port } = new URL(await startApp(telemetry));
    const hosts = ['shop.example:8443', 'api.example', 'shop.example:8443', '[::1]:3000'];
    for (const [i, host] of hosts.entries()) {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: `/users/${i}`, headers: { host } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
    // Two spans a request: the server span and the handler's 'load user'.
    const spans = serverSpans(await receiver.waitForSpans(hosts.length * 2));
    expect(spans).toHaveLength(hosts.length);
    const addressOf = (i: number) => spans.find((span) => span.attributes['url.path'] === `/users/${i}`)?.attributes['server.address'];
    expect(hosts.map((_, i) => addressOf(i))).toEqual(['shop.example', 'api.example', 'shop.example', '[::1]']);
  });

  it('a 5xx response sets span status ERROR and error.type to the status code', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver);
    const url = await startApp(telemetry);

    expect((await fetch(`${url}/users/crash`)).status).toBe(500);

    const span = only(serverSpans(await receiver.waitForSpans(2)));
    expect(span.name).toBe('GET /users/:id');
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
    expect(span.status.code).toBe(StatusCodeOtlp.ERROR);
  });

  it('a 404 with no route is named by its method alone, with no http.route, no error.type and status unset', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver);
    const url = await startApp(telemetry);

    expect((await fetch(`${url}/no/such/page`)).status).toBe(404);

    const span = only(serverSpans(await receiver.waitForSpans(1)));
    expect(span.name).toBe('GET');
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 404, 'url.path': '/no/such/page' });
    expect(span.attributes).not.toHaveProperty('http.route');
    expect(span.attributes).not.toHaveProperty('error.type');
    expect(span.status.code).toBe(StatusCodeOtlp.UNSET);
  });

  it('the resource carries service.name, deployment.environment.name, resourceAttributes and OTEL_RESOURCE_ATTRIBUTES (options win)', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver, {
      serviceVersion: '1.4.2',
      environment: 'staging',
      resourceAttributes: { team: 'identity', 'cloud.region': 'eu-west-1' },
      env: { OTEL_RESOURCE_ATTRIBUTES: 'cloud.region=us-east-1,service.namespace=shop,k8s.pod.name=users%2D7f9c' },
    });
    telemetry.tracer.startSpan('probe').end();

    const span = only(await receiver.waitForSpans(1));
    expect(span.resource).toMatchObject({
      'service.name': 'users-api',
      'service.version': '1.4.2',
      'deployment.environment.name': 'staging',
      team: 'identity',
      'cloud.region': 'eu-west-1',
      'service.namespace': 'shop',
      'k8s.pod.name': 'users-7f9c',
    });
  });

  it('service.name and deployment.environment.name fall back to OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver, {
      serviceName: undefined,
      env: { OTEL_SERVICE_NAME: 'billing', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=production' },
    });
    telemetry.tracer.startSpan('probe').end();

    const span = only(await receiver.waitForSpans(1));
    expect(span.resource).toMatchObject({ 'service.name': 'billing', 'deployment.environment.name': 'production' });
  });

  it('an inbound traceparent makes the server span a child of the caller: same traceId, parentSpanId = caller span', async () => {
    const receiver = await startReceiver();
    const { telemetry, logs } = startTelemetry(receiver);
    const url = await startApp(telemetry);

    await fetch(`${url}/users/42`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } });

    const span = only(serverSpans(await receiver.waitForSpans(2)));
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_SPAN_ID);
    expect(span.spanId).not.toBe(PARENT_SPAN_ID);
    // Log lines written inside the request name the same span.
    expect(only(logs.withMessage('user loaded'))).toMatchObject({ trace_id: TRACE_ID, span_id: span.spanId });
  });

  it('a span started with telemetry.tracer inside the request, across an await, is a child of the server span', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver);
    const url = await startApp(telemetry);

    await fetch(`${url}/users/42`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } });

    const spans = await receiver.waitForSpans(2);
    const server = only(serverSpans(spans));
    const child = only(spans.filter((span) => span.name === 'load user'));
    expect(child.kind).toBe(SpanKindOtlp.INTERNAL);
    expect(child.traceId).toBe(TRACE_ID);
    expect(child.parentSpanId).toBe(server.spanId);
  });

  it('a malformed traceparent starts a new root trace and is counted as invalid input', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver);
    const url = await startApp(telemetry);

    expect((await fetch(`${url}/users/42`, { headers: { traceparent: `00-${TRACE_ID}-zz-01` } })).status).toBe(200);

    const span = only(serverSpans(await receiver.waitForSpans(2)));
    expect(span.traceId).toMatch(HEX_TRACE_ID);
    expect(span.traceId).not.toBe(TRACE_ID);
    expect(span.parentSpanId).toBe('');
    expect(await metric(telemetry, 'periscope_invalid_input_total', { input: 'traceparent' })).toBe(1);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS reach the receiver (signal-specific headers win)', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver, {
      traces: { endpoint: undefined },
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.baseUrl}/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=tenant-a,authorization=Bearer%20s3cr3t',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-scope-orgid=tenant-traces',
      },
    });
    telemetry.tracer.startSpan('probe').end();

    await receiver.waitForSpans(1);
    const request = only(receiver.requests);
    expect(request.path).toBe('/v1/traces');
    expect(request.headers.authorization).toBe('Bearer s3cr3t');
    expect(request.headers['x-scope-orgid']).toBe('tenant-traces');
  });

  // Fails today: see the report. The OTLP exporter merges its own process.env
  // fallback under the headers Periscope passes, so `env` does not isolate it.
  it('with the env option set, OTEL_EXPORTER_OTLP_HEADERS from process.env does not reach the backend', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'authorization=Bearer%20other-service-token');
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver, { env: { OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=tenant-a' } });
    telemetry.tracer.startSpan('probe').end();

    await receiver.waitForSpans(1);
    const { headers } = only(receiver.requests);
    expect(headers['x-scope-orgid']).toBe('tenant-a');
    expect(headers.authorization).toBeUndefined();
  });

  it.each<[string, TelemetryOptions]>([
    ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', { env: { OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip' } }],
    ['traces.compression', { traces: { compression: 'gzip' } }],
  ])('gzip-compressed exports (%s) decode to the same spans', async (_source, options) => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver, options);
    telemetry.tracer.startSpan('compressed').end();

    const span = only(await receiver.waitForSpans(1));
    expect(only(receiver.requests).contentEncoding).toBe('gzip');
    expect(span.name).toBe('compressed');
  });

  it('without compression configured, a gzip setting in process.env is not applied (the env option isolates it)', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'gzip');
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver);
    telemetry.tracer.startSpan('plain').end();
    await receiver.waitForSpans(1);
    expect(only(receiver.requests).contentEncoding).toBeUndefined();
  });
});

describe('spans exported over OTLP/HTTP (http/json)', () => {
  it('traces.protocol "http/json" sends JSON that decodes to the same span, IDs and parent links', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver, { traces: { protocol: 'http/json' } });
    const url = await startApp(telemetry);

    await fetch(`${url}/users/crash`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`, 'x-correlation-id': 'json-1' },
    });

    const spans = await receiver.waitForSpans(2);
    expect(receiver.requests.map((r) => r.contentType)).toEqual(receiver.requests.map(() => 'application/json'));
    const server = only(serverSpans(spans));
    expect(server).toMatchObject({ name: 'GET /users/:id', traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'http.response.status_code': 500,
      'url.path': '/users/crash',
      'periscope.correlation_id': 'json-1',
      'error.type': '500',
    });
    expect(server.status.code).toBe(StatusCodeOtlp.ERROR);
    expect(server.resource).toMatchObject({ 'service.name': 'users-api' });
    expect(only(spans.filter((span) => span.name === 'load user')).parentSpanId).toBe(server.spanId);
  });
});

describe('samplers', () => {
  it('always_off exports nothing, for requests and for manual spans', async () => {
    const receiver = await startReceiver();
    const { telemetry, logs } = startTelemetry(receiver, { traces: { sampler: 'always_off' } });
    const url = await startApp(telemetry);

    expect((await fetch(`${url}/users/42`)).status).toBe(200);
    telemetry.tracer.startSpan('manual').end();
    // The access log line is written after the server span ends.
    await until(() => logs.withMessage('request completed').length === 1, 'the access log line');
    await telemetry.forceFlush();

    expect(receiver.requests).toHaveLength(0);
    expect(await metric(telemetry, 'periscope_spans_exported_total')).toBe(0);
  });

  it('traceidratio with ratio 0 exports nothing, yet log lines still carry a trace id (unsampled)', async () => {
    const receiver = await startReceiver();
    const { telemetry, logs } = startTelemetry(receiver, { traces: { sampler: 'traceidratio', samplerArg: 0 } });
    const url = await startApp(telemetry);

    expect((await fetch(`${url}/users/42`)).status).toBe(200);
    await until(() => logs.withMessage('request completed').length === 1, 'the access log line');
    await telemetry.forceFlush();

    expect(receiver.requests).toHaveLength(0);
    const accessLine = only(logs.withMessage('request completed'));
    expect(accessLine.trace_id).toMatch(HEX_TRACE_ID);
    expect(accessLine.trace_id).not.toBe('0'.repeat(32));
    expect(accessLine.trace_flags).toBe('00');
    expect(only(logs.withMessage('user loaded')).trace_id).toBe(accessLine.trace_id);
  });

  it('the default sampler follows a sampled inbound traceparent even when the root would not sample', async () => {
    const receiver = await startReceiver();
    const { telemetry } = startTelemetry(receiver, { traces: { sampler: 'parentbased_traceidratio', samplerArg: 0 } });
    const url = await startApp(telemetry);

    await fetch(`${url}/users/42`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } });

    const span = only(serverSpans(await receiver.waitForSpans(2)));
    expect(span.traceId).toBe(TRACE_ID);
  });
});
