import { createServer, get as httpGet, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry } from '../src/index.js';
import { startServer, type TestServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';

/** A plain, uninstrumented server that records the headers it receives. */
async function headerRecorder() {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { received, url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

function nodeGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

function nodePost(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port, pathname } = new URL(url);
    const req = httpRequest({ hostname, port, path: pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{"a":1}');
  });
}

const clients: Record<string, (url: string) => Promise<unknown>> = {
  'global fetch': (url) => fetch(url).then((r) => r.text()),
  'undici.request': (url) => undiciRequest(url).then((r) => r.body.text()),
  'node:http get': nodeGet,
  'node:http request (POST with body)': nodePost,
};

let telemetry: Telemetry;
let exporter: InMemorySpanExporter;
let downstream: Awaited<ReturnType<typeof headerRecorder>>;
let app: TestServer;
let call: (url: string) => Promise<unknown>;

beforeAll(async () => {
  exporter = new InMemorySpanExporter();
  telemetry = createTelemetry({
    serviceName: 'caller',
    logs: { destination: new LogLines() },
    metrics: { server: false },
    traces: { exporter, scheduledDelayMillis: 5 },
  });
  downstream = await headerRecorder();
  app = await startServer(telemetry, async (_req, res) => {
    await call(`${downstream.url}/orders/42?token=secret`);
    res.end('done');
  });
});

afterAll(async () => {
  await app.close();
  await downstream.close();
  await telemetry.shutdown();
});

beforeEach(() => {
  downstream.received.length = 0;
  exporter.reset();
});

describe.each(Object.entries(clients))('outbound propagation with %s', (_name, client) => {
  it('carries traceparent of a client span, baggage and the correlation ID', async () => {
    call = client;
    const response = await fetch(`${app.url}/checkout`, {
      headers: {
        'x-correlation-id': 'journey-1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        baggage: 'tenant=acme',
      },
    });
    expect(await response.text()).toBe('done');
    await telemetry.forceFlush();
    const [headers] = downstream.received;
    expect(headers?.['x-correlation-id']).toBe('journey-1');
    expect(headers?.baggage).toBe('tenant=acme');
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === 1);
    const clientSpan = spans.find((s) => s.kind === 2);
    expect(server && clientSpan).toBeTruthy();
    expect(headers?.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${clientSpan?.spanContext().spanId}-01`);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(clientSpan?.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'url.full': `${downstream.url}/orders/42`,
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(clientSpan?.attributes)).not.toContain('secret');
  });

  it('leaves calls made outside any request untouched', async () => {
    await client(`${downstream.url}/background`);
    expect(downstream.received[0]).not.toHaveProperty('traceparent');
    expect(downstream.received[0]).not.toHaveProperty('x-correlation-id');
  });
});

describe('outbound calls to the telemetry backend', () => {
  it('the OTLP export itself is never traced or given a traceparent', async () => {
    const collector = await headerRecorder();
    const exporting = createTelemetry({
      serviceName: 'exporting',
      logs: { destination: new LogLines() },
      metrics: { server: false },
      traces: { endpoint: `${collector.url}/v1/traces`, scheduledDelayMillis: 5 },
    });
    call = (url) => fetch(url);
    const server = await startServer(exporting, async (_req, res) => {
      // A request whose span ends while a batch is being exported from inside it.
      await exporting.forceFlush();
      res.end();
    });
    await fetch(server.url);
    await fetch(server.url);
    await exporting.forceFlush();
    await server.close();
    await exporting.shutdown();
    await collector.close();
    expect(collector.received.length).toBeGreaterThan(0);
    for (const headers of collector.received) {
      expect(headers).not.toHaveProperty('traceparent');
      expect(headers).not.toHaveProperty('x-correlation-id');
    }
  });
});
