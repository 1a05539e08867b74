/**
 * The benchmark's cells: a framework, the stack mounted on it, and a route.
 * Every cell runs in a fresh server process; its ratios are taken against the
 * same framework's bare server on the same route in the same round.
 */

/**
 * The routes every server defines, and how each is driven: as fast as the
 * server answers (50 connections, closed loop), or at a fixed offered load
 * (`rate`, requests per second across the connections: autocannon's
 * `overallRate`), where p99 shows the latency a service at normal load pays,
 * not the queueing of a saturated one.
 */
export const ROUTES = {
  users: { path: '/users/42', template: '/users/:id', what: 'small JSON body `{ id }`' },
  realistic: { path: '/realistic/42', template: '/realistic/:id', what: 'awaits a 2 ms timer, then serialises a ~2 kB JSON body' },
  'realistic-2k': {
    path: '/realistic/42',
    template: '/realistic/:id',
    what: 'the realistic route at a steady 2,000 requests/s, open loop (Periscope’s own paced driver), not as fast as it will go',
    rate: 2000,
  },
  'users-steady': {
    path: '/users/42',
    template: '/users/:id',
    what: 'the users route held for `--steady` seconds (60 by default) in one round: memory once V8 has grown the young generation as it does in a long-running service',
    steady: true,
  },
};

export const FRAMEWORKS = {
  fastify: 'Fastify 5.12.8',
  express: 'Express 5.3.0',
  'nest-express': 'NestJS 11.2 on @nestjs/platform-express',
  'nest-fastify': 'NestJS 11.2 on @nestjs/platform-fastify',
};

/**
 * What each stack contains. `traced` stacks export spans to the sink;
 * `periscope` stacks also serve Periscope's own `/metrics`.
 */
export const STACKS = {
  bare: { what: 'the framework alone, no telemetry' },
  periscope: {
    what: 'Periscope, all signals: 100% sampled server span (parentbased_always_on), RED histogram with trace exemplars, runtime metrics, access log (pino through Periscope’s stdout writer; the server’s stdout is /dev/null), AsyncLocalStorage context + correlation/request IDs, OTLP/HTTP protobuf export to the sink',
    traced: true,
    periscope: true,
    sampleRatio: 1,
  },
  'periscope-10pct': {
    what: 'as `periscope`, but parentbased_traceidratio at 0.1',
    traced: true,
    periscope: true,
    sampleRatio: 0.1,
  },
  'metrics-logs': {
    what: {
      fastify:
        'fastify-metrics 13.2.1 (prom-client 15.1.3, route histogram + summary, default process metrics) + Fastify’s own pino logger (pino 10.4.0 to /dev/null, default request logging: 2 lines per request)',
      express:
        'express-prom-bundle 8.0.0 (method, path, status labels; default process metrics) + pino-http 11.0.0 (pino 10.4.0 to /dev/null, 1 line per request)',
    },
  },
  otel: {
    what: {
      fastify:
        'OpenTelemetry: sdk-trace-node 2.12.1 NodeTracerProvider, BatchSpanProcessor (defaults), exporter-trace-otlp-http 0.223.1 (JSON) to the sink, @fastify/otel 0.21.2 + instrumentation-http 0.223.0, 100% sampled',
      express:
        'OpenTelemetry: sdk-trace-node 2.12.1 NodeTracerProvider, BatchSpanProcessor (defaults), exporter-trace-otlp-http 0.223.1 (JSON) to the sink, instrumentation-http 0.223.0 + instrumentation-express 0.71.1, 100% sampled',
    },
    traced: true,
    otel: true,
  },
  'otel-metrics-logs': { what: 'the `otel` and `metrics-logs` stacks together', traced: true, otel: true },
  als: { what: 'an AsyncLocalStorage store entered in an onRequest hook (`als.run(store, done)`), nothing else' },
  'bare-dictionary': {
    what: 'Express alone, plus a first middleware that gives each request and response the hidden class they all share (a dictionary-mode map), as Periscope’s middleware does; no telemetry. What Express gains from that alone, so Periscope’s ratio can be read without it',
  },
};

const ALL_STACKS_BY_FRAMEWORK = {
  fastify: ['bare', 'periscope', 'periscope-10pct', 'metrics-logs', 'otel', 'otel-metrics-logs', 'als'],
  express: ['bare', 'bare-dictionary', 'periscope', 'periscope-10pct', 'metrics-logs', 'otel', 'otel-metrics-logs'],
  'nest-express': ['bare', 'periscope', 'periscope-10pct'],
  'nest-fastify': ['bare', 'periscope', 'periscope-10pct'],
};

/** The realistic and steady routes are measured for the stacks the targets name. */
const REALISTIC_STACKS = ['bare', 'periscope'];

/** A smaller set for `--smoke`: bare and all-signals everywhere, plus one anchor so its span counting is exercised. */
const SMOKE = new Set([
  'fastify:bare:users',
  'fastify:periscope:users',
  'fastify:otel:users',
  'fastify:bare:realistic',
  'fastify:periscope:realistic',
  'fastify:bare:realistic-2k',
  'fastify:periscope:realistic-2k',
  'express:bare:users',
  'express:bare-dictionary:users',
  'express:periscope:users',
  'nest-express:bare:users',
  'nest-express:periscope:users',
  'nest-fastify:bare:users',
  'nest-fastify:periscope:users',
  'fastify:bare:users-steady',
  'fastify:periscope:users-steady',
]);

/** Every cell, in the order a round runs them. */
export function allCells() {
  const cells = [];
  for (const [framework, stacks] of Object.entries(ALL_STACKS_BY_FRAMEWORK)) {
    for (const route of Object.keys(ROUTES)) {
      for (const stack of stacks) {
        if (route !== 'users' && !REALISTIC_STACKS.includes(stack)) continue;
        cells.push(makeCell(framework, stack, route));
      }
    }
  }
  return cells;
}

export function makeCell(framework, stack, route) {
  return { id: `${framework}:${stack}:${route}`, framework, stack, route, ...STACKS[stack], what: describeStack(stack, framework) };
}

export function describeStack(stack, framework) {
  const { what } = STACKS[stack];
  return typeof what === 'string' ? what : what[framework];
}

/**
 * Cells selected by the CLI. A filter (a substring or a regular expression) keeps cells whose id matches it, plus
 * the bare cell each kept cell is compared with.
 */
export function selectCells({ smoke, filter, steady }) {
  let cells = allCells();
  if (steady === 0) cells = cells.filter((cell) => !ROUTES[cell.route].steady);
  if (smoke) cells = cells.filter((cell) => SMOKE.has(cell.id));
  if (filter) {
    const pattern = new RegExp(filter);
    const wanted = new Set(cells.filter((cell) => pattern.test(cell.id)).map((cell) => cell.id));
    for (const id of [...wanted]) {
      const [framework, , route] = id.split(':');
      wanted.add(`${framework}:bare:${route}`);
    }
    cells = cells.filter((cell) => wanted.has(cell.id));
  }
  return cells;
}
