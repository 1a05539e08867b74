import { DURATION, selector } from './impact.js';
import type { AlertFiring, Deploy, SignalTimeline } from './model.js';
import type { PrometheusClient, RangeSeries } from './prometheus.js';

const BY = 'service, http_request_method, http_route';

/**
 * The scrape interval, read from the data: the median gap between the raw
 * samples of the busiest request counter over (up to) the last 10 minutes of
 * the window. Undefined when there are not two samples to compare.
 */
export async function scrapeInterval(
  client: PrometheusClient,
  matcher: string,
  at: number,
  windowSeconds: number,
): Promise<{ seconds?: number; error?: string }> {
  const span = `[${Math.max(60, Math.min(600, Math.round(windowSeconds)))}s]`;
  const busiest = await client.instant('scrape interval', `topk(1, count_over_time(${DURATION}_count{${selector(matcher)}}${span}))`, at);
  if (!busiest.ok) return { error: `scrape interval: ${busiest.error}` };
  const labels = busiest.data[0]?.labels;
  if (!labels) return {};
  const exact = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  const raw = await client.matrix('scrape interval (raw samples)', `${DURATION}_count{${exact}}${span}`, at);
  if (!raw.ok) return { error: `scrape interval: ${raw.error}` };
  const times = raw.data[0]?.points.map(([t]) => t) ?? [];
  const gaps = times
    .slice(1)
    .map((t, i) => t - (times[i] as number))
    .sort((a, b) => a - b);
  if (gaps.length === 0) return {};
  const median = gaps[Math.floor(gaps.length / 2)] as number;
  // Scrape timestamps jitter by milliseconds: a whole second, or a tenth below 2 s.
  return { seconds: median < 2 ? Math.max(0.1, Math.round(median * 10) / 10) : Math.round(median) };
}

/**
 * The step of the timeline queries: at least the scrape interval, about 120
 * steps over the window, a whole number of scrape intervals.
 */
export function chooseStep(windowSeconds: number, scrapeSeconds: number): number {
  const steps = Math.max(1, Math.ceil(windowSeconds / 120 / scrapeSeconds));
  return steps * scrapeSeconds;
}

/**
 * PromQL of the per-step series. A point at t covers one step and one scrape
 * interval before t: the range always holds at least two samples, however the
 * scrapes are offset from the steps. So a point can still include the last
 * sample before its step, and a signal's end may read up to one scrape
 * interval late.
 */
export function timelineQueries(matcher: string, step: number, scrape: number): Record<'rate' | 'errorRatio' | 'p95' | 'events', string> {
  const r = `[${Math.round((step + scrape) * 1000)}ms]`;
  const count = (extra = '') => `sum by (${BY}) (rate(${DURATION}_count{${selector(matcher, extra)}}${r}))`;
  return {
    rate: count(),
    errorRatio: `(${count('http_response_status_code=~"5.."')} or 0 * ${count()}) / ${count()}`,
    p95: `histogram_quantile(0.95, sum by (${BY}, le) (rate(${DURATION}_bucket{${selector(matcher)}}${r})))`,
    events: `sum by (event) (rate(business_events_total{${selector(matcher)}}${r}))`,
  };
}

/** How wide a band each signal gets around its baseline mean: relative and absolute floors beside 3 standard deviations. */
const BAND: Record<SignalTimeline['signal'], { relative: number; absolute: number }> = {
  rate: { relative: 0.3, absolute: 0.05 },
  errorRatio: { relative: 0.5, absolute: 0.02 },
  p95: { relative: 0.5, absolute: 0.005 },
  events: { relative: 0.25, absolute: 0.01 },
};

/** The baseline band of a signal: mean ± the largest of 3σ, a relative floor and an absolute floor. */
export function baselineBand(values: readonly number[], signal: SignalTimeline['signal']): SignalTimeline['band'] | undefined {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const sd = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length);
  const { relative, absolute } = BAND[signal];
  const half = Math.max(3 * sd, relative * Math.abs(mean), absolute);
  return { low: Math.max(0, mean - half), high: mean + half, mean };
}

/**
 * When a signal first left its baseline band (runs of at least two steps
 * outside count; one step when there are fewer than six), its peak, the end of
 * the last run outside (less the `lag` its range reaches back), and the first
 * step back inside.
 */
