/**
 * The load driver: `node load.mjs '<json options>'`, an IPC child pinned to the
 * other CPU. A warm-up run, then the measured run, both autocannon with a fixed
 * number of connections. Latencies are taken per response from autocannon's
 * `response` event, whose time is `process.hrtime` in fractional milliseconds
 * (its own histogram rounds to whole milliseconds), and kept in microseconds.
 */
import autocannon from 'autocannon';
import { percentile } from './stats.mjs';

const { url, connections, warmupS, durationS } = JSON.parse(process.argv[2]);

function run(seconds, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
    instance.on('response', onResponse);
  });
}

async function main() {
  let warmupResponses = 0;
  const warmup = await run(warmupS, () => warmupResponses++);

  let latenciesUs = new Float64Array(1 << 18);
  let count = 0;
  let non2xx = 0;
  process.send({ type: 'measuring' });
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await run(durationS, (_client, statusCode, _bytes, responseTimeMs) => {
    if (count === latenciesUs.length) {
      const bigger = new Float64Array(latenciesUs.length * 2);
      bigger.set(latenciesUs);
      latenciesUs = bigger;
    }
    latenciesUs[count++] = responseTimeMs * 1000;
    if (statusCode < 200 || statusCode >= 300) non2xx++;
  });
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
