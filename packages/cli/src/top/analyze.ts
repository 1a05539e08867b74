import type { Sample } from './exposition.js';
import { addBuckets, type Buckets, bucketDelta, bucketQuantile } from './histogram.js';

const DURATION = 'http_server_request_duration_seconds';

/** One service's `/metrics` page at one moment, or why it could not be read. */
export interface Scrape {
  service: string;
  url: string;
  /** Milliseconds since the epoch. */
  at: number;
  samples?: Sample[];
  error?: string;
}

export interface RouteRow {
  service: string;
  route: string;
  /** Requests per second over the window; undefined without an earlier scrape. */
  rate: number | undefined;
  /** 5xx share of the window's requests; undefined when there were none. */
  errorRatio: number | undefined;
  /** 95th percentile in seconds from the window's bucket counts; undefined when there were none. */
  p95: number | undefined;
}

export interface SelfTelemetry {
  spansExported: number;
  spansDropped: number;
  exportFailures: number;
  logLinesDropped: number;
  eventsDropped: number;
}

export interface ServiceStatus {
  service: string;
  url: string;
  error: string | undefined;
  self: SelfTelemetry | undefined;
}

export interface FunnelRow {
  name: string;
  steps: { event: string; count: number }[];
  /** Last step over first step, since the services started; undefined before anyone entered. */
  conversion: number | undefined;
}

export interface SlowRequest {
  service: string;
  route: string;
  seconds: number;
  traceId: string;
}

/** Everything one frame of the view shows. */
export interface Frame {
  at: number;
  windowSeconds: number | undefined;
  services: ServiceStatus[];
  routes: RouteRow[];
  funnels: FunnelRow[];
  slowest: SlowRequest[];
}

export interface AnalyzeOptions {
  funnels: Record<string, readonly string[]>;
  /** Exemplars older than this are not "recent". @default 60 */
  recentSeconds?: number;
  /** How many slow requests to list. @default 5 */
  slowest?: number;
}

/** Turns the previous and the current scrape of every service into a frame. */
export function analyze(previous: readonly Scrape[] | undefined, current: readonly Scrape[], options: AnalyzeOptions): Frame {
  const at = Math.max(...current.map((s) => s.at));
  const routes: RouteRow[] = [];
  let windowSeconds: number | undefined;
  for (const scrape of current) {
    if (!scrape.samples) continue;
    const before = previous?.find((p) => p.service === scrape.service && p.samples);
    const seconds = before ? (scrape.at - before.at) / 1000 : undefined;
    if (seconds) windowSeconds = seconds;
    const now = routeTotals(scrape.samples);
    const then = before?.samples ? routeTotals(before.samples) : undefined;
    for (const [route, totals] of now) {
      const old = then?.get(route);
      const reset = old !== undefined && totals.count < old.count;
      const count = old && !reset ? totals.count - old.count : totals.count;
      const errors = old && !reset ? totals.errors - old.errors : totals.errors;
      routes.push({
        service: scrape.service,
        route,
        rate: seconds ? count / seconds : undefined,
        errorRatio: count > 0 ? errors / count : undefined,
        p95: bucketQuantile(0.95, bucketDelta(totals.buckets, reset ? undefined : old?.buckets)),
      });
    }
  }
  return {
    at,
    windowSeconds,
    services: current.map((s) => ({
      service: s.service,
      url: s.url,
      error: s.error,
      self: s.samples ? selfTelemetry(s.samples) : undefined,
    })),
    routes,
    funnels: Object.entries(options.funnels).map(([name, steps]) => funnel(name, steps, current)),
    slowest: slowest(current, at / 1000 - (options.recentSeconds ?? 60), options.slowest ?? 5),
  };
}

interface RouteTotals {
  count: number;
  errors: number;
  buckets: Buckets;
}

/** Per `METHOD route`: requests, 5xx answers and bucket counts, summed over status codes. */
function routeTotals(samples: readonly Sample[]): Map<string, RouteTotals> {
  const totals = new Map<string, RouteTotals>();
  const entry = (s: Sample): RouteTotals => {
    const key = `${s.labels.http_request_method ?? '?'} ${s.labels.http_route ?? '?'}`;
    const found = totals.get(key) ?? { count: 0, errors: 0, buckets: new Map() };
    totals.set(key, found);
    return found;
  };
  for (const s of samples) {
    if (s.name === `${DURATION}_count`) {
      const t = entry(s);
      t.count += s.value;
      if ((s.labels.http_response_status_code ?? '').startsWith('5')) t.errors += s.value;
    } else if (s.name === `${DURATION}_bucket` && s.labels.le !== undefined) {
      addBuckets(entry(s).buckets, new Map([[Number(s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : s.labels.le), s.value]]));
    }
  }
  return totals;
}

function sum(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

function selfTelemetry(samples: readonly Sample[]): SelfTelemetry {
  return {
    spansExported: sum(samples, 'periscope_spans_exported_total'),
    spansDropped: sum(samples, 'periscope_spans_dropped_total'),
    exportFailures: sum(samples, 'periscope_export_failures_total'),
    logLinesDropped: sum(samples, 'periscope_log_lines_dropped_total'),
    eventsDropped: sum(samples, 'periscope_events_dropped_total'),
  };
}

/** Step counts summed over every service (each step may be tracked by a different one). */
function funnel(name: string, steps: readonly string[], scrapes: readonly Scrape[]): FunnelRow {
  const counts = steps.map((event) => ({
    event,
    count: scrapes.reduce((total, s) => total + (s.samples ? sum(s.samples, 'business_events_total', { event }) : 0), 0),
  }));
  const first = counts[0]?.count ?? 0;
  return { name, steps: counts, conversion: first > 0 ? (counts.at(-1)?.count ?? 0) / first : undefined };
}

/** The slowest requests whose exemplars (trace IDs) were recorded since `since` (epoch seconds). */
function slowest(scrapes: readonly Scrape[], since: number, limit: number): SlowRequest[] {
  const found = new Map<string, SlowRequest>();
  for (const scrape of scrapes) {
    for (const s of scrape.samples ?? []) {
      const traceId = s.exemplar?.labels.trace_id;
      if (s.name !== `${DURATION}_bucket` || !s.exemplar || !traceId) continue;
      if (s.exemplar.timestamp !== undefined && s.exemplar.timestamp < since) continue;
      const route = `${s.labels.http_request_method ?? '?'} ${s.labels.http_route ?? '?'}`;
      found.set(traceId, { service: scrape.service, route, seconds: s.exemplar.value, traceId });
    }
  }
  return [...found.values()].sort((a, b) => b.seconds - a.seconds).slice(0, limit);
}
