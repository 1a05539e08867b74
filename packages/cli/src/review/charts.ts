import type { ReviewReport, RouteKey, TimelineSeries } from './model.js';
import type { RangeSeries } from './prometheus.js';
import { type SparkRow, sparklines } from './svg.js';
import { baselineBand } from './timeline.js';

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'root';

const fmt = {
  rate: (v: number) => `${v.toFixed(v < 10 ? 2 : 0)}/s`,
  errorRatio: (v: number) => `${(v * 100).toFixed(1)}%`,
  p95: (v: number) => (v < 1 ? `${Math.round(v * 1000)} ms` : `${v.toFixed(2)} s`),
};

/** One SVG per affected route (rate, error ratio, p95 over the window, baseline band shaded), named `<stem>-<n>-<route>.svg`. */
export function routeCharts(report: ReviewReport, series: TimelineSeries, stem: string): Array<RouteKey & { file: string; svg: string }> {
  const find = (list: RangeSeries[], r: RouteKey) =>
    list.find((s) => s.labels.service === r.service && s.labels.http_request_method === r.method && s.labels.http_route === r.route);
  const { impactStart, impactEnd } = report.timeline;
  const impact = impactStart !== null ? { start: impactStart, end: impactEnd ?? report.window.to } : undefined;
  return report.evidence.routes.map((route, i) => {
    const rows: SparkRow[] = (['rate', 'errorRatio', 'p95'] as const).map((signal) => {
      const band = baselineBand(find(series.baseline[signal], route)?.points.map(([, v]) => v) ?? [], signal);
      return {
        label: { rate: 'requests/s', errorRatio: 'error ratio', p95: 'p95 latency' }[signal],
        points: find(series.window[signal], route)?.points ?? [],
        ...(band && { band }),
        format: fmt[signal],
      };
    });
    const title = `${route.service} ${route.method} ${route.route}`;
    return {
      service: route.service,
      method: route.method,
      route: route.route,
      file: `${stem}-${i + 1}-${slug(`${route.service}-${route.method}-${route.route}`)}.svg`,
      svg: sparklines(title, rows, report.window.from, report.window.to, impact),
    };
  });
}
