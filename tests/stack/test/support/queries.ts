/**
 * Every query the stack ships, gathered from the files Grafana and
 * Prometheus load (not from the generator), with Grafana's macros replaced
 * by concrete values so a parser or a real Prometheus can take them.
 */
import { parser as logqlParser } from '@grafana/lezer-logql';
import { parser as traceqlParser } from '@grafana/lezer-traceql';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { DASHBOARD_FILES, RULE_FILES, readJson, readYaml } from './repo.js';

export type Language = 'promql' | 'logql' | 'traceql';

export interface ShippedQuery {
  language: Language;
  /** Where it lives: file and panel or rule. */
  where: string;
  /** As written in the file. */
  raw: string;
}

/** Values put in place of Grafana's variables and macros. */
export interface MacroValues {
  service: string;
  env: string;
  route: string;
  funnel: string;
  rateInterval: string;
  range: string;
  traceId: string;
}

export const DEFAULT_MACROS: MacroValues = {
  service: 'accounts',
  env: 'test',
  route: '.*',
  funnel: 'signup',
  rateInterval: '1m',
  range: '1h',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
};

export function substitute(query: string, v: MacroValues = DEFAULT_MACROS): string {
  return (
    query
      .replaceAll('$__rate_interval', v.rateInterval)
      .replaceAll('$__interval', v.rateInterval)
      .replaceAll('$__range', v.range)
      .replaceAll('$__tags', `service="${v.service}"`)
      // Grafana's ${…} placeholders in the datasource links, not JavaScript templates
      .replaceAll('$' + '{__span.tags["service.name"]}', v.service)
      .replaceAll('$' + '{__trace.traceId}', v.traceId)
      .replaceAll('$service', v.service)
      .replaceAll('$env', v.env)
      .replaceAll('$route', v.route)
      .replaceAll('$funnel', v.funnel)
  );
}

const PARSERS = { promql: promqlParser, logql: logqlParser, traceql: traceqlParser } as const;

/** Offsets of the syntax errors lezer found (empty: the query parses). */
export function syntaxErrors(language: Language, query: string): number[] {
  const errors: number[] = [];
  PARSERS[language].parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

interface DashboardJson {
  title: string;
  panels: Array<{
    title: string;
    type: string;
    datasource?: { type: string };
    targets?: Array<{ expr?: string; query?: string; queryType?: string; refId: string; exemplar?: boolean }>;
  }>;
  templating: { list: Array<{ name: string; query: string }> };
}

/** One dashboard panel target that Prometheus answers. */
export interface PanelQuery extends ShippedQuery {
  dashboard: string;
  panel: string;
  exemplar: boolean;
}

export async function dashboardQueries(): Promise<{ panels: PanelQuery[]; others: ShippedQuery[] }> {
  const panels: PanelQuery[] = [];
  const others: ShippedQuery[] = [];
  for (const file of DASHBOARD_FILES) {
    const board = await readJson<DashboardJson>(`observability/grafana/dashboards/${file}`);
    for (const panel of board.panels) {
      for (const target of panel.targets ?? []) {
        const where = `${file} / ${panel.title} / ${target.refId}`;
        const type = panel.datasource?.type;
        if (type === 'prometheus' && target.expr) {
          panels.push({
            language: 'promql',
            where,
            raw: target.expr,
            dashboard: file,
            panel: panel.title,
            exemplar: target.exemplar === true,
          });
        } else if (type === 'loki' && target.expr) {
          others.push({ language: 'logql', where, raw: target.expr });
        } else if (type === 'tempo' && target.query) {
          others.push({ language: 'traceql', where, raw: target.query });
        } else {
          throw new Error(`${where}: a target of an unknown datasource (${type}); teach the checks about it`);
        }
      }
    }
    for (const variable of board.templating.list) {
      // label_values(<selector>, label) is Grafana's, not PromQL: check the selector inside
      const selector = /^label_values\((.*),\s*[a-zA-Z_]\w*\)$/.exec(variable.query)?.[1];
      if (!selector) throw new Error(`${file}: variable ${variable.name} is not label_values(selector, label): ${variable.query}`);
      others.push({ language: 'promql', where: `${file} / variable ${variable.name}`, raw: selector });
    }
  }
  return { panels, others };
}

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string }> }>;
}

export async function ruleQueries(): Promise<ShippedQuery[]> {
  const out: ShippedQuery[] = [];
  for (const file of RULE_FILES) {
    const rules = await readYaml<RuleFile>(file);
    for (const group of rules.groups) {
      for (const rule of group.rules) out.push({ language: 'promql', where: `${file} / ${rule.record ?? rule.alert}`, raw: rule.expr });
    }
  }
  return out;
}

interface DatasourceFile {
  datasources: Array<{
    name: string;
    uid: string;
    type: string;
    jsonData?: {
      tracesToLogsV2?: { query?: string; datasourceUid?: string };
      tracesToMetrics?: { queries?: Array<{ name: string; query: string }>; datasourceUid?: string };
    };
  }>;
}

export const DATASOURCES_FILE = 'observability/grafana/provisioning/datasources/datasources.yml';

export async function datasourceQueries(): Promise<ShippedQuery[]> {
  const file = await readYaml<DatasourceFile>(DATASOURCES_FILE);
  const out: ShippedQuery[] = [];
  for (const source of file.datasources) {
    const logsQuery = source.jsonData?.tracesToLogsV2?.query;
    if (logsQuery) out.push({ language: 'logql', where: `${source.name} traces to logs`, raw: logsQuery });
    for (const metricQuery of source.jsonData?.tracesToMetrics?.queries ?? []) {
      out.push({ language: 'promql', where: `${source.name} traces to metrics / ${metricQuery.name}`, raw: metricQuery.query });
    }
  }
  return out;
}
