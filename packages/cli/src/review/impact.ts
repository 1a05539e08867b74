import type { CountChange, FunnelStepChange, RouteImpact, RouteKey, RouteStats } from './model.js';
import type { InstantSample, PrometheusClient } from './prometheus.js';

/** The duration histogram every Periscope service exports (OpenTelemetry HTTP semantic conventions). */
export const DURATION = 'http_server_request_duration_seconds';
const BY = 'service, http_request_method, http_route';

/** A PromQL selector body: the service matcher plus extra matchers. */
export function selector(matcher: string, extra = ''): string {
  return [matcher, extra].filter(Boolean).join(', ');
}

/** The PromQL of one window's RED figures, the dashboards' shape with `increase` over the whole window. */
export function routeQueries(matcher: string, windowSeconds: number): Record<'requests' | 'errors' | 'p50' | 'p95' | 'p99', string> {
  const range = `[${Math.round(windowSeconds)}s]`;
  const quantile = (q: number) =>
    `histogram_quantile(${q}, sum by (${BY}, le) (increase(${DURATION}_bucket{${selector(matcher)}}${range})))`;
  return {
    requests: `sum by (${BY}) (increase(${DURATION}_count{${selector(matcher)}}${range}))`,
    errors: `sum by (${BY}) (increase(${DURATION}_count{${selector(matcher, 'http_response_status_code=~"5.."')}}${range}))`,
    p50: quantile(0.5),
    p95: quantile(0.95),
    p99: quantile(0.99),
  };
}

const keyOf = (labels: Record<string, string>): string =>
  JSON.stringify([labels.service ?? '', labels.http_request_method ?? '', labels.http_route ?? '']);

const finite = (value: number | undefined): number | null => (value !== undefined && Number.isFinite(value) ? value : null);

/** RED figures per route over the window ending at `at`; `error` when the request counts could not be read. */
export async function measureRoutes(
  client: PrometheusClient,
  matcher: string,
  at: number,
  windowSeconds: number,
  label: string,
): Promise<{ stats: Map<string, RouteKey & { stats: RouteStats }>; errors: string[] }> {
  const queries = routeQueries(matcher, windowSeconds);
  const names = Object.keys(queries) as Array<keyof typeof queries>;
  const outcomes = await Promise.all(names.map((name) => client.instant(`${label}: ${name} per route`, queries[name], at)));
  const byName = new Map<string, Map<string, InstantSample>>();
  const errors: string[] = [];
  names.forEach((name, i) => {
    const outcome = outcomes[i]!;
    if (!outcome.ok) {
      errors.push(`${label} ${name} per route: ${outcome.error}`);
      return;
    }
    byName.set(name, new Map(outcome.data.map((s) => [keyOf(s.labels), s])));
  });
  const stats = new Map<string, RouteKey & { stats: RouteStats }>();
  for (const [key, sample] of byName.get('requests') ?? []) {
    const requests = finite(sample.value);
    if (requests === null || requests <= 0) continue;
    const errorCount = byName.has('errors') ? (finite(byName.get('errors')?.get(key)?.value) ?? 0) : null;
    const quantile = (name: string) => finite(byName.get(name)?.get(key)?.value);
    stats.set(key, {
      service: sample.labels.service ?? '',
      method: sample.labels.http_request_method ?? '',
      route: sample.labels.http_route ?? '',
      stats: {
        requests,
        rate: requests / windowSeconds,
        errorRatio: errorCount === null ? null : Math.min(1, errorCount / requests),
        p50: quantile('p50'),
        p95: quantile('p95'),
        p99: quantile('p99'),
      },
    });
  }
  return { stats, errors };
}

/** Thresholds of "affected": rate or latency ×1.5 either way, or the error ratio up 2 percentage points. */
const MOVED_RATIO = 1.5;
const MOVED_ERROR_POINTS = 0.02;

function ratio(incident: number | null, baseline: number | null | undefined): number | null {
  if (incident === null || baseline === null || baseline === undefined || baseline <= 0 || incident <= 0) return null;
  return incident / baseline;
}

/**
 * Compares each route's incident figures with its baseline and ranks routes by
 * how far they moved: the largest of |ln(rate ratio)|, |ln(p95 ratio)|,
 * |ln(p99 ratio)| and 10 × the error ratio's change (10 points ≈ a factor e).
 */
