#!/usr/bin/env node
/**
 * Two builds of Periscope, one CPU, at the same time: which one costs the
 * server less CPU per request.
 * `node bench/src/ab.mjs <rootA> <rootB> [--framework fastify] [--stack periscope] [--route users] [--rounds 6] [--seconds 6] [--experiment-b JSON]`
 *
 * Each root is a checkout of this repository, installed and built (a base
 * to compare with: `git worktree add /tmp/base <rev> && cd /tmp/base &&
 * pnpm install --offline && pnpm build`). Each round starts the same cell
 * from both roots, both servers pinned to CPU 0, each driven by its own
 * load process on CPU 1 (half the connections each), and reads each
 * server's CPU time from `/proc` over the measured seconds.
 *
 * Why at the same time: on a shared VM the host slows everything by up to
 * 3x from one minute to the next, so two runs one after the other differ by
 * more than most code changes do. Two servers sharing one core see the same
 * host, and the ratio of their CPU per request is steady where the absolute
 * figures are not. Compare like with like: two builds of one cell. Against
 * a much lighter server (bare against Periscope) the sharing itself favours
 * the one with the smaller working set, so `pnpm bench` stays the measure of
 * overhead; this is for deciding whether a change helps.
 *
 * Prints one line per round and the median of B/A. The two servers swap
 * start order every round (the second one started came out a few per cent
 * cheaper in A/A runs), so keep the number of rounds even. Run it with the
 * same root twice first: the spread of that A/A run (0.96-1.07 here) is what
 * a difference has to beat. `--experiment-a` / `--experiment-b` set
 * PERISCOPE_BENCH_EXPERIMENT for one side only (stack-periscope.mjs): one
 * build against itself with one signal turned off. Not part of the tests.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, nextMessage, spawnNode, stopChild } from './processes.mjs';
import { FRAMEWORKS, makeCell, ROUTES, STACKS } from './scenarios.mjs';
import { startSink } from './sink-client.mjs';
import { median } from './stats.mjs';

const USAGE =
  'Usage: node bench/src/ab.mjs <rootA> <rootB> [--framework fastify|express|nest-express|nest-fastify] [--stack STACK] [--route users|realistic] [--rounds N] [--seconds S] [--connections N] [--experiment-a JSON] [--experiment-b JSON]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    framework: { type: 'string', default: 'fastify' },
    stack: { type: 'string', default: 'periscope' },
    route: { type: 'string', default: 'users' },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '50' },
    'experiment-a': { type: 'string' },
    'experiment-b': { type: 'string' },
  },
});
const roots = positionals.map((root) => resolve(root));
/** PERISCOPE_BENCH_EXPERIMENT per side (see stack-periscope.mjs): one build against itself with a signal turned off. */
const experiments = [values['experiment-a'], values['experiment-b']];
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
/** Each server gets its own load process with half the connections. */
const perSide = Math.floor(connections / 2);
const known = (table, key) => Object.hasOwn(table, key);
if (
  roots.length !== 2 ||
  !known(FRAMEWORKS, values.framework) ||
  !known(STACKS, values.stack) ||
  !['users', 'realistic'].includes(values.route) ||
  !(Number.isInteger(rounds) && rounds > 0) ||
  !(seconds > 0) ||
  !(Number.isInteger(connections) && connections >= 2) ||
  !experiments.every((json) => json === undefined || isJson(json))
) {
  console.error(USAGE);
  process.exit(2);
}
for (const root of roots) {
  if (!existsSync(join(root, 'bench/src/server.mjs'))) {
    console.error(`ab: ${root} is not a checkout of this repository (no bench/src/server.mjs)`);
    process.exit(2);
  }
}

function isJson(text) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const cell = makeCell(values.framework, values.stack, values.route);
const path = ROUTES[values.route].path;

async function round(sink, order) {
  const servers = order.map((i) => {
    const env = experiments[i] === undefined ? process.env : { ...process.env, PERISCOPE_BENCH_EXPERIMENT: experiments[i] };
    return {
      i,
      child: spawnNode(join(roots[i], 'bench/src/server.mjs'), [JSON.stringify(cell), sink.url], { cpu: 0, stdout: 'ignore', env }),
    };
  });
  try {
    const readies = await Promise.all(servers.map(({ child }) => nextMessage(child, 'ready', 30_000)));
    const loads = readies.map((ready) =>
      spawnNode(
        LOAD,
        [JSON.stringify({ url: `http://127.0.0.1:${ready.port}${path}`, connections: perSide, warmupS: 2, durationS: seconds })],
        { cpu: 1 },
      ),
    );
    try {
      const results = loads.map((load) => nextMessage(load, 'result', (seconds + 40) * 1000));
      for (const result of results) result.catch(() => {});
      await Promise.all(loads.map((load) => nextMessage(load, 'measuring', 40_000)));
      const before = servers.map(({ child }) => cpuSeconds(child.pid));
      const done = await Promise.all(results);
      const byRoot = [];
      servers.forEach(({ i, child }, k) => {
        const cpu = cpuSeconds(child.pid) - before[k];
        const { responses, rps, p99Us, errors, non2xx } = done[k];
        byRoot[i] = { usPerRequest: (cpu * 1e6) / responses, rps, p99Us, failures: errors + non2xx };
      });
      return byRoot;
    } finally {
      await Promise.all(loads.map((load) => stopChild(load)));
    }
  } finally {
    await Promise.all(servers.map(({ child }) => stopChild(child)));
  }
}

const fmt = (run) =>
  `${run.usPerRequest.toFixed(1)} µs/req, ${Math.round(run.rps)} req/s, p99 ${(run.p99Us / 1000).toFixed(2)} ms${run.failures ? `, ${run.failures} failed` : ''}`;

console.log(`${cell.id}, ${rounds} rounds of ${seconds} s, ${perSide} connections each`);
console.log(`A: ${roots[0]}${experiments[0] ? ` ${experiments[0]}` : ''}\nB: ${roots[1]}${experiments[1] ? ` ${experiments[1]}` : ''}`);
const sink = await startSink();
const ratios = [];
try {
  for (let r = 0; r < rounds; r++) {
    const [a, b] = await round(sink, r % 2 === 0 ? [0, 1] : [1, 0]);
    const ratio = b.usPerRequest / a.usPerRequest;
    ratios.push(ratio);
    console.log(`round ${r + 1}: A ${fmt(a)} | B ${fmt(b)} | B/A ${ratio.toFixed(3)}`);
  }
} finally {
  await sink.stop();
}
const sorted = [...ratios].sort((x, y) => x - y);
console.log(`B/A CPU per request: median ${median(ratios).toFixed(3)} (${sorted[0].toFixed(3)}–${sorted[sorted.length - 1].toFixed(3)})`);
