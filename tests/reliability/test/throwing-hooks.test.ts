import type { EventSinkPort } from '@periscope/sdk';
import { describe, expect, it } from 'vitest';
import { samplesOf } from '../../../packages/sdk/test/support/parse-metrics.js';
import { SHOP_EVENTS } from '../../conformance/test/variants/contract.js';
import { expressVariant } from '../../conformance/test/variants/express.js';
import { type Variant, variants } from '../../conformance/test/variants/index.js';
import { apps, nestExpressApp, nestFastifyApp } from './support/apps.js';
import { type Observed, observed, poll } from './support/harness.js';

/**
 * Issue 9, item 4, user hooks: a hook that throws is Periscope's problem,
 * never the app's. Each case compares the app's responses with the same app
 * under a telemetry without the hook, and checks the hook really ran (its
 * failure was counted), so the comparison cannot pass by accident.
 *
 * Covered: the log enricher (`logs.enrich`) and redactor (`logs.redactor`)
 * and the event sink, through every plugin; Express's `route` resolver and
 * Nest's `ignore`.
 */
interface Answer {
  status: number;
  body: string;
}

async function answers(variant: Variant, out: Observed, paths: string[]): Promise<Answer[]> {
  const server = await variant.start(out.telemetry);
  try {
    const results: Answer[] = [];
    for (const path of paths) {
      const response = await fetch(server.url + path);
      results.push({ status: response.status, body: await response.text() });
    }
    await poll(() => out.logs.access().length >= paths.length);
    return results;
  } finally {
    await server.close();
  }
}

const counted = async (out: Observed, name: string, labels: Record<string, string>): Promise<number> =>
  samplesOf(await out.metrics(), name, labels).reduce((sum, s) => sum + s.value, 0);

const throwingSinks: Array<[string, EventSinkPort]> = [
  [
    'throws',
    {
      send: () => {
        throw new Error('sink exploded');
      },
    },
  ],
  ['rejects', { send: () => Promise.reject(new Error('sink unavailable')) }],
];

describe.each(variants)('$name', (variant) => {
  it.each(throwingSinks)('an event sink that %s leaves the response of a tracking route unchanged', async (_, sink) => {
    const baseline = await observed({ events: SHOP_EVENTS });
    const hooked = await observed({ events: SHOP_EVENTS, eventSink: sink, eventBuffer: { flushMillis: 1 } });
    try {
      const expected = await answers(variant, baseline, ['/checkout', '/users/3']);
      expect(expected[0]).toEqual({ status: 200, body: '{"ok":true}' });
      expect(await answers(variant, hooked, ['/checkout', '/users/3'])).toEqual(expected);
      // Both events of /checkout reached the sink and were counted as its failures.
      await poll(async () => (await counted(hooked, 'periscope_events_dropped_total', { reason: 'sink_failed' })) >= 2);
      expect(await counted(hooked, 'periscope_events_dropped_total', { reason: 'sink_failed' })).toBe(2);
    } finally {
      await baseline.close();
      await hooked.close();
    }
  });
});

const LOG_PATHS = ['/users/3', '/checkout', '/boom', '/bad', '/nowhere'];
const inRequest = (out: Observed) => out.logs.lines().filter((line) => typeof line.request_id === 'string');
const messages = (out: Observed) =>
  out.logs
    .lines()
    .filter((line) => line.component !== 'periscope')
    .map((line) => String(line.msg))
    .sort();