export function crossings(
  subject: string,
  signal: SignalTimeline['signal'],
  points: ReadonlyArray<[number, number]>,
  band: SignalTimeline['band'],
  step: number,
  /** How far a point's range reaches back before its step (one scrape interval, see {@link timelineQueries}). */
  lag = 0,
): SignalTimeline {
  const series = points.filter(([, v]) => Number.isFinite(v));
  const outside = series.map(([, v]) => v > band.high || v < band.low);
  const minRun = series.length < 6 ? 1 : 2;
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < series.length; i++) {
    if (!outside[i]) continue;
    let j = i;
    while (j + 1 < series.length && outside[j + 1]) j++;
    if (j - i + 1 >= minRun) runs.push([i, j]);
    i = j;
  }
  const none: SignalTimeline = { subject, signal, band, start: null, peak: null, end: null, recovered: null, direction: null };
  if (runs.length === 0) return none;
  const first = runs[0]![0];
  const last = runs[runs.length - 1]![1];
  let peak = first;
  for (let i = first; i <= last; i++) {
    if (Math.abs(series[i]![1] - band.mean) > Math.abs(series[peak]![1] - band.mean)) peak = i;
  }
  const [peakAt, peakValue] = series[peak]!;
  const back = series.slice(last + 1).find((_, k) => !outside[last + 1 + k]);
  return {
    subject,
    signal,
    band,
    start: series[first]![0] - step,
    peak: { at: peakAt, value: peakValue },
    end: Math.max(series[first]![0], series[last]![0] - lag),
    recovered: back ? back[0] : null,
    direction: peakValue >= band.mean ? 'up' : 'down',
  };
}

/** Alerts firing at any step of the window (`ALERTS{alertstate="firing"}`). */
export async function firingAlerts(
  client: PrometheusClient,
  from: number,
  to: number,
  step: number,
): Promise<{ alerts: AlertFiring[]; error?: string }> {
  // Over a one-step range, not the bare selector: data without staleness markers (backfilled, or a lost
  // Prometheus restart) would otherwise keep an alert "firing" for the 5-minute lookback after its last sample.
  const outcome = await client.range(
    'alerts (ALERTS)',
    `count_over_time(ALERTS{alertstate="firing"}[${Math.round(step)}s])`,
    from,
    to,
    step,
  );
  if (!outcome.ok) return { alerts: [], error: `alerts: ${outcome.error}` };
  const alerts = outcome.data
    .filter((s) => s.points.length > 0)
    .map(({ labels, points }) => {
      const { __name__: _name, alertstate: _state, alertname = '', ...rest } = labels;
      const first = points[0]![0];
      const last = points[points.length - 1]![0];
      return { alertname, labels: rest, first, last, open: last >= to - step };
    });
  return { alerts: alerts.sort((a, b) => a.first - b.first) };
}

/**
 * Version changes of any service from `periscope_build_info`, inside the
 * window or in the lookback before it: the first step at which a
 * `(service_version, vcs_revision)` appears after another one was seen.
 */
export async function deploys(
  client: PrometheusClient,
  matcher: string,
  lookbackFrom: number,
  from: number,
  to: number,
  step: number,
): Promise<{ deploys: Deploy[]; error?: string }> {
  const outcome = await client.range(
    'deploys (periscope_build_info)',
    `max by (service_name, service_version, vcs_revision) (periscope_build_info{${selector(matcher)}})`,
    lookbackFrom,
    to,
    step,
  );
  if (!outcome.ok) return { deploys: [], error: `deploys: ${outcome.error}` };
  return { deploys: versionChanges(outcome.data, from) };
}

export function versionChanges(series: readonly RangeSeries[], windowFrom: number): Deploy[] {
  const byService = new Map<string, Array<{ version: string; revision: string; first: number }>>();
  for (const { labels, points } of series) {
    if (points.length === 0) continue;
    const service = labels.service_name ?? '';
    const list = byService.get(service) ?? [];
    list.push({ version: labels.service_version ?? '', revision: labels.vcs_revision ?? '', first: points[0]![0] });
    byService.set(service, list);
  }
  const result: Deploy[] = [];
  for (const [service, versions] of byService) {
    versions.sort((a, b) => a.first - b.first);
    for (let i = 1; i < versions.length; i++) {
      const before = versions[i - 1]!;
      const after = versions[i]!;
      // Two versions present from the first step are a mixed fleet, not a deploy we saw happen.
      if (after.first <= versions[0]!.first) continue;
      result.push({
        service,
        at: after.first,
        fromVersion: before.version,
        toVersion: after.version,
        fromRevision: before.revision,
        toRevision: after.revision,
        inWindow: after.first >= windowFrom,
      });
    }
  }
  return result.sort((a, b) => a.at - b.at);
}
