import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { decodeBody } from '../../../../packages/sdk/test/support/otlp-receiver.js';
import { ReopenableListener } from '../../../../packages/sdk/test/support/reopenable-listener.js';

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 whose behaviour can be switched
 * while a service exports to it: what a collector looks like when it is
 * healthy, down, black-holed, slow, failing, rate limiting or flapping.
 * Bodies are decoded with the official OTLP protobuf definitions (the SDK
 * tests' decoder). Every request is recorded with its arrival and answer
 * times, so retries and their spacing can be read back.
 */

// Resolved from the SDK's test support, where the decoder's `otlp-decode` alias is installed.
const otlpRequire = createRequire(new URL('../../../../packages/sdk/test/support/otlp-receiver.ts', import.meta.url));
const ExportTraceServiceResponse: { encode(message: object): { finish(): Uint8Array } } = otlpRequire(
  'otlp-decode/build/src/generated/root.js',
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

export type FaultMode =
  /** 200 with an empty ExportTraceServiceResponse. */
  | { kind: 'healthy' }
  /** The listener is closed: connections are refused. */
  | { kind: 'down' }
  /** Accepts connections and reads requests, never answers. */
  | { kind: 'blackhole' }
  /** Answers 200 after `delayMillis`. */
  | { kind: 'slow'; delayMillis: number }
  /** Answers `status`, with `Retry-After: retryAfter` when given. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Alternates every `periodMillis`: `status` answers first, then healthy ones, and so on. */
  | { kind: 'flapping'; periodMillis: number; status: number };

/** One POST, whatever it was answered. Times are `performance.now()` milliseconds of the test process. */
export interface Arrival {
  at: number;
  /** The mode's kind when it arrived (for flapping: `flapping:<status>` or `flapping:healthy`). */
  mode: string;
  spanIds: string[];
  /** Spans in the body. */
  count: number;
  /** `url.path` of the SERVER spans in the body: which requests the batch came from. */
  paths: string[];
  answeredAt?: number;
  status?: number;
  retryAfter?: string;
}

export class FaultReceiver {
  /** Unique span IDs of requests answered 2xx: what the backend accepted. */
  readonly accepted = new Set<string>();
  /** Spans in requests answered 2xx, duplicates included (kept even when IDs are not). */
  acceptedCount = 0;
  readonly arrivals: Arrival[] = [];
  /** Bodies that did not decode (should stay empty: a malformed export is a bug). */
  readonly decodeErrors: string[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #listener = new ReopenableListener((req, res) => this.#handle(req, res), { keepAliveTimeout: 30_000 });
  #mode: FaultMode = { kind: 'healthy' };
  #modeSince = performance.now();
  #closed = false;
  readonly #keepIds: boolean;

  private constructor(keepIds: boolean) {
    this.#keepIds = keepIds;
  }

  /** `keepIds: false` (long soaks): count accepted spans, keep no IDs or paths. */
  static async start({ keepIds = true }: { keepIds?: boolean } = {}): Promise<FaultReceiver> {
    const receiver = new FaultReceiver(keepIds);
    await receiver.#listener.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#listener.port}/v1/traces`;
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  /** Switches behaviour now; `down` closes the listener, leaving it listens again on the same port. */
  async setMode(mode: FaultMode): Promise<void> {
    const wasDown = this.#mode.kind === 'down';
    this.#mode = mode;
    this.#modeSince = performance.now();
    if (mode.kind === 'down' && !wasDown) await this.#listener.close();
    if (mode.kind !== 'down' && wasDown) await this.#listener.listen();
  }

  /** Arrivals carrying the span `spanId`, in order: the attempts of one batch. */
  attemptsOf(spanId: string): Arrival[] {
    return this.arrivals.filter((arrival) => arrival.spanIds.includes(spanId));
  }

  /** Stops listening and destroys every socket, black-holed ones included. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#listener.close();
  }

  /** The behaviour for a request arriving now. */
  #current(): { kind: string; status?: number; delayMillis?: number; retryAfter?: string } {
    const mode = this.#mode;
    if (mode.kind === 'flapping') {
      const phase = Math.floor((performance.now() - this.#modeSince) / mode.periodMillis) % 2;
      return phase === 0 ? { kind: `flapping:${mode.status}`, status: mode.status } : { kind: 'flapping:healthy', status: 200 };
    }
    if (mode.kind === 'status') return { kind: 'status', status: mode.status, retryAfter: mode.retryAfter };
    if (mode.kind === 'slow') return { kind: 'slow', status: 200, delayMillis: mode.delayMillis };
    if (mode.kind === 'healthy') return { kind: 'healthy', status: 200 };
    return { kind: mode.kind }; // blackhole, or down (a request accepted as the listener closed)
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const arrival: Arrival = { at: performance.now(), mode: '', spanIds: [], count: 0, paths: [] };
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/traces') {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    const behaviour = this.#current();
    arrival.mode = behaviour.kind;
    this.arrivals.push(arrival);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      try {
        const spans = decodeBody(Buffer.concat(chunks), contentType, req.headers['content-encoding']);
        arrival.count = spans.length;
        if (this.#keepIds) {
          arrival.spanIds = spans.map((span) => span.spanId);
          for (const span of spans) if (typeof span.attributes['url.path'] === 'string') arrival.paths.push(span.attributes['url.path']);
        }
      } catch (error) {
        this.decodeErrors.push(error instanceof Error ? error.message : String(error));
        this.#answer(res, arrival, 400);
        return;
      }
      if (behaviour.status === undefined) return; // black hole: read, never answered
      if (behaviour.delayMillis !== undefined) {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#answer(res, arrival, behaviour.status as number);
        }, behaviour.delayMillis);
        this.#timers.add(timer);
        return;
      }
      this.#answer(res, arrival, behaviour.status, behaviour.retryAfter);
    });
  }

  #answer(res: ServerResponse, arrival: Arrival, status: number, retryAfter?: string): void {
    if (res.destroyed || this.#closed) return;
    arrival.answeredAt = performance.now();
    arrival.status = status;
    arrival.retryAfter = retryAfter;
    // Accepted only once the answer is really written: a client that gave up first never learns of it.
    if (status >= 200 && status < 300) {
      this.acceptedCount += arrival.count;
      for (const id of arrival.spanIds) this.accepted.add(id);
    }
    const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    res.writeHead(status, headers).end(Buffer.from(ExportTraceServiceResponse.encode({}).finish()));
  }
}
