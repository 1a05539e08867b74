import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { ReopenableListener } from './reopenable-listener.js';

/**
 * A test OTLP/HTTP trace receiver: what a collector would see, decoded with
 * the official OTLP protobuf definitions (otlp-transformer 0.216, aliased as
 * `otlp-decode`, the last release whose generated root can decode requests).
 */

interface ProtoType {
  decode(buffer: Uint8Array): unknown;
  encode(message: object): { finish(): Uint8Array };
  toObject(message: unknown, options: object): unknown;
}

const require = createRequire(import.meta.url);
const collector = require('otlp-decode/build/src/generated/root.js').opentelemetry.proto.collector.trace.v1;
const ExportTraceServiceRequest: ProtoType = collector.ExportTraceServiceRequest;
const ExportTraceServiceResponse: ProtoType = collector.ExportTraceServiceResponse;

/** OTLP `Span.SpanKind` values. */
export const SpanKindOtlp = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
/** OTLP `Status.StatusCode` values. */
export const StatusCodeOtlp = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

/** One span as received, flattened out of its resource and scope. */
export interface ReceivedSpan {
  name: string;
  kind: number;
  /** Lowercase hex. */
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  attributes: Record<string, AttributeValue>;
  status: { code: number; message: string };
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  resource: Record<string, AttributeValue>;
  scope: string;
}

/** One POST as it arrived, whatever the receiver answered. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  contentType: string;
  contentEncoding: string | undefined;
  /** Spans in the body (known once the body has arrived and decoded). */
  spans: ReceivedSpan[];
  /** Status answered, or undefined while unanswered (black hole, slow). */
  answered: number | undefined;
  decodeError?: string;
}

export type ReceiverMode =
  /** 200 with an empty ExportTraceServiceResponse. */
  | { kind: 'healthy' }
  /** Listener closed: connections are refused. */
  | { kind: 'down' }
  /** Accepts connections and requests, never answers. */
  | { kind: 'blackhole' }
  /** Answers 200 after `delayMillis`. */
  | { kind: 'slow'; delayMillis: number }
  /** Answers `status` (with `Retry-After` if given); after `times` answers, back to healthy. */
  | { kind: 'status'; status: number; retryAfter?: string; times?: number };

export interface WaitOptions {
  tries?: number;
  intervalMillis?: number;
}

export class OtlpReceiver {
  /** Spans of requests answered 2xx: what a backend has accepted. */
  readonly spans: ReceivedSpan[] = [];
  readonly requests: ReceivedRequest[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #listener = new ReopenableListener((req, res) => this.#handle(req, res));
  #mode: ReceiverMode = { kind: 'healthy' };
  #closed = false;

  /** Starts a receiver on 127.0.0.1 with a port chosen by the OS. */
  static async start(mode: ReceiverMode = { kind: 'healthy' }): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await receiver.#listener.listen();
    await receiver.setMode(mode);
    return receiver;
  }

