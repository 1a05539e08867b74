/**
 * Deterministic incident data for `periscope review`, written as OpenMetrics
 * and backfilled into a real Prometheus with `promtool tsdb create-blocks-from
 * openmetrics`; then Prometheus (Debian's package) is started on that data dir.
 *
 * The story, every 15 s for 90 minutes ending 10 minutes ago:
 * - billing deploys 1.4.0 → 1.5.0 two minutes before the incident;
 * - for 10 minutes, billing POST /charges p95 goes ×5 (175 ms → 875 ms) and
 *   accounts POST /users errors go from 1% to 30%; sign-ups fall 40%;
 * - an ALERTS series fires during the incident;
 * - everything else stays flat (the routes that must not be blamed).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../../sdk/test/support/prometheus.js';

const exec = promisify(execFile);
export const SCRAPE = 15;
const LE = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Cumulative share of requests at or below each bucket bound (missing bounds take the previous share). */
type Profile = Record<number, number>;
const FAST: Profile = { 0.005: 0.1, 0.01: 0.4, 0.025: 0.8, 0.05: 0.95, 0.1: 1 };
/** p50 50 ms, p95 175 ms, p99 235 ms (Prometheus's linear interpolation inside buckets). */
const CHARGES: Profile = { 0.025: 0.1, 0.05: 0.5, 0.1: 0.9, 0.25: 1 };
/** p95 875 ms: ×5 the baseline. */
const CHARGES_SLOW: Profile = { 0.025: 0.05, 0.05: 0.3, 0.1: 0.5, 0.25: 0.7, 0.5: 0.8, 1: 1 };

export interface IncidentTimes {
  /** First sample. */
  start: number;
  deploy: number;
  incidentStart: number;
  incidentEnd: number;
  alertStart: number;
  alertEnd: number;
  /** Last sample. */
  end: number;
}

export interface Fixture {
  openMetrics: string;
  times: IncidentTimes;
}

interface HttpSeries {
  service: string;
  method: string;
  route: string;
  status: string;
  /** Requests per 15 s interval, and their latency profile, at time t. */
  at(t: number): { n: number; profile: Profile };
}

const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');

