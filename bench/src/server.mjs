/**
 * One benchmark server: `node server.mjs '<cell json>' <sink url>`, started by
 * the harness as an IPC child. Reports `{ type: 'ready', port, metricsUrl }`,
 * answers `flush` with span counts and the young generation's size, and exits on `stop` (a normal exit, so
 * `--cpu-prof` can write its profile).
 */

import { getHeapSpaceStatistics } from 'node:v8';

const cell = JSON.parse(process.argv[2]);
const sinkUrl = process.argv[3];

async function start() {
  // The OpenTelemetry anchors must patch node:http and the framework before either is loaded.
  let otel;
  if (cell.otel) {
    const { setupOtel } = await import('./stack-otel.mjs');
    otel = setupOtel({ sinkUrl, framework: cell.framework });
  }
  let telemetry;
  if (cell.periscope) {
    const { createBenchTelemetry } = await import('./stack-periscope.mjs');
    telemetry = createBenchTelemetry({ sinkUrl, sampleRatio: cell.sampleRatio });
  }

  let app;
  if (cell.framework === 'fastify') app = await (await import('./app-fastify.mjs')).buildFastify({ cell, telemetry, otel });
  else if (cell.framework === 'express') app = await (await import('./app-express.mjs')).buildExpress({ cell, telemetry });
  else app = await (await import('./app-nest.mjs')).buildNest({ cell, telemetry });

  process.on('message', async (message) => {
    if (message.type === 'flush') {
      await Promise.allSettled([telemetry?.forceFlush(), otel?.flush()]);
      const youngGen = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      process.send({ type: 'flushed', spansEnded: otel ? otel.spansEnded() : undefined, youngGenBytes: youngGen?.space_size });
    } else if (message.type === 'stop') {
      await Promise.race([Promise.allSettled([app.close(), telemetry?.shutdown()]), new Promise((resolve) => setTimeout(resolve, 2000))]);
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: app.port, metricsUrl: telemetry ? await telemetry.metricsUrl : undefined });
}

start().catch((error) => {
  process.send?.({ type: 'error', message: error?.stack ?? String(error) });
  process.exit(1);
});
