import type { Attributes, AttributeValue, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * Periscope's OTLP protobuf encoder for spans: each span is written once, in
 * one pass, straight into bytes (`opentelemetry/proto/trace/v1/trace.proto`),
 * so the export queue holds bytes rather than span objects and the export
 * only concatenates them under the resource and scope headers.
 *
 * Field numbers are those of the OTLP 1.x protos; the tests decode the result
 * with the official definitions.
 */

enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

/** A growable byte writer with length-delimited sub-messages patched in place. */
class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = 8192) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  tag(field: number, wire: Wire): void {
    this.varint((field << 3) | wire);
  }

  varint(value: number): void {
    this.ensure(10);
    this.#varint(value);
  }

  /** Writes a varint where room is already ensured. */
  #varint(value: number): void {
    const buf = this.buf;
    if (value < 0) {
      // int64 two's complement, 10 bytes (OTLP int_value of a negative integer).
      let big = BigInt.asUintN(64, BigInt(value));
      while (big > 0x7fn) {
        buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      buf[this.pos++] = Number(big);
      return;
    }
    while (value > 0x7f) {
      buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[this.pos++] = value;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  /** Epoch milliseconds as fixed64 nanoseconds, in two 32-bit halves (exact, and no BigInt per timestamp). */
  fixed64Nanos(ms: number): void {
    this.ensure(8);
    const seconds = Math.floor(ms / 1000);
    const remainder = Math.min(999_999_999, Math.max(0, Math.round((ms - seconds * 1000) * 1e6)));
    // seconds * 1e9 + remainder, with seconds split at 16 bits so every partial product stays below 2^53.
    const low = (seconds % 0x10000) * 1e9 + remainder;
    const high = Math.floor(seconds / 0x10000) * 1e9; // to be shifted left by 16 bits
    let lo32 = (low % 0x100000000) + (high % 0x10000) * 0x10000;
    const carry = Math.floor(lo32 / 0x100000000);
    lo32 %= 0x100000000;
    const hi32 = Math.floor(low / 0x100000000) + Math.floor(high / 0x10000) + carry;
    this.buf.writeUInt32LE(lo32, this.pos);
    this.buf.writeUInt32LE(hi32 >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A string field: written once, its length patched in front (one pass over the string). */
  string(field: number, value: string): void {
    this.tag(field, Wire.Bytes);
    const length = value.length;
    this.ensure(length * 3 + 5);
    if (length < 0x80) {
      // Short ASCII strings (attribute keys, routes, IDs) byte by byte: cheaper than a call into the UTF-8 encoder.
      const buf = this.buf;
      let at = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buf[at++] = code;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = at;
        return;
      }
    }
    const start = this.pos + 1;
    const written = this.buf.write(value, start, 'utf8');
    this.#patchLength(start, written);
  }

  hexBytes(field: number, hex: string): void {
    this.tag(field, Wire.Bytes);
    const length = hex.length >>> 1;
    this.ensure(length + 1);
    this.buf[this.pos++] = length;
    // Trace and span IDs (16 and 8 bytes) digit by digit: cheaper than a call into Buffer's hex decoder.
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < length; i++) {
      const high = hexValue(hex.charCodeAt(2 * i));
      const low = hexValue(hex.charCodeAt(2 * i + 1));
      if ((high | low) < 0) {
        // Not hex (API-valid IDs always are; kept for safety): what Buffer would have written.
        buf.write(hex, at, length, 'hex');
        break;
      }
      buf[at + i] = (high << 4) | low;
    }
    this.pos += length;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Opens a length-delimited field; `close` with the returned mark writes its length. */
  open(field: number): number {
    this.tag(field, Wire.Bytes);
    this.ensure(1);
    return ++this.pos;
  }

  close(start: number): void {
    this.#patchLength(start, this.pos - start);
  }

  /** Content of `length` bytes sits at `start`, one byte after a reserved length slot: write the varint, shifting if it needs more than one byte. */
  #patchLength(start: number, length: number): void {
    if (length < 0x80) {
      this.buf[start - 1] = length;
      this.pos = start + length;
      return;
    }
    const size = length < 1 << 14 ? 2 : length < 1 << 21 ? 3 : length < 1 << 28 ? 4 : 5;
    // Grow first, with the content counted in, so a reallocation keeps it.
    this.pos = start + length;
    this.ensure(size - 1);
    this.buf.copyWithin(start - 1 + size, start, start + length);
    this.pos = start - 1;
    this.#varint(length);
    this.pos += length;
  }
}

/** The value of a hex digit's character code, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f, A-F
  return -1;
}

function writeAnyValue(w: Writer, value: AttributeValue): void {
  if (typeof value === 'string') w.string(1, value);
  else if (typeof value === 'boolean') {
    w.tag(2, Wire.Varint);
    w.varint(value ? 1 : 0);
  } else if (typeof value === 'number') {
    // Integers as int64, as OpenTelemetry's serializer writes them (doubles beyond int64's range).
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) {
      w.tag(3, Wire.Varint);
      w.varint(value);
    } else {
      w.tag(4, Wire.Fixed64);
      w.double(value);
    }
  } else if (Array.isArray(value)) {
    const array = w.open(5);
    for (const item of value) {
      const any = w.open(1);
      if (item !== null && item !== undefined) writeAnyValue(w, item);
      w.close(any);
    }
    w.close(array);
  }
}

function writeAttributes(w: Writer, field: number, attributes: Attributes | undefined): void {
  if (!attributes) return;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    const kv = w.open(field);
    w.string(1, key);
    const any = w.open(2);
    writeAnyValue(w, value);
    w.close(any);
    w.close(kv);
  }
}

const hrToMs = (time: HrTime): number => time[0] * 1000 + time[1] / 1e6;

/** W3C trace flags plus OTLP's "has is_remote" and "is_remote" bits. */
const spanFlags = (context: SpanContext, remote: boolean | undefined): number => (context.traceFlags & 0xff) | 0x100 | (remote ? 0x200 : 0);

function writeLink(w: Writer, link: Link): void {
  const start = w.open(13);
  w.hexBytes(1, link.context.traceId);
  w.hexBytes(2, link.context.spanId);
  const state = link.context.traceState?.serialize();
  if (state) w.string(3, state);
  writeAttributes(w, 4, link.attributes);
  if (link.droppedAttributesCount) {
    w.tag(5, Wire.Varint);
    w.varint(link.droppedAttributesCount);
  }
  w.tag(6, Wire.Fixed32);
  w.fixed32(spanFlags(link.context, link.context.isRemote));
  w.close(start);
}

/** A span's times in epoch ms: Periscope's light spans keep them so; other `ReadableSpan`s give `HrTime`. */
interface SpanTimes {
  startMs?: number;
  endMs?: number;
}

/** The `Span` message's fields (1–16), without its own tag and length. */
function writeSpanFields(w: Writer, span: ReadableSpan & SpanTimes): void {
  const ctx = span.spanContext();
  w.hexBytes(1, ctx.traceId);
  w.hexBytes(2, ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) w.string(3, state);
  const parent = span.parentSpanContext;
  if (parent?.spanId) w.hexBytes(4, parent.spanId);
  w.string(5, span.name);
  w.tag(6, Wire.Varint);
  w.varint(span.kind + 1); // OTLP's enum has UNSPECIFIED at 0
  w.tag(7, Wire.Fixed64);
  w.fixed64Nanos(span.startMs ?? hrToMs(span.startTime));
  w.tag(8, Wire.Fixed64);
  w.fixed64Nanos(span.endMs ?? hrToMs(span.endTime));
  writeAttributes(w, 9, span.attributes);
  if (span.droppedAttributesCount) {
    w.tag(10, Wire.Varint);
    w.varint(span.droppedAttributesCount);
  }
  for (const event of span.events) {
    const start = w.open(11);
    w.tag(1, Wire.Fixed64);
    w.fixed64Nanos(hrToMs(event.time));
    w.string(2, event.name);
    writeAttributes(w, 3, event.attributes);
    if (event.droppedAttributesCount) {
      w.tag(4, Wire.Varint);
      w.varint(event.droppedAttributesCount);
    }
    w.close(start);
  }
  if (span.droppedEventsCount) {
    w.tag(12, Wire.Varint);
    w.varint(span.droppedEventsCount);
  }
  for (const link of span.links) writeLink(w, link);
  if (span.droppedLinksCount) {
    w.tag(14, Wire.Varint);
    w.varint(span.droppedLinksCount);
  }
  const status = w.open(15);
  if (span.status.message) w.string(2, span.status.message);
  if (span.status.code) {
    w.tag(3, Wire.Varint);
    w.varint(span.status.code);
  }
  w.close(status);
  w.tag(16, Wire.Fixed32);
  w.fixed32(spanFlags(ctx, parent?.isRemote));
}

/**
 * Spans are encoded into one scratch buffer, reused for every span: the
 * export queue copies each span's bytes as it ends (see `EncodedSpanQueue`),
 * so nothing is allocated per span here, nor a buffer per few hundred spans.
 */
const scratch = new Writer(64 * 1024);

/**
 * One span as a complete `Span` message body (what goes inside
 * `ScopeSpans.spans`), as a view of the scratch buffer: valid until the next
 * call. Copy what must be kept.
 */
export function encodeSpan(span: ReadableSpan): Uint8Array {
  scratch.pos = 0;
  writeSpanFields(scratch, span);
  return scratch.buf.subarray(0, scratch.pos);
}

/** A span already encoded on end, or any other `ReadableSpan`. */
type ExportableSpan = ReadableSpan & { encoded?: Uint8Array };

/**
 * An `ExportTraceServiceRequest` for a batch: one `ResourceSpans` (the
 * tracer provider has one resource) with a `ScopeSpans` per instrumentation
 * scope, spans in their order within each scope.
 */
export function encodeExportRequest(spans: readonly ExportableSpan[], resource: Resource): Uint8Array {
  const byScope = new Map<string, ExportableSpan[]>();
  for (const span of spans) {
    const scope = span.instrumentationScope;
    const key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    const list = byScope.get(key);
    if (list) list.push(span);
    else byScope.set(key, [span]);
  }
  // Sized up front from the spans already encoded: one buffer per request body, not a doubling series
  // (at 512 spans a body, the doublings allocated ~3x the body, the large ones straight in the old heap).
  let size = 1024;
  for (const span of spans) size += span.encoded ? span.encoded.length + 6 : 1024;
  const w = new Writer(size);
  const resourceSpans = w.open(1);
  const res = w.open(1);
  writeAttributes(w, 1, resource.attributes);
  w.close(res);
  for (const group of byScope.values()) {
    const scope = (group[0] as ExportableSpan).instrumentationScope;
    const scopeSpans = w.open(2);
    const scopeMessage = w.open(1);
    w.string(1, scope.name);
    if (scope.version) w.string(2, scope.version);
    w.close(scopeMessage);
    for (const span of group) {
      const start = w.open(2);
      if (span.encoded) w.raw(span.encoded);
      else writeSpanFields(w, span);
      w.close(start);
    }
    if (scope.schemaUrl) w.string(3, scope.schemaUrl);
    w.close(scopeSpans);
  }
  if (resource.schemaUrl) w.string(3, resource.schemaUrl);
  w.close(resourceSpans);
  return w.buf.subarray(0, w.pos);
}
