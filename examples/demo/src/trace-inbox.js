import { createServer } from 'node:http';

/**
 * A minimal OTLP/HTTP JSON receiver for the demo, so traces can be seen with
 * no collector. (Tests use a stricter receiver that decodes protobuf with the
 * official definitions.)
 */
export async function startTraceInbox() {
  const spans = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId,
                name: s.name,
                start: Number(BigInt(s.startTimeUnixNano) / 1000n),
                kind: ['?', 'INTERNAL', 'SERVER', 'CLIENT'][s.kind] ?? String(s.kind),
                durationMs: (Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) || 0) / 1e6,
              });
              if (spans.length > 5000) spans.shift();
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1/traces`,
    get spanCount() {
      return spans.length;
    },
    latestTraceWith(...services) {
      for (let i = spans.length - 1; i >= 0; i--) {
        const traceId = spans[i].traceId;
        const trace = spans.filter((s) => s.traceId === traceId);
        if (services.every((name) => trace.some((s) => s.service === name)) && trace.length >= 3) return { traceId, spans: trace };
      }
      return undefined;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
