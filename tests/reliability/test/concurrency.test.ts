import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkAnswer } from './support/app-logic.js';
import { type App, expressApp, fastifyApp, nestExpressApp, nestFastifyApp, type RunningApp } from './support/apps.js';
import { type Observed, observed, poll } from './support/harness.js';

/**
 * Issue 9, item 7: requests served at the same time never mix IDs. Every
 * request of a run is held at a gate inside its handler until all of them have
 * arrived, so they are provably in flight together; each then resumes after
 * its own timer and logs three lines with its marker. Every line, access
 * line and span is then checked against the request that wrote it.
 */
const RUNS: Array<{ app: App; requests: number }> = [
  { app: fastifyApp, requests: 1000 },
  { app: expressApp, requests: 200 },
  { app: nestExpressApp, requests: 200 },
  { app: nestFastifyApp, requests: 200 },
];

interface Sent {
  marker: string;
  correlationId: string;
  traceId: string;
  /** From the response's x-request-id header. */
  requestId: string;
  answer: WorkAnswer;
}

describe.each(RUNS)('$app.name, $requests concurrent requests', ({ app, requests }) => {
  let out: Observed;
  let server: RunningApp;
  let sent: Map<string, Sent>;

  beforeAll(async () => {
    out = await observed();
    server = await app.start(out.telemetry);
    // One connection per request: the gate opens only when all of them are in the handler.
    const pool = new Pool(server.url, { connections: requests, pipelining: 1 });
    const group = randomBytes(4).toString('hex');
    try {
      const results = await Promise.all(
        Array.from({ length: requests }, async (_, i) => {
          const marker = `m${i}`;
          const correlationId = `corr-${group}-${i}`;
          const traceId = randomBytes(16).toString('hex');
          const response = await pool.request({
            method: 'GET',
            path: `/work/${marker}?group=${group}&size=${requests}`,
            headers: { 'x-correlation-id': correlationId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
          });
          const answer = (await response.body.json()) as WorkAnswer;
          expect(response.statusCode).toBe(200);
          return { marker, correlationId, traceId, requestId: String(response.headers['x-request-id']), answer };
        }),
      );
      sent = new Map(results.map((result) => [result.marker, result]));
    } finally {
      await pool.close();
    }
    await poll(() => out.logs.access().length >= requests);
  });

  afterAll(async () => {
    await server?.close();
    await out?.close();
  });

  it('each handler sees its own correlation, request and trace IDs after its awaits', () => {
    expect(sent.size).toBe(requests);
    for (const request of sent.values()) {
      expect(request.answer).toEqual({
        marker: request.marker,
        correlationId: request.correlationId,
        requestId: request.requestId,
        traceId: request.traceId,
      });
    }
  });

  it('every app log line carries the IDs of the request that wrote it, three lines per request', () => {
    const lines = out.logs.lines().filter((line) => typeof line.marker === 'string');
    expect(lines).toHaveLength(requests * 3);
    const steps = new Map<string, number[]>();
    const mismatches: string[] = [];
    for (const line of lines) {
      const request = sent.get(line.marker as string);
      if (!request) throw new Error(`a line with an unknown marker: ${JSON.stringify(line)}`);
      const ids = { correlation_id: line.correlation_id, request_id: line.request_id, trace_id: line.trace_id };
      const expected = { correlation_id: request.correlationId, request_id: request.requestId, trace_id: request.traceId };
      if (JSON.stringify(ids) !== JSON.stringify(expected)) mismatches.push(`${request.marker} step ${line.step}: ${JSON.stringify(ids)}`);
      steps.set(request.marker, [...(steps.get(request.marker) ?? []), line.step as number]);
    }
    expect(mismatches).toEqual([]);
    for (const marker of sent.keys()) expect(steps.get(marker)?.sort()).toEqual([1, 2, 3]);
  });

  it('every access log line carries the IDs of the request its path names', () => {
    const access = out.logs.access();
    expect(access).toHaveLength(requests);
    for (const line of access) {
      const marker = /^\/work\/(m\d+)$/.exec(String(line.path))?.[1];
      const request = marker === undefined ? undefined : sent.get(marker);
      expect(request, `access line for ${String(line.path)}`).toBeDefined();
      expect([line.correlation_id, line.request_id, line.trace_id]).toEqual([request?.correlationId, request?.requestId, request?.traceId]);
    }
  });

  it('every exported server span carries the correlation and request IDs of its own trace', async () => {
    await poll(async () => (await out.spans()).length >= requests);
    const spans = (await out.spans()).filter((span) => span.name === 'GET /work/:marker');
    expect(spans).toHaveLength(requests);
    const byTrace = new Map([...sent.values()].map((request) => [request.traceId, request]));
    for (const span of spans) {
      const request = byTrace.get(span.traceId);
      expect(request, `span of trace ${span.traceId}`).toBeDefined();
      expect([span.attributes['periscope.correlation_id'], span.attributes['periscope.request_id'], span.attributes['url.path']]).toEqual([
        request?.correlationId,
        request?.requestId,
        `/work/${request?.marker}`,
      ]);
    }
  });
});
