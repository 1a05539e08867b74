import { createTelemetry } from '@periscope/sdk';
import { createCatalogue, createPricing } from './service.js';
import { startTraceInbox } from './trace-inbox.js';

/**
 * The demo, with no Docker: two instrumented services (catalogue calls
 * pricing), a local OTLP inbox that receives their spans, and a bit of
 * traffic. Every few seconds it prints what Periscope recorded: RED metrics,
 * traces with their parent links, and log lines sharing the correlation ID.
 *
 *   node examples/demo/src/main.js [--seconds N]   (default: run until Ctrl-C)
 */
const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > -1 ? Number(process.argv[secondsArg + 1]) : 0;
const port = Number(process.env.PORT ?? 3000);

const inbox = await startTraceInbox();
const logLines = [];
const keepLogs = {
  write(line) {
    logLines.push(JSON.parse(line));
    if (logLines.length > 500) logLines.shift();
  },
};
const common = { traces: { endpoint: inbox.url, protocol: 'http/json', scheduledDelayMillis: 200 }, logs: { destination: keepLogs } };

const pricingTelemetry = createTelemetry({ serviceName: 'pricing', metrics: { server: false }, ...common });
const catalogueTelemetry = createTelemetry({
  serviceName: 'catalogue',
  metrics: { server: { host: '127.0.0.1', port: Number(process.env.METRICS_PORT ?? 9464) } },
  shutdown: { signals: true },
  ...common,
});

const pricing = createPricing(pricingTelemetry);
await new Promise((resolve) => pricing.listen(0, '127.0.0.1', resolve));
const catalogue = createCatalogue(catalogueTelemetry, { pricingUrl: `http://127.0.0.1:${pricing.address().port}` });
await new Promise((resolve, reject) => catalogue.once('error', reject).listen(port, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${catalogue.address().port}`;
const metricsUrl = await catalogueTelemetry.metricsUrl;

console.log(`\nPeriscope demo
  catalogue  ${base}  (try: curl -i ${base}/products/7 -H 'x-correlation-id: my-journey-1')
  metrics    ${metricsUrl ?? '(port busy: set METRICS_PORT)'}
  traces     received by a local OTLP inbox at ${inbox.url}
`);

// Traffic: product views, orders (10% fail), and unknown URLs (labelled "unmatched").
let sent = 0;
const traffic = setInterval(() => {
  sent++;
  const id = Math.floor(Math.random() * 50);
  const correlation = { 'x-correlation-id': `demo-${sent}` };
  const calls = [fetch(`${base}/products/${id}`, { headers: correlation })];
  if (sent % 3 === 0) calls.push(fetch(`${base}/orders`, { method: 'POST', headers: correlation }));
  if (sent % 10 === 0) calls.push(fetch(`${base}/wp-admin/${id}`, { headers: correlation }));
  Promise.allSettled(calls).then((results) => {
    for (const r of results) if (r.status === 'fulfilled') void r.value.body?.cancel();
  });
}, 100);

async function report() {
  await Promise.all([catalogueTelemetry.forceFlush(), pricingTelemetry.forceFlush()]);
  const text = await catalogueTelemetry.metrics('text');
  const counts = text
    .split('\n')
    .filter((l) => l.startsWith('http_server_request_duration_seconds_count'))
    .map((l) => `    ${l.replace('http_server_request_duration_seconds_count', '')}`);
  console.log(`\n== RED metrics of catalogue (http_server_request_duration_seconds_count)\n${counts.join('\n')}`);
  const trace = inbox.latestTraceWith('catalogue', 'pricing');
  if (trace) {
    console.log(`\n== One trace (${trace.traceId}), across both services`);
    for (const span of trace.spans.sort((a, b) => a.start - b.start)) {
      console.log(
        `    ${span.service.padEnd(10)} ${span.kind.padEnd(7)} ${span.name.padEnd(20)} ${span.durationMs.toFixed(1).padStart(6)} ms  span=${span.spanId} parent=${span.parentSpanId || '-'}`,
      );
    }
    const lines = logLines.filter((l) => l.trace_id === trace.traceId);
    console.log(`\n== Its log lines (same trace_id, same correlation_id), from both services`);
    for (const l of lines)
      console.log(
        `    ${JSON.stringify({ service: l.service, msg: l.msg, correlation_id: l.correlation_id, user_id: l.user_id, span_id: l.span_id })}`,
      );
  }
  console.log(`\n(${inbox.spanCount} spans received so far; Ctrl-C to stop)`);
}

const reporter = setInterval(() => void report(), 5000);
async function stop() {
  clearInterval(traffic);
  clearInterval(reporter);
  await report();
  catalogue.close();
  pricing.close();
  await Promise.all([catalogueTelemetry.shutdown(), pricingTelemetry.shutdown()]);
  await inbox.close();
}
if (seconds > 0) setTimeout(() => void stop(), seconds * 1000);
process.once('SIGINT', () => void stop().then(() => process.exit(0)));
