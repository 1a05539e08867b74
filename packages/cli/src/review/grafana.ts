/**
 * Grafana Explore deep links. The datasource UIDs are the ones the stack
 * provisions (observability/grafana/provisioning/datasources): `prometheus`,
 * `tempo`, `loki`.
 */
const DATASOURCES = {
  prometheus: { type: 'prometheus', uid: 'prometheus' },
  tempo: { type: 'tempo', uid: 'tempo' },
  loki: { type: 'loki', uid: 'loki' },
} as const;

/** An Explore URL (Grafana 10+ `panes` format) for one query over `[from, to]` (Unix seconds). */
export function exploreUrl(
  grafana: string,
  datasource: keyof typeof DATASOURCES,
  query: Record<string, unknown>,
  from: number,
  to: number,
): string {
  const ds = DATASOURCES[datasource];
  const panes = {
    a: {
      datasource: ds.uid,
      queries: [{ refId: 'A', datasource: ds, ...query }],
      range: { from: String(Math.floor(from * 1000)), to: String(Math.ceil(to * 1000)) },
    },
  };
  return `${grafana}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}

export const traceLink = (grafana: string, traceId: string, from: number, to: number): string =>
  exploreUrl(grafana, 'tempo', { queryType: 'traceql', query: traceId }, from, to);

export const promLink = (grafana: string, expr: string, from: number, to: number): string =>
  exploreUrl(grafana, 'prometheus', { expr, range: true, exemplar: true }, from, to);

export const lokiLink = (grafana: string, expr: string, from: number, to: number): string =>
  exploreUrl(grafana, 'loki', { expr, queryType: 'range' }, from, to);
