/**
 * `periscope review` against a real Prometheus (Debian's package) loaded with
 * deterministic incident data (test/support/review-backfill.ts: OpenMetrics
 * backfilled with promtool). The fixture's own timestamps are the truth the
 * report is checked against: services, routes, start and end within one step,
 * and the size of each change.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sdk/test/support/prometheus.js';
import { parseReviewArgs } from '../src/review/args.js';
import type { ReviewReport } from '../src/review/model.js';
import { buildReview, runReview } from '../src/review/run-review.js';
import { type BackfilledPrometheus, type Fixture, incidentFixture, SCRAPE, startBackfilledPrometheus } from './support/review-backfill.js';

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const FUNNELS = fileURLToPath(new URL('../../../observability/prometheus/funnels.config.mjs', import.meta.url));
const review = (...args: string[]) =>
  exec(process.execPath, [cli, 'review', ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

/** The same command in this process (no Node start-up per call), with stdout and stderr collected. */
async function reviewHere(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const streams = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, done) {
        streams[key] += String(chunk);
        done();
      },
    });
  const code = await runReview(parseReviewArgs(args), { stdout: sink('stdout'), stderr: sink('stderr') });
  return { code, ...streams };
}

let fixture: Fixture;
let prometheus: BackfilledPrometheus;
let report: ReviewReport;
let dir: string;

/** The window handed to the CLI: ten minutes either side of the incident. */
const windowArgs = () => ['--from', String(fixture.times.incidentStart - 600), '--to', String(fixture.times.incidentEnd + 600)];

