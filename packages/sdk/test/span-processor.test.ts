import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { startServer } from './support/http-server.js';
import { LogLines } from './support/log-lines.js';
import { OtlpReceiver, type ReceiverMode } from './support/otlp-receiver.js';
import { parseExposition, samplesOf, sampleValue } from './support/parse-metrics.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReceiver(mode: ReceiverMode): Promise<OtlpReceiver> {
  const receiver = await OtlpReceiver.start(mode);
  cleanups.push(() => receiver.close());
  return receiver;
}

function startTelemetry(receiver: OtlpReceiver, traces: TelemetryOptions['traces'] = {}): { telemetry: Telemetry; logs: LogLines } {
  const logs = new LogLines();
  const telemetry = createTelemetry({
    serviceName: 'span-processor-test',
    env: {},
    metrics: { server: false, runtime: false },
    logs: { destination: logs },
    traces: { endpoint: receiver.url, scheduledDelayMillis: 20, exportTimeoutMillis: 500, ...traces },
    shutdown: { timeoutMillis: 1000 },
  });
  cleanups.push(() => telemetry.shutdown());
  return { telemetry, logs };
}

/** Ends `count` spans synchronously; returns how many were sent to the processor. */
function endSpans(telemetry: Telemetry, count: number, name = 'work'): number {
  for (let i = 0; i < count; i++) telemetry.tracer.startSpan(`${name} ${i}`).end();
  return count;
}

interface SpanAccounts {
  exported: number;
  queueFull: number;
  exportFailed: number;
  shutdown: number;
  droppedTotal: number;
  exportFailures: number;
}

async function accounts(telemetry: Telemetry): Promise<SpanAccounts> {
  const page = parseExposition(await telemetry.metrics('text'));
  const dropped = (reason: string): number => sampleValue(page, 'periscope_spans_dropped_total', { reason });
  return {
    exported: sampleValue(page, 'periscope_spans_exported_total'),
    queueFull: dropped('queue_full'),
    exportFailed: dropped('export_failed'),
    shutdown: dropped('shutdown'),
    droppedTotal: samplesOf(page, 'periscope_spans_dropped_total').reduce((sum, sample) => sum + sample.value, 0),
    exportFailures: sampleValue(page, 'periscope_export_failures_total', { signal: 'traces' }),
  };
}

