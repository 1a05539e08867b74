import { performance } from 'node:perf_hooks';
import { type ExpectStatic, it } from 'vitest';
import { parseExposition } from '../../../packages/sdk/test/support/parse-metrics.js';
import { type FaultMode, FaultReceiver } from './support/fault-receiver.js';
import { startLoad } from './support/load.js';
import { type LoadApp, startLoadApp, total } from './support/load-app.js';

/**
 * Issue 9, item 2: SIGTERM during load, on a real service in its own process
 * (Express and Fastify through their plugins, `shutdown.signals: true`,
 * `beforeFlush` closing the HTTP server, pino's asynchronous stdout):
 *
 * - healthy backend: every request in flight at the signal gets its complete
 *   response; every span (2 per request) reaches the receiver and every log
 *   line (2 per request) reaches stdout: none lost; the process exits by the
 *   signal, within `shutdown.timeoutMillis`;
 * - black-holed backend: the same responses and log lines, the process still
 *   exits within the deadline, and every span not delivered is counted
 *   (read from the self-metrics the service prints as it exits).
 *
 * The exit bound is `shutdown.timeoutMillis` + {@link EXIT_MARGIN_MS}: a bound
 * on exiting at all, not a performance figure.
 */

const SPANS_PER_REQUEST = 2;
/** Process teardown after the deadline, on a shared machine (and, with REPORT_ON_EXIT, rendering the metrics). */
const EXIT_MARGIN_MS = 1500;
/** Each request spends this long in its handler, so requests are certainly in flight when the signal lands. */
const HANDLER_WAIT_MS = 1500;

interface Shutdown {
  app: LoadApp;
  receiver: FaultReceiver;
  answered: number;
  inflightAtSignal: number;
  exitMillis: number;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  errors: Record<string, number>;
  statuses: Record<number, number>;
}

