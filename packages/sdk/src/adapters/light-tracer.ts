import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context as contextApi,
  type Exception,
  type HrTime,
  type Link,
  SamplingDecision,
  type Span,
  type SpanAttributes,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';

/** The OpenTelemetry SDK's default span limits, which Periscope keeps. */
const ATTRIBUTE_COUNT_LIMIT = 128;
const EVENT_COUNT_LIMIT = 128;
const LINK_COUNT_LIMIT = 128;

/** An instrumentation scope as OTLP names it. */
export interface Scope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

export interface LightTracerOptions {
  resource: Resource;
  sampler: Sampler;
  /** Sees every sampled span when it ends (Periscope's bounded batch processor), or none. */
  processor: SpanProcessor | undefined;
  /**
   * Turns an ended span into its OTLP protobuf bytes, there and then: the span
   * then lets go of its attributes and events, so what waits in the export
   * queue is a few hundred bytes instead of a graph of objects the garbage
   * collector has to trace. Only for exporters that take those bytes. The
   * bytes may be a view of a scratch buffer, valid until the next call: the
   * processor copies what it keeps in its `onEnd`, and the span lets go of
   * them right after.
   */
  encodeOnEnd?: (span: LightSpan) => Uint8Array;
}

/**
 * Random trace and span IDs from a pooled CSPRNG buffer: one `randomFillSync`
 * per 512 span IDs instead of one per ID.
 */
class IdPool {
  readonly #pool = Buffer.allocUnsafe(4096);
  #offset = this.#pool.length;

