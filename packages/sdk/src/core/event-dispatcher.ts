import type { Guard } from './guard.js';
import type { SelfTelemetryPort } from './ports.js';

/** A business event as a sink receives it. */
export interface TrackedEvent {
  readonly name: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | undefined;
  readonly properties: Readonly<Record<string, string | number | boolean>>;
  readonly correlationId: string | undefined;
  readonly requestId: string | undefined;
  readonly userId: string | undefined;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
}

/**
 * Where teams also send events (a warehouse, a queue). Called off the request
 * path with batches; a rejection or a call slower than the timeout drops the
 * batch, counted in `periscope_events_dropped_total{reason="sink_failed"}`.
 */
export interface EventSinkPort {
  send(events: readonly TrackedEvent[]): Promise<void> | void;
}

export interface EventDispatcherOptions {
  maxBuffer: number;
  batchSize: number;
  flushMillis: number;
  timeoutMillis: number;
}

/**
 * The bounded buffer between `track()` and the sink: `push` only appends (or
 * counts a drop when full); batches go out from an unref'd timer, one at a
 * time, so a slow or failing sink costs the request nothing.
 */
export class EventDispatcher {
  readonly #sink: EventSinkPort;
  readonly #self: SelfTelemetryPort;
  readonly #guard: Guard;
  readonly #options: EventDispatcherOptions;
  #buffer: TrackedEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;

  constructor(sink: EventSinkPort, self: SelfTelemetryPort, guard: Guard, options: EventDispatcherOptions) {
    this.#sink = sink;
    this.#self = self;
    this.#guard = guard;
    this.#options = options;
  }

  push(event: TrackedEvent): void {
    if (this.#closed || this.#buffer.length >= this.#options.maxBuffer) {
      this.#self.eventsDropped(this.#closed ? 'shutdown' : 'buffer_full', 1);
      return;
    }
    this.#buffer.push(event);
    if (!this.#timer && !this.#inFlight) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#sendBatch();
      }, this.#options.flushMillis);
      this.#timer.unref();
    }
  }

  /** Sends everything buffered; resolves when done, whatever the sink does. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#buffer.length > 0 || this.#inFlight) await (this.#inFlight ?? this.#sendBatch());
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  /** Counts what is left as dropped; for a shutdown that ran out of time. */
  abandon(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    if (this.#buffer.length > 0) this.#self.eventsDropped('shutdown', this.#buffer.length);
    this.#buffer = [];
  }

  #sendBatch(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    const batch = this.#buffer.splice(0, this.#options.batchSize);
    if (batch.length === 0) return Promise.resolve();
    this.#inFlight = this.#deliver(batch).finally(() => {
      this.#inFlight = undefined;
      if (this.#buffer.length > 0 && !this.#timer) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.#sendBatch();
        }, 0);
        this.#timer.unref();
      }
    });
    return this.#inFlight;
  }

  #deliver(batch: TrackedEvent[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (ok: boolean, error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (!ok) {
          this.#self.exportFailed('events');
          this.#self.eventsDropped('sink_failed', batch.length);
          if (error !== undefined) this.#guard.report('events.sink', error);
        }
        resolve();
      };
      const timeout = setTimeout(() => settle(false, new Error('event sink timed out')), this.#options.timeoutMillis);
      timeout.unref();
      try {
        Promise.resolve(this.#sink.send(batch)).then(
          () => settle(true),
          (error: unknown) => settle(false, error),
        );
      } catch (error) {
        settle(false, error);
      }
    });
  }
}
