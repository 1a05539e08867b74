import { describe, expect, it } from 'vitest';
import { dashboardQueries, datasourceQueries, ruleQueries, type ShippedQuery, substitute, syntaxErrors } from './support/queries.js';

const all = async (): Promise<ShippedQuery[]> => {
  const { panels, others } = await dashboardQueries();
  return [...panels, ...others, ...(await ruleQueries()), ...(await datasourceQueries())];
};

describe('every shipped query parses with its language grammar', () => {
  it('covers PromQL, LogQL and TraceQL from dashboards, rules and datasources', async () => {
    const queries = await all();
    const count = (language: string) => queries.filter((q) => q.language === language).length;
    expect(count('promql')).toBeGreaterThan(60);
    expect(count('logql')).toBeGreaterThanOrEqual(2);
    expect(count('traceql')).toBeGreaterThanOrEqual(1);
  });

  it('has no syntax error in any query once Grafana macros are substituted', async () => {
    const failures = (await all())
      .map((query) => ({ query, text: substitute(query.raw) }))
      .filter(({ query, text }) => syntaxErrors(query.language, text).length > 0)
      .map(({ query, text }) => `${query.where} (${query.language}): ${text}`);
    expect(failures).toEqual([]);
  });

  it('leaves no macro or variable behind after substitution', async () => {
    const left = (await all()).map((query) => substitute(query.raw)).filter((text) => /\$\w|\$\{/.test(text));
    expect(left).toEqual([]);
  });
});

describe('the grammar check itself', () => {
  it.each([
    ['promql', 'sum by (service) (rate(http_server_request_duration_seconds_count[5m])'],
    ['promql', 'rate(http_server_request_duration_seconds_count[$__rate_interval])'],
    ['logql', '{service="web" | json'],
    ['traceql', '{ span.http.route = }'],
  ] as const)('reports a %s syntax error in %s', (language, query) => {
    expect(syntaxErrors(language, query).length).toBeGreaterThan(0);
  });
});
