import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createTelemetry, observeRequestListener } from '../src/index.js';
import { LogLines } from './support/log-lines.js';
import { parseExposition, samplesOf, sampleValue } from './support/parse-metrics.js';

describe('shutdown.beforeFlush', () => {
  it('runs first, so a request still in flight finishes and its span is flushed', async () => {
    // Keeps what it received after shutdown (the in-memory exporter clears itself on shutdown).
    const exported: string[] = [];
    const exporter: SpanExporter = {
      export: (spans: ReadableSpan[], done) => {
        exported.push(...spans.map((span) => span.name));
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => {},
    };
    const order: string[] = [];
    let release: () => void = () => {};
    const telemetry = createTelemetry({
      serviceName: 'lifecycle',
      env: {},
      logs: { destination: new LogLines() },
      metrics: { server: false, runtime: false },
      // A long delay: only the shutdown flush can deliver the span.
      traces: { exporter, scheduledDelayMillis: 60_000 },
      shutdown: {
        beforeFlush: async () => {
          order.push('beforeFlush');
          release();
          await new Promise((resolve) => server.close(resolve));
          order.push('server closed');
        },
      },
    });
    let held: () => void = () => {};
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    const server = createServer(
      observeRequestListener(
        telemetry.http,
        (_req, res) => {
          release = () => res.end('done');
          held();
        },
        { route: () => '/slow' },
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const inFlight = fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`).then((r) => r.text());
    await holding;
    await telemetry.shutdown();
    expect(await inFlight).toBe('done');
    expect(order).toEqual(['beforeFlush', 'server closed']);
    expect(exported).toEqual(['GET /slow']);
  });

  it('a throwing hook is counted and shutdown still completes', async () => {
    const telemetry = createTelemetry({
      serviceName: 'lifecycle',
      env: {},
      logs: { destination: new LogLines() },
      metrics: { server: false, runtime: false },
      traces: { exporter: 'none' },
      shutdown: {
        beforeFlush: () => {
          throw new Error('close failed');
        },
      },
    });
    await telemetry.shutdown();
    expect(
      sampleValue(parseExposition(await telemetry.metrics('openmetrics')), 'periscope_internal_errors_total', {
        where: 'shutdown.beforeFlush',
      }),
    ).toBe(1);
  });
});

describe('periscope_build_info', () => {
  it('names the service, its version and revision, from options or OTEL_RESOURCE_ATTRIBUTES', async () => {
    const fromOptions = createTelemetry({
      serviceName: 'billing',
      serviceVersion: '1.4.2',
      vcsRevision: 'abc123',
      env: {},
      metrics: { server: false },
      traces: { exporter: 'none' },
      logs: { destination: new LogLines() },
    });
    const fromEnv = createTelemetry({
      env: { OTEL_SERVICE_NAME: 'accounts', OTEL_RESOURCE_ATTRIBUTES: 'service.version=2.0.0,vcs.ref.head.revision=def456' },
      metrics: { server: false },
      traces: { exporter: 'none' },
      logs: { destination: new LogLines() },
    });
    const build = async (t: typeof fromOptions) => samplesOf(parseExposition(await t.metrics('openmetrics')), 'periscope_build_info', {});
    expect((await build(fromOptions)).map((s) => [s.labels, s.value])).toEqual([
      [{ service_name: 'billing', service_version: '1.4.2', vcs_revision: 'abc123' }, 1],
    ]);
    expect((await build(fromEnv)).map((s) => s.labels)).toEqual([
      { service_name: 'accounts', service_version: '2.0.0', vcs_revision: 'def456' },
    ]);
    await Promise.all([fromOptions.shutdown(), fromEnv.shutdown()]);
  });
});
