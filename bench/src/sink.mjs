/**
 * The OTLP/HTTP receiver the traced scenarios export to, in its own process:
 * it counts the spans in every `/v1/traces` body (protobuf or JSON, gzip or
 * not) and answers at once, like a healthy collector. The harness asks for the
 * totals over IPC (`{ type: 'stats' }`).
 */
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const totals = { spans: 0, exports: 0, bytes: 0, decodeErrors: 0 };

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    totals.exports++;
    totals.bytes += body.length;
    const json = (req.headers['content-type'] ?? '').includes('json');
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      totals.spans += json ? countJsonSpans(body) : countProtobufSpans(body);
    } catch {
      totals.decodeErrors++;
    }
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : undefined);
  });
});

function countJsonSpans(body) {
  let spans = 0;
  for (const resourceSpans of JSON.parse(body.toString('utf8')).resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) spans += scopeSpans.spans?.length ?? 0;
  }
  return spans;
}

/**
 * ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 },
 * ResourceSpans { repeated ScopeSpans scope_spans = 2 }, ScopeSpans
 * { repeated Span spans = 2 }: walking three levels of length-delimited
 * fields is all counting needs, so no generated code.
 */
export function countProtobufSpans(buf) {
  let spans = 0;
  for (const resourceSpans of lengthDelimited(buf, 0, buf.length, 1)) {
    for (const scopeSpans of lengthDelimited(buf, resourceSpans.start, resourceSpans.end, 2)) {
      for (const _span of lengthDelimited(buf, scopeSpans.start, scopeSpans.end, 2)) spans++;
    }
  }
  return spans;
}

function* lengthDelimited(buf, start, end, wanted) {
  let i = start;
  while (i < end) {
    let tag;
    [tag, i] = varint(buf, i);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) [, i] = varint(buf, i);
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      let length;
      [length, i] = varint(buf, i);
      if (field === wanted) yield { start: i, end: i + length };
      i += length;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  if (i !== end) throw new Error('truncated message');
}

function varint(buf, i) {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (i >= buf.length) throw new Error('truncated varint');
    const byte = buf[i++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i];
    scale *= 128;
  }
}

if (process.send) {
  server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}/v1/traces` }));
  process.on('message', (message) => {
    if (message.type === 'stats') process.send({ type: 'stats', ...totals });
    else if (message.type === 'stop') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
}
