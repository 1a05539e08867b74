import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../../packages/sdk/test/support/otlp-receiver.js';
import { samplesOf } from '../../../packages/sdk/test/support/parse-metrics.js';
import { type RunningServer, variants } from '../../conformance/test/variants/index.js';
import { type Observed, observed } from './support/harness.js';
import { portOf, type RawResponse, rawRequest } from './support/raw-http.js';

/**
 * Issue 9, item 4, headers: hostile correlation IDs, malformed trace context
 * and huge header counts, sent byte for byte over raw sockets to every plugin.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Payloads Node's parser refuses before any app code runs: the server must answer and stay up. */
const REFUSED_BY_NODE: Array<[string, string, number]> = [
  ['bare CR', 'abc\rdef', 400],
  ['bare LF', 'abc\ndef', 400],
  ['CRLF then a forged JSON log line', 'abc\r\n{"level":60,"msg":"forged by CRLF"}', 400],
  ['CRLF then an obsolete line fold', 'abc\r\n continued', 400],
  ['NUL', 'abc\0def', 400],
  ['64 kB', 'a'.repeat(64 * 1024), 431],
];

/** Payloads that reach the app: refused by the ID check, replaced by a fresh UUID, never echoed. */
const REPLACED_BY_PERISCOPE: Array<[string, string]> = [
  ['12 kB (under Node header limit, over maxLength)', 'a'.repeat(12 * 1024)],
  ['unicode', 'ünï-çødé-😀-ид'],
  ['SQL', "1' OR '1'='1'; DROP TABLE users;--"],
  ['log injection (JSON)', 'x","level":60,"msg":"forged by quotes'],
  ['log injection (tab, spaces)', 'id\tlevel=error msg=forged'],
  ['HTML', '<script>alert(1)</script>'],
];

/** Malformed W3C trace context: none may throw, each request starts a fresh trace. */
const BAD_TRACEPARENT: Array<[string, string]> = [
  ['oversized (8 kB of trailing data on version 00)', `00-${hex(16)}-${hex(8)}-01-${'x'.repeat(8 * 1024)}`],
  ['oversized (10 kB of zeros)', '0'.repeat(10 * 1024)],
  ['invalid hex in the trace ID', `00-${'g'.repeat(32)}-${hex(8)}-01`],
  ['upper-case hex', `00-${hex(16).toUpperCase()}-${hex(8).toUpperCase()}-01`],
  ['all-zero trace ID', `00-${'0'.repeat(32)}-${hex(8)}-01`],
  ['all-zero span ID', `00-${hex(16)}-${'0'.repeat(16)}-01`],
  ['version ff', `ff-${hex(16)}-${hex(8)}-01`],
  ['short trace ID', `00-${hex(15)}-${hex(8)}-01`],
  ['separators only', '---'],
  ['SQL and quotes', `00-${hex(16)}' OR 1=1--`],
];

const BAGGAGE: Array<[string, string]> = [
  ['180 members', Array.from({ length: 180 }, (_, i) => `k${i}=v${i}`).join(',')],
  ['400 members', Array.from({ length: 400 }, (_, i) => `key${i}=value${i}`).join(',')],
  ['an oversized 10 kB value', `big=${'v'.repeat(10 * 1024)}`],
  ['malformed members', '=;;=,,=,k=,=v,;;;'],
  ['invalid percent-encoding', 'k=%ZZ,j=%E0%A4%A,l=%'],
  ['properties without values', 'k=v;p;q=;=r'],
];

