import { EventEmitter } from 'node:events';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '@periscope/sdk';
import Fastify, { type FastifyInstance } from 'fastify';
import { type PageSample, pageSamples } from '../../sdk/test/support/parse-metrics.js';
import { periscope } from '../src/index.js';

/** One parsed JSON log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A pino destination that keeps every line and tells waiters when one arrives. */
export class LogCollector {
  readonly lines: LogLine[] = [];
  readonly #events = new EventEmitter();

  write(chunk: string): void {
    for (const text of chunk.split('\n')) {
      if (!text) continue;
      const line = JSON.parse(text) as LogLine;
      this.lines.push(line);
      this.#events.emit('line', line);
    }
  }

  /** Resolves with the first line (already written or still to come) that matches. */
  next(match: (line: LogLine) => boolean): Promise<LogLine> {
    const found = this.lines.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const listener = (line: LogLine): void => {
        if (!match(line)) return;
        this.#events.off('line', listener);
        resolve(line);
      };
      this.#events.on('line', listener);
    });
  }

  /** Access-log lines: one per recorded request. */
  access(): LogLine[] {
    return this.lines.filter((line) => typeof line.route === 'string' && 'duration_ms' in line);
  }

  /** Waits until `count` requests have been recorded, then returns their access-log lines. */
  async accessLines(count: number): Promise<LogLine[]> {
    while (this.access().length < count) await new Promise((resolve) => this.#events.once('line', resolve));
    return this.access();
  }
}

export interface Harness {
  telemetry: Telemetry;
  exporter: InMemorySpanExporter;
  logs: LogCollector;
  /** Exports queued spans and returns every finished one. */
  spans(): Promise<ReadableSpan[]>;
  /** The OpenMetrics page, parsed. */
  samples(): Promise<Sample[]>;
}

export function createHarness(overrides: TelemetryOptions = {}): Harness {
  const exporter = new InMemorySpanExporter();
  const logs = new LogCollector();
  const telemetry = createTelemetry({
    serviceName: 'fastify-test',
    env: {},
    metrics: { server: false, runtime: false },
    ...overrides,
    traces: { exporter, scheduledDelayMillis: 10, ...overrides.traces },
    logs: { destination: logs, ...overrides.logs },
  });
  return {
    telemetry,
    exporter,
    logs,
    async spans() {
      await telemetry.forceFlush();
      return exporter.getFinishedSpans();
    },
    async samples() {
      return parseOpenMetrics(await telemetry.metrics('openmetrics'));
    },
  };
}

export interface RunningApp {
  app: FastifyInstance;
  url: string;
}

/** A Fastify app with Periscope registered first, listening on a free port of 127.0.0.1. */
export async function startApp(harness: Harness, routes: (app: FastifyInstance) => void | Promise<void>): Promise<RunningApp> {
  const app = Fastify({ logger: false });
  await app.register(periscope, { telemetry: harness.telemetry });
  await routes(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

/** One sample of the OpenMetrics page. */
export type Sample = PageSample;

/** Parses a whole OpenMetrics page with the SDK tests' strict parser. */
export const parseOpenMetrics = pageSamples;

/** Samples of `name` whose labels are exactly `labels` (apart from `le`). */
export function series(samples: Sample[], name: string, labels?: Record<string, string>): Sample[] {
  return samples.filter((sample) => {
    if (sample.name !== name) return false;
    if (!labels) return true;
    const { le: _le, ...rest } = sample.labels;
    const keys = Object.keys(rest);
    return keys.length === Object.keys(labels).length && keys.every((key) => rest[key] === labels[key]);
  });
}

/** A promise with its resolver, for handlers the test releases. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
