import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplesOf } from '../../../packages/sdk/test/support/parse-metrics.js';
import { type RunningServer, variants } from '../../conformance/test/variants/index.js';
import { type Observed, observed, poll } from './support/harness.js';

/**
 * Issue 9, item 4: 10,000 distinct random URLs through every plugin leave the
 * duration histogram with one series per route template and status, plus
 * `unmatched`: the raw URL never becomes a label, whatever the client sends.
 */
const URLS = 10_000;
const DURATION_COUNT = 'http_server_request_duration_seconds_count';

/** A small seeded generator (mulberry32): the same URLs on every run, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UNRESERVED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~';
/** Valid in a path as sent, some with meaning to routers: encoded slashes, dots, unicode, quotes, SQL. */
const TRICKY = [
  '%2F',
  '%2e%2e',
  '%00',
  '%0A',
  '%0D%0A',
  '%E2%98%83',
  '%F0%9F%92%A5',
  "'",
  '%22',
  '%27%20OR%201=1--',
  ';',
  ',',
  '=',
  '@',
  '!',
  '$',
  '*',
  '+',
];

function segment(next: () => number, length: number): string {
  let out = '';
  while (out.length < length) {
    out += next() < 0.15 ? TRICKY[Math.floor(next() * TRICKY.length)] : UNRESERVED[Math.floor(next() * UNRESERVED.length)];
  }
  return out;
}

interface Planned {
  path: string;
  /** The label the request must get: a template of the app, or `unmatched`. */
  route: string;
}

/** Distinct URLs (the index is part of each): a third hit `/users/:id`, a sixth `/api/items/:id`, the rest no route. */
export function randomUrls(count: number, seed: number): Planned[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const roll = next();
    const id = `${i}-${segment(next, 1 + Math.floor(next() * 24))}`;
    if (roll < 1 / 3) return { path: `/users/${id}`, route: '/users/:id' };
    if (roll < 1 / 2) return { path: `/api/items/${id}?q=${segment(next, 8)}`, route: '/api/items/:id' };
    const depth = 1 + Math.floor(next() * 6);
    const parts = Array.from({ length: depth }, () => segment(next, 1 + Math.floor(next() * (next() < 0.02 ? 2000 : 30))));
    const query = next() < 0.3 ? `?${segment(next, 20)}=${segment(next, 20)}` : '';
    // `/users/<id>/<more>` and `/api/<x>` look like routes and are not; `/z-` prefixes can never be one.
    const prefix = ['/users/', '/api/', '/z-', '/'][Math.floor(next() * 4)] as string;
    return { path: `${prefix}${i}/${parts.join('/')}${query}`, route: 'unmatched' };
  });
}

describe.each(variants)('$name', (variant) => {
  let out: Observed;
  let server: RunningServer;
  const planned = randomUrls(URLS, 9);
  const statuses: number[] = [];

  beforeAll(async () => {
    // Spans are not what this test reads; the exporter stays the real one, to a local receiver.
    out = await observed({ traces: { sampler: 'always_off' } });
    server = await variant.start(out.telemetry);
    const pool = new Pool(server.url, { connections: 16 });
    try {
      let cursor = 0;
      // 16 workers walk the plan: the same load on every framework, no wall-clock involved.
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (cursor < planned.length) {
            const index = cursor++;
            const response = await pool.request({ method: 'GET', path: (planned[index] as Planned).path });
            await response.body.dump();
            statuses[index] = response.statusCode;
          }
        }),
      );
    } finally {
      await pool.close();
    }
    await poll(() => out.logs.access().length >= URLS, 2000);
  });

  afterAll(async () => {
    await server?.close();
    await out?.close();
  });

  it('the URLs are distinct and every one was answered', () => {
    expect(new Set(planned.map((p) => p.path)).size).toBe(URLS);
    expect(statuses.filter((status) => status >= 100)).toHaveLength(URLS);
    expect(planned.filter((p) => p.route === 'unmatched').length).toBeGreaterThan(URLS / 3);
  });

  it('duration series are one per route template and status, plus unmatched, counting every request', async () => {
    const series = samplesOf(await out.metrics(), DURATION_COUNT);
    const expected = new Map<string, number>();
    planned.forEach((p, i) => {
      const key = `${p.route} ${statuses[i]}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    });
    const actual = new Map(series.map((s) => [`${s.labels.http_route} ${s.labels.http_response_status_code}`, s.value]));
    expect(actual).toEqual(expected);
    expect(new Set(series.map((s) => s.labels.http_route))).toEqual(new Set(['/users/:id', '/api/items/:id', 'unmatched']));
    expect(series.length).toBeLessThanOrEqual(6);
  });

  it('one access line per request, each a single JSON object, and no internal error', async () => {
    expect(out.logs.access()).toHaveLength(URLS);
    const internal = samplesOf(await out.metrics(), 'periscope_internal_errors_total');
    expect(internal.filter((s) => s.value > 0)).toEqual([]);
  });
});