describe.each(variants)('$name', (variant) => {
  let out: Observed;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    out = await observed();
    server = await variant.start(out.telemetry);
    port = portOf(server.url);
  });

  afterAll(async () => {
    await server?.close();
    await out?.close();
  });

  const get = (headers: string[], path = '/users/1'): Promise<RawResponse> =>
    rawRequest(port, [`GET ${path} HTTP/1.1`, 'host: 127.0.0.1', ...headers].join('\r\n'));

  /** The exported SERVER span of the request answered with `response`. */
  const serverSpan = async (response: RawResponse): Promise<ReceivedSpan> => {
    const requestId = response.headers['x-request-id'];
    for (let i = 0; i < 200; i++) {
      const span = (await out.spans()).find((s) => s.kind === 2 && s.attributes['periscope.request_id'] === requestId);
      if (span) return span;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no server span for request ${requestId}`);
  };

  const expectServerAlive = async () => {
    const response = await get([]);
    expect(response.status).toBe(200);
    expect(response.body).toContain('{"id":"1"}');
  };

  it.each(REFUSED_BY_NODE)(
    'a correlation ID with %s is refused by Node (before the app) and the server stays up',
    async (_, payload, status) => {
      const response = await get([`x-correlation-id: ${payload}`]);
      expect(response.status).toBe(status);
      expect(response.raw).not.toContain('forged');
      await expectServerAlive();
    },
  );

  it.each(REPLACED_BY_PERISCOPE)('a %s correlation ID is replaced by a fresh UUID, never echoed', async (_, payload) => {
    for (const header of ['x-correlation-id', 'x-request-id']) {
      const response = await get([`${header}: ${payload}`]);
      expect(response.status).toBe(200);
      expect(response.body).toContain('{"id":"1"}');
      expect(response.headers['x-correlation-id']).toMatch(UUID);
      expect(response.headers['x-request-id']).toMatch(UUID);
      const span = await serverSpan(response);
      expect(span.attributes['periscope.correlation_id']).toBe(response.headers['x-correlation-id']);
    }
  });

  it('no hostile correlation ID is written to a log line, and every line is one JSON object', async () => {
    for (const [, payload] of REPLACED_BY_PERISCOPE) await get([`x-correlation-id: ${payload}`]);
    const lines = out.logs.lines(); // throws on any line that is not exactly one JSON object
    expect(lines.length).toBeGreaterThan(REPLACED_BY_PERISCOPE.length);
    expect(lines.filter((line) => String(line.msg).includes('forged'))).toEqual([]);
    for (const [, payload] of REPLACED_BY_PERISCOPE) {
      expect(out.logs.text.includes(JSON.stringify(payload).slice(1, -1))).toBe(false);
    }
    for (const line of lines) if (line.correlation_id !== undefined) expect(line.correlation_id).toMatch(UUID);
    const rejected = samplesOf(await out.metrics(), 'periscope_correlation_id_rejected_total');
    expect(new Set(rejected.filter((s) => s.value > 0).map((s) => s.labels.reason))).toEqual(new Set(['too_long', 'invalid_characters']));
  });

  it('a valid traceparent is continued (the control for the malformed cases)', async () => {
    const [traceId, parentId] = [hex(16), hex(8)];
    const span = await serverSpan(await get([`traceparent: 00-${traceId}-${parentId}-01`]));
    expect([span.traceId, span.parentSpanId]).toEqual([traceId, parentId]);
  });

  it.each(BAD_TRACEPARENT)('a traceparent with %s does not throw and starts a fresh trace', async (_, traceparent) => {
    const response = await get([`traceparent: ${traceparent}`, `baggage: k=v`]);
    expect(response.status).toBe(200);
    expect(response.body).toContain('{"id":"1"}');
    const span = await serverSpan(response);
    expect(span.parentSpanId).toBe('');
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.traceId).not.toBe('0'.repeat(32));
    expect(traceparent.toLowerCase()).not.toContain(span.traceId);
  });

  it.each(BAGGAGE)('baggage with %s does not throw: the request is answered and starts a fresh trace', async (_, baggage) => {
    const response = await get([`baggage: ${baggage}`]);
    expect(response.status).toBe(200);
    expect(response.body).toContain('{"id":"1"}');
    const span = await serverSpan(response);
    expect(span.parentSpanId).toBe('');
  });

  it('malformed traceparents are counted as invalid input, and nothing failed inside Periscope', async () => {
    const metrics = await out.metrics();
    expect(samplesOf(metrics, 'periscope_invalid_input_total', { input: 'traceparent' })[0]?.value).toBeGreaterThanOrEqual(
      BAD_TRACEPARENT.length,
    );
    expect(samplesOf(metrics, 'periscope_internal_errors_total').filter((s) => s.value > 0)).toEqual([]);
  });

  it("2,100 distinct headers (beyond Node's 2,000-header count) are handled with the IDs intact", async () => {
    const correlationId = `many-headers-${hex(4)}`;
    const many = Array.from({ length: 2100 }, (_, i) => `${i.toString(36)}:1`);
    const response = await get([`x-correlation-id: ${correlationId}`, ...many]);
    expect(response.status).toBe(200);
    expect(response.body).toContain('{"id":"1"}');
    expect(response.headers['x-correlation-id']).toBe(correlationId);
  });

  it('headers beyond the size limit are refused by Node and the server stays up', async () => {
    const response = await get(Array.from({ length: 3000 }, (_, i) => `h${i}:1`));
    expect(response.status).toBe(431);
    await expectServerAlive();
  });

  it('100 repeated correlation IDs and 100 repeated traceparents give a fresh ID and a fresh trace', async () => {
    const traceId = hex(16);
    const response = await get([
      ...Array.from({ length: 100 }, (_, i) => `x-correlation-id: repeated-${i}`),
      ...Array.from({ length: 100 }, () => `traceparent: 00-${traceId}-${hex(8)}-01`),
    ]);
    expect(response.status).toBe(200);
    expect(response.headers['x-correlation-id']).toMatch(UUID);
    const span = await serverSpan(response);
    expect([span.traceId === traceId, span.parentSpanId]).toEqual([false, '']);
  });
});
