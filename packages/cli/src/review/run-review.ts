import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { PeriscopeError } from '@periscope/sdk';
import { loadConfig } from '../rules.js';
import type { ReviewOptions } from './args.js';
import { routeCharts } from './charts.js';
import { gatherEvidence } from './evidence.js';
import { compareRoutes, discoverFunnels, funnelConversion, measureEvents, measureRoutes } from './impact.js';
import { renderMarkdown } from './markdown.js';
import type { ReviewReport, RouteImpact, SignalTimeline, TimelineSeries } from './model.js';
import { createProgress } from './progress.js';
import { createPrometheusClient, type PrometheusClient, type QueryRecord, type RangeSeries, serviceMatcher } from './prometheus.js';
import { baselineBand, chooseStep, crossings, deploys, firingAlerts, scrapeInterval, timelineQueries } from './timeline.js';

export interface ReviewIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Exit codes: 0 a report (possibly partial), 1 nothing could be queried. Usage errors (2) are the caller's. */
export async function runReview(
  options: ReviewOptions,
  io: ReviewIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const progress = createProgress(io.stderr);
  const { report, series } = await buildReview(options, progress.query, progress.phase);
  progress.done();

  if (options.out) {
    const dir = dirname(options.out);
    await mkdir(dir, { recursive: true });
    if (!options.json) {
      const stem = basename(options.out, extname(options.out));
      for (const chart of routeCharts(report, series, stem)) {
        await writeFile(join(dir, chart.file), chart.svg);
        report.charts.push({ service: chart.service, method: chart.method, route: chart.route, file: chart.file });
      }
    }
  }
  const text = options.json ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report);
  if (options.out) await writeFile(options.out, text);
  else io.stdout.write(text);

  io.stderr.write(summary(report, options.out));
  const answered = progress.records.some((r) => r.ok);
  return answered ? 0 : 1;
}

/** The terminal summary printed when the report is done. */
function summary(report: ReviewReport, out: string | undefined): string {
  const lines = [''];
  const when = (t: number | null) => (t === null ? '?' : new Date(t * 1000).toISOString().slice(11, 19));
  const { impactStart, impactEnd } = report.timeline;
  lines.push(
    impactStart === null
      ? 'No signal left its baseline band.'
      : `Impact ${when(impactStart)} → ${impactEnd === null ? 'still open' : when(impactEnd)} UTC`,
  );
  for (const r of report.impact.routes.filter((x) => x.affected).slice(0, 5))
    lines.push(`  ${r.service} ${r.method} ${r.route}: ${r.reasons.join(', ')}`);
  for (const e of report.impact.events.filter((x) => x.change !== null && Math.abs(x.change) >= 0.2).slice(0, 3)) {
    lines.push(`  event ${e.name}: ${Math.round((e.change as number) * 100)}%`);
  }
  if (report.missing.length)
    lines.push(`Missing (${report.missing.length}): ${report.missing.slice(0, 3).join('; ')}${report.missing.length > 3 ? '; …' : ''}`);
  lines.push(`${report.queries.total - report.queries.failed}/${report.queries.total} queries answered${out ? `; wrote ${out}` : ''}`, '');
  return `${lines.join('\n')}`;
}

/**
 * Queries every backend and assembles the review; never throws for a backend
 * failure (only for an unreadable `--config`, as a `PeriscopeError`). Also
 * returns the per-step series behind the timeline, for the charts.
 */