describe.each(variants)('$name with throwing log hooks', (variant) => {
  it('a throwing enricher leaves every response unchanged, and every line is written without it and counted', async () => {
    const baseline = await observed({ events: SHOP_EVENTS });
    const hooked = await observed({
      events: SHOP_EVENTS,
      logs: {
        enrich: () => {
          throw new Error('enricher bug');
        },
      },
    });
    try {
      const expected = await answers(variant, baseline, LOG_PATHS);
      expect(expected.map((a) => a.status)).toEqual([200, 200, 500, 400, 404]);
      expect(await answers(variant, hooked, LOG_PATHS)).toEqual(expected);
      expect(messages(hooked)).toEqual(messages(baseline));
      // Once per line written inside a request (the baseline wrote the same lines), not for the one warning about it.
      const lines = inRequest(baseline).length;
      expect(lines).toBeGreaterThanOrEqual(LOG_PATHS.length + 3);
      expect(await counted(hooked, 'periscope_internal_errors_total', { where: 'logs.enrich' })).toBe(lines);
      expect(hooked.logs.lines().filter((line) => line.where === 'logs.enrich')).toHaveLength(1);
    } finally {
      await baseline.close();
      await hooked.close();
    }
  });

  it('a throwing redactor leaves every response unchanged, fails closed on the value, and counts each line', async () => {
    const baseline = await observed({ events: SHOP_EVENTS });
    const hooked = await observed({
      events: SHOP_EVENTS,
      logs: {
        redactor: (key, value) => {
          if (key === 'request_id') throw new Error('redactor bug');
          return value;
        },
      },
    });
    try {
      const expected = await answers(variant, baseline, LOG_PATHS);
      expect(await answers(variant, hooked, LOG_PATHS)).toEqual(expected);
      expect(messages(hooked)).toEqual(messages(baseline));
      // The app's lines (and the access lines carrying an exception) pass through the redactor: their request_id is censored.
      const failed = hooked.logs.lines().filter((line) => line.request_id === '[Redacted]');
      expect(failed.map((line) => line.msg)).toContain('user loaded');
      expect(await counted(hooked, 'periscope_internal_errors_total', { where: 'logs.redactor' })).toBe(failed.length);
      expect(hooked.logs.lines().filter((line) => line.where === 'logs.redactor')).toHaveLength(1);
    } finally {
      await baseline.close();
      await hooked.close();
    }
  });
});

describe('Express with a throwing route resolver', () => {
  const throwing = expressVariant('Express, throwing route', {
    route: () => {
      throw new Error('route resolver bug');
    },
  });
  const paths = ['/users/7', '/api/items/9', '/boom', '/bad', '/nowhere'];

  it('answers every request exactly as without the resolver, and labels with the built-in templates', async () => {
    const baseline = await observed();
    const hooked = await observed();
    try {
      const expected = await answers(expressVariant(), baseline, paths);
      expect(expected.map((a) => a.status)).toEqual([200, 200, 500, 400, 404]);
      expect(await answers(throwing, hooked, paths)).toEqual(expected);
      expect(await counted(hooked, 'periscope_internal_errors_total', { where: 'express.route' })).toBe(paths.length);
      const routes = async (out: Observed) =>
        samplesOf(await out.metrics(), 'http_server_request_duration_seconds_count')
          .map((s) => `${s.labels.http_route} ${s.labels.http_response_status_code}`)
          .sort();
      expect(await routes(hooked)).toEqual(await routes(baseline));
    } finally {
      await baseline.close();
      await hooked.close();
    }
  });
});

describe.each([nestExpressApp, nestFastifyApp])('$name with a throwing ignore hook', (app) => {
  it('answers as without the hook and still observes the request', async () => {
    expect(apps).toContain(app);
    const hooked = await observed();
    const server = await app.start(hooked.telemetry, {
      ignore: () => {
        throw new Error('ignore hook bug');
      },
    });
    try {
      const response = await fetch(`${server.url}/work/w7`, { headers: { 'x-correlation-id': 'hook-test-7' } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ marker: 'w7', correlationId: 'hook-test-7' });
      expect(response.headers.get('x-correlation-id')).toBe('hook-test-7');
      await poll(() => hooked.logs.access().length >= 1);
      expect(hooked.logs.access().map((line) => [line.route, line.correlation_id])).toEqual([['/work/:marker', 'hook-test-7']]);
      expect(await counted(hooked, 'periscope_internal_errors_total', { where: 'nest.ignore' })).toBe(1);
    } finally {
      await server.close();
      await hooked.close();
    }
  });
});