beforeAll(async () => {
  fixture = incidentFixture(Date.now() / 1000);
  prometheus = await startBackfilledPrometheus(fixture.openMetrics);
  dir = await mkdtemp(join(tmpdir(), 'periscope-review-out-'));
  report = (await buildReview(parseReviewArgs(['--prometheus', prometheus.url, ...windowArgs(), '--config', FUNNELS]))).report;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('periscope review against a backfilled Prometheus', () => {
  it('ranks the two faulty routes first, names why, and blames no healthy route', () => {
    const affected = report.impact.routes.filter((r) => r.affected).map((r) => `${r.service} ${r.method} ${r.route}`);
    expect(new Set(affected)).toEqual(new Set(['accounts POST /users', 'billing POST /charges']));
    expect(report.impact.routes.slice(0, 2).every((r) => r.affected)).toBe(true);
    expect(report.step).toBe(SCRAPE);
    expect(report.scrapeInterval).toBe(SCRAPE);
  });

  it('finds the impact period within one step and measures the changes over it', () => {
    const { incidentStart, incidentEnd } = fixture.times;
    expect(Math.abs((report.timeline.impactStart ?? 0) - incidentStart)).toBeLessThanOrEqual(report.step);
    expect(Math.abs((report.timeline.impactEnd ?? 0) - incidentEnd)).toBeLessThanOrEqual(report.step);
    expect(report.impact.measured.over).toBe('impact');

    const charges = report.impact.routes.find((r) => r.route === '/charges')!;
    // Fixture: p95 175 ms → 875 ms (Prometheus interpolates linearly inside the buckets it was written for).
    expect(charges.baseline?.p95).toBeCloseTo(0.175, 3);
    expect(charges.incident.p95).toBeCloseTo(0.875, 3);
    expect(charges.reasons).toContain('p95 ×5.0');
    expect(charges.incident.errorRatio).toBe(0);

    const users = report.impact.routes.find((r) => r.route === '/users')!;
    expect(users.baseline?.errorRatio).toBeCloseTo(0.01, 3);
    expect(users.incident.errorRatio).toBeCloseTo(0.3, 3);
    expect(users.reasons).toContain('errors +29.0 pp');
  });

  it('each signal of the faulty routes leaves its band at the incident start and is back one step after its end', () => {
    const { incidentStart, incidentEnd } = fixture.times;
    for (const subject of ['billing POST /charges p95', 'accounts POST /users error ratio', 'event user.signed_up']) {
      const signal = report.timeline.signals.find((s) => s.subject === subject);
      expect(signal, subject).toBeDefined();
      expect(Math.abs((signal?.start ?? 0) - incidentStart), subject).toBeLessThanOrEqual(report.step);
      expect(Math.abs((signal?.end ?? 0) - incidentEnd), subject).toBeLessThanOrEqual(report.step);
      // Back inside at the first step whose range holds no incident sample: at most two steps after the end.
      expect(signal?.recovered ?? 0, subject).toBeGreaterThan(incidentEnd);
      expect(signal?.recovered ?? Number.POSITIVE_INFINITY, subject).toBeLessThanOrEqual(incidentEnd + 2 * report.step);
    }
    expect(report.timeline.signals.find((s) => s.subject.startsWith('billing POST /charges p95'))?.peak?.value).toBeCloseTo(0.875, 3);
  });

  it('sign-ups −40%, and the funnel conversion to sign-up −40% while sign-up → checkout holds', () => {
    const signups = report.impact.events.find((e) => e.name === 'user.signed_up')!;
    expect(signups.change).toBeCloseTo(-0.4, 2);
    expect(report.impact.events.find((e) => e.name === 'landing.viewed')?.change).toBeCloseTo(0, 2);
    const step = (from: string, to: string) => report.impact.funnels.find((f) => f.from === from && f.to === to);
    expect(step('landing.viewed', 'user.signed_up')?.change).toBeCloseTo(-0.4, 2);
    expect(step('user.signed_up', 'checkout.completed')?.change).toBeCloseTo(0, 2);
  });

  it('lists the billing deploy before the incident and the alert that fired, at their times', () => {
    expect(report.timeline.deploys).toHaveLength(1);
    const [deploy] = report.timeline.deploys;
    expect(deploy).toMatchObject({ service: 'billing', fromVersion: '1.4.0', toVersion: '1.5.0', toRevision: 'e4f5a6b', inWindow: true });
    expect(Math.abs((deploy?.at ?? 0) - fixture.times.deploy)).toBeLessThanOrEqual(report.step);
    expect(report.timeline.alerts).toHaveLength(1);
    const [alert] = report.timeline.alerts;
    expect(alert).toMatchObject({ alertname: 'AccountsHighErrorRatio', labels: { service: 'accounts', severity: 'page' }, open: false });
    expect(Math.abs((alert?.first ?? 0) - fixture.times.alertStart)).toBeLessThanOrEqual(report.step);
    expect(Math.abs((alert?.last ?? 0) - fixture.times.alertEnd)).toBeLessThanOrEqual(report.step);
  });

  it('says plainly that backfilled data has no exemplars, and that Tempo and Loki were skipped', () => {
    expect(report.evidence.exemplars.status).toBe('partial');
    expect(report.evidence.exemplars.notes.join(' ')).toMatch(/no exemplars in the window/);
    expect(report.evidence.tempo).toMatchObject({ status: 'skipped' });
    expect(report.evidence.loki).toMatchObject({ status: 'skipped' });
    expect(report.missing).toEqual([]);
  });

  it('the CLI writes Markdown with one SVG chart per affected route beside it, and a terminal summary on stderr', async () => {
    const out = join(dir, 'md', 'report.md');
    const { code, stderr, stdout } = await review('--prometheus', prometheus.url, ...windowArgs(), '--config', FUNNELS, '--out', out);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    // Progress (stderr is not a terminal here: a line per phase), then the summary.
    for (const phase of ['impact: routes, events, funnels', 'timeline: bands, alerts, deploys', 'evidence: exemplars, traces, logs']) {
      expect(stderr).toContain(`periscope review: ${phase}\n`);
    }
    expect(stderr).toMatch(/Impact \d\d:\d\d:\d\d → \d\d:\d\d:\d\d UTC/);
    expect(stderr).toMatch(/accounts POST \/users: errors \+29\.0 pp/);
    expect(stderr).toMatch(/(\d+)\/\1 queries answered; wrote .*report\.md/);
    const markdown = await readFile(out, 'utf8');
    for (const heading of ['## Summary', '## Impact', '## Timeline', '### Alerts', '### Deploys', '## Evidence', '## What is missing']) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain('| billing POST /charges | 6.67 | 0.0% | 50 ms → 100 ms | 175 ms → 875 ms |');
    expect(markdown).toContain('Business event **user.signed_up**: −40%');
    const svgs = (await readdir(join(dir, 'md'))).filter((f) => f.endsWith('.svg')).sort();
    expect(svgs).toEqual(['report-1-accounts-post-users.svg', 'report-2-billing-post-charges.svg']);
    for (const svg of svgs) {
      expect(markdown).toContain(`](${svg})`);
      const text = await readFile(join(dir, 'md', svg), 'utf8');
      expect(text).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(text.match(/<polyline /g)).toHaveLength(3);
    }
  });

  it('--json prints the report as JSON on stdout, --service narrows it to one service', async () => {
    const { code, stdout } = await reviewHere('--prometheus', prometheus.url, ...windowArgs(), '--service', 'billing', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as ReviewReport;
    expect(new Set(json.impact.routes.map((r) => r.service))).toEqual(new Set(['billing']));
    expect(json.impact.routes.filter((r) => r.affected).map((r) => r.route)).toEqual(['/charges']);
    expect(json.timeline.deploys.map((d) => d.service)).toEqual(['billing']);
  });

  it('--baseline 1d: no data a day earlier gives a partial report that says so, exit 0', async () => {
    const { code, stdout } = await reviewHere('--prometheus', prometheus.url, ...windowArgs(), '--baseline', '1d', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as ReviewReport;
    expect(json.impact.status).toBe('partial');
    expect(json.impact.notes.join(' ')).toMatch(/no requests in the baseline window \(the same window 1d earlier\)/);
    expect(json.baseline.to).toBe(fixture.times.incidentEnd + 600 - 86_400);
  });

  it('a window with no data: a report that says so, exit 0', async () => {
    const before = fixture.times.start - 7200;
    const { code, stdout, stderr } = await reviewHere(
      '--prometheus',
      prometheus.url,
      '--from',
      String(before),
      '--to',
      String(before + 600),
    );
    expect(code).toBe(0);
    expect(stdout).toContain('no requests in the window');
    expect(stdout).toContain('No requests were measured in either window.');
    expect(stderr).toContain('No signal left its baseline band.');
  });

  it('--to before --from: a usage error naming --to, exit 2', async () => {
    const { code, stderr } = await review('--prometheus', prometheus.url, '--from', 'now-10m', '--to', 'now-20m');
    expect(code).toBe(2);
    expect(stderr).toMatch(/PERISCOPE_INVALID_OPTION: --to: .* is not after --from/);
  });

  it('a --config that cannot be loaded: a usage error naming --config, exit 2', async () => {
    const { code, stderr } = await review('--prometheus', prometheus.url, ...windowArgs(), '--config', join(dir, 'missing.mjs'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^periscope review: PERISCOPE_INVALID_OPTION: --config: .*missing\.mjs/m);
  });
});

describe('periscope review when backends fail', () => {
  let failing: Server;
  beforeAll(async () => {
    // A stand-in for a proxy in front of Prometheus that fails every call (503 with the API's error shape).
    failing = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'upstream down' }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => failing.close(resolve)));

  it('an unreachable Prometheus: a report listing what is missing, a clear message, exit 1', async () => {
    const port = await freePort();
    const out = join(dir, 'down', 'report.md');
    const { code, stderr } = await review('--prometheus', `http://127.0.0.1:${port}`, '--from', 'now-30m', '--out', out);
    expect(code).toBe(1);
    expect(stderr).toContain('connection refused');
    const markdown = await readFile(out, 'utf8');
    expect(markdown).toMatch(/## What is missing\n\n- prometheus scrape interval: connection refused/);
    expect(markdown).toContain('not queried: Prometheus unreachable (connection refused)');
  });

  it('a Prometheus answering errors: each failure named with the backend message, exit 1', async () => {
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const { code, stdout } = await reviewHere('--prometheus', url, '--from', 'now-30m', '--json');
    expect(code).toBe(1);
    const json = JSON.parse(stdout) as ReviewReport;
    expect(json.queries.failed).toBe(json.queries.total);
    expect(json.missing[0]).toBe('prometheus scrape interval: HTTP 503: upstream down');
    expect(json.impact.status).toBe('failed');
  });

  it('a Prometheus that never answers: each call gives up after --timeout, exit 1', async () => {
    // A stand-in that accepts connections and never responds (a hung server or a black-holing proxy).
    const hung = createServer(() => {});
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
      const { code, stdout } = await reviewHere('--prometheus', url, '--from', 'now-30m', '--timeout', '300ms', '--json');
      expect(code).toBe(1);
      const json = JSON.parse(stdout) as ReviewReport;
      expect(json.missing[0]).toBe('prometheus scrape interval: timed out after 0.3 s');
      expect(json.missing.slice(1).every((m) => m.endsWith('not queried: Prometheus unreachable (timed out after 0.3 s)'))).toBe(true);
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  it('a Prometheus refusing the heavier queries: a partial report with its message for each, exit 0', async () => {
    // A real limit of a real Prometheus: queries loading more than 2,000 samples fail, the lighter ones answer.
    const limited = await startBackfilledPrometheus(fixture.openMetrics, { extraArgs: ['--query.max-samples=2000'] });
    try {
      const { code, stdout } = await reviewHere('--prometheus', limited.url, ...windowArgs(), '--json');
      expect(code).toBe(0);
      const json = JSON.parse(stdout) as ReviewReport;
      expect(json.queries.failed).toBeGreaterThan(0);
      expect(json.queries.failed).toBeLessThan(json.queries.total);
      for (const line of json.missing) expect(line).toMatch(/query processing would load too many samples into memory/);
      expect(json.impact.status).toBe('partial');
      // The request counts answered: the routes are still there, with what could not be measured left null.
      expect(json.impact.routes.length).toBe(6);
    } finally {
      await limited.stop();
    }
  });

  it('a Prometheus without exemplar storage is named as the reason there are no trace IDs', async () => {
    const plain = await startBackfilledPrometheus(fixture.openMetrics, { exemplars: false });
    try {
      const { report: r } = await buildReview(parseReviewArgs(['--prometheus', plain.url, ...windowArgs()]));
      expect(r.evidence.exemplars.notes.join(' ')).toMatch(/without exemplar storage \(--enable-feature=exemplar-storage\)/);
      expect(r.impact.routes.filter((x) => x.affected)).toHaveLength(2);
    } finally {
      await plain.stop();
    }
  });
});
