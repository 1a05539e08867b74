/**
 * Where a server's allocations come from, and which of them outlive a young
 * GC: `node bench/src/alloc-probe.mjs <fastify|express> <stack> [seconds] [users|realistic] 2>report.txt`.
 * Starts the cell's app in this process (stdout gets the app's log lines),
 * drives it with autocannon (50 connections) from a child process, and
 * samples allocations with V8's sampling heap profiler. Prints bytes per
 * request by allocating function, to stderr.
 *
 * - default: every allocation, the collected ones included;
 * - `PROBE_MINOR=0`: leaves out what young-generation GCs collected, so what
 *   remains is what was promoted to the old heap (or is still live): objects
 *   per request should not be there;
 * - `PROBE_SAMPLE=0`: no sampling, only the request count and where the
 *   memory is (RSS, heap spaces, external); run it under
 *   `node --trace-gc` to see scavenge times and how much each one promotes.
 *
 * PERISCOPE_BENCH_EXPERIMENT applies as in `pnpm bench`. Spans go to
 * `PROBE_SINK` (an OTLP/HTTP URL, e.g. a running `bench/src/sink.mjs`), else to
 * a closed port (127.0.0.1:9), where their export fails and is counted.
 */
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { getHeapSpaceStatistics } from 'node:v8';
import { makeCell } from './scenarios.mjs';

const [framework = 'fastify', stack = 'periscope', seconds = '5', route = 'users'] = process.argv.slice(2);
const cell = makeCell(framework, stack, route);
const require = createRequire(import.meta.url);

let telemetry;
if (cell.periscope) {
  const { createBenchTelemetry } = await import('./stack-periscope.mjs');
  telemetry = createBenchTelemetry({ sinkUrl: process.env.PROBE_SINK ?? 'http://127.0.0.1:9/v1/traces', sampleRatio: cell.sampleRatio });
}
const build = framework === 'fastify' ? (await import('./app-fastify.mjs')).buildFastify : (await import('./app-express.mjs')).buildExpress;
const app = await build({ cell, telemetry });
const url = `http://127.0.0.1:${app.port}/${route}/42`;

function load(duration) {
  const bin = require.resolve('autocannon/autocannon.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, '-c', '50', '-d', String(duration), '-j', url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', () => resolve(JSON.parse(out)));
  });
}

await load(2);
const session = new Session();
session.connect();
const sampling = process.env.PROBE_SAMPLE !== '0';
if (sampling)
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env.PROBE_MINOR !== '0',
  });
const result = await load(Number(seconds));
if (!sampling) {
  console.error(`${cell.id}: ${result.requests.total} requests, ${result.requests.average} req/s`);
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const memory = process.memoryUsage();
  console.error(
    `peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}, RSS now ${mib(memory.rss)}, heap ${mib(memory.heapTotal)} (used ${mib(memory.heapUsed)}), external ${mib(memory.external)} (array buffers ${mib(memory.arrayBuffers)})`,
  );
  for (const space of getHeapSpaceStatistics())
    console.error(
      `  ${space.space_name.padEnd(24)} size ${mib(space.space_size).padStart(9)}  used ${mib(space.space_used_size).padStart(9)}`,
    );
  if (globalThis.gc) {
    globalThis.gc();
    const after = process.memoryUsage();
    console.error(
      `after a full GC (--expose-gc): heap used ${mib(after.heapUsed)}, external ${mib(after.external)} (array buffers ${mib(after.arrayBuffers)})`,
    );
    if (process.env.PROBE_SNAPSHOT)
      console.error(`heap snapshot: ${(await import('node:v8')).writeHeapSnapshot(process.env.PROBE_SNAPSHOT)}`);
  }
  await telemetry?.shutdown();
  process.exit(0);
}
const { profile } = await session.post('HeapProfiler.stopSampling');
const requests = result.requests.total;

const bySite = new Map();
let total = 0;
(function walk(node) {
  const self = node.selfSize;
  if (self > 0) {
    const { functionName, url: file, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${file.replace(/.*node_modules\//, '').replace(/.*\/packages\//, 'packages/')}:${lineNumber + 1}`;
    bySite.set(key, (bySite.get(key) ?? 0) + self);
    total += self;
  }
  for (const child of node.children) walk(child);
})(profile.head);
console.error(`${cell.id}: ${requests} requests, ~${Math.round(total / requests)} bytes allocated per request (sampled)`);
for (const [key, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 40))) {
  console.error(`${String(Math.round(bytes / requests)).padStart(6)} B/req  ${key}`);
}
await telemetry?.shutdown();
process.exit(0);
