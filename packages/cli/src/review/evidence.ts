import { lokiLink, promLink, traceLink } from './grafana.js';
import { DURATION } from './impact.js';
import { errorCountQuery, errorLineCounts, linesForTraces, lokiSelector } from './loki.js';
import type { ExemplarRef, ReviewReport, RouteEvidence, RouteImpact, Section } from './model.js';
import { type PrometheusClient, promString, type QueryRecord } from './prometheus.js';
import { fetchTrace } from './tempo.js';

export interface EvidenceInput {
  client: PrometheusClient;
  prometheusUp: boolean;
  routes: readonly RouteImpact[];
  services: readonly string[];
  from: number;
  to: number;
  tempo?: string;
  loki?: string;
  grafana?: string;
  timeoutMs: number;
  onQuery: (record: QueryRecord) => void;
}

const routeSelector = (r: { service: string; method: string; route: string }): string =>
  `service=${promString(r.service)}, http_request_method=${promString(r.method)}, http_route=${promString(r.route)}`;

/** Up to three slowest exemplars and three from 5xx series, one per trace. */
export function pickExemplars(
  series: ReadonlyArray<{
    seriesLabels: Record<string, string>;
    exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
  }>,
): ExemplarRef[] {
  const all = series.flatMap((s) =>
    s.exemplars
      .filter((e) => e.labels.trace_id)
      .map((e) => ({
        traceId: e.labels.trace_id as string,
        ...(e.labels.span_id && { spanId: e.labels.span_id }),
        seconds: Number(e.value),
        at: e.timestamp,
        ...(s.seriesLabels.http_response_status_code && { status: s.seriesLabels.http_response_status_code }),
      })),
  );
  const seen = new Set<string>();
  const take = (list: typeof all, kind: ExemplarRef['kind']): ExemplarRef[] => {
    const picked: ExemplarRef[] = [];
    for (const e of list) {
      if (picked.length === 3) break;
      if (seen.has(e.traceId)) continue;
      seen.add(e.traceId);
      picked.push({ ...e, kind });
    }
    return picked;
  };
  const slowest = take(
    [...all].sort((a, b) => b.seconds - a.seconds),
    'slowest',
  );
  const failing = take(
    all.filter((e) => e.status?.startsWith('5')).sort((a, b) => b.at - a.at),
    'failing',
  );
  return [...slowest, ...failing];
}

