import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { shopFunnels } from '@periscope/example-shop-kit';
import { UsageError } from '@periscope/example-traffic';
import { DEMO_USAGE, parseDemoArgs } from './args.js';
import { type Child, forkChild, stopChild, waitReady } from './children.js';
import { type OtlpInbox, startOtlpInbox } from './otlp-inbox.js';
import { detectStack, portIsFree } from './stack.js';

/**
 * `pnpm demo`: the shop's three services, simulated visitors and
 * `periscope top`, or, when the compose stack is up, the services pointed at
 * it and Grafana's URLs. Ctrl-C (or --seconds) stops the traffic first, then
 * every service (which flush their telemetry), and exits only once every
 * child has exited.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const SERVICES = [
  { name: 'accounts', script: here('../../accounts/dist/main.js'), port: 8081, metricsPort: 9465 },
  { name: 'billing', script: here('../../billing/dist/main.js'), port: 8082, metricsPort: 9466 },
  { name: 'web', script: here('../../web/dist/main.js'), port: 8080, metricsPort: 9464 },
] as const;
const say = (line: string): void => void process.stdout.write(`demo: ${line}\n`);

let options: ReturnType<typeof parseDemoArgs>;
try {
  options = parseDemoArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`demo: ${error.message}\n\n${DEMO_USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(DEMO_USAGE);
  process.exit(0);
}

const env = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`demo: ${name} must be a port number 0-65535, got "${raw}"\n`);
    process.exit(2);
  }
  return port;
};
const ports = SERVICES.map((s) => {
  const prefix = s.name.toUpperCase();
  return { ...s, port: env(`${prefix}_PORT`, s.port), metricsPort: env(`${prefix}_METRICS_PORT`, s.metricsPort), prefix };
});
for (const s of ports) {
  if (!(await portIsFree(s.port))) {
    process.stderr.write(`demo: port ${s.port} for ${s.name} is in use; free it or set ${s.prefix}_PORT (0 picks a free one)\n`);
    process.exit(1);
  }
}

const stack = await detectStack();
const tty = Boolean(process.stdout.isTTY) && !options.topArgs.includes('--plain');
const logDir = mkdtempSync(join(tmpdir(), 'periscope-demo-'));
const inbox: OtlpInbox | undefined = stack ? undefined : await startOtlpInbox();
const children: Child[] = [];
let stopping: Promise<never> | undefined;

/** Stops everything in order (traffic, view, front to back) and exits with `code`. */
function shutdown(code: number, why?: string): Promise<never> {
  stopping ??= (async () => {
    const [traffic, top, ...services] = ['traffic', 'top', 'web', 'billing', 'accounts'].map((n) => children.find((c) => c.name === n));
    await Promise.all([traffic, top].map((c) => c && stopChild(c)));
    await Promise.all(services.map((c) => c && stopChild(c)));
    await inbox?.close();
    if (why) process.stderr.write(`demo: ${why}\n`);
    const ends = await Promise.all(children.map(async (c) => ({ c, end: await c.exited })));
    say(`stopped: ${ends.map(({ c, end }) => `${c.name} (pid ${c.process.pid}, ${end.signal ?? `exit ${end.code}`})`).join(', ')}`);
    if (inbox) say(`the local OTLP inbox received ${inbox.requests} trace exports (${Math.round(inbox.bytes / 1024)} KiB)`);
    say(`logs: ${logDir}`);
    process.exit(code);
  })();
  return stopping;
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

const otlp = stack ? 'http://127.0.0.1:4318' : (inbox as OtlpInbox).url;
say(
  stack
    ? 'compose stack found (Prometheus :9090, Tempo :4318, Grafana :3000): sending telemetry there'
    : `no compose stack running: traces go to a local OTLP inbox at ${otlp}`,
);
const urls: Record<string, string> = {};
const targets: string[] = [];
for (const s of ports) {
  const child = forkChild(s.name, s.script, [], {
    detached: true,
    logFile: join(logDir, `${s.name}.log`),
    env: {
      ...process.env,
      HOST: stack ? '0.0.0.0' : '127.0.0.1',
      PORT: String(s.port),
      METRICS_PORT: String(s.metricsPort),
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      ACCOUNTS_URL: urls.accounts ?? '',
      BILLING_URL: urls.billing ?? '',
    },
  });
  children.push(child);
  try {
    const ready = await waitReady(child, 20_000);
    const url = ready.url.replace('0.0.0.0', '127.0.0.1');
    urls[s.name] = url;
    targets.push(`${s.name}=${ready.metricsUrl}`);
    say(`${s.name.padEnd(8)} ${url}  metrics ${ready.metricsUrl}  pid ${child.process.pid}`);
  } catch (error) {
    await shutdown(
      1,
      `${s.name} failed to start (ports: ${s.prefix}_PORT=${s.port}, ${s.prefix}_METRICS_PORT=${s.metricsPort}): ${(error as Error).message}`,
    );
  }
  void child.exited.then(({ code, signal }) => {
    if (!stopping) void shutdown(1, `${s.name} exited unexpectedly (${signal ?? `code ${code}`}); see ${child.logFile}`);
  });
}

const traffic = forkChild(
  'traffic',
  here('../../traffic/dist/main.js'),
  ['--web', urls.web as string, '--accounts', urls.accounts as string, '--billing', urls.billing as string, ...options.trafficArgs],
  { detached: true, logFile: tty ? join(logDir, 'traffic.log') : undefined, env: process.env },
);
children.push(traffic);
if (traffic.process.stdout) createInterface({ input: traffic.process.stdout }).on('line', (line) => say(line));
say(`traffic  pid ${traffic.process.pid} (${options.trafficArgs.join(' ')})`);
void traffic.exited.then(({ code }) => {
  if (!stopping) void shutdown(code === 0 ? 0 : 1, code === 0 ? undefined : `traffic exited with code ${code}`);
});
say(`logs in ${logDir}; try: curl -i ${urls.web}/ -H 'x-correlation-id: my-journey-1'`);

if (stack) {
  say('Grafana:   http://localhost:3000/d/periscope-red        service RED overview (rate, errors, p50/p95/p99 with exemplars)');
  say('           http://localhost:3000/d/periscope-business   business events and the signup funnel');
  say('           http://localhost:3000/d/periscope-runtime    runtime and Periscope self-telemetry');
  say('           http://localhost:3000/d/periscope-slo        SLOs: error budgets and burn rates');
  say('Explore:   http://localhost:3000/explore      (Tempo: search by service.name=web; Loki: {service="web"})');
  say('Prometheus http://localhost:9090   Ctrl-C stops the demo');
} else {
  const funnel = Object.entries(shopFunnels).map(([name, steps]) => `${name}=${steps.join(',')}`);
  const top = forkChild(
    'top',
    here('../../../packages/cli/dist/cli.js'),
    ['top', ...targets, ...funnel.flatMap((f) => ['--funnel', f]), ...options.topArgs],
    {
      detached: false,
      inheritStdio: true,
      env: process.env,
    },
  );
  children.push(top);
  say(`periscope top  pid ${top.process.pid}`);
  void top.exited.then(() => {
    if (!stopping) void shutdown(0);
  });
}
if (options.seconds > 0) setTimeout(() => void shutdown(0), options.seconds * 1000);