async function sigtermUnderLoad(
  expect: ExpectStatic,
  framework: 'express' | 'fastify',
  mode: FaultMode,
  env: Record<string, string>,
): Promise<Shutdown> {
  const receiver = await FaultReceiver.start();
  await receiver.setMode(mode);
  const app = await startLoadApp(framework, { OTLP_URL: receiver.url, SIGNALS: '1', LOGS: 'stdout', ...env });
  try {
    // As many connections as requests can be outstanding (rate x handler time), so none waits in the client.
    const load = startLoad({
      origin: app.url,
      path: (i) => `/work/s${i}?wait=${HANDLER_WAIT_MS}`,
      rate: 200,
      count: 100_000,
      connections: 256,
    });
    // Issue for a while, then stop issuing; the signal goes only once every outstanding request is inside a handler
    // (the service says how many are), so none is still on the wire when the server stops accepting.
    for (let i = 0; i < 500 && load.issued() < 150; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    load.stop();
    let inflight = -1;
    let outstanding = -2;
    for (let i = 0; i < 500 && inflight !== outstanding; i++) {
      inflight = (await app.stats()).inflight;
      outstanding = load.issued() - load.settled();
    }
    expect(inflight, 'every outstanding request is inside a handler').toBe(outstanding);
    expect(inflight, 'requests in flight at the signal').toBeGreaterThan(0);
    const signalled = performance.now();
    app.process.kill('SIGTERM');
    const result = await load.done;
    const exit = await app.exited;
    return {
      app,
      receiver,
      answered: result.ok,
      inflightAtSignal: inflight,
      exitMillis: exit.at - signalled,
      exit: { code: exit.code, signal: exit.signal },
      errors: result.errors,
      statuses: result.statuses,
    };
  } catch (error) {
    await app.stop();
    await receiver.close();
    throw error;
  }
}

/** Lines the service wrote on stdout, parsed; throws on a torn line. */
function logLines(app: LoadApp): Array<Record<string, unknown>> {
  return app
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

it.concurrent.for(['express', 'fastify'] as const)(
  '%s: SIGTERM under load with a healthy backend: in-flight requests complete, every span and log line is flushed, exit within the deadline',
  { timeout: 60_000 },
  async (framework, { expect }) => {
    const shutdownMillis = 5000;
    // A long export delay and a large queue: the spans are still queued at the signal; only the shutdown flush delivers them.
    const run = await sigtermUnderLoad(
      expect,
      framework,
      { kind: 'healthy' },
      {
        SHUTDOWN_MS: String(shutdownMillis),
        DELAY_MS: '60000',
        MAX_QUEUE: '100000',
        BATCH: '100000',
      },
    );
    try {
      expect({ errors: run.errors, statuses: run.statuses }).toEqual({ errors: {}, statuses: {} });
      expect(run.answered).toBeGreaterThanOrEqual(150);
      expect(run.exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(run.exitMillis).toBeLessThanOrEqual(shutdownMillis + EXIT_MARGIN_MS);
      expect(run.receiver.accepted.size, 'spans received').toBe(run.answered * SPANS_PER_REQUEST);
      const lines = logLines(run.app);
      expect(lines.filter((l) => l.msg === 'work done')).toHaveLength(run.answered);
      expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(run.answered);
      console.log(
        `[shutdown, ${framework}, healthy] answered ${run.answered}, in flight at SIGTERM ${run.inflightAtSignal}, spans ${run.receiver.accepted.size}, exit after ${run.exitMillis.toFixed(0)} ms`,
      );
    } finally {
      await run.app.stop();
      await run.receiver.close();
    }
  },
);

it.concurrent.for(['express', 'fastify'] as const)(
  '%s: SIGTERM under load with a black-holed backend: in-flight requests complete, logs flushed, exit within the deadline, every span counted',
  { timeout: 60_000 },
  async (framework, { expect }) => {
    const shutdownMillis = 3000;
    // Exports start during the load and hang; the export timeout is longer than the deadline, so one is in flight at it.
    const run = await sigtermUnderLoad(
      expect,
      framework,
      { kind: 'blackhole' },
      {
        SHUTDOWN_MS: String(shutdownMillis),
        DELAY_MS: '100',
        MAX_QUEUE: '100000',
        BATCH: '200',
        EXPORT_TIMEOUT_MS: '30000',
        REPORT_ON_EXIT: '1',
      },
    );
    try {
      expect({ errors: run.errors, statuses: run.statuses }).toEqual({ errors: {}, statuses: {} });
      expect(run.exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(run.exitMillis).toBeLessThanOrEqual(shutdownMillis + EXIT_MARGIN_MS);
      const lines = logLines(run.app);
      expect(lines.filter((l) => l.msg === 'work done')).toHaveLength(run.answered);
      expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(run.answered);
      // The black hole held the exports: nothing accepted; every span counted as dropped.
      const final = /^FINAL (.+)$/m.exec(run.app.stderr());
      expect(final, 'the self-metrics printed at exit').not.toBeNull();
      const page = parseExposition(JSON.parse(final?.[1] ?? '""') as string);
      const sent = run.answered * SPANS_PER_REQUEST;
      expect(run.receiver.accepted.size).toBe(0);
      expect(run.receiver.arrivals.length, 'exports attempted').toBeGreaterThan(0);
      expect({
        exported: total(page, 'periscope_spans_exported_total'),
        dropped: total(page, 'periscope_spans_dropped_total'),
      }).toEqual({ exported: 0, dropped: sent });
      expect(total(page, 'periscope_spans_dropped_total', { reason: 'shutdown' })).toBeGreaterThan(0);
      console.log(
        `[shutdown, ${framework}, black hole] answered ${run.answered}, in flight at SIGTERM ${run.inflightAtSignal}, dropped ${total(page, 'periscope_spans_dropped_total')} (shutdown ${total(page, 'periscope_spans_dropped_total', { reason: 'shutdown' })}), exit after ${run.exitMillis.toFixed(0)} ms`,
      );
    } finally {
      await run.app.stop();
      await run.receiver.close();
    }
  },
);
