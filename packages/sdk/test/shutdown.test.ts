import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { startServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';
import { OtlpReceiver, type ReceiverMode } from './support/otlp-receiver.js';
import { parseExposition, samplesOf, sampleValue } from './support/parse-metrics.js';

/**
 * The deadline is configuration, not a performance target: the margin only
 * absorbs scheduling on a loaded machine, and is small beside the export
 * timeouts a missed deadline would cost.
 */
const MARGIN_MILLIS = 2000;
/** Long enough that nothing is exported on a timer during a test: only shutdown can send. */
const NEVER = 60_000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReceiver(mode: ReceiverMode): Promise<OtlpReceiver> {
  const receiver = await OtlpReceiver.start(mode);
  cleanups.push(() => receiver.close());
  return receiver;
}

function startTelemetry(
  receiver: OtlpReceiver,
  options: { traces?: TelemetryOptions['traces']; timeoutMillis: number },
): { telemetry: Telemetry; logs: LogLines } {
  const logs = new LogLines();
  const telemetry = createTelemetry({
    serviceName: 'shutdown-test',
    env: {},
    metrics: { server: false, runtime: false },
    logs: { destination: logs },
    traces: { endpoint: receiver.url, scheduledDelayMillis: NEVER, exportTimeoutMillis: 500, ...options.traces },
    shutdown: { timeoutMillis: options.timeoutMillis },
  });
  cleanups.push(() => telemetry.shutdown());
  return { telemetry, logs };
}

function endSpans(telemetry: Telemetry, count: number, name = 'queued'): number {
  for (let i = 0; i < count; i++) telemetry.tracer.startSpan(`${name} ${i}`).end();
  return count;
}

async function timedShutdown(telemetry: Telemetry): Promise<number> {
  const started = performance.now();
  await telemetry.shutdown();
  return performance.now() - started;
}

async function metric(telemetry: Telemetry, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(parseExposition(await telemetry.metrics('text')), name, labels);
}

async function droppedTotal(telemetry: Telemetry): Promise<number> {
  const page = parseExposition(await telemetry.metrics('text'));
  return samplesOf(page, 'periscope_spans_dropped_total').reduce((sum, sample) => sum + sample.value, 0);
}

describe('telemetry.shutdown()', () => {
  it('resolves before its deadline when the backend refuses connections, counting every queued span as export_failed', async () => {
    const receiver = await startReceiver({ kind: 'down' });
    const timeoutMillis = 2000;
    const { telemetry } = startTelemetry(receiver, { timeoutMillis, traces: { maxExportBatchSize: 10 } });
    const sent = endSpans(telemetry, 50);

    const elapsed = await timedShutdown(telemetry);

    expect(elapsed).toBeLessThan(timeoutMillis + MARGIN_MILLIS);
    // A refused connection fails at once, so shutdown had time to try every batch.
    expect(await metric(telemetry, 'periscope_spans_dropped_total', { reason: 'export_failed' })).toBe(sent);
    expect(await metric(telemetry, 'periscope_spans_exported_total')).toBe(0);
  });

  it('resolves at its deadline when a black-holed backend would hold each export for 10 s', async () => {
    const receiver = await startReceiver({ kind: 'blackhole' });
    const timeoutMillis = 300;
    const { telemetry } = startTelemetry(receiver, {
      timeoutMillis,
      traces: { exportTimeoutMillis: 10_000, maxExportBatchSize: 10 },
    });
    endSpans(telemetry, 50);

    const elapsed = await timedShutdown(telemetry);

    expect(elapsed).toBeLessThan(timeoutMillis + MARGIN_MILLIS);
    // The export really was stuck: the black hole holds a request and nothing was accepted.
    await receiver.waitForRequests(1);
    expect(receiver.requests.every((request) => request.answered === undefined)).toBe(true);
    expect(await metric(telemetry, 'periscope_spans_exported_total')).toBe(0);
  });

  it('with a healthy backend delivers every queued span, manual and HTTP server spans alike', async () => {
    const receiver = await startReceiver({ kind: 'healthy' });
    const { telemetry, logs } = startTelemetry(receiver, { timeoutMillis: 5000, traces: { maxExportBatchSize: 8 } });
    const server = await startServer(telemetry, (_req, res) => {
      res.writeHead(204).end();
    });
    cleanups.push(() => server.close());

    for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/ping/${i}`)).status).toBe(204);
    for (let i = 0; i < 200 && logs.withMessage('request completed').length < 5; i++) await sleep(10);
    expect(logs.withMessage('request completed')).toHaveLength(5);
    // 5 server spans + 3 manual ones fill one batch, exported at once; the 7 after it
    // are a partial batch that only the (never firing) scheduled delay or shutdown sends.
    const sent = 5 + endSpans(telemetry, 3, 'first') + endSpans(telemetry, 7, 'queued');
    await receiver.waitForSpans(8);
    expect(receiver.requests).toHaveLength(1);

    await telemetry.shutdown();

    expect(receiver.spans).toHaveLength(sent);
    const names = receiver.spans.map((span) => span.name);
    expect(new Set(names).size).toBe(sent);
    expect(names.filter((name) => name.startsWith('GET '))).toHaveLength(5);
    for (let i = 0; i < 7; i++) expect(names).toContain(`queued ${i}`);
    expect(await metric(telemetry, 'periscope_spans_exported_total')).toBe(sent);
    expect(await droppedTotal(telemetry)).toBe(0);
  });

  it('only shutdown sends a partial batch waiting on a long scheduled delay', async () => {
    const receiver = await startReceiver({ kind: 'healthy' });
    const { telemetry } = startTelemetry(receiver, { timeoutMillis: 5000 });
    const sent = endSpans(telemetry, 25);
    // A few of the processor's own ticks pass: no timer may fire before NEVER.
    await sleep(50);
    expect(receiver.requests).toHaveLength(0);

    await telemetry.shutdown();

    expect(receiver.spans).toHaveLength(sent);
    expect(await metric(telemetry, 'periscope_spans_exported_total')).toBe(sent);
  });

  it('is idempotent: concurrent and repeated calls resolve, nothing is exported twice, later spans count as dropped{reason="shutdown"}', async () => {
    const receiver = await startReceiver({ kind: 'healthy' });
    const { telemetry } = startTelemetry(receiver, { timeoutMillis: 5000 });
    const sent = endSpans(telemetry, 4);

    await Promise.all([telemetry.shutdown(), telemetry.shutdown()]);
    await telemetry.shutdown();

    expect(receiver.requests).toHaveLength(1);
    expect(receiver.spans).toHaveLength(sent);

    endSpans(telemetry, 3, 'late');
    await telemetry.forceFlush();
    await telemetry.shutdown();

    expect(receiver.requests).toHaveLength(1);
    expect(await metric(telemetry, 'periscope_spans_exported_total')).toBe(sent);
    expect(await metric(telemetry, 'periscope_spans_dropped_total', { reason: 'shutdown' })).toBe(3);
  });

  // Fails today: see the report. After the deadline the processor keeps draining
  // its queue into the dead backend, one export timeout per batch, holding sockets
  // (and the event loop) long after shutdown() has resolved.
  it('stops exporting once it has resolved at its deadline: spans still queued are counted as dropped{reason="shutdown"}', async () => {
    const receiver = await startReceiver({ kind: 'blackhole' });
    const { telemetry } = startTelemetry(receiver, { timeoutMillis: 100, traces: { exportTimeoutMillis: 300, maxExportBatchSize: 10 } });
    const sent = endSpans(telemetry, 50);

    await telemetry.shutdown();
    // Wait until every span is accounted for, however the SDK accounts for it.
    const accounted = async (): Promise<number> =>
      (await metric(telemetry, 'periscope_spans_exported_total')) + (await droppedTotal(telemetry));
    for (let i = 0; i < 200 && (await accounted()) < sent; i++) await sleep(25);
    expect(await accounted()).toBe(sent);

    // Only the batch already in flight at the deadline may have reached the backend.
    expect(receiver.requests).toHaveLength(1);
    expect(await metric(telemetry, 'periscope_spans_dropped_total', { reason: 'shutdown' })).toBeGreaterThanOrEqual(sent - 10);
  });
});
