import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const source = (name: string) => readFileSync(new URL(`../src/${name}.ts`, import.meta.url), 'utf8');

beforeAll(() => {
  // Each quick start is run as written; the environment keeps it on loopback, on free ports, with no exporter.
  Object.assign(process.env, {
    PORT: '0',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOG_LEVEL: 'none',
  });
});

interface Started {
  telemetry: { metrics(format?: 'text'): Promise<string>; shutdown(): Promise<void>; metricsUrl: Promise<string | undefined> };
  port: number;
  close(): Promise<unknown>;
}

const quickstarts: Record<string, () => Promise<Started>> = {
  'node-http': async () => {
    const m = await import('../src/node-http.js');
    await new Promise((r) => (m.server.listening ? r(undefined) : m.server.once('listening', r)));
    return { telemetry: m.telemetry, port: (m.server.address() as AddressInfo).port, close: () => new Promise((r) => m.server.close(r)) };
  },
  express: async () => {
    const m = await import('../src/express.js');
    await new Promise((r) => (m.server.listening ? r(undefined) : m.server.once('listening', r)));
    return { telemetry: m.telemetry, port: (m.server.address() as AddressInfo).port, close: () => new Promise((r) => m.server.close(r)) };
  },
  fastify: async () => {
    const m = await import('../src/fastify.js');
    return { telemetry: m.telemetry, port: (m.app.server.address() as AddressInfo).port, close: () => m.app.close() };
  },
  nest: async () => {
    const m = await import('../src/nest.js');
    return { telemetry: m.telemetry, port: (m.app.getHttpServer().address() as AddressInfo).port, close: () => m.app.close() };
  },
};

describe.each(Object.keys(quickstarts))('the %s quick start', (name) => {
  let started: Started;
  beforeAll(async () => {
    started = await (quickstarts[name] as () => Promise<Started>)();
  });
  afterAll(async () => {
    await started.close();
    await started.telemetry.shutdown();
  });

  it('is in the README verbatim and at most 15 lines', () => {
    const code = source(name);
    expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
    expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``);
  });

  it('serves the route with correlation headers, and records it under its template', async () => {
    const response = await fetch(`http://localhost:${started.port}/users/42`, { headers: { 'x-correlation-id': `qs-${name}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: '42' });
    expect(response.headers.get('x-correlation-id')).toBe(`qs-${name}`);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const text = await started.telemetry.metrics('text');
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/users\/:id",http_response_status_code="200"\} 1/,
    );
    const url = await started.telemetry.metricsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(await (await fetch(url as string)).text()).toContain('http_server_request_duration_seconds');
  });
});
