/**
 * `periscope review` end to end against the example shop: the demo (web on
 * Express, accounts on Fastify, billing on Nest, the traffic generator walking
 * the signup funnel) runs headless while a real Prometheus scrapes the three
 * services with the repository's rules. Faults open mid-run (accounts answers
 * 40% errors, billing gets 300 ms slower, for 8 s; 20 s when
 * writing the sample) and close again, so there is a
 * baseline, an incident and a recovery. The built CLI is run as a user would
 * (`node packages/cli/dist/cli.js review ...`) and its report is checked
 * against the times the demo printed when it switched the faults.
 *
 * PERISCOPE_WRITE_SAMPLE=1 rewrites the sample report in docs/review-sample/.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../packages/sdk/test/support/prometheus.js';
import { type StackPrometheus, startStackPrometheus } from './support/prometheus.js';
import { repoPath } from './support/repo.js';

const exec = promisify(execFile);
const SERVICES = ['web', 'accounts', 'billing'] as const;
const WRITE_SAMPLE = process.env.PERISCOPE_WRITE_SAMPLE === '1';
// Short in CI; the committed sample runs longer so its charts have more to show.
const FAULT_AFTER_S = WRITE_SAMPLE ? 30 : 15;
const FAULT_WINDOW_S = WRITE_SAMPLE ? 20 : 8;
/** Margin of the review window around the fault window, in seconds. */
const MARGIN_S = WRITE_SAMPLE ? 5 : 3;

interface Route {
  service: string;
  method: string;
  route: string;
  affected: boolean;
  reasons: string[];
}
interface Report {
  step: number;
  impact: { routes: Route[]; events: Array<{ name: string }> };
  timeline: {
    impactStart: number | null;
    impactEnd: number | null;
    signals: Array<{ subject: string; start: number | null; end: number | null }>;
  };
  evidence: {
    routes: Array<
      Route & { exemplars: Array<{ traceId: string; kind: string; status?: string }>; links: Array<{ label: string; url: string }> }
    >;
    exemplars: { status: string };
    tempo: { status: string; notes: string[] };
    loki: { status: string; notes: string[] };
  };
}

let demo: ChildProcess;
let prometheus: StackPrometheus;
let out: string;
const output: string[] = [];
let faultOpen = 0;
let faultClosed = 0;
let markdown = '';
let report: Report;
let stderr = '';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'periscope-review-e2e-'));
  const metricsPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const)));
  // Prometheus first: its first scrape waits about 5 s for service discovery, while the shop starts.
  prometheus = await startStackPrometheus(
    SERVICES.map((service) => ({ target: `127.0.0.1:${metricsPorts[service]}`, service, env: 'demo' })),
  );
  const args = ['--plain', '--rate', '12', '--seconds', '90'];
  args.push('--fault', 'accounts:errors=40%', '--fault', 'billing:latency=300ms');
  args.push('--fault-after', `${FAULT_AFTER_S}s`, '--fault-window', `${FAULT_WINDOW_S}s`);
  demo = spawn(process.execPath, [repoPath('examples/demo/dist/main.js'), ...args], {
    env: {
      ...process.env,
      WEB_PORT: '0',
      ACCOUNTS_PORT: '0',
      BILLING_PORT: '0',
      WEB_METRICS_PORT: String(metricsPorts.web),
      ACCOUNTS_METRICS_PORT: String(metricsPorts.accounts),
      BILLING_METRICS_PORT: String(metricsPorts.billing),
      NODE_ENV: 'demo',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The traffic generator prints these lines once the services have acknowledged the switch.
  demo.stdout?.on('data', (chunk: Buffer) => {
    const text = String(chunk);
    output.push(text);
    if (!faultOpen && text.includes('fault window open')) faultOpen = Date.now() / 1000;
    if (!faultClosed && text.includes('fault window closed')) faultClosed = Date.now() / 1000;
  });
  demo.stderr?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  const deadline = Date.now() + (FAULT_AFTER_S + FAULT_WINDOW_S + 20) * 1000;
  while (!faultClosed && Date.now() < deadline) await sleep(250);
  if (!faultOpen || !faultClosed) throw new Error(`the demo never opened and closed its fault window:\n${output.join('')}`);
  // Let Prometheus scrape past the end of the review window.
  await sleep((MARGIN_S + 2) * 1000);

  const from = new Date((faultOpen - MARGIN_S) * 1000).toISOString();
  const to = new Date((faultClosed + MARGIN_S) * 1000).toISOString();
  const cli = repoPath('packages/cli/dist/cli.js');
  const common = ['review', '--prometheus', prometheus.url, '--from', from, '--to', to, '--grafana', 'http://localhost:3000'];
  const md = await exec(process.execPath, [cli, ...common, '--out', join(out, 'report.md')]);
  stderr = md.stderr;
  await exec(process.execPath, [cli, ...common, '--json', '--out', join(out, 'report.json')]);
  markdown = await readFile(join(out, 'report.md'), 'utf8');
  report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
  if (WRITE_SAMPLE) {
    const sample = repoPath('docs/review-sample');
    await rm(sample, { recursive: true, force: true });
    await cp(out, sample, { recursive: true });
  }
}, 150_000);

afterAll(async () => {
  await prometheus?.stop();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGINT');
    await once(demo, 'exit');
  }
  if (out) await rm(out, { recursive: true, force: true });
});

