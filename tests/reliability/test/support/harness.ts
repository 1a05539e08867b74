import { createTelemetry, type Telemetry, type TelemetryOptions } from '@periscope/sdk';
import { OtlpReceiver, type ReceivedSpan } from '../../../../packages/sdk/test/support/otlp-receiver.js';
import { type ParsedExposition, parseExposition } from '../../../../packages/sdk/test/support/parse-metrics.js';
import { CapturedLogs } from './captured-logs.js';

/** A telemetry wired to real outputs: pino lines captured verbatim, the OTLP exporter to a local receiver, a /metrics listener. */
export interface Observed {
  telemetry: Telemetry;
  logs: CapturedLogs;
  receiver: OtlpReceiver;
  /** Flushes spans, then returns every span the receiver decoded. */
  spans(): Promise<ReceivedSpan[]>;
  /** The /metrics page as served over HTTP, in Prometheus text. */
  metricsText(): Promise<string>;
  metrics(): Promise<ParsedExposition>;
  close(): Promise<void>;
}

export async function observed(options: Partial<TelemetryOptions> = {}): Promise<Observed> {
  const receiver = await OtlpReceiver.start();
  const logs = new CapturedLogs();
  const telemetry = createTelemetry({
    serviceName: 'reliability',
    env: {},
    ...options,
    logs: { destination: logs, ...options.logs },
    metrics: { server: { host: '127.0.0.1', port: 0 }, runtime: false, ...options.metrics },
    traces: { endpoint: receiver.url, scheduledDelayMillis: 10, maxQueueSize: 20_000, ...options.traces },
  });
  const metricsText = async (): Promise<string> => {
    const url = await telemetry.metricsUrl;
    if (!url) throw new Error('the metrics listener is not up');
    const response = await fetch(url);
    return response.text();
  };
  return {
    telemetry,
    logs,
    receiver,
    spans: async () => {
      await telemetry.forceFlush();
      return receiver.spans;
    },
    metricsText,
    metrics: async () => parseExposition(await metricsText()),
    close: async () => {
      await telemetry.shutdown();
      await receiver.close();
    },
  };
}

/** Re-checks `done` a bounded number of times, yielding between tries (no clock: a slow machine waits longer, never fails sooner). */
export async function poll(done: () => boolean | Promise<boolean>, attempts = 400): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return done();
}
