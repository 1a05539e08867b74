#!/usr/bin/env node
/**
 * Where a server's CPU goes per request, native code and the kernel included:
 * `node bench/src/perf-split.mjs <framework> <stack> [--against bare] [--route users] [--seconds 8]`.
 *
 * Runs the cell's server as `pnpm bench` does (pinned to CPU 0, the load
 * driver and the OTLP sink on CPU 1, 50 connections) under
 * `node --perf-basic-prof`, samples it with Linux `perf record -e cpu-clock -g`
 * during the measured run, and prints microseconds per request by category,
 * by the owner and function of the nearest JavaScript frame, and by leaf
 * symbol (`perf-samples.mjs`). `--rate R` drives it open loop at R requests/s
 * (the paced driver of the `realistic-2k` cells) instead of as fast as it
 * answers. With `--against`, it runs that stack first
 * and prints both with the difference: what one stack adds to the other.
 * `--focus REGEX` adds the leaf symbols of the functions that match: what
 * one function's time is made of (its inlined callees and native calls).
 *
 * `--cpu-prof` sees only JavaScript frames and charges native work to odd
 * places; this sees inline-cache misses, `Object.defineProperty`, the
 * garbage collector, and the kernel waking the load driver.
 * Needs `perf` (Debian: `apt-get install linux-perf`); not part of the tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parsePerfScript, splitPerRequest } from './perf-samples.mjs';
import { cpuSeconds, nextMessage, spawnNode, stopChild } from './processes.mjs';
import { FRAMEWORKS, makeCell, ROUTES, STACKS } from './scenarios.mjs';
import { startSink } from './sink-client.mjs';

const USAGE =
  'Usage: node bench/src/perf-split.mjs <fastify|express|nest-express|nest-fastify> <stack> [--against STACK] [--route users|realistic] [--seconds S] [--rate R] [--hz N] [--top N] [--focus FUNCTION_REGEX]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    against: { type: 'string' },
    route: { type: 'string', default: 'users' },
    seconds: { type: 'string', default: '8' },
    hz: { type: 'string', default: '999' },
    rate: { type: 'string' },
    top: { type: 'string', default: '20' },
    focus: { type: 'string' },
  },
});
const [framework, stack] = positionals;
const seconds = Number(values.seconds);
const focus = values.focus === undefined ? undefined : new RegExp(values.focus);
const hz = Number(values.hz);
const known = (table, key) => key !== undefined && Object.hasOwn(table, key);
if (
  !known(FRAMEWORKS, framework) ||
  !known(STACKS, stack) ||
  (values.against !== undefined && !known(STACKS, values.against)) ||
  !['users', 'realistic'].includes(values.route) ||
  !(seconds > 0) ||
  !(hz > 0) ||
  (values.rate !== undefined && !(Number(values.rate) > 0))
) {
  console.error(USAGE);
  process.exit(2);
}
if (spawnSync('perf', ['--version']).status !== 0) {
  console.error('perf-split: `perf` is not installed (Debian: apt-get install linux-perf)');
  process.exit(2);
}

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'periscope-perf-'));

async function profile(sink, stackName) {
  const cell = makeCell(framework, stackName, values.route);
  const server = spawnNode(SERVER, [JSON.stringify(cell), sink.url], { cpu: 0, nodeArgs: ['--perf-basic-prof'], stdout: 'ignore' });
  try {
    const ready = await nextMessage(server, 'ready', 30_000);
    const options = {
      url: `http://127.0.0.1:${ready.port}${ROUTES[values.route].path}`,
      connections: 50,
      rate: values.rate === undefined ? undefined : Number(values.rate),
      warmupS: 2,
      durationS: seconds,
    };
    const load = spawnNode(LOAD, [JSON.stringify(options)], { cpu: 1 });
    const result = nextMessage(load, 'result', (seconds + 40) * 1000);
    result.catch(() => {});
    await nextMessage(load, 'measuring', 40_000);
    const data = join(dir, `${stackName}.data`);
    const cpuBefore = cpuSeconds(server.pid);
    const perf = spawn(
      'perf',
      ['record', '-q', '-F', String(hz), '-e', 'cpu-clock', '-g', '-p', String(server.pid), '-o', data, '--', 'sleep', String(seconds)],
      {
        stdio: 'ignore',
      },
    );
    const { responses, warmup } = await result;
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    await new Promise((resolve) => perf.once('exit', resolve));
    await stopChild(load);
    const script = spawnSync('perf', ['script', '-i', data, '-F', 'ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    rmSync(`/tmp/perf-${server.pid}.map`, { force: true }); // written by --perf-basic-prof, read by perf script
    const samples = parsePerfScript(script.stdout);
    return {
      id: cell.id,
      responses,
      errors: warmup.errors,
      cpuUsPerRequest: (cpu * 1e6) / responses,
      split: splitPerRequest(samples, { hz, requests: responses, focus }),
      samples: samples.length,
    };
  } finally {
    await stopChild(server);
  }
}

const fmt = (us) => (us === undefined ? '' : us.toFixed(2));

function table(title, runs, key, top) {
  const keys = new Set(runs.flatMap((run) => [...run.split[key].keys()]));
  const value = (run, k) => run.split[key].get(k) ?? 0;
  const last = runs[runs.length - 1];
  const first = runs[0];
  const rows = [...keys].sort((a, b) =>
    runs.length > 1 ? value(last, b) - value(first, b) - (value(last, a) - value(first, a)) : value(last, b) - value(last, a),
  );
  console.log(`\n### ${title}\n`);
  console.log(`| ${runs.map((run) => run.id).join(' | ')} |${runs.length > 1 ? ' Δ |' : ''} ${key} |`);
  console.log(`|${runs.map(() => '---:|').join('')}${runs.length > 1 ? '---:|' : ''}---|`);
  for (const k of rows.slice(0, top)) {
    const delta = runs.length > 1 ? ` ${(value(last, k) - value(first, k) >= 0 ? '+' : '') + fmt(value(last, k) - value(first, k))} |` : '';
    console.log(`| ${runs.map((run) => fmt(value(run, k))).join(' | ')} |${delta} \`${k.replaceAll('|', '\\|')}\` |`);
  }
}

const sink = await startSink();
try {
  const runs = [];
  for (const stackName of values.against ? [values.against, stack] : [stack]) runs.push(await profile(sink, stackName));
  console.log('## CPU per request, µs (perf samples at %d Hz, nearest JavaScript frame)\n', hz);
  for (const run of runs) {
    console.log(
      `- ${run.id}: ${run.responses} responses, ${run.samples} samples, ${fmt(run.split.total)} µs/req sampled, ${fmt(run.cpuUsPerRequest)} µs/req from /proc`,
    );
  }
  const top = Number(values.top);
  table('by what the CPU was running', runs, 'category', top);
  table('by owner of the nearest JavaScript frame', runs, 'owner', top);
  table('by function of the nearest JavaScript frame', runs, 'function', top);
  table('by leaf symbol', runs, 'leaf', top);
  if (focus) table(`by leaf symbol, nearest JavaScript function matching ${focus}`, runs, 'focused', top);
} finally {
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
}