describe('periscope review against the live shop with an injected fault', () => {
  it('names accounts (errors) and billing (latency) among the routes that moved', () => {
    const affected = report.impact.routes.filter((r) => r.affected);
    const accounts = affected.filter((r) => r.service === 'accounts' && r.reasons.some((x) => x.startsWith('errors +')));
    const billing = affected.filter((r) => r.service === 'billing' && r.reasons.some((x) => /^p(95|99) ×/.test(x)));
    expect(accounts.length, JSON.stringify(affected)).toBeGreaterThan(0);
    expect(billing.length, JSON.stringify(affected)).toBeGreaterThan(0);
    expect(markdown).toContain(`**${accounts[0]?.service} ${accounts[0]?.method} ${accounts[0]?.route}**`);
    expect(stderr).toMatch(/Impact \d\d:\d\d:\d\d → \d\d:\d\d:\d\d UTC/);
  });

  it('finds the impact window where the demo opened and closed the faults', () => {
    // 1 s scrapes and 1 s steps; the switch itself takes a request to every service: allow 3 s.
    expect(report.step).toBe(1);
    expect(Math.abs((report.timeline.impactStart ?? 0) - faultOpen), JSON.stringify(report.timeline.signals)).toBeLessThanOrEqual(3);
    expect(Math.abs((report.timeline.impactEnd ?? 0) - faultClosed), JSON.stringify(report.timeline.signals)).toBeLessThanOrEqual(3);
    const errors = report.timeline.signals.find((s) => s.subject.startsWith('accounts ') && s.subject.endsWith(' error ratio'));
    expect(errors, JSON.stringify(report.timeline.signals)).toBeDefined();
    expect(Math.abs((errors?.start ?? 0) - faultOpen)).toBeLessThanOrEqual(3);
  });

  it('links exemplar trace IDs of failing accounts requests, and says Tempo and Loki were skipped', () => {
    const accounts = report.evidence.routes.find((r) => r.service === 'accounts' && r.exemplars.some((e) => e.kind === 'failing'));
    expect(accounts, JSON.stringify(report.evidence.routes.map((r) => [r.service, r.route, r.exemplars.length]))).toBeDefined();
    for (const e of accounts?.exemplars ?? []) expect(e.traceId).toMatch(/^[0-9a-f]{32}$/);
    const failing = accounts?.exemplars.find((e) => e.kind === 'failing');
    expect(failing?.status).toMatch(/^5\d\d$/);
    expect(accounts?.links.some((l) => l.label === `trace ${failing?.traceId}` && l.url.startsWith('http://localhost:3000/explore?'))).toBe(
      true,
    );
    expect(report.evidence.tempo).toMatchObject({ status: 'skipped' });
    expect(report.evidence.loki).toMatchObject({ status: 'skipped' });
    expect(markdown).toContain('Traces: skipped, no `--tempo` URL given.');
  });

  it('writes one SVG chart per affected route beside the report, each linked from it', async () => {
    const svgs = (await readdir(out)).filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBe(report.evidence.routes.length);
    for (const svg of svgs) expect(markdown).toContain(`](${svg})`);
  });
});
