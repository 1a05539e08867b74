/**
 * Microbenchmarks (`pnpm bench --micro`): the per-call cost of the pieces on
 * Periscope's hot path, each against its plain counterpart where one exists.
 * Each case runs in its own process (so one case's garbage and JIT state do
 * not bleed into the next): a warm-up, then 7 timed runs of N calls; the
 * table shows the median nanoseconds per call and the min–max over runs.
 * Processes are pinned to CPU 0 when `taskset` exists.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { checkInboundId, createTelemetry, defineEvents } from '@periscope/sdk';
import pino from 'pino';
import { Histogram, Registry } from 'prom-client';
import { boundaryCases } from './micro-boundary.mjs';

const RUNS = 7;
const sink = { write() {} };
const events = defineEvents({
  'checkout.completed': { labels: ['plan'], value: 'amount_usd', properties: ['coupon'] },
});
const telemetry = createTelemetry({
  serviceName: 'micro',
  env: {},
  events,
  logs: { destination: sink },
  metrics: { server: false, runtime: false },
  traces: { exporter: 'none' },
  outbound: false,
});
const quiet = createTelemetry({
  serviceName: 'micro-quiet',
  env: {},
  events,
  logs: { destination: sink, accessLog: false, level: 'warn' },
  metrics: { server: false, runtime: false },
  traces: { exporter: 'none' },
  outbound: false,
});

// All signals as the servers run them, but lines go to a no-op stream, and spans to a receiver in this process
// that answers at once. The timed loop runs no I/O, so each run is followed by a flush that empties the export
// queue. What this leaves out of the request path: the stdout write, and building and sending export requests.
const receiver = createServer((req, res) => req.resume().on('end', () => res.end()));
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
receiver.unref();
const full = createTelemetry({
  serviceName: 'micro-full',
  env: {},
  logs: { destination: sink },
  metrics: { server: false, runtime: false },
  // A queue that holds a whole timed run, so every span is copied into it as in a server.
  traces: { endpoint: `http://127.0.0.1:${receiver.address().port}/v1/traces`, protocol: 'http/protobuf', maxQueueSize: 100_000 },
  outbound: false,
  diagnosticLevel: 'silent',
});
const requestHeaders = { host: '127.0.0.1:3000', 'user-agent': 'autocannon', connection: 'keep-alive' };

// A request context to run inside, as a handler would.
const observation = telemetry.http.start({ method: 'GET', url: '/users/1', headers: { 'x-correlation-id': 'micro-1' } });
const plainPino = pino({ base: { service: 'micro', env: 'bench' }, timestamp: pino.stdTimeFunctions.epochTime }, sink);
const registry = new Registry();
const histogram = new Histogram({ name: 'plain_seconds', help: 'h', labelNames: ['m', 'r', 's'], registers: [registry] });
const traceparent = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
const getter = { keys: (c) => Object.keys(c), get: (c, k) => c[k] };

const cases = [
  [
    'track() inside a request (counter, value, log line, span event)',
    100_000,
    () => observation.run(() => telemetry.track('checkout.completed', { plan: 'pro', amount_usd: 12, coupon: 'X' })),
  ],
  [
    'track() with the log line filtered out by level',
    200_000,
    () => observation.run(() => quiet.track('checkout.completed', { plan: 'pro', amount_usd: 12 })),
  ],
  [
    'log line with context injection (telemetry.logger, in a request)',
    200_000,
    () => telemetry.logger.info('hello'),
    // The timed loop runs inside the request, as a handler's lines are written: the line's cost, not run()'s.
    { inside: observation },
  ],
  ['log line, plain pino (same stream, no mixin, no redaction)', 200_000, () => plainPino.info('hello')],
  [
    'one HTTP observation: start + finish (span, histogram + guard, no access log)',
    100_000,
    () => quiet.http.start({ method: 'GET', url: '/users/1', headers: {} }).finish({ route: '/users/:id', statusCode: 200 }),
  ],
  [
    'one request, all signals: start + finish, access line, span encoded into the export queue, histogram + exemplar',
    50_000,
    () =>
      full.http
        .start({
          method: 'GET',
          url: '/users/42',
          headers: requestHeaders,
          scheme: 'http',
          serverPort: 3000,
          clientAddress: '127.0.0.1',
          httpVersion: '1.1',
        })
        .finish({ route: '/users/:id', statusCode: 200 }),
    { between: () => full.forceFlush() },
  ],
  ['histogram observation, plain prom-client', 500_000, () => histogram.observe({ m: 'GET', r: '/users/:id', s: '200' }, 0.012)],
  ['correlation-ID check (checkInboundId, 36 chars)', 2_000_000, () => checkInboundId('3f1c7a2e-9b1d-4c8e-a7f2-1d2c3b4a5e6f', 128)],
  ['traceparent extract (W3C propagator)', 500_000, () => propagation.extract(ROOT_CONTEXT, traceparent, getter)],
  ['span start + end (sampled, no exporter)', 200_000, () => telemetry.tracer.startSpan('op', undefined, context.active()).end()],
  // Module boundaries: [name, n, setup() => fn, { async }].
  ...boundaryCases.map(([name, n, setup, kind]) => [name, n, undefined, { setup, ...kind }]),
];

function time(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Awaits each call before the next: the cost of one call plus its settlement. */
async function timeAsync(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - start) / n;
}

/** Runs case `index` here and returns its row. */
async function runCase(index) {
  const [name, n, plain, kind] = cases[index];
  const fn = kind?.setup ? await kind.setup() : plain;
  const timer = kind?.async
    ? timeAsync
    : kind?.inside
      ? async (f, count) => kind.inside.run(() => time(f, count))
      : async (f, count) => time(f, count);
  await timer(fn, Math.ceil(n / 5));
  await kind?.between?.();
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await timer(fn, n));
    await kind?.between?.();
  }
  await Promise.all([telemetry.shutdown(), quiet.shutdown(), full.shutdown()]);
  return { name, ns: median(runs), min: Math.min(...runs), max: Math.max(...runs) };
}

export async function runMicro() {
  const self = fileURLToPath(import.meta.url);
  let pin = [];
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    pin = ['taskset', '-c', '0'];
  } catch {
    // No taskset: unpinned.
  }
  const rows = [];
  for (let i = 0; i < cases.length; i++) {
    const [command, ...args] = [...pin, process.execPath, self, String(i)];
    rows.push(JSON.parse(execFileSync(command, args, { encoding: 'utf8' })));
  }
  await Promise.all([telemetry.shutdown(), quiet.shutdown(), full.shutdown()]);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] !== undefined) {
  process.stdout.write(JSON.stringify(await runCase(Number(process.argv[2]))));
}

export function renderMicro(rows) {
  const lines = ['| case | ns/call median | min–max |', '|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.name} | ${r.ns.toFixed(0)} | ${r.min.toFixed(0)}–${r.max.toFixed(0)} |`);
  return lines.join('\n');
}
