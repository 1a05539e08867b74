import { getJson, type Outcome } from './http.js';
import type { LogLine } from './model.js';

const ns = (seconds: number): string => String(BigInt(Math.round(seconds * 1000)) * 1_000_000n);

/** The stream selector of the reviewed services (`service` is a Loki label in the stack's Alloy config). */
export function lokiSelector(services: readonly string[], extra = ''): string {
  const service = services.length
    ? `service=~${JSON.stringify(services.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))}`
    : 'service=~".+"';
  return `{${[service, extra].filter(Boolean).join(', ')}}`;
}

/** LogQL counting error lines per service over the window (`level` is a Loki label in the stack). */
export function errorCountQuery(services: readonly string[], windowSeconds: number): string {
  return `sum by (service) (count_over_time(${lokiSelector(services, 'level="error"')}[${Math.round(windowSeconds)}s]))`;
}

/**
 * Error log lines per service in the window: an instant metric query,
 * answered as `{ data: { resultType: "vector", result: [{ metric, value: [t, "n"] }] } }`.
 */
export async function errorLineCounts(
  lokiUrl: string,
  services: readonly string[],
  to: number,
  windowSeconds: number,
  timeoutMs: number,
): Promise<Outcome<Array<{ service: string; count: number }>>> {
  const params = new URLSearchParams({ query: errorCountQuery(services, windowSeconds), time: ns(to) });
  const outcome = await getJson(`${lokiUrl}/loki/api/v1/query?${params}`, timeoutMs);
  if (!outcome.ok) return outcome;
  const data = (
    outcome.data as { data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; value?: [number, string] }> } }
  ).data;
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
    return { ok: false, error: `Loki answered resultType ${data?.resultType ?? 'none'}, expected vector`, unreachable: false };
  }
  return {
    ok: true,
    data: data.result
      .map((r) => ({ service: r.metric?.service ?? '(no service label)', count: Number(r.value?.[1] ?? 0) }))
      .sort((a, b) => b.count - a.count),
  };
}

/**
 * The first lines mentioning each trace ID (`|~ "id1|id2"`, oldest first),
 * from `query_range`'s `{ data: { resultType: "streams", result: [{ stream, values: [[ns, line]] }] } }`.
 */
export async function linesForTraces(
  lokiUrl: string,
  services: readonly string[],
  traceIds: readonly string[],
  from: number,
  to: number,
  timeoutMs: number,
  perTrace = 3,
): Promise<Outcome<Map<string, LogLine[]>>> {
  const result = new Map<string, LogLine[]>(traceIds.map((id) => [id, []]));
  if (traceIds.length === 0) return { ok: true, data: result };
  const query = `${lokiSelector(services)} |~ ${JSON.stringify(traceIds.join('|'))}`;
  const params = new URLSearchParams({
    query,
    start: ns(from),
    end: ns(to),
    limit: String(Math.min(5000, traceIds.length * 50)),
    direction: 'forward',
  });
  const outcome = await getJson(`${lokiUrl}/loki/api/v1/query_range?${params}`, timeoutMs);
  if (!outcome.ok) return outcome;
  const data = (
    outcome.data as {
      data?: { resultType?: string; result?: Array<{ stream?: Record<string, string>; values?: Array<[string, string]> }> };
    }
  ).data;
  if (data?.resultType !== 'streams' || !Array.isArray(data.result)) {
    return { ok: false, error: `Loki answered resultType ${data?.resultType ?? 'none'}, expected streams`, unreachable: false };
  }
  const lines: Array<LogLine & { traceId: string }> = [];
  for (const stream of data.result) {
    for (const [at, line] of stream.values ?? []) {
      const traceId = traceIds.find((id) => line.includes(id));
      if (traceId) lines.push({ traceId, service: stream.stream?.service ?? null, at: Number(BigInt(at) / 1_000_000n) / 1000, line });
    }
  }
  lines.sort((a, b) => a.at - b.at);
  for (const { traceId, ...line } of lines) {
    const list = result.get(traceId)!;
    if (list.length < perTrace) list.push(line);
  }
  return { ok: true, data: result };
}
