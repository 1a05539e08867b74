import { type Context, context, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SelfTelemetryPort } from '../core/ports.js';
import { EncodedSpanQueue } from './encoded-span-queue.js';

export interface BoundedBatchOptions {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

/**
 * A batch span processor with a bounded queue, one export in flight, and every
 * span accounted for: each ended, sampled span is either exported or counted in
 * `periscope_spans_dropped_total{reason}`. OpenTelemetry's BatchSpanProcessor
 * only logs its drops through diag, which is why this one exists.
 *
 * A dead or black-holed backend costs the app nothing: `onEnd` only queues,
 * exports run on unref'd timers, and memory is bounded by `maxQueueSize` plus
 * one batch in flight. Spans the tracer encoded as they ended are queued as
 * bytes (see `EncodedSpanQueue`), other spans as objects.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #self: SelfTelemetryPort;
  readonly #options: BoundedBatchOptions;
  #queue: ReadableSpan[] = [];
  readonly #encoded: EncodedSpanQueue;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  /** The batch being exported; cleared when its result is counted, or when `abandon()` counts it. */
  #inFlightBatch: ReadableSpan[] | undefined;
  #shutDown = false;
  #abandoned = false;

  constructor(exporter: SpanExporter, self: SelfTelemetryPort, options: BoundedBatchOptions) {
    this.#exporter = exporter;
    this.#self = self;
    this.#options = options;
    this.#encoded = new EncodedSpanQueue(options.maxQueueSize);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#shutDown) {
      this.#self.spansDropped('shutdown', 1);
      return;
    }
    if (this.queued >= this.#options.maxQueueSize) {
      this.#self.spansDropped('queue_full', 1);
      return;
    }
    const encoded = (span as { encoded?: Uint8Array }).encoded;
    if (encoded) this.#encoded.push(encoded, span.instrumentationScope);
    else this.#queue.push(span);
    if (this.queued >= this.#options.maxExportBatchSize) this.#exportSoon(0);
    else this.#exportSoon(this.#options.scheduledDelayMillis);
  }

  /** Exports everything queued now; resolves when the queue is empty or every batch has failed. */
  async forceFlush(): Promise<void> {
    while (!this.#abandoned && (this.queued > 0 || this.#inFlight)) {
      await (this.#inFlight ?? this.#exportBatch());
    }
  }

  async shutdown(): Promise<void> {
    if (this.#shutDown) return;
    this.#shutDown = true;
    clearTimeout(this.#timer);
    await this.forceFlush();
    await this.#exporter.shutdown().catch(() => undefined);
  }

  /**
   * Gives up on what is still queued and on the batch in flight (all counted
   * as dropped, reason `shutdown`) and stops scheduling exports: called when
   * `shutdown()` reaches its deadline, so nothing keeps exporting behind the
   * app's back afterwards. The process usually exits right after, before the
   * batch in flight could time out: counting it now is what keeps every span
   * accounted for. Should that export still complete, its result is ignored
   * (the spans were counted once, as given up).
   */
  abandon(): void {
    this.#shutDown = true;
    this.#abandoned = true;
    clearTimeout(this.#timer);
    const given = this.queued + (this.#inFlightBatch?.length ?? 0);
    if (given > 0) this.#self.spansDropped('shutdown', given);
    this.#queue = [];
    this.#encoded.clear();
    this.#inFlightBatch = undefined;
  }

  /** Spans waiting for export; for tests and self-metrics. */
  get queued(): number {
    return this.#queue.length + this.#encoded.length;
  }

  #exportSoon(delay: number): void {
    if (this.#inFlight) return; // the running export schedules the next one
    if (this.#timer && delay > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#exportBatch();
    }, delay);
    this.#timer.unref();
  }

  #exportBatch(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    const max = this.#options.maxExportBatchSize;
    // Only the encoder that wrote the bytes reads an encoded batch (the exporter counts it by length).
    const batch = this.#encoded.length > 0 ? (this.#encoded.take(max) as unknown as ReadableSpan[]) : this.#queue.splice(0, max);
    if (batch.length === 0) return Promise.resolve();
    this.#inFlight = this.#send(batch).finally(() => {
      this.#inFlight = undefined;
      if (this.queued > 0 && !this.#shutDown) {
        this.#exportSoon(this.queued >= this.#options.maxExportBatchSize ? 0 : this.#options.scheduledDelayMillis);
      }
    });
    return this.#inFlight;
  }

  #send(batch: ReadableSpan[]): Promise<void> {
    this.#inFlightBatch = batch;
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        // Already counted by abandon().
        if (this.#inFlightBatch !== batch) {
          resolve();
          return;
        }
        this.#inFlightBatch = undefined;
        if (ok) this.#self.spansExported(batch.length);
        else {
          this.#self.exportFailed('traces');
          this.#self.spansDropped('export_failed', batch.length);
        }
        resolve();
      };
      // The exporter has its own timeout; this one guarantees we never wait forever on it.
      const timeout = setTimeout(() => settle(false), this.#options.exportTimeoutMillis + 1000);
      timeout.unref();
      try {
        // From the root context with tracing suppressed: the export's own HTTP
        // call must not be traced, nor join whatever request scheduled the timer.
        context.with(suppressTracing(ROOT_CONTEXT), () =>
          this.#exporter.export(batch, (result) => settle(result.code === ExportResultCode.SUCCESS)),
        );
      } catch {
        settle(false);
      }
    });
  }
}
