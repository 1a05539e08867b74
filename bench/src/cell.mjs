/** Runs one cell once: a fresh server, warm-up, the measured run, then span counts, self-metrics and peak RSS. */
import { fileURLToPath } from 'node:url';
import { cpuSeconds, machineCpu, nextMessage, peakRssBytes, spawnNode, stopChild, waitForQuietMachine } from './processes.mjs';
import { ROUTES } from './scenarios.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));

/** CPUs: the server on the first, the load driver (and the sink) on the second. */
const SERVER_CPU = 0;
const LOAD_CPU = 1;

export async function runCell(cell, { sink, options }) {
  const quiet = options.quietWait > 0 ? await waitForQuietMachine({ maxMs: options.quietWait * 1000 }) : { waitedMs: 0, quiet: true };
  const server = spawnNode(SERVER, [JSON.stringify(cell), sink.url], {
    cpu: SERVER_CPU,
    nodeArgs: options.serverNodeArgs,
    // Servers log to stdout as a service would; here stdout is /dev/null.
    stdout: 'ignore',
  });
  const durationS = ROUTES[cell.route].steady ? options.steady : options.duration;
  const sample = { id: cell.id, ok: false, quietWaitMs: quiet.waitedMs, startedBusy: !quiet.quiet };
  let load;
  try {
    const ready = await nextMessage(server, 'ready', 30_000);
    const spansBefore = (await sink.stats()).spans;

    load = spawnNode(
      LOAD,
      [
        JSON.stringify({
          url: `http://127.0.0.1:${ready.port}${ROUTES[cell.route].path}`,
          connections: options.connections,
          rate: ROUTES[cell.route].rate,
          warmupS: options.warmup,
          durationS: durationS,
        }),
      ],
      { cpu: LOAD_CPU },
    );
    const resultPromise = nextMessage(load, 'result', (options.warmup + durationS) * 1000 + 30_000);
    resultPromise.catch(() => {}); // awaited below; if 'measuring' fails first, this one must not go unhandled
    await nextMessage(load, 'measuring', options.warmup * 1000 + 30_000);
    const cpuBefore = cpuSeconds(server.pid);
    const sinkCpuBefore = cpuSeconds(sink.pid);
    const machineBefore = machineCpu();
    const result = await resultPromise;
    const cpuAfter = cpuSeconds(server.pid);
    const sinkCpuAfter = cpuSeconds(sink.pid);
    const machineAfter = machineCpu();
    await stopChild(load);

    const flushedPromise = nextMessage(server, 'flushed', 20_000);
    server.send({ type: 'flush' });
    const flushed = await flushedPromise;
    const sinkSpans = (await sink.stats()).spans - spansBefore;
    const served = result.warmup.responses + result.responses;
    Object.assign(sample, {
      rps: result.rps,
      p50Us: result.p50Us,
      p90Us: result.p90Us,
      p99Us: result.p99Us,
      maxUs: result.maxUs,
      responses: result.responses,
      served,
      errors: result.errors + result.timeouts + result.non2xx + result.warmup.errors + result.warmup.non2xx,
      serverCpu: (cpuAfter - cpuBefore) / result.elapsedS,
      driverCpu: result.driverCpu,
      peakRssBytes: peakRssBytes(server.pid),
      // V8 grows the young generation (16 to 32 MiB here) once enough has survived its scavenges: a step in RSS.
      youngGenMiB: flushed.youngGenBytes / 2 ** 20,
      sinkCpu: (sinkCpuAfter - sinkCpuBefore) / result.elapsedS,
    });
    // CPU used by anything but this cell's server, driver and sink: another job on the machine skews the sample.
    if (machineBefore && machineAfter) {
      const machineBusy = (machineAfter.busy - machineBefore.busy) / result.elapsedS;
      sample.otherCpu = Math.max(0, machineBusy - sample.serverCpu - sample.driverCpu - sample.sinkCpu);
    }
    if (cell.traced) {
      sample.sinkSpans = sinkSpans;
      sample.spansPerRequest = sinkSpans / served;
      if (cell.otel) {
        sample.spansEnded = flushed.spansEnded;
        // The BatchSpanProcessor drops silently; the counting processor saw every ended span.
        sample.spansDropped = flushed.spansEnded - sinkSpans;
      }
    }
    if (ready.metricsUrl) {
      const self = await readSelfMetrics(ready.metricsUrl);
      Object.assign(sample, self);
      // Spans the exporter counted as sent but the sink never saw would be uncounted drops.
      if (cell.traced) {
        sample.spansUncounted = self.spansExported - sinkSpans;
        // Periscope's own request count excludes requests still in flight when the driver stopped.
        sample.spansPerRequest = sinkSpans / self.requestsObserved;
      }
    }
    sample.ok = sample.errors === 0;
    if (!sample.ok) sample.failure = `${sample.errors} errors or non-2xx responses`;
  } catch (error) {
    sample.failure = error instanceof Error ? error.message : String(error);
  } finally {
    if (load) await stopChild(load);
    await stopChild(server, 15_000);
  }
  return sample;
}

/** Periscope's own counters from its `/metrics` page (Prometheus text format). */
export async function readSelfMetrics(url) {
  const text = await (await fetch(url, { headers: { accept: 'text/plain' } })).text();
  const sum = (name) => {
    let total = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  };
  return {
    spansExported: sum('periscope_spans_exported_total'),
    spansDropped: sum('periscope_spans_dropped_total'),
    logLinesDropped: sum('periscope_log_lines_dropped_total'),
    internalErrors: sum('periscope_internal_errors_total'),
    requestsObserved: sum('http_server_request_duration_seconds_count'),
  };
}
