/**
 * Stand-ins for Tempo and Loki, which do not run on these machines: node:http
 * servers answering with responses in the backends' real shapes, recorded
 * from their APIs and parameterised only by the IDs asked for.
 *
 * Tempo `GET /api/traces/<id>`: `{ batches: [ResourceSpans] }` (OTLP JSON with
 * `batches` instead of `resourceSpans`, grafana/tempo#3802), trace and span IDs
 * base64-encoded because Tempo marshals the proto with jsonpb
 * (grafana/tempo#5437), enums as names (`SPAN_KIND_SERVER`,
 * `STATUS_CODE_ERROR`), times as nanosecond strings. An unknown trace is a
 * 404 with a plain-text body.
 *
 * Loki `GET /loki/api/v1/query` (metric query): `{ status, data: { resultType:
 * "vector", result: [{ metric, value: [seconds, "n"] }] } }`; `GET
 * /loki/api/v1/query_range` (log query): `{ status, data: { resultType:
 * "streams", result: [{ stream, values: [["<ns>", "<line>"]] }] } }`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandIn {
  url: string;
  /** Paths (with query) requested so far. */
  requests: string[];
  close(): Promise<void>;
}

async function serve(handler: (url: URL, res: ServerResponse) => void): Promise<StandIn> {
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    requests.push(`${url.pathname}${url.search}`);
    handler(url, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

/**
 * One checkout as Tempo returns it: web's server span (1,240 ms) waits on a
 * client call to billing, whose server span spends 1,100 ms itself; accounts
 * answered an error inside billing's call. Start time is `startMs`.
 */
export function recordedTrace(traceId: string, startMs: number): unknown {
  const t = (ms: number) => String(BigInt(Math.round((startMs + ms) * 1000)) * 1000n);
  const span = (id: string, parent: string, name: string, kind: string, from: number, to: number, error?: string) => ({
    traceId: b64(traceId),
    spanId: b64(id),
    ...(parent && { parentSpanId: b64(parent) }),
    name,
    kind,
    startTimeUnixNano: t(from),
    endTimeUnixNano: t(to),
    attributes: [attr('http.request.method', 'POST')],
    status: error ? { code: 'STATUS_CODE_ERROR', message: error } : {},
  });
  const batch = (service: string, spans: unknown[]) => ({
    resource: { attributes: [attr('service.name', service), attr('service.version', '1.5.0')] },
    scopeSpans: [{ scope: { name: '@periscope/sdk', version: '0.1.0' }, spans }],
  });
  return {
    batches: [
      batch('web', [
        span('a000000000000001', '', 'POST /checkout', 'SPAN_KIND_SERVER', 0, 1240),
        span('a000000000000002', 'a000000000000001', 'POST', 'SPAN_KIND_CLIENT', 20, 1230),
      ]),
      batch('billing', [
        span('b000000000000001', 'a000000000000002', 'POST /charges', 'SPAN_KIND_SERVER', 30, 1225),
        span('b000000000000002', 'b000000000000001', 'POST', 'SPAN_KIND_CLIENT', 40, 110, 'HTTP 500'),
      ]),
      batch('accounts', [
        span('c000000000000001', 'b000000000000002', 'POST /users', 'SPAN_KIND_SERVER', 45, 105, 'InjectedFaultError: injected fault'),
      ]),
    ],
  };
}

/** Tempo: every trace ID is found, except those in `missing` (404 "trace not found"). */
export function startTempoStandIn(options: { missing?: readonly string[] } = {}): Promise<StandIn> {
  return serve((url, res) => {
    const match = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url.pathname);
    if (!match) return json(res, 404, { error: 'not found' });
    const id = match[1] as string;
    if (options.missing?.includes(id)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('trace not found');
      return;
    }
    json(res, 200, recordedTrace(id, Date.now() - 60_000));
  });
}

/** A pino line as the services print it (and Alloy ships it), for one trace. */
export const logLine = (service: string, traceId: string, msg: string): string =>
  JSON.stringify({
    level: 'error',
    time: Date.now(),
    service,
    trace_id: traceId,
    span_id: '1f2e3d4c5b6a7980',
    msg,
    err: { type: 'InjectedFaultError' },
  });

/**
 * Loki: error-line counts per service for metric queries, and two lines per
 * trace ID named in the query's `|~ "id|id"` filter. `failRange` makes
 * query_range answer 500 with Loki's plain-text error.
 */
export function startLokiStandIn(options: { failRange?: boolean } = {}): Promise<StandIn> {
  return serve((url, res) => {
    const query = url.searchParams.get('query') ?? '';
    if (url.pathname === '/loki/api/v1/query') {
      return json(res, 200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { service: 'accounts' }, value: [Date.now() / 1000, '42'] },
            { metric: { service: 'web' }, value: [Date.now() / 1000, '7'] },
          ],
          stats: {},
        },
      });
    }
    if (url.pathname === '/loki/api/v1/query_range') {
      if (options.failRange) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('too many outstanding requests');
        return;
      }
      const ids = /\|~ "([^"]*)"/.exec(query)?.[1]?.split('|') ?? [];
      const ns = (offsetMs: number) => String(BigInt(Date.now() - 60_000 + offsetMs) * 1_000_000n);
      return json(res, 200, {
        status: 'success',
        data: {
          resultType: 'streams',
          result: [
            {
              stream: { service: 'accounts', env: 'test', level: 'error' },
              values: ids.map((id, i) => [ns(i * 10 + 1), logLine('accounts', id, 'request failed')]),
            },
            {
              stream: { service: 'web', env: 'test', level: 'error' },
              values: ids.map((id, i) => [ns(i * 10 + 2), logLine('web', id, 'upstream accounts answered 500')]),
            },
          ],
          stats: {},
        },
      });
    }
    json(res, 404, { error: 'not found' });
  });
}