export async function buildReview(
  options: ReviewOptions,
  onQuery: (record: QueryRecord) => void = () => {},
  onPhase: (name: string) => void = () => {},
): Promise<{ report: ReviewReport; series: TimelineSeries }> {
  const records: QueryRecord[] = [];
  const record = (r: QueryRecord) => {
    records.push(r);
    onQuery(r);
  };
  let prometheusDown: string | undefined;
  const raw = createPrometheusClient(options.prometheus, options.timeoutMs, record);
  // Once Prometheus is unreachable, later calls fail at once instead of each waiting for its timeout.
  // A timeout after Prometheus has answered is one heavy query, not a dead server: keep going then.
  const down = (what: string) => {
    const error = `not queried: Prometheus unreachable (${prometheusDown})`;
    record({ backend: 'prometheus', what, ok: false, error });
    return Promise.resolve({ ok: false as const, error, unreachable: true });
  };
  const watch = <T extends { ok: boolean; unreachable?: boolean; error?: string }>(o: T): T => {
    const answered = records.some((r) => r.backend === 'prometheus' && r.ok);
    if (!o.ok && o.unreachable && !prometheusDown && !(answered && o.error?.startsWith('timed out'))) prometheusDown = o.error;
    return o;
  };
  const client: PrometheusClient = {
    instant: (what, q, t) => (prometheusDown ? down(what) : raw.instant(what, q, t).then(watch)),
    range: (what, q, a, b, s) => (prometheusDown ? down(what) : raw.range(what, q, a, b, s).then(watch)),
    matrix: (what, q, t) => (prometheusDown ? down(what) : raw.matrix(what, q, t).then(watch)),
    exemplars: (what, q, a, b) => (prometheusDown ? down(what) : raw.exemplars(what, q, a, b).then(watch)),
    flags: () => (prometheusDown ? down('flags') : raw.flags()),
  };

  const { from, to } = options;
  const seconds = to - from;
  const [bFrom, bTo] =
    options.baseline.kind === 'before' ? [from - seconds, from] : [from - options.baseline.seconds, to - options.baseline.seconds];
  const baselineText =
    options.baseline.kind === 'before' ? 'the same length just before the window' : `the same window ${options.baseline.text} earlier`;
  const matcher = serviceMatcher(options.services);

  onPhase('reading the scrape interval');
  const interval = await scrapeInterval(client, matcher, to, seconds);
  const scrape = interval.seconds ?? (await scrapeInterval(client, matcher, bTo, seconds)).seconds ?? null;
  const step = options.step ?? chooseStep(seconds, scrape ?? Math.max(1, Math.min(15, Math.round(seconds / 60))));

  onPhase('impact: routes, events, funnels');
  const [incident, baseline, events] = await Promise.all([
    measureRoutes(client, matcher, to, seconds, 'window'),
    measureRoutes(client, matcher, bTo, seconds, 'baseline'),
    measureEvents(client, matcher, { at: to, seconds }, { at: bTo, seconds }),
  ]);
  const windowRoutes = compareRoutes(incident.stats, baseline.stats);
  let funnels: Record<string, readonly string[]> = {};
  const impactNotes: string[] = [];
  if (options.config) {
    try {
      funnels = (await loadConfig(options.config)).funnels ?? {};
    } catch (error) {
      throw new PeriscopeError('PERISCOPE_INVALID_OPTION', `--config: ${(error as Error).message}`);
    }
  } else {
    const found = await discoverFunnels(client, to, seconds);
    funnels = found.funnels;
    if (found.error) impactNotes.push(found.error);
    else if (Object.keys(funnels).length === 0) {
      impactNotes.push(
        'no funnels: none in --config, and no periscope:funnel_step_events:rate5m series (load the rules `periscope rules` writes)',
      );
    }
  }
  const impactErrors = [...incident.errors, ...baseline.errors, ...events.errors];
  if (incident.stats.size === 0 && incident.errors.length === 0) {
    impactNotes.push(
      `no requests in the window: no http_server_request_duration_seconds_count samples${options.services.length ? ` for service ${options.services.join(', ')}` : ''} between --from and --to`,
    );
  }
  if (baseline.stats.size === 0 && baseline.errors.length === 0)
    impactNotes.push(`no requests in the baseline window (${baselineText}): changes cannot be measured`);

  onPhase('timeline: bands, alerts, deploys');
  const candidates = windowRoutes.filter((r) => r.affected).slice(0, options.top);
  const timeline = await buildTimeline(
    client,
    matcher,
    candidates,
    events.events.map((e) => e.name),
    { from, to, bFrom, bTo, step, scrape: scrape ?? step },
  );
  const [alerts, versionChanges] = await Promise.all([
    firingAlerts(client, from, to, step),
    deploys(client, matcher, from - seconds, from, to, step),
  ]);

  const starts = timeline.signals.map((s) => s.start).filter((t): t is number => t !== null);
  const ends = timeline.signals.map((s) => s.end).filter((t): t is number => t !== null);
  const impactStart = starts.length ? Math.max(from, Math.min(...starts)) : null;
  const impactEnd = ends.length ? Math.max(...ends) : null;

  // The window's figures mix the impact with the quiet minutes around it: measure the impact period itself.
  let routes = windowRoutes;
  let eventRates = events;
  let measured: ReviewReport['impact']['measured'] = { from, to, over: 'window' };
  if (impactStart !== null && impactEnd !== null && impactEnd - impactStart >= 2 * step && impactEnd - impactStart < seconds) {
    onPhase('impact: measuring the impact period');
    const span = impactEnd - impactStart;
    const [during, duringEvents] = await Promise.all([
      measureRoutes(client, matcher, impactEnd, span, 'impact period'),
      measureEvents(client, matcher, { at: impactEnd, seconds: span }, { at: bTo, seconds }),
    ]);
    if (during.stats.size > 0) {
      routes = compareRoutes(during.stats, baseline.stats);
      measured = { from: impactStart, to: impactEnd, over: 'impact' };
      if (duringEvents.errors.length === 0) eventRates = duringEvents;
    }
    impactErrors.push(...during.errors, ...duringEvents.errors);
  }
  const top = routes.filter((r) => r.affected).slice(0, options.top);

  onPhase('evidence: exemplars, traces, logs');
  const evidence = await gatherEvidence({
    client,
    prometheusUp: !prometheusDown,
    routes: top,
    services: options.services,
    from,
    to,
    tempo: options.tempo,
    loki: options.loki,
    grafana: options.grafana,
    timeoutMs: options.timeoutMs,
    onQuery: record,
  });

  const failed = records.filter((r) => !r.ok);
  const impactFailed = incident.errors.length > 0 && incident.stats.size === 0;
  const timelineErrors = [...timeline.errors, alerts.error, versionChanges.error].filter((e): e is string => Boolean(e));
  const timelineNotes = [...timelineErrors];
  if (scrape === null && !prometheusDown) timelineNotes.push(`no samples to read the scrape interval from; the step is ${step} s`);
  const report: ReviewReport = {
    generatedAt: new Date().toISOString(),
    window: { from, to, seconds },
    baseline: { from: bFrom, to: bTo, description: baselineText },
    step,
    scrapeInterval: scrape,
    sources: { prometheus: options.prometheus, tempo: options.tempo ?? null, loki: options.loki ?? null, grafana: options.grafana ?? null },
    services: options.services,
    impact: {
      status: impactFailed ? 'failed' : impactErrors.length || impactNotes.length ? 'partial' : 'ok',
      notes: [...impactErrors, ...impactNotes],
      measured,
      routes,
      events: eventRates.events,
      funnels: funnelConversion(funnels, eventRates.events),
      windowRoutes: measured.over === 'impact' ? windowRoutes : null,
    },
    timeline: {
      status: prometheusDown ? 'failed' : timelineErrors.length ? 'partial' : 'ok',
      notes: timelineNotes,
      impactStart,
      impactEnd,
      signals: timeline.signals,
      alerts: alerts.alerts,
      deploys: versionChanges.deploys,
    },
    evidence,
    charts: [],
    missing: failed.map((r) => `${r.backend} ${r.what}: ${r.error}`),
    queries: { total: records.length, failed: failed.length },
  };
  return { report, series: timeline.series };
}

