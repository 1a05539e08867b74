import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '@periscope/sdk';

/** One JSON log line as pino wrote it. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A real Telemetry whose spans land in memory and whose log lines are collected. */
export interface TestTelemetry {
  telemetry: Telemetry;
  exporter: InMemorySpanExporter;
  /** Every log line written so far, parsed. */
  logs(): LogLine[];
  /** The access log lines (written by the core at completion). */
  accessLogs(): LogLine[];
}

export function createTestTelemetry(overrides: TelemetryOptions = {}): TestTelemetry {
  const lines: string[] = [];
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({
    serviceName: 'nest-test',
    env: {},
    ...overrides,
    metrics: { server: false, runtime: false, ...overrides.metrics },
    traces: { exporter, scheduledDelayMillis: 10, ...overrides.traces },
    logs: { level: 'trace', destination: { write: (line: string) => lines.push(line) }, ...overrides.logs },
  });
  const logs = (): LogLine[] => lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as LogLine);
  return {
    telemetry,
    exporter,
    logs,
    accessLogs: () =>
      logs().filter((line) => line.msg === 'request completed' || line.msg === 'request failed' || line.msg === 'request aborted'),
  };
}
