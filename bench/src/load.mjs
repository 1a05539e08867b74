/**
 * The load driver: `node load.mjs '<json options>'`, an IPC child pinned to the
 * other CPU. A warm-up run, then the measured run.
 *
 * - As fast as the server answers (no `rate`): autocannon with a fixed number
 *   of connections. Latencies are taken per response from autocannon's
 *   `response` event, whose time is `process.hrtime` in fractional
 *   milliseconds (its own histogram rounds to whole milliseconds).
 * - At a fixed `rate` (requests per second): an open-loop driver of its own
 *   (see `paced`), because autocannon's `overallRate` sends each second's
 *   quota in a burst at the start of the second, which measures the queueing
 *   of that burst rather than the latency at a steady load.
 *
 * Latencies are kept in microseconds.
 */
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { percentile } from './stats.mjs';

const { url, connections, rate, warmupS, durationS } = JSON.parse(process.argv[2]);

function run(seconds, onResponse, paced) {
  if (paced && rate) return pacedRun(seconds, onResponse);
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
    instance.on('response', onResponse);
  });
}

/**
 * Sends request number i at `start + i / rate`, over up to `connections`
 * keep-alive connections, whatever the responses do (open loop). The loop
 * wakes on a 0 ms timer (about every millisecond) and sends what has come
 * due, so requests leave in small groups, as a real service's do. A latency
 * runs from the moment its request was handed to the HTTP client to its
 * response's end, so time spent waiting for a free connection counts, and the
 * driver's own wake-up delay does not. Resolves with the result fields of
 * autocannon's that `main` reads.
 */
function pacedRun(seconds, onResponse) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const totals = { errors: 0, timeouts: 0, non2xx: 0 };
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const endNs = BigInt(Math.round(seconds * 1e9));
    const intervalNs = 1e9 / rate;
    let sent = 0;
    let pending = 0;
    let stopping = false;
    const send = () => {
      pending++;
      const sentAt = process.hrtime.bigint();
      const req = request({ host: target.hostname, port: target.port, path: target.pathname, agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          pending--;
          const elapsedMs = Number(process.hrtime.bigint() - sentAt) / 1e6;
          onResponse(undefined, res.statusCode, 0, elapsedMs);
          if (stopping && pending === 0) finish();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => {
        pending--;
        if (error.message === 'timeout') totals.timeouts++;
        else totals.errors++;
        if (stopping && pending === 0) finish();
      });
      req.end();
    };
    const finish = () => {
      agent.destroy();
      resolve(totals);
    };
    const tick = () => {
      const now = process.hrtime.bigint() - start;
      if (now >= endNs) {
        stopping = true;
        if (pending === 0) finish();
        return;
      }
      const due = Math.floor(Number(now) / intervalNs);
      for (; sent <= due; sent++) send();
      setTimeout(tick, 0);
    };
    tick();
  });
}

async function main() {
  let warmupResponses = 0;
  // The warm-up is never paced: every cell's server gets the same JIT warm-up (as many requests as it can answer),
  // not the few thousand a paced second would give it.
  const warmup = await run(warmupS, () => warmupResponses++, false);

  let latenciesUs = new Float64Array(1 << 18);
  let count = 0;
  let non2xx = 0;
  process.send({ type: 'measuring' });
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await run(
    durationS,
    (_client, statusCode, _bytes, responseTimeMs) => {
      if (count === latenciesUs.length) {
        const bigger = new Float64Array(latenciesUs.length * 2);
        bigger.set(latenciesUs);
        latenciesUs = bigger;
      }
      latenciesUs[count++] = responseTimeMs * 1000;
      if (statusCode < 200 || statusCode >= 300) non2xx++;
    },
    true,
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);

  const sorted = latenciesUs.subarray(0, count).sort();
  process.send({
    type: 'result',
    warmup: { responses: warmupResponses, errors: warmup.errors + warmup.timeouts, non2xx: warmup.non2xx },
    responses: count,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    elapsedS,
    rps: count / elapsedS,
    p50Us: percentile(sorted, 0.5),
    p90Us: percentile(sorted, 0.9),
    p99Us: percentile(sorted, 0.99),
    maxUs: count ? sorted[count - 1] : Number.NaN,
    driverCpu: (cpu.user + cpu.system) / 1e6 / elapsedS,
  });
}

process.on('message', (message) => {
  if (message?.type === 'stop') process.exit(0);
});

main().then(
  () => process.exit(0),
  (error) => {
    process.send({ type: 'error', message: error?.stack ?? String(error) });
    process.exit(1);
  },
);