/** The fixture, aligned to 15 s, ending 10 minutes before `nowSeconds`. */
export function incidentFixture(nowSeconds: number): Fixture {
  const end = Math.floor((nowSeconds - 600) / SCRAPE) * SCRAPE;
  const start = end - 90 * 60;
  const incidentStart = start + 60 * 60;
  const incidentEnd = incidentStart + 10 * 60;
  const times: IncidentTimes = {
    start,
    deploy: incidentStart - 120,
    incidentStart,
    incidentEnd,
    alertStart: incidentStart + 120,
    alertEnd: incidentEnd + 60,
    end,
  };
  // An interval (t − 15, t] belongs to the incident when it ends inside (incidentStart, incidentEnd].
  const during = (t: number) => t > incidentStart && t <= incidentEnd;
  const steady =
    (n: number, profile = FAST) =>
    () => ({ n, profile });
  const http: HttpSeries[] = [
    { service: 'web', method: 'GET', route: '/', status: '200', at: steady(150) },
    { service: 'web', method: 'POST', route: '/signup', status: '200', at: steady(60) },
    { service: 'accounts', method: 'POST', route: '/users', status: '200', at: (t) => ({ n: during(t) ? 70 : 99, profile: FAST }) },
    { service: 'accounts', method: 'POST', route: '/users', status: '500', at: (t) => ({ n: during(t) ? 30 : 1, profile: FAST }) },
    { service: 'accounts', method: 'GET', route: '/users/:id', status: '200', at: steady(75) },
    {
      service: 'billing',
      method: 'POST',
      route: '/charges',
      status: '200',
      at: (t) => ({ n: 100, profile: during(t) ? CHARGES_SLOW : CHARGES }),
    },
    { service: 'billing', method: 'GET', route: '/invoices/:id', status: '200', at: steady(40) },
  ];
  const lines: string[] = [];
  const stamps: number[] = [];
  for (let t = start; t <= end; t += SCRAPE) stamps.push(t);

  lines.push('# TYPE http_server_request_duration_seconds histogram', '# UNIT http_server_request_duration_seconds seconds');
  for (const series of http) {
    const labels = {
      service: series.service,
      env: 'test',
      http_request_method: series.method,
      http_route: series.route,
      http_response_status_code: series.status,
      error_type: series.status === '500' ? 'InjectedFaultError' : '',
    };
    const buckets = new Array<number>(LE.length + 1).fill(0);
    let sum = 0;
    stamps.forEach((t, i) => {
      if (i > 0) {
        const { n, profile } = series.at(t);
        let share = 0;
        LE.forEach((le, k) => {
          share = profile[le] ?? share;
          buckets[k]! += Math.round(n * share);
        });
        buckets[LE.length]! += n;
        sum += n * (profile === FAST ? 0.015 : profile === CHARGES ? 0.06 : 0.3);
      }
      LE.forEach((le, k) => {
        lines.push(`http_server_request_duration_seconds_bucket{${labelText({ ...labels, le: String(le) })}} ${buckets[k]} ${t}`);
      });
      lines.push(`http_server_request_duration_seconds_bucket{${labelText({ ...labels, le: '+Inf' })}} ${buckets[LE.length]} ${t}`);
      lines.push(`http_server_request_duration_seconds_count{${labelText(labels)}} ${buckets[LE.length]} ${t}`);
      lines.push(`http_server_request_duration_seconds_sum{${labelText(labels)}} ${sum.toFixed(3)} ${t}`);
    });
  }

  lines.push('# TYPE business_events counter');
  const events: Array<[string, (t: number) => number]> = [
    ['landing.viewed', () => 100],
    ['user.signed_up', (t) => (during(t) ? 30 : 50)],
    ['checkout.completed', (t) => (during(t) ? 12 : 20)],
  ];
  for (const [event, per] of events) {
    let total = 0;
    stamps.forEach((t, i) => {
      if (i > 0) total += per(t);
      lines.push(`business_events_total{${labelText({ event, service: 'web', env: 'test' })}} ${total} ${t}`);
    });
  }

  lines.push('# TYPE periscope_build_info gauge');
  const builds: Array<[string, string, string, number, number]> = [
    ['web', '2.0.0', '1111111', start, end],
    ['accounts', '3.1.0', '2222222', start, end],
    ['billing', '1.4.0', 'a1b2c3d', start, times.deploy - SCRAPE],
    ['billing', '1.5.0', 'e4f5a6b', times.deploy, end],
  ];
  for (const [service, version, revision, from, to] of builds) {
    const labels = labelText({ service, env: 'test', service_name: service, service_version: version, vcs_revision: revision });
    for (const t of stamps) if (t >= from && t <= to) lines.push(`periscope_build_info{${labels}} 1 ${t}`);
  }

  lines.push('# TYPE ALERTS gauge');
  const alert = labelText({ alertname: 'AccountsHighErrorRatio', alertstate: 'firing', service: 'accounts', severity: 'page' });
  for (const t of stamps) if (t >= times.alertStart && t <= times.alertEnd) lines.push(`ALERTS{${alert}} 1 ${t}`);

  lines.push('# EOF', '');
  return { openMetrics: lines.join('\n'), times };
}

export interface BackfilledPrometheus {
  url: string;
  stop(): Promise<void>;
}

/**
 * Backfills `openMetrics` with promtool and starts Prometheus on the result
 * (exemplar storage on unless `exemplars: false`; `extraArgs` such as
 * `--query.max-samples=...` are added to its command line). No scrape targets: the data
 * is all there is.
 */
export async function startBackfilledPrometheus(
  openMetrics: string,
  options: { exemplars?: boolean; extraArgs?: readonly string[] } = {},
): Promise<BackfilledPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'periscope-review-'));
  const data = join(dir, 'data');
  await writeFile(join(dir, 'incident.om'), openMetrics);
  await exec('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'incident.om'), data], { maxBuffer: 16 * 1024 * 1024 });
  await writeFile(join(dir, 'prometheus.yml'), 'global: { scrape_interval: 15s, evaluation_interval: 15s }\nscrape_configs: []\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options.exemplars === false ? [] : ['--enable-feature=exemplar-storage']),
      ...(options.extraArgs ?? []),
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => output.push(String(c)));
  child.stderr?.on('data', (c: Buffer) => output.push(String(c)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`prometheus on the backfilled data did not become ready:\n${output.join('')}`);
}