export function compareRoutes(
  incident: Map<string, RouteKey & { stats: RouteStats }>,
  baseline: Map<string, RouteKey & { stats: RouteStats }>,
): RouteImpact[] {
  const keys = new Set([...incident.keys(), ...baseline.keys()]);
  const empty: RouteStats = { requests: 0, rate: 0, errorRatio: null, p50: null, p95: null, p99: null };
  const routes: RouteImpact[] = [];
  for (const key of keys) {
    const now = incident.get(key);
    const before = baseline.get(key);
    const route = (now ?? before) as RouteKey;
    const stats = now?.stats ?? empty;
    const base = before?.stats ?? null;
    const reasons: string[] = [];
    let score = 0;
    const rateRatio = ratio(stats.rate, base?.rate);
    if (!base) {
      reasons.push('no traffic in the baseline');
      score = Math.max(score, 1);
    } else if (!now) {
      reasons.push('no traffic in the window');
      score = Math.max(score, 3);
    } else if (rateRatio !== null) {
      score = Math.max(score, Math.abs(Math.log(rateRatio)));
      if (rateRatio >= MOVED_RATIO || rateRatio <= 1 / MOVED_RATIO) reasons.push(`rate ×${rateRatio.toFixed(2)}`);
    }
    for (const q of ['p95', 'p99'] as const) {
      const r = ratio(stats[q], base?.[q]);
      if (r === null) continue;
      score = Math.max(score, Math.abs(Math.log(r)));
      if (r >= MOVED_RATIO || r <= 1 / MOVED_RATIO) reasons.push(`${q} ×${r.toFixed(1)}`);
    }
    if (stats.errorRatio !== null && now) {
      const delta = stats.errorRatio - (base?.errorRatio ?? 0);
      score = Math.max(score, Math.abs(delta) * 10);
      if (delta >= MOVED_ERROR_POINTS) reasons.push(`errors +${(delta * 100).toFixed(1)} pp`);
      else if (delta <= -MOVED_ERROR_POINTS) reasons.push(`errors ${(delta * 100).toFixed(1)} pp`);
    }
    routes.push({ ...route, incident: stats, baseline: base, score, affected: reasons.length > 0, reasons });
  }
  return routes.sort((a, b) => Number(b.affected) - Number(a.affected) || b.score - a.score || a.service.localeCompare(b.service));
}

/** Relative change, or null when there is nothing to compare with. */
export function relativeChange(incident: number | null, baseline: number | null): number | null {
  if (incident === null || baseline === null || baseline <= 0) return null;
  return incident / baseline - 1;
}

/** Business events per second in each window (`business_events_total` by event); windows may differ in length. */
export async function measureEvents(
  client: PrometheusClient,
  matcher: string,
  incident: { at: number; seconds: number },
  baseline: { at: number; seconds: number },
): Promise<{ events: CountChange[]; errors: string[] }> {
  const promql = (seconds: number) => `sum by (event) (rate(business_events_total{${selector(matcher)}}[${Math.round(seconds)}s]))`;
  const [now, before] = await Promise.all([
    client.instant('business events in the window', promql(incident.seconds), incident.at),
    client.instant('business events in the baseline', promql(baseline.seconds), baseline.at),
  ]);
  const errors = [now, before].flatMap((o, i) => (o.ok ? [] : [`business events (${i ? 'baseline' : 'window'}): ${o.error}`]));
  const read = (o: typeof now) => new Map((o.ok ? o.data : []).map((s) => [s.labels.event ?? '', finite(s.value)]));
  const a = read(now);
  const b = read(before);
  const events = [...new Set([...a.keys(), ...b.keys()])].sort().map((name) => {
    const incidentRate = a.get(name) ?? (now.ok ? 0 : null);
    const baselineRate = b.get(name) ?? (before.ok ? 0 : null);
    return { name, incident: incidentRate, baseline: baselineRate, change: relativeChange(incidentRate, baselineRate) };
  });
  events.sort((x, y) => Math.abs(y.change ?? 0) - Math.abs(x.change ?? 0));
  return { events, errors };
}

/**
 * Funnels to review: from the config module when given, else read from the
 * labels of the recording rules `periscope rules` generates.
 */
export async function discoverFunnels(
  client: PrometheusClient,
  at: number,
  windowSeconds: number,
): Promise<{ funnels: Record<string, string[]>; error?: string }> {
  const promql = `group by (funnel, step, step_index) (last_over_time(periscope:funnel_step_events:rate5m[${Math.round(windowSeconds)}s]))`;
  const outcome = await client.instant('funnel steps (recording rules)', promql, at);
  if (!outcome.ok) return { funnels: {}, error: `funnel steps: ${outcome.error}` };
  const steps = new Map<string, Array<[number, string]>>();
  for (const { labels } of outcome.data) {
    if (!labels.funnel || !labels.step) continue;
    const list = steps.get(labels.funnel) ?? [];
    list.push([Number(labels.step_index ?? 0), labels.step]);
    steps.set(labels.funnel, list);
  }
  const funnels: Record<string, string[]> = {};
  for (const [name, list] of steps) funnels[name] = list.sort((x, y) => x[0] - y[0]).map(([, step]) => step);
  return { funnels };
}

/** Conversion between consecutive steps, and first to last, from the event counts of each window. */
export function funnelConversion(funnels: Record<string, readonly string[]>, events: readonly CountChange[]): FunnelStepChange[] {
  const counts = new Map(events.map((e) => [e.name, e]));
  const rows: FunnelStepChange[] = [];
  for (const [funnel, steps] of Object.entries(funnels)) {
    const pairs: Array<[string, string]> = steps.slice(1).map((step, i) => [steps[i] as string, step]);
    if (steps.length > 2) pairs.push([steps[0] as string, steps[steps.length - 1] as string]);
    for (const [from, to] of pairs) {
      const conv = (which: 'incident' | 'baseline') => {
        const a = counts.get(from)?.[which] ?? null;
        const b = counts.get(to)?.[which] ?? null;
        return a !== null && b !== null && a > 0 ? b / a : null;
      };
      const incident = conv('incident');
      const baseline = conv('baseline');
      rows.push({ funnel, from, to, incident, baseline, change: relativeChange(incident, baseline) });
    }
  }
  return rows;
}