describe('bounded batch span processor', () => {
  it('with a black-holed backend the queue holds at most maxQueueSize spans and queue_full counts exactly the overflow', async () => {
    const receiver = await startReceiver({ kind: 'blackhole' });
    // The export timeout only has to outlast the few milliseconds between the two bursts.
    const { telemetry } = startTelemetry(receiver, { maxQueueSize: 10, maxExportBatchSize: 5, exportTimeoutMillis: 1500 });

    // Burst 1, synchronous: nothing can leave the queue meanwhile.
    let sent = endSpans(telemetry, 100);
    expect((await accounts(telemetry)).queueFull).toBe(90);

    // The first batch (5) is now in flight to the black hole and out of the queue.
    await receiver.waitForRequests(1);
    sent += endSpans(telemetry, 100);
    // The queue had 5 left; 5 more fit, 95 are refused: 10 queued + 5 in flight is all the memory held.
    expect((await accounts(telemetry)).queueFull).toBe(185);

    await receiver.setMode({ kind: 'healthy' });
    await telemetry.forceFlush();

    const result = await accounts(telemetry);
    expect(result).toMatchObject({ queueFull: 185, exportFailed: 5, exported: 10, exportFailures: 1 });
    expect(receiver.receivedSpanCount).toBe(15);
    expect(receiver.spans).toHaveLength(10);
    expect(result.exported + result.droppedTotal).toBe(sent);
  });

  it('with a backend answering 500 each failed batch counts one export failure and its spans as export_failed', async () => {
    const receiver = await startReceiver({ kind: 'status', status: 500 });
    const { telemetry } = startTelemetry(receiver, { maxQueueSize: 100, maxExportBatchSize: 4 });

    let sent = endSpans(telemetry, 10);
    await telemetry.forceFlush();

    const failedRequests = receiver.requests.filter((request) => request.answered === 500);
    expect(failedRequests.map((request) => request.spans.length)).toEqual([4, 4, 2]);
    let result = await accounts(telemetry);
    expect(result.exportFailures).toBe(failedRequests.length);
    expect(result.exportFailed).toBe(10);
    expect(result.exported).toBe(0);

    // Recovery: later spans are exported, the failure counters stay where they were.
    await receiver.setMode({ kind: 'healthy' });
    sent += endSpans(telemetry, 3);
    await telemetry.forceFlush();
    result = await accounts(telemetry);
    expect(result).toMatchObject({ exported: 3, exportFailed: 10, exportFailures: 3 });
    expect(receiver.spans).toHaveLength(3);
    expect(result.exported + result.droppedTotal).toBe(sent);
  });

  it('a 429 whose Retry-After fits in the export timeout is retried and the batch is delivered, not dropped', async () => {
    const receiver = await startReceiver({ kind: 'status', status: 429, retryAfter: '1', times: 1 });
    const { telemetry } = startTelemetry(receiver, { exportTimeoutMillis: 4000 });

    endSpans(telemetry, 3);
    await telemetry.forceFlush();

    expect(receiver.requests.map((request) => request.answered)).toEqual([429, 200]);
    expect(receiver.spans).toHaveLength(3);
    expect(await accounts(telemetry)).toMatchObject({ exported: 3, droppedTotal: 0, exportFailures: 0 });
  });

  it('a 429 whose Retry-After exceeds the export timeout is not retried: one request, its spans counted as export_failed', async () => {
    const receiver = await startReceiver({ kind: 'status', status: 429, retryAfter: '30' });
    const { telemetry } = startTelemetry(receiver, { exportTimeoutMillis: 500 });

    endSpans(telemetry, 3);
    await telemetry.forceFlush();

    expect(receiver.requests.map((request) => request.answered)).toEqual([429]);
    expect(await accounts(telemetry)).toMatchObject({ exported: 0, exportFailed: 3, exportFailures: 1 });
  });

  it('a backend slower than the export timeout fails the batch; one answering within it gets every span', async () => {
    const receiver = await startReceiver({ kind: 'slow', delayMillis: 1500 });
    const { telemetry } = startTelemetry(receiver, { exportTimeoutMillis: 300 });

    endSpans(telemetry, 3, 'too-slow');
    await telemetry.forceFlush();
    expect(await accounts(telemetry)).toMatchObject({ exported: 0, exportFailed: 3, exportFailures: 1 });

    await receiver.setMode({ kind: 'slow', delayMillis: 50 });
    endSpans(telemetry, 4, 'slow-but-in-time');
    await telemetry.forceFlush();
    expect(await accounts(telemetry)).toMatchObject({ exported: 4, exportFailed: 3, exportFailures: 1 });
    expect(receiver.spans.map((span) => span.name).filter((name) => name.startsWith('slow-but-in-time'))).toHaveLength(4);
  });

  it.each([
    ['down (connection refused)', { kind: 'down' }],
    ['a black hole', { kind: 'blackhole' }],
  ] as const)('the app answers every request while the trace backend is %s, and each span is counted as export_failed', async (_, mode) => {
    const receiver = await startReceiver(mode);
    const { telemetry, logs } = startTelemetry(receiver);
    const server = await startServer(telemetry, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('still serving');
    });
    cleanups.push(() => server.close());

    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${server.url}/orders/${i}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('still serving');
    }
    // Each access log line is written right after its server span ends.
    for (let i = 0; i < 200 && logs.withMessage('request completed').length < 10; i++) await sleep(10);
    expect(logs.withMessage('request completed')).toHaveLength(10);
    await telemetry.forceFlush();

    const result = await accounts(telemetry);
    expect(result.exported).toBe(0);
    expect(result.exportFailed).toBe(10);
    expect(result.exportFailures).toBeGreaterThanOrEqual(1);
    expect(receiver.spans).toHaveLength(0);
  });

  it('a shutdown that reaches its deadline counts the queued spans and the batch in flight as dropped (shutdown), once', async () => {
    const receiver = await startReceiver({ kind: 'blackhole' });
    const { telemetry } = startTelemetry(receiver, { maxQueueSize: 50, maxExportBatchSize: 10, exportTimeoutMillis: 1200 });
    const sent = endSpans(telemetry, 30);
    // One batch of 10 is held by the black hole; 20 wait in the queue.
    await receiver.waitForRequests(1);
    const before = await accounts(telemetry);
    // The deadline (1 s) comes before the export's own timeout (1.2 s, and the processor's backstop at 2.2 s).
    await telemetry.shutdown();
    const after = await accounts(telemetry);
    expect(before).toMatchObject({ exported: 0, droppedTotal: 0 });
    expect(after).toMatchObject({ exported: 0, shutdown: 30, exportFailed: 0, queueFull: 0 });
    // The abandoned export times out later (both timeouts are past within 2 s): it must not be counted a second time.
    await sleep(2000);
    const later = await accounts(telemetry);
    expect(later).toMatchObject({ exported: 0, shutdown: 30, exportFailed: 0 });
    expect(later.droppedTotal).toBe(sent);
  });

  it('across healthy, failing, refused and overflowing phases, spans sent == exported + dropped, reason by reason', async () => {
    const receiver = await startReceiver({ kind: 'healthy' });
    const { telemetry } = startTelemetry(receiver, { maxQueueSize: 8, maxExportBatchSize: 4 });
    let sent = 0;

    sent += endSpans(telemetry, 7, 'healthy');
    await telemetry.forceFlush();

    await receiver.setMode({ kind: 'status', status: 500 });
    sent += endSpans(telemetry, 6, 'rejected');
    await telemetry.forceFlush();

    await receiver.setMode({ kind: 'down' });
    sent += endSpans(telemetry, 5, 'refused');
    await telemetry.forceFlush();

    await receiver.setMode({ kind: 'healthy' });
    sent += endSpans(telemetry, 20, 'burst');
    await telemetry.forceFlush();

    const result = await accounts(telemetry);
    expect(result).toMatchObject({ exported: 15, exportFailed: 11, queueFull: 12, shutdown: 0 });
    expect(result.exported + result.droppedTotal).toBe(sent);
    // What the backend accepted is exactly what the SDK counts as exported.
    expect(receiver.spans).toHaveLength(result.exported);
    expect(receiver.spans.filter((span) => span.name.startsWith('burst'))).toHaveLength(8);
  });
});