  next(bytes: 8 | 16): string {
    if (this.#offset + bytes > this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const id = this.#pool.toString('hex', this.#offset, this.#offset + bytes);
    this.#offset += bytes;
    // All-zero IDs are invalid (W3C); 2^-64 odds, but never emit one.
    return id === '0000000000000000' || id === '00000000000000000000000000000000' ? this.next(bytes) : id;
  }
}

const ids = new IdPool();

/** Shared, frozen empties: most spans have no events or links, so they allocate none. */
const NO_EVENTS = Object.freeze([]) as unknown as TimedEvent[];
const NO_LINKS = Object.freeze([]) as unknown as Link[];
const NO_ATTRIBUTES: Attributes = Object.freeze({});
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

const isPrimitive = (value: unknown): boolean => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** OpenTelemetry's rule for attribute values: a primitive or a homogeneous array of them (nulls allowed). */
function isAttributeValue(value: unknown): value is AttributeValue {
  if (isPrimitive(value)) return true;
  if (!Array.isArray(value)) return false;
  let type: string | undefined;
  for (const item of value) {
    if (item === null || item === undefined) continue;
    if (!isPrimitive(item)) return false;
    if (type === undefined) type = typeof item;
    else if (typeof item !== type) return false;
  }
  return true;
}

function sanitize(input: Attributes | undefined): Attributes {
  const out: Attributes = {};
  if (!input) return out;
  for (const key in input) {
    if (!Object.hasOwn(input, key) || key.length === 0) continue;
    const value = input[key];
    if (value !== undefined && value !== null && isAttributeValue(value)) out[key] = Array.isArray(value) ? value.slice() : value;
  }
  return out;
}

const msToHrTime = (ms: number): HrTime => {
  const seconds = Math.trunc(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
};

const isHrTime = (value: unknown): value is HrTime =>
  Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number';

/**
 * A span that records into plain fields: the server span of every request is
 * one of these, so its cost is a handful of property writes. It is both the
 * API `Span` the app and the core use and the SDK `ReadableSpan` exporters
 * read, so OpenTelemetry's exporters (console, JSON, in-memory) still work.
 */
export class LightSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly resource: Resource;
  readonly instrumentationScope: Scope;
  attributes: Attributes;
  links: Link[];
  events: TimedEvent[];
  status: SpanStatus = UNSET;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  /** Epoch milliseconds. */
  readonly startMs: number;
  endMs = 0;
  /** The OTLP protobuf `Span` message while the processor's `onEnd` runs, when the tracer encodes on end. */
  encoded: Uint8Array | undefined;
  #ended = false;
  #attributeCount: number;
  readonly #spanContext: SpanContext;
  readonly #perfStart: number;
  readonly #tracer: LightTracer;

  constructor(
    tracer: LightTracer,
    name: string,
    kind: SpanKind,
    spanContext: SpanContext,
    parent: SpanContext | undefined,
    attributes: Attributes,
    links: Link[],
    startTime: TimeInput | undefined,
  ) {
    this.#tracer = tracer;
    this.name = name;
    this.kind = kind;
    this.#spanContext = spanContext;
    this.parentSpanContext = parent;
    this.resource = tracer.resource;
    this.instrumentationScope = tracer.scope;
    this.#perfStart = performance.now();
    this.startMs = startTime === undefined ? Date.now() : toEpochMs(startTime);
    this.attributes = attributes;
    this.#attributeCount = countKeys(attributes);
    if (this.#attributeCount > ATTRIBUTE_COUNT_LIMIT) {
      this.attributes = Object.fromEntries(Object.entries(attributes).slice(0, ATTRIBUTE_COUNT_LIMIT));
      this.droppedAttributesCount = this.#attributeCount - ATTRIBUTE_COUNT_LIMIT;
      this.#attributeCount = ATTRIBUTE_COUNT_LIMIT;
    }
    this.events = NO_EVENTS;
    this.links = NO_LINKS;
    for (const link of links) this.addLink(link);
  }

  spanContext(): SpanContext {
    return this.#spanContext;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.#ended || value === undefined || value === null || key.length === 0 || !isAttributeValue(value)) return this;
    if (!Object.hasOwn(this.attributes, key)) {
      if (this.#attributeCount >= ATTRIBUTE_COUNT_LIMIT) {
        this.droppedAttributesCount++;
        return this;
      }
      this.#attributeCount++;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.#ended) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else attributes = attributesOrTime;
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= EVENT_COUNT_LIMIT) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    this.events.push({ name, attributes: sanitize(attributes), time: msToHrTime(this.#timeMs(time)), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (this.#ended) return this;
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= LINK_COUNT_LIMIT) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    const attributes = sanitize(link.attributes);
    this.links.push(countKeys(attributes) > 0 ? { context: link.context, attributes } : { context: link.context });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.#ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.#ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.#ended) return;
    this.#ended = true;
    this.endMs = Math.max(this.startMs, this.#timeMs(endTime));
    const { processor, encodeOnEnd } = this.#tracer;
    if (!processor) return;
    if (encodeOnEnd && (this.#spanContext.traceFlags & TraceFlags.SAMPLED) !== 0) {
      this.encoded = encodeOnEnd(this);
      // What the export queue holds from here on is the encoded bytes.
      this.attributes = NO_ATTRIBUTES;
      this.events = NO_EVENTS;
      this.links = NO_LINKS;
    }
    processor.onEnd(this);
    this.encoded = undefined;
  }

  isRecording(): boolean {
    return !this.#ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    else if (exception) {
      if (exception.code) attributes[ATTR_EXCEPTION_TYPE] = String(exception.code);
      else if (exception.name) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE]) this.addEvent('exception', attributes, time);
  }

  get startTime(): HrTime {
    return msToHrTime(this.startMs);
  }

  get endTime(): HrTime {
    return msToHrTime(this.endMs);
  }

  get duration(): HrTime {
    return msToHrTime(this.#ended ? this.endMs - this.startMs : 0);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** An event or end time: given, or measured from the span's start on the monotonic clock. */
  #timeMs(time: TimeInput | undefined): number {
    if (time === undefined) return this.startMs + (performance.now() - this.#perfStart);
    return toEpochMs(time);
  }
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || isHrTime(value);
}

/** A `TimeInput` as epoch ms: numbers below the process's uptime are `performance.now()` readings (as in the SDK). */
function toEpochMs(time: TimeInput): number {
  if (typeof time === 'number') return time <= performance.now() ? time + performance.timeOrigin : time;
  if (time instanceof Date) return time.getTime();
  return time[0] * 1000 + time[1] / 1e6;
}

/** Starts {@link LightSpan}s with the configured sampler; IDs, parentage and trace state as the OpenTelemetry SDK does. */
export class LightTracer implements Tracer {
  readonly resource: Resource;
  readonly scope: Scope;
  readonly processor: SpanProcessor | undefined;
  readonly encodeOnEnd: ((span: LightSpan) => Uint8Array) | undefined;
  readonly #sampler: Sampler;

  constructor(options: LightTracerOptions, scope: Scope) {
    this.resource = options.resource;
    this.scope = scope;
    this.processor = options.processor;
    this.encodeOnEnd = options.encodeOnEnd;
    this.#sampler = options.sampler;
  }

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
    const parent = trace.getSpanContext(ctx);
    const validParent = parent && trace.isSpanContextValid(parent) ? parent : undefined;
    const traceId = validParent ? validParent.traceId : ids.next(16);
    const spanId = ids.next(8);
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links ?? [];
    const attributes = sanitize(options.attributes);
    const result = this.#sampler.shouldSample(ctx, traceId, name, kind, attributes, links);
    const traceState = result.traceState ?? validParent?.traceState;
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
    };
    if (traceState) spanContext.traceState = traceState;
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    if (result.attributes) Object.assign(attributes, sanitize(result.attributes));
    return new LightSpan(this, name, kind, spanContext, validParent, attributes, links, options.startTime);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a?: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> | undefined {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F | undefined;
    if (typeof a === 'function') fn = a;
    else if (typeof b === 'function') {
      options = a;
      fn = b;
    } else {
      options = a;
      ctx = b;
      fn = c;
    }
    if (!fn) return undefined;
    const parent = ctx ?? contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}

/** One tracer per instrumentation scope, sharing the resource, sampler and processor. */
export class LightTracerProvider implements TracerProvider {
  readonly #options: LightTracerOptions;
  readonly #tracers = new Map<string, LightTracer>();

  constructor(options: LightTracerOptions) {
    this.#options = options;
  }

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.#tracers.get(key);
    if (!tracer) {
      tracer = new LightTracer(this.#options, { name, version, schemaUrl: options?.schemaUrl });
      this.#tracers.set(key, tracer);
    }
    return tracer;
  }

  forceFlush(): Promise<void> {
    return this.#options.processor?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.#options.processor?.shutdown() ?? Promise.resolve();
  }
}

/** `Object.keys(o).length` without the array (attribute objects are plain). */
function countKeys(o: object): number {
  let n = 0;
  for (const key in o) if (Object.hasOwn(o, key)) n++;
  return n;
}
