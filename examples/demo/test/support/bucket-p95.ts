import { parseExposition, samplesOf } from '../../../../packages/sdk/test/support/parse-metrics.js';

/** Cumulative bucket counts of one route's duration histogram (all status codes), by upper bound. */
export async function routeBuckets(metricsUrl: string, method: string, route: string): Promise<Map<number, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const buckets = new Map<number, number>();
  const samples = samplesOf(parseExposition(text), 'http_server_request_duration_seconds_bucket', {
    http_request_method: method,
    http_route: route,
  });
  for (const s of samples) {
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return buckets;
}

/** `after - before`, bound by bound: what was observed between two scrapes. */
export function minus(after: Map<number, number>, before: Map<number, number>): Map<number, number> {
  return new Map([...after].map(([le, count]) => [le, count - (before.get(le) ?? 0)]));
}

/**
 * The 95th percentile as Prometheus' histogram_quantile computes it (linear
 * inside the bucket holding the rank), written out independently of the
 * view's own code so the two can be compared.
 */
export function p95(buckets: Map<number, number>): number | undefined {
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = 0.95 * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return previousBound;
      return previousBound + ((bound - previousBound) * (rank - previousCount)) / (count - previousCount);
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}
