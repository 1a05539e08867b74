import { describe, expect, it } from 'vitest';
import { cases } from './cases.js';
import { observe } from './observe.js';
import { differences } from './support/differences.js';
import { expressVariant } from './variants/express.js';
import { variants } from './variants/index.js';

describe.each(variants.map((variant) => [variant.name, variant] as const))('%s', (_name, variant) => {
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_title, testCase) => {
    expect(await observe(variant, testCase)).toEqual(testCase.expected);
  });
});

describe('the conformance table itself', () => {
  const params = cases.find((c) => c.request.path.startsWith('/users/alice'))!;

  it('catches a framework that labels requests with the raw URL instead of the route template', async () => {
    // Express with a route hook returning req.path: what a plugin without template support would do.
    const rawUrl = expressVariant('Express labelling the raw path', { route: (req) => (req as { path?: string }).path });
    const observed = await observe(rawUrl, params);

    expect(observed).not.toEqual(params.expected);
    expect(differences(observed, params.expected)).toEqual([
      'accessLog[0].route',
      'durationSeries[0].labels.http_route',
      'serverSpans[0].attributes["http.route"]',
      'serverSpans[0].name',
    ]);
    expect(observed.serverSpans[0]!.name).toBe('GET /users/alice%40example.com');
    expect(observed.durationSeries[0]!.labels.http_route).toBe('/users/alice%40example.com');
  });

  it('finds no difference between the correct Express variant and the table for the same case', async () => {
    // The control for the test above: the same case, the correct plugin, nothing differs.
    expect(differences(await observe(expressVariant(), params), params.expected)).toEqual([]);
  });
});
