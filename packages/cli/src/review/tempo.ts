import { getJson, type Outcome } from './http.js';
import type { TraceSummary } from './model.js';

interface Span {
  id: string;
  parent: string;
  service: string;
  name: string;
  startMs: number;
  endMs: number;
  error: boolean;
  message: string | null;
}

type AnyValue = { stringValue?: string };
type OtlpSpan = {
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  status?: { code?: string | number; message?: string };
};
type OtlpResourceSpans = {
  resource?: { attributes?: Array<{ key: string; value?: AnyValue }> };
  scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  instrumentationLibrarySpans?: Array<{ spans?: OtlpSpan[] }>;
};

/** Span and trace IDs come as hex (newer Tempo) or base64 (protobuf JSON of older ones); both become lower-case hex. */
export function normaliseId(id: string | undefined): string {
  if (!id) return '';
  if (/^[0-9a-fA-F]{16}$|^[0-9a-fA-F]{32}$/.test(id)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

const millis = (nanos: string | number | undefined): number => (nanos === undefined ? Number.NaN : Number(BigInt(nanos) / 1000n) / 1000);

/**
 * Spans of a Tempo trace response: `GET /api/traces/<id>` answers
 * `{ batches: [ResourceSpans] }` (OTLP JSON); `/api/v2/traces/<id>` wraps it as
 * `{ trace: { resourceSpans } }`. Older Tempo names scope spans
 * `instrumentationLibrarySpans`.
 */
export function parseTrace(body: unknown): Span[] {
  const b = body as { batches?: OtlpResourceSpans[]; resourceSpans?: OtlpResourceSpans[]; trace?: { resourceSpans?: OtlpResourceSpans[] } };
  const batches = b.batches ?? b.resourceSpans ?? b.trace?.resourceSpans ?? [];
  const spans: Span[] = [];
  for (const batch of batches) {
    const service = batch.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown';
    for (const scope of batch.scopeSpans ?? batch.instrumentationLibrarySpans ?? []) {
      for (const span of scope.spans ?? []) {
        const code = span.status?.code;
        spans.push({
          id: normaliseId(span.spanId),
          parent: normaliseId(span.parentSpanId),
          service,
          name: span.name ?? '',
          startMs: millis(span.startTimeUnixNano),
          endMs: millis(span.endTimeUnixNano),
          error: code === 2 || code === 'STATUS_CODE_ERROR',
          message: span.status?.message || null,
        });
      }
    }
  }
  return spans;
}

/** Time a span spent itself: its duration minus the union of its children's intervals inside it. */
function selfTime(span: Span, children: readonly Span[]): number {
  const intervals = children
    .map((c) => [Math.max(c.startMs, span.startMs), Math.min(c.endMs, span.endMs)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let cursor = span.startMs;
  for (const [a, b] of intervals) {
    if (b <= cursor) continue;
    covered += b - Math.max(a, cursor);
    cursor = b;
  }
  return Math.max(0, span.endMs - span.startMs - covered);
}

/**
 * The critical path of a trace: from the longest root, repeatedly the child
 * that finished last (the one the parent waited for), with each span's self
 * time; the slowest span on it, and the deepest span with an error status.
 */
export function summariseTrace(traceId: string, spans: readonly Span[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.id));
  const children = new Map<string, Span[]>();
  for (const span of spans) {
    if (!span.parent || !ids.has(span.parent)) continue;
    const list = children.get(span.parent) ?? [];
    list.push(span);
    children.set(span.parent, list);
  }
  const roots = spans.filter((s) => !s.parent || !ids.has(s.parent)).sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs));
  const root = roots[0];
  const path: TraceSummary['criticalPath'] = [];
  for (let span = root, guard = 0; span && guard < 100; guard++) {
    const kids = children.get(span.id) ?? [];
    path.push({ service: span.service, name: span.name, selfMs: round(selfTime(span, kids)), error: span.error });
    span = [...kids].sort((a, b) => b.endMs - a.endMs)[0];
  }
  const slowest = path.reduce<TraceSummary['slowest']>((best, s) => (!best || s.selfMs > best.selfMs ? s : best), null);
  const depth = (span: Span): number => {
    let d = 0;
    const byId = new Map(spans.map((s) => [s.id, s]));
    for (let p = byId.get(span.parent); p && d < 100; p = byId.get(p.parent)) d++;
    return d;
  };
  const failing = spans.filter((s) => s.error).sort((a, b) => depth(b) - depth(a))[0];
  return {
    traceId,
    rootService: root?.service ?? null,
    rootName: root?.name ?? null,
    durationMs: root ? round(root.endMs - root.startMs) : null,
    criticalPath: path,
    slowest: slowest ? { service: slowest.service, name: slowest.name, selfMs: slowest.selfMs } : null,
    error: failing ? { service: failing.service, name: failing.name, message: failing.message } : null,
    spans: spans.length,
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** Fetches one trace from Tempo and summarises it. */
export async function fetchTrace(tempoUrl: string, traceId: string, timeoutMs: number): Promise<Outcome<TraceSummary>> {
  const outcome = await getJson(`${tempoUrl}/api/traces/${encodeURIComponent(traceId)}`, timeoutMs);
  if (!outcome.ok) return outcome;
  const spans = parseTrace(outcome.data);
  if (spans.length === 0) return { ok: false, error: 'Tempo returned the trace with no spans', unreachable: false };
  return { ok: true, data: summariseTrace(traceId, spans) };
}