interface Windows {
  from: number;
  to: number;
  bFrom: number;
  bTo: number;
  step: number;
  scrape: number;
}

type SignalName = 'rate' | 'errorRatio' | 'p95';
const LABEL: Record<SignalName, string> = { rate: 'request rate', errorRatio: 'error ratio', p95: 'p95' };

/** Per-step series of the window and the baseline; each affected route's and event's crossings of its band. */
async function buildTimeline(
  client: PrometheusClient,
  matcher: string,
  top: readonly RouteImpact[],
  eventNames: readonly string[],
  w: Windows,
) {
  const queries = timelineQueries(matcher, w.step, w.scrape);
  const names = ['rate', 'errorRatio', 'p95', 'events'] as const;
  const fetch = (start: number, end: number, label: string) =>
    Promise.all(names.map((n) => client.range(`${label}: ${n} per step`, queries[n], Math.min(start + w.step, end), end, w.step)));
  const [now, before] = await Promise.all([fetch(w.from, w.to, 'timeline'), fetch(w.bFrom, w.bTo, 'baseline timeline')]);
  const errors: string[] = [];
  const get = (list: typeof now, i: number, label: string): RangeSeries[] => {
    const o = list[i]!;
    if (o.ok) return o.data;
    errors.push(`${label} ${names[i]}: ${o.error}`);
    return [];
  };
  const series: TimelineSeries = {
    window: Object.fromEntries(names.map((n, i) => [n, get(now, i, 'timeline')])) as Record<(typeof names)[number], RangeSeries[]>,
    baseline: Object.fromEntries(names.map((n, i) => [n, get(before, i, 'baseline timeline')])) as Record<
      (typeof names)[number],
      RangeSeries[]
    >,
    step: w.step,
  };
  const find = (list: RangeSeries[], r: RouteImpact) =>
    list.find((s) => s.labels.service === r.service && s.labels.http_request_method === r.method && s.labels.http_route === r.route);
  const signals: SignalTimeline[] = [];
  for (const route of top) {
    for (const signal of ['errorRatio', 'p95', 'rate'] as const) {
      const band = baselineBand(find(series.baseline[signal], route)?.points.map(([, v]) => v) ?? [], signal);
      const points = find(series.window[signal], route)?.points;
      if (!band || !points) continue;
      const crossing = crossings(
        `${route.service} ${route.method} ${route.route} ${LABEL[signal]}`,
        signal,
        points,
        band,
        w.step,
        w.scrape,
      );
      if (crossing.start !== null) signals.push(crossing);
    }
  }
  for (const name of eventNames) {
    const band = baselineBand(series.baseline.events.find((s) => s.labels.event === name)?.points.map(([, v]) => v) ?? [], 'events');
    const points = series.window.events.find((s) => s.labels.event === name)?.points;
    if (!band || !points) continue;
    const crossing = crossings(`event ${name}`, 'events', points, band, w.step, w.scrape);
    if (crossing.start !== null) signals.push(crossing);
  }
  signals.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
  return { signals, errors, series };
}
