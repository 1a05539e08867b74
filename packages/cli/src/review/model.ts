import type { RangeSeries } from './prometheus.js';

/**
 * The review as data: what `--json` prints and what the Markdown renders.
 * Numbers that could not be measured are `null` (JSON has no NaN).
 */

/** A service's route: the `service` label, method and route template. */
export interface RouteKey {
  service: string;
  method: string;
  route: string;
}

/** RED figures of one route over one window. */
export interface RouteStats {
  requests: number | null;
  /** Requests per second. */
  rate: number | null;
  /** Share of responses with a 5xx status, 0..1. */
  errorRatio: number | null;
  /** Seconds. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface RouteImpact extends RouteKey {
  incident: RouteStats;
  /** Absent when the route had no traffic in the baseline window. */
  baseline: RouteStats | null;
  /** How far the route moved (see docs/review.md); routes are ranked by it. */
  score: number;
  affected: boolean;
  /** Why it counts as affected, e.g. "p95 ×5.0", "errors +29.8 pp". */
  reasons: string[];
}

/** A business event's rate (per second) in each window. */
export interface CountChange {
  name: string;
  incident: number | null;
  baseline: number | null;
  /** Relative change, e.g. -0.4 for −40%; null when the baseline is 0 or missing. */
  change: number | null;
}

export interface FunnelStepChange {
  funnel: string;
  from: string;
  to: string;
  incident: number | null;
  baseline: number | null;
  change: number | null;
}

/** When one signal left its baseline band, peaked and came back. */
export interface SignalTimeline {
  /** e.g. `accounts POST /users error ratio`, `event user.signed_up`. */
  subject: string;
  signal: 'rate' | 'errorRatio' | 'p95' | 'events';
  band: { low: number; high: number; mean: number };
  /** Start of the first step outside the band (Unix seconds), null when it never left it. */
  start: number | null;
  peak: { at: number; value: number } | null;
  /** End of the last step outside the band. */
  end: number | null;
  /** First step back inside the band after `end`, or null when the window ends outside it. */
  recovered: number | null;
  direction: 'up' | 'down' | null;
}

export interface AlertFiring {
  alertname: string;
  labels: Record<string, string>;
  first: number;
  last: number;
  /** Still firing at the end of the window. */
  open: boolean;
}

export interface Deploy {
  service: string;
  at: number;
  fromVersion: string | null;
  toVersion: string;
  fromRevision: string | null;
  toRevision: string;
  /** Inside the window, or in the lookback before it. */
  inWindow: boolean;
}

export interface ExemplarRef {
  traceId: string;
  spanId?: string;
  /** Duration in seconds (the observed value). */
  seconds: number;
  at: number;
  status?: string;
  kind: 'slowest' | 'failing';
}

export interface TraceSummary {
  traceId: string;
  rootService: string | null;
  rootName: string | null;
  durationMs: number | null;
  /** Spans on the critical path, root first, with the time spent in each span itself. */
  criticalPath: Array<{ service: string; name: string; selfMs: number; error: boolean }>;
  /** Where most of the time went. */
  slowest: { service: string; name: string; selfMs: number } | null;
  /** The deepest span that returned an error. */
  error: { service: string; name: string; message: string | null } | null;
  spans: number;
}

export interface LogLine {
  service: string | null;
  at: number;
  line: string;
}

export interface RouteEvidence extends RouteKey {
  exemplars: ExemplarRef[];
  traces: TraceSummary[];
  logs: Array<{ traceId: string; lines: LogLine[] }>;
  links: Array<{ label: string; url: string }>;
}

export interface Section {
  /** `ok`, `partial` (something missing, said in notes), `skipped` (not asked for), `failed` (nothing could be read). */
  status: 'ok' | 'partial' | 'skipped' | 'failed';
  notes: string[];
}

/** The whole review: what `periscope review --json` prints (times are Unix seconds). */
export interface ReviewReport {
  generatedAt: string;
  window: { from: number; to: number; seconds: number };
  baseline: { from: number; to: number; description: string };
  /** Query step (s) and the scrape interval it was derived from. */
  step: number;
  scrapeInterval: number | null;
  sources: { prometheus: string; tempo: string | null; loki: string | null; grafana: string | null };
  services: string[];
  impact: Section & {
    /**
     * What the incident figures cover: the impact period the timeline found
     * (when it is shorter than the window), else the whole window.
     */
    measured: { from: number; to: number; over: 'impact' | 'window' };
    routes: RouteImpact[];
    events: CountChange[];
    funnels: FunnelStepChange[];
    /** The routes over the whole window, when `measured.over` is `impact`. */
    windowRoutes: RouteImpact[] | null;
  };
  timeline: Section & {
    impactStart: number | null;
    impactEnd: number | null;
    signals: SignalTimeline[];
    alerts: AlertFiring[];
    deploys: Deploy[];
  };
  evidence: Section & {
    routes: RouteEvidence[];
    exemplars: Section;
    tempo: Section;
    loki: Section & { errorLines: Array<{ service: string; count: number }> };
    links: Array<{ label: string; url: string }>;
    /** Failing exemplar traces that appear under more than one route: one request failing through several services. */
    sharedTraces: Array<{ traceId: string; routes: string[] }>;
  };
  /** Charts written beside the report, by route. */
  charts: Array<RouteKey & { file: string }>;
  /** Every query that failed, in words. */
  missing: string[];
  /** Queries made and how many succeeded. */
  queries: { total: number; failed: number };
}

export function routeId(key: RouteKey): string {
  return `${key.service} ${key.method} ${key.route}`;
}

/** The per-step series behind the timeline, kept for the charts. */
export interface TimelineSeries {
  window: Record<'rate' | 'errorRatio' | 'p95' | 'events', RangeSeries[]>;
  baseline: Record<'rate' | 'errorRatio' | 'p95' | 'events', RangeSeries[]>;
  step: number;
}
