import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTelemetry, type Telemetry } from '@periscope/sdk';
import type { Case } from './cases.js';
import { IdChecker, normaliseLogLine, type Observed, type ObservedSeries, type ObservedSpan, type Reference } from './observed.js';
import { type ClientResponse, get, getAndAbort } from './support/client.js';
import { LogLines } from './support/log-lines.js';
import { parseOpenMetrics, type Sample, sameSeries, seriesLabels } from './support/openmetrics.js';
import { poll } from './support/poll.js';
import type { Variant } from './variants/index.js';

const DURATION = 'http_server_request_duration_seconds';
const SPAN_ATTRIBUTES = ['http.request.method', 'http.route', 'http.response.status_code', 'url.path', 'error.type'];

/**
 * Runs one case against one variant, on a fresh telemetry and a fresh app
 * listening on 127.0.0.1, and returns the normalised {@link Observed} record.
 */
export async function observe(variant: Variant, testCase: Case): Promise<Observed> {
  const logs = new LogLines();
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({
    serviceName: 'conformance',
    env: {},
    metrics: { server: false, runtime: false },
    logs: { destination: logs },
    traces: { exporter, scheduledDelayMillis: 5 },
  });
  const server = await variant.start(telemetry);
  try {
    const { path, headers = {}, abortOnLog } = testCase.request;
    let response: ClientResponse | undefined;
    if (abortOnLog === undefined) response = await get(server.url + path, headers);
    else await getAndAbort(server.url + path, headers, () => logs.app().some((line) => line.msg === abortOnLog));

    // The server records a request when its response ends, which may be after the client has it.
    await poll(async () => logs.access().length > 0 && (await durationCounts(telemetry)).length > 0);
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    const samples = parseOpenMetrics(await telemetry.metrics('openmetrics'));
    return record(testCase, response, spans, samples, logs);
  } finally {
    await server.close();
    await telemetry.shutdown();
  }
}

async function durationCounts(telemetry: Telemetry): Promise<Sample[]> {
  return parseOpenMetrics(await telemetry.metrics('openmetrics')).filter((s) => s.name === `${DURATION}_count`);
}

function record(testCase: Case, response: ClientResponse | undefined, spans: ReadableSpan[], samples: Sample[], logs: LogLines): Observed {
  const [first] = spans;
  const headers = testCase.request.headers ?? {};
  const ref: Reference = {
    correlationId: first?.attributes['periscope.correlation_id'],
    requestId: first?.attributes['periscope.request_id'],
    traceId: first?.spanContext().traceId,
    spanId: first?.spanContext().spanId,
    // The request-ID header is the documented fallback source of the correlation ID.
    sentCorrelationId: headers['x-correlation-id'] ?? headers['x-request-id'],
  };
  const ids = new IdChecker(ref);
  const inbound = parseTraceparent(headers.traceparent);

  const observed: Observed = {
    response: { status: 'none' },
    serverSpans: spans.map((span) => observeSpan(span, ids, inbound)),
    durationSeries: samples.filter((s) => s.name === `${DURATION}_count`).map((count) => observeSeries(count, samples, ids)),
    accessLog: logs.access().map((line) => normaliseLogLine(line, ids)),
    appLog: logs.app().map((line) => normaliseLogLine(line, ids)),
    selfCounters: selfCounters(samples),
  };
  if (response) {
    observed.response = {
      status: response.status,
      'x-correlation-id': ids.correlation(response.headers['x-correlation-id']),
      'x-request-id': ids.request(response.headers['x-request-id']),
      chunked: response.headers['transfer-encoding'] === 'chunked',
    };
    if (response.status < 300) observed.response.body = response.body;
  }
  return observed;
}

function observeSpan(span: ReadableSpan, ids: IdChecker, inbound: { traceId: string; spanId: string } | undefined): ObservedSpan {
  const attributes: ObservedSpan['attributes'] = {};
  for (const key of SPAN_ATTRIBUTES) {
    const value = span.attributes[key];
    if (value !== undefined) attributes[key] = value as string | number;
  }
  attributes['periscope.correlation_id'] = ids.correlation(span.attributes['periscope.correlation_id']);
  attributes['periscope.request_id'] = ids.request(span.attributes['periscope.request_id']);

  const { traceId } = span.spanContext();
  const parent = span.parentSpanContext;
  let parentCheck: ObservedSpan['parent'] = 'none';
  if (parent) {
    const fromInbound = inbound && parent.isRemote && parent.traceId === inbound.traceId && parent.spanId === inbound.spanId;
    parentCheck = fromInbound ? 'inbound' : `unexpected: ${parent.traceId}/${parent.spanId}`;
  }
  let trace: ObservedSpan['trace'] = /^[0-9a-f]{32}$/.test(traceId) ? 'new' : `unexpected: ${traceId}`;
  if (inbound) trace = traceId === inbound.traceId ? 'inbound' : `unexpected: ${traceId}`;
  return {
    name: span.name,
    kind: SpanKind[span.kind],
    status: SpanStatusCode[span.status.code],
    attributes,
    exceptions: span.events.filter((event) => event.name === 'exception').map((event) => event.attributes?.['exception.type']),
    trace,
    parent: parentCheck,
  };
}

function observeSeries(count: Sample, samples: Sample[], ids: IdChecker): ObservedSeries {
  const labels = seriesLabels(count);
  const exemplars = samples.filter((s) => s.name === `${DURATION}_bucket` && s.exemplar && sameSeries(s, labels));
  let exemplar: ObservedSeries['exemplar'] = exemplars.length === 0 ? 'none' : `${exemplars.length} exemplars`;
  if (exemplars.length === 1) {
    const { trace_id, span_id } = exemplars[0]!.exemplar!.labels;
    exemplar = { trace_id: ids.trace(trace_id), span_id: ids.span(span_id) };
  }
  return { labels, count: count.value, exemplar };
}

/** Periscope's own counters that moved; spans exported are expected (we flush) and left out. */
function selfCounters(samples: Sample[]): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const s of samples) {
    if (!s.name.startsWith('periscope_') || !s.name.endsWith('_total') || s.name === 'periscope_spans_exported_total') continue;
    if (s.value === 0) continue;
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`);
    moved[`${s.name}{${labels.join(',')}}`] = s.value;
  }
  return moved;
}

function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = value && /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value);
  return match ? { traceId: match[1]!, spanId: match[2]! } : undefined;
}
