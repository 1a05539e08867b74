import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry } from '../src/index.js';
import { startServer, type TestServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';

let telemetry: Telemetry | undefined;
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await telemetry?.shutdown();
  telemetry = undefined;
});

function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('telemetry never throws into the app', () => {
  it('a log destination that throws does not fail the request; the failure is counted and warned once', async () => {
    let calls = 0;
    const warnings: string[] = [];
    const destination = {
      write(line: string) {
        calls++;
        if (line.includes('request completed')) throw new Error('disk full');
        if (line.includes('"component":"periscope"')) warnings.push(line);
      },
    };
    telemetry = createTelemetry({ serviceName: 'g', logs: { destination }, metrics: { server: false }, traces: { exporter: 'none' } });
    server = await startServer(telemetry, (_req, res) => res.end('app body'));
    for (let i = 0; i < 3; i++) {
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('app body');
    }
    expect(calls).toBeGreaterThan(0);
    expect(counter(await telemetry.metrics('text'), 'periscope_internal_errors_total', 'where="http.finish"')).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('http.finish');
    // One `component` key: a duplicate key is ambiguous to JSON readers (Loki keeps one of them).
    expect(warnings[0]?.match(/"component":/g)).toHaveLength(1);
  });

  it('a throwing route resolver still ends in the app response, labelled unmatched', async () => {
    telemetry = createTelemetry({
      serviceName: 'g',
      logs: { destination: new LogLines() },
      metrics: { server: false },
      traces: { exporter: 'none' },
    });
    server = await startServer(
      telemetry,
      (_req, res) => res.end('fine'),
      () => {
        throw new Error('router bug');
      },
    );
    const response = await fetch(server.url);
    expect(await response.text()).toBe('fine');
    expect(await telemetry.metrics('text')).toContain('http_route="unmatched"');
  });

  it('an exception thrown by the app is observed, not owned: it still reaches the app error handling', async () => {
    const logs = new LogLines();
    telemetry = createTelemetry({
      serviceName: 'g',
      logs: { destination: logs },
      metrics: { server: false },
      traces: { exporter: 'none' },
    });
    const instrumented = createServer();
    const { observeRequestListener } = await import('../src/index.js');
    const listener = observeRequestListener(telemetry.http, () => {
      throw new TypeError('app bug');
    });
    instrumented.on('request', (req, res) => {
      try {
        listener(req, res);
      } catch (error) {
        res.statusCode = 500;
        res.end(`caught ${(error as Error).name}`);
      }
    });
    await new Promise<void>((resolve) => instrumented.listen(0, '127.0.0.1', resolve));
    const { port } = instrumented.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('caught TypeError');
    instrumented.close();
    expect(logs.withMessage('request failed')[0]).toMatchObject({ error_type: 'TypeError', status_code: 500 });
  });

  it('a metrics port already in use is reported, not thrown', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const logs = new LogLines();
      telemetry = createTelemetry({
        serviceName: 'g',
        logs: { destination: logs },
        metrics: { server: { host: '127.0.0.1', port } },
        traces: { exporter: 'none' },
      });
      expect(await telemetry.metricsUrl).toBeUndefined();
      expect(counter(await telemetry.metrics('text'), 'periscope_internal_errors_total', 'where="metrics.listen"')).toBe(1);
      // The warning says why, with the address: what an operator needs to free the port or pick another.
      const [warning] = logs.lines.filter((line) => line.where === 'metrics.listen');
      expect((warning?.err as { message?: string } | undefined)?.message).toContain(`EADDRINUSE: address already in use 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });

  it('the metrics listener serves /metrics and nothing else', async () => {
    telemetry = createTelemetry({
      serviceName: 'g',
      logs: { destination: new LogLines() },
      metrics: { server: { host: '127.0.0.1', port: 0 } },
      traces: { exporter: 'none' },
    });
    const url = await telemetry.metricsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(url as string)).status).toBe(200);
    expect((await fetch((url as string).replace('/metrics', '/other'))).status).toBe(404);
  });
});