  get port(): number {
    return this.#listener.port;
  }

  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#listener.port}`;
  }

  /** The traces URL, as `traces.endpoint` takes it. */
  get url(): string {
    return `${this.baseUrl}/v1/traces`;
  }

  get mode(): ReceiverMode {
    return this.#mode;
  }

  /** Spans that arrived in any request body, accepted or not. */
  get receivedSpanCount(): number {
    return this.requests.reduce((sum, request) => sum + request.spans.length, 0);
  }

  /** Switches behaviour; `down` closes the listener, leaving `down` listens again on the same port. */
  async setMode(mode: ReceiverMode): Promise<void> {
    const wasDown = this.#mode.kind === 'down';
    this.#mode = { ...mode }; // a copy: 'status' counts its answers down in place
    if (mode.kind === 'down' && !wasDown) await this.#listener.close();
    if (mode.kind !== 'down' && wasDown) await this.#listener.listen();
  }

  /** Resolves with the accepted spans once at least `count` have arrived; polls a bounded number of times. */
  waitForSpans(count: number, options?: WaitOptions): Promise<ReceivedSpan[]> {
    return this.#waitFor(() => this.spans.length >= count, `${count} accepted spans`, options).then(() => this.spans);
  }

  /** Resolves once at least `count` requests have arrived (answered or not). */
  waitForRequests(count: number, options?: WaitOptions): Promise<ReceivedRequest[]> {
    return this.#waitFor(() => this.requests.length >= count, `${count} requests`, options).then(() => this.requests);
  }

  /** Stops listening and destroys every open socket, black-holed ones included. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#listener.close();
  }

  async #waitFor(done: () => boolean, what: string, { tries = 200, intervalMillis = 25 }: WaitOptions = {}): Promise<void> {
    for (let i = 0; i < tries; i++) {
      if (done()) return;
      await new Promise((resolve) => setTimeout(resolve, intervalMillis));
    }
    if (done()) return;
    throw new Error(
      `OTLP receiver: gave up waiting for ${what} after ${tries} tries; have ${this.spans.length} accepted spans in ${this.requests.length} requests`,
    );
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'POST' || path !== '/v1/traces') {
      req.resume();
      res.writeHead(req.method === 'POST' ? 404 : 405).end();
      return;
    }
    const record: ReceivedRequest = {
      path,
      headers: req.headers,
      contentType: (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '',
      contentEncoding: req.headers['content-encoding'],
      spans: [],
      answered: undefined,
    };
    // Recorded on arrival, so a test can see a request the receiver never answers.
    this.requests.push(record);
    const mode = this.#mode;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        record.spans = decodeBody(Buffer.concat(chunks), record.contentType, record.contentEncoding);
      } catch (error) {
        record.decodeError = error instanceof Error ? error.message : String(error);
        this.#answer(res, record, 400);
        return;
      }
      this.#respond(mode, res, record);
    });
  }

  #respond(mode: ReceiverMode, res: ServerResponse, record: ReceivedRequest): void {
    switch (mode.kind) {
      case 'blackhole':
      case 'down': // a request accepted just before the listener closed: its socket is being destroyed
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#answer(res, record, 200);
        }, mode.delayMillis);
        this.#timers.add(timer);
        return;
      }
      case 'status': {
        if (mode.times !== undefined) {
          mode.times -= 1;
          if (mode.times <= 0) this.#mode = { kind: 'healthy' };
        }
        this.#answer(res, record, mode.status, mode.retryAfter);
        return;
      }
      default:
        this.#answer(res, record, 200);
    }
  }

  #answer(res: ServerResponse, record: ReceivedRequest, status: number, retryAfter?: string): void {
    if (res.destroyed || this.#closed) return;
    record.answered = status;
    if (status >= 200 && status < 300) this.spans.push(...record.spans);
    const headers: Record<string, string> = {};
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    if (record.contentType === 'application/json') {
      res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end('{}');
    } else {
      const body = ExportTraceServiceResponse.encode({}).finish();
      res.writeHead(status, { ...headers, 'content-type': 'application/x-protobuf' }).end(Buffer.from(body));
    }
  }
}

// ---- decoding ---------------------------------------------------------------

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number; message?: string };
  events?: { name?: string; attributes?: OtlpKeyValue[] }[];
}
interface OtlpTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

/** Decodes one OTLP/HTTP trace request body (protobuf or JSON, gzip or not) into its spans; throws on a malformed body. */
export function decodeBody(raw: Buffer, contentType: string, contentEncoding: string | undefined): ReceivedSpan[] {
  const body = contentEncoding?.toLowerCase() === 'gzip' ? gunzipSync(raw) : raw;
  if (contentType === 'application/x-protobuf') {
    const message = ExportTraceServiceRequest.decode(body);
    // bytes as base64 strings, 64-bit integers as decimal strings, enums as numbers.
    const request = ExportTraceServiceRequest.toObject(message, { longs: String, bytes: String, enums: Number }) as OtlpTraceRequest;
    return flatten(request, (id) => Buffer.from(id, 'base64').toString('hex'));
  }
  if (contentType === 'application/json') {
    // OTLP/JSON carries trace and span IDs as hex, not base64.
    return flatten(JSON.parse(body.toString('utf8')) as OtlpTraceRequest, (id) => id.toLowerCase());
  }
  throw new Error(`unsupported content-type "${contentType}"`);
}

function flatten(request: OtlpTraceRequest, toHex: (id: string) => string): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        out.push({
          name: span.name ?? '',
          kind: Number(span.kind ?? 0),
          traceId: toHex(span.traceId ?? ''),
          spanId: toHex(span.spanId ?? ''),
          parentSpanId: toHex(span.parentSpanId ?? ''),
          attributes: attributesOf(span.attributes),
          status: { code: Number(span.status?.code ?? 0), message: span.status?.message ?? '' },
          events: (span.events ?? []).map((event) => ({ name: event.name ?? '', attributes: attributesOf(event.attributes) })),
          resource,
          scope: scopeSpans.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) out[key] = anyValue(value);
  return out;
}

function anyValue(value: OtlpAnyValue | undefined): AttributeValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  return null;
}