/** Exemplars, traces, log lines and Grafana links for the routes that moved most. */
export async function gatherEvidence(input: EvidenceInput): Promise<ReviewReport['evidence']> {
  const { client, from, to, grafana } = input;
  const routes: RouteEvidence[] = input.routes.map((r) => ({
    service: r.service,
    method: r.method,
    route: r.route,
    exemplars: [],
    traces: [],
    logs: [],
    links: [],
  }));
  const exemplars: Section = { status: 'ok', notes: [] };
  const tempo: Section = { status: input.tempo ? 'ok' : 'skipped', notes: input.tempo ? [] : ['skipped: no --tempo URL given'] };
  const loki: Section & { errorLines: Array<{ service: string; count: number }> } = {
    status: input.loki ? 'ok' : 'skipped',
    notes: input.loki ? [] : ['skipped: no --loki URL given'],
    errorLines: [],
  };
  const links: Array<{ label: string; url: string }> = [];

  if (!input.prometheusUp) {
    exemplars.status = 'failed';
    exemplars.notes.push('not queried: Prometheus could not be reached');
  } else if (routes.length === 0) {
    exemplars.status = 'skipped';
    exemplars.notes.push('no route moved beyond the thresholds, so no exemplars were looked up');
  } else {
    const outcomes = await Promise.all(
      routes.map((r) =>
        client.exemplars(`exemplars of ${r.service} ${r.method} ${r.route}`, `${DURATION}_bucket{${routeSelector(r)}}`, from, to),
      ),
    );
    let failed = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) routes[i]!.exemplars = pickExemplars(outcome.data);
      else {
        failed++;
        exemplars.notes.push(`${routes[i]!.service} ${routes[i]!.method} ${routes[i]!.route}: ${outcome.error}`);
      }
    });
    if (failed === routes.length) exemplars.status = 'failed';
    else if (routes.every((r) => r.exemplars.length === 0)) {
      exemplars.status = 'partial';
      const flags = await client.flags();
      const features = flags.ok ? (flags.data['enable-feature'] ?? '') : undefined;
      if (features !== undefined && !features.split(',').includes('exemplar-storage')) {
        exemplars.notes.push(
          'Prometheus runs without exemplar storage (--enable-feature=exemplar-storage), so there are no trace IDs to link; start it with the flag and scrape the services as OpenMetrics',
        );
      } else {
        exemplars.notes.push(
          'no exemplars in the window: Prometheus keeps exemplars in memory only (not in backfilled or compacted blocks) and only for series scraped as OpenMetrics',
        );
      }
    } else if (failed > 0) exemplars.status = 'partial';
  }

  const traceIds = [...new Set(routes.flatMap((r) => r.exemplars.map((e) => e.traceId)))];
  if (input.tempo && traceIds.length === 0) {
    tempo.status = 'partial';
    tempo.notes.push('no exemplar trace IDs to look up');
  } else if (input.tempo) {
    const limited = traceIds.slice(0, 12);
    const results = new Map(
      await Promise.all(
        limited.map(async (id) => {
          const outcome = await fetchTrace(input.tempo as string, id, input.timeoutMs);
          input.onQuery({ backend: 'tempo', what: `trace ${id}`, ok: outcome.ok, ...(!outcome.ok && { error: outcome.error }) });
          return [id, outcome] as const;
        }),
      ),
    );
    const failures = [...results].filter(([, o]) => !o.ok);
    for (const [id, o] of failures) if (!o.ok) tempo.notes.push(`trace ${id}: ${o.error}`);
    if (failures.length === results.size) tempo.status = 'failed';
    else if (failures.length > 0) tempo.status = 'partial';
    for (const route of routes) {
      for (const e of route.exemplars) {
        const o = results.get(e.traceId);
        if (o?.ok && !route.traces.some((t) => t.traceId === e.traceId)) route.traces.push(o.data);
      }
    }
  }

  if (input.loki) {
    const counts = await errorLineCounts(input.loki, input.services, to, to - from, input.timeoutMs);
    input.onQuery({ backend: 'loki', what: 'error lines per service', ok: counts.ok, ...(!counts.ok && { error: counts.error }) });
    if (counts.ok) loki.errorLines = counts.data;
    else {
      loki.status = 'partial';
      loki.notes.push(`error line counts: ${counts.error}`);
    }
    if (traceIds.length > 0) {
      const lines = await linesForTraces(input.loki, input.services, traceIds, from, to, input.timeoutMs);
      input.onQuery({ backend: 'loki', what: 'log lines of the exemplar traces', ok: lines.ok, ...(!lines.ok && { error: lines.error }) });
      if (lines.ok) {
        for (const route of routes) {
          route.logs = route.exemplars.map((e) => ({ traceId: e.traceId, lines: lines.data.get(e.traceId) ?? [] }));
        }
      } else {
        loki.status = counts.ok ? 'partial' : 'failed';
        loki.notes.push(`log lines of the exemplar traces: ${lines.error}`);
      }
    } else loki.notes.push('no exemplar trace IDs: log lines by trace were not looked up');
  }

  if (grafana) {
    for (const route of routes) {
      const sel = routeSelector(route);
      route.links.push({
        label: 'p95 and exemplars in Explore',
        url: promLink(grafana, `histogram_quantile(0.95, sum by (le) (rate(${DURATION}_bucket{${sel}}[$__rate_interval])))`, from, to),
      });
      for (const e of route.exemplars) route.links.push({ label: `trace ${e.traceId}`, url: traceLink(grafana, e.traceId, from, to) });
      if (route.exemplars.length > 0) {
        route.links.push({
          label: 'logs of these traces',
          url: lokiLink(
            grafana,
            `${lokiSelector([route.service])} |~ ${JSON.stringify(route.exemplars.map((e) => e.traceId).join('|'))}`,
            from,
            to,
          ),
        });
      }
    }
    links.push({
      label: 'error log lines per service',
      url: lokiLink(grafana, errorCountQuery(input.services, 60).replace('[60s]', '[$__auto]'), from, to),
    });
    links.push({ label: 'error logs', url: lokiLink(grafana, lokiSelector(input.services, 'level="error"'), from, to) });
  }

  const status: Section['status'] =
    exemplars.status === 'failed'
      ? 'failed'
      : [exemplars, tempo, loki].some((s) => s.status === 'partial' || s.status === 'failed')
        ? 'partial'
        : 'ok';
  const byTrace = new Map<string, string[]>();
  for (const r of routes) {
    for (const e of r.exemplars.filter((x) => x.kind === 'failing')) {
      byTrace.set(e.traceId, [...(byTrace.get(e.traceId) ?? []), `${r.service} ${r.method} ${r.route}`]);
    }
  }
  const sharedTraces = [...byTrace].filter(([, names]) => names.length > 1).map(([traceId, names]) => ({ traceId, routes: names }));
  return { status, notes: [], routes, exemplars, tempo, loki, links, sharedTraces };
}
