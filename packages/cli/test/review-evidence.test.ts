/**
 * The evidence section: exemplars from a real Prometheus scraping a real
 * instrumented service (trace IDs of real requests), then Tempo and Loki.
 * Tempo and Loki cannot run here, so they are stand-in HTTP servers
 * answering in their real response shapes (test/support/review-stand-ins.ts
 * documents each shape and where it comes from).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningPrometheus, startPrometheus } from '../../sdk/test/support/prometheus.js';
import { parseReviewArgs } from '../src/review/args.js';
import { renderMarkdown } from '../src/review/markdown.js';
import type { ReviewReport } from '../src/review/model.js';
import { buildReview, runReview } from '../src/review/run-review.js';
import { startWatchedService, type WatchedService } from './support/instrumented-service.js';
import { type StandIn, startLokiStandIn, startTempoStandIn } from './support/review-stand-ins.js';

let service: WatchedService;
let prometheus: RunningPrometheus;
let tempo: StandIn;
let loki: StandIn;
let from: number;
let report: ReviewReport;
const GRAFANA = 'http://grafana.example:3000';

const args = (extra: string[] = []) => [
  '--prometheus',
  prometheus.url,
  '--from',
  String(from),
  '--to',
  String(Math.ceil(Date.now() / 1000)),
  '--service',
  'watched',
  ...extra,
];

beforeAll(async () => {
  from = Math.floor(Date.now() / 1000) - 5;
  service = await startWatchedService();
  const target = new URL(service.metricsUrl).host;
  prometheus = await startPrometheus({
    config: [
      'global: { scrape_interval: 1s, scrape_timeout: 1s }',
      'scrape_configs:',
      '  - job_name: periscope',
      `    static_configs: [{ targets: ["${target}"], labels: { service: watched, env: test } }]`,
      '',
    ].join('\n'),
  });
  // Wait for a few scrapes with exemplars of both routes (the failing one answers 500 every time);
  // Prometheus's first scrape waits for its discovery manager (about 5 s).
  let routes = new Set<string | undefined>();
  for (let i = 0; i < 150 && !(routes.has('/fail') && routes.has('/work')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const series = await prometheus.queryExemplars('http_server_request_duration_seconds_bucket', from, Date.now() / 1000 + 1);
    routes = new Set(series.filter((s) => s.exemplars.length > 0).map((s) => s.seriesLabels.http_route));
  }
  if (!routes.has('/fail')) throw new Error('Prometheus stored no exemplars of the watched service in 30 s');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  [tempo, loki] = await Promise.all([startTempoStandIn(), startLokiStandIn()]);
  report = (await buildReview(parseReviewArgs(args(['--tempo', tempo.url, '--loki', loki.url, '--grafana', GRAFANA])))).report;
}, 60_000);

afterAll(async () => {
  await Promise.all([tempo?.close(), loki?.close()]);
  await prometheus?.stop();
  await service?.stop();
});

describe('evidence from exemplars, Tempo and Loki', () => {
  it('the failing route has exemplars of failing requests with the trace IDs Prometheus stored', async () => {
    const fail = report.evidence.routes.find((r) => r.route === '/fail');
    expect(fail, JSON.stringify(report.impact.notes)).toBeDefined();
    const failing = fail?.exemplars.filter((e) => e.kind === 'failing') ?? [];
    expect(failing.length).toBeGreaterThan(0);
    const stored = await prometheus.queryExemplars(
      'http_server_request_duration_seconds_bucket{http_route="/fail"}',
      from,
      Date.now() / 1000,
    );
    const ids = new Set(stored.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)));
    for (const e of failing) {
      expect(e.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(ids.has(e.traceId)).toBe(true);
      expect(e.status).toBe('500');
    }
    expect(report.evidence.exemplars.status).toBe('ok');
  });

  it('each trace is summarised from Tempo: critical path, where the time went, where the error came from', () => {
    const route = report.evidence.routes.find((r) => r.route === '/fail')!;
    const requested = tempo.requests.filter((p) => p.startsWith('/api/traces/')).map((p) => p.slice('/api/traces/'.length));
    expect(requested).toEqual(expect.arrayContaining(route.exemplars.map((e) => e.traceId)));
    const [trace] = route.traces;
    expect(trace?.traceId).toBe(route.exemplars[0]?.traceId);
    // recordedTrace: web 1240 ms → client → billing POST /charges (1100 ms itself) → client (error) → accounts POST /users (error).
    expect(trace?.criticalPath.map((p) => `${p.service}:${p.name}`)).toEqual([
      'web:POST /checkout',
      'web:POST',
      'billing:POST /charges',
      'billing:POST',
      'accounts:POST /users',
    ]);
    expect(trace?.durationMs).toBe(1240);
    expect(trace?.slowest).toEqual({ service: 'billing', name: 'POST /charges', selfMs: 1125 });
    expect(trace?.error).toEqual({ service: 'accounts', name: 'POST /users', message: 'InjectedFaultError: injected fault' });
    expect(report.evidence.tempo.status).toBe('ok');
  });

  it('Loki gives error-line counts per service and the first lines of each exemplar trace', () => {
    expect(report.evidence.loki.errorLines).toEqual([
      { service: 'accounts', count: 42 },
      { service: 'web', count: 7 },
    ]);
    const countQuery = new URLSearchParams(loki.requests.find((p) => p.startsWith('/loki/api/v1/query?'))?.split('?')[1]).get('query');
    expect(countQuery).toMatch(/^sum by \(service\) \(count_over_time\(\{service=~"watched", level="error"\}\[\d+s\]\)\)$/);
    const route = report.evidence.routes.find((r) => r.route === '/fail')!;
    for (const e of route.exemplars) {
      const lines = route.logs.find((l) => l.traceId === e.traceId)?.lines ?? [];
      expect(lines.map((l) => l.service)).toEqual(['accounts', 'web']);
      for (const l of lines) expect(JSON.parse(l.line).trace_id).toBe(e.traceId);
    }
  });

  it('Grafana Explore links open each trace in Tempo and the route in Prometheus', () => {
    const route = report.evidence.routes.find((r) => r.route === '/fail')!;
    const traceId = route.exemplars[0]!.traceId;
    const link = route.links.find((l) => l.label === `trace ${traceId}`)!;
    const url = new URL(link.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${GRAFANA}/explore`);
    const panes = JSON.parse(url.searchParams.get('panes') ?? '{}') as {
      a: { datasource: string; queries: Array<{ query?: string; expr?: string }>; range: { from: string; to: string } };
    };
    expect(panes.a.datasource).toBe('tempo');
    expect(panes.a.queries[0]?.query).toBe(traceId);
    expect(Number(panes.a.range.from)).toBe(from * 1000);
    const prom = JSON.parse(new URL(route.links[0]!.url).searchParams.get('panes') ?? '{}') as typeof panes;
    expect(prom.a.datasource).toBe('prometheus');
    expect(prom.a.queries[0]?.expr).toContain('http_route="/fail"');
    const markdown = renderMarkdown(report);
    expect(markdown).toContain(`[\`${traceId}\`](${link.url})`);
    expect(markdown).toContain('the time went to **billing** `POST /charges` (1125 ms self)');
    expect(markdown).toContain('the error came from **accounts** `POST /users`: InjectedFaultError: injected fault');
  });

  it('unreachable Tempo and Loki: their sections failed with the reason, the rest of the report stands', async () => {
    const [tempoPort, lokiPort] = [await freePort(), await freePort()];
    const { report: r } = await buildReview(
      parseReviewArgs(args(['--tempo', `http://127.0.0.1:${tempoPort}`, '--loki', `http://127.0.0.1:${lokiPort}`])),
    );
    expect(r.evidence.tempo.status).toBe('failed');
    expect(r.evidence.tempo.notes[0]).toMatch(/^trace [0-9a-f]{32}: connection refused$/);
    expect(r.evidence.loki.status).toBe('failed');
    expect(r.evidence.loki.notes).toContain('error line counts: connection refused');
    expect(r.evidence.exemplars.status).toBe('ok');
    expect(r.impact.routes.length).toBeGreaterThan(0);
  });

  it('a trace Tempo does not have and a failing Loki range query: a partial report naming both, exit 0', async () => {
    const missing = report.evidence.routes.find((r) => r.route === '/fail')!.exemplars[0]!.traceId;
    const [tempo404, lokiDown] = await Promise.all([startTempoStandIn({ missing: [missing] }), startLokiStandIn({ failRange: true })]);
    try {
      let stdout = '';
      const sink = (collect: boolean) =>
        new Writable({
          write(chunk, _enc, done) {
            if (collect) stdout += String(chunk);
            done();
          },
        });
      const code = await runReview(parseReviewArgs(args(['--tempo', tempo404.url, '--loki', lokiDown.url, '--json'])), {
        stdout: sink(true),
        stderr: sink(false),
      });
      expect(code).toBe(0);
      const json = JSON.parse(stdout) as ReviewReport;
      expect(json.evidence.tempo.status).toBe('partial');
      expect(json.evidence.tempo.notes).toContain(`trace ${missing}: HTTP 404, not JSON: trace not found`);
      expect(json.evidence.loki.status).toBe('partial');
      expect(json.evidence.loki.notes).toContain('log lines of the exemplar traces: HTTP 500, not JSON: too many outstanding requests');
      expect(json.missing).toContain(`tempo trace ${missing}: HTTP 404, not JSON: trace not found`);
    } finally {
      await Promise.all([tempo404.close(), lokiDown.close()]);
    }
  });
});
