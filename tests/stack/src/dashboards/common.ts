import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The provisioned Prometheus datasource (observability/grafana/provisioning/datasources). */
export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' };
/** The provisioned Tempo datasource. */
export const TEMPO = { type: 'tempo', uid: 'tempo' };
/** The provisioned Loki datasource. */
export const LOKI = { type: 'loki', uid: 'loki' };

/** The metric every service-level variable reads its values from. */
const REQUESTS = 'http_server_request_duration_seconds_count';

/** `env`, `service` and (optionally) `route` variables, chained. `service` and `env` are scrape-time labels (prometheus.yml). */
export function serviceVariables(withRoute: boolean): dashboard.QueryVariableBuilder[] {
  const variable = (name: string, label: string, query: string) =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .datasource(PROMETHEUS)
      .query(query)
      .definition(query)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*');
  const variables = [
    variable('env', 'Environment', `label_values(${REQUESTS}, env)`),
    variable('service', 'Service', `label_values(${REQUESTS}{env=~"$env"}, service)`),
  ];
  if (withRoute) variables.push(variable('route', 'Route', `label_values(${REQUESTS}{env=~"$env", service=~"$service"}, http_route)`));
  return variables;
}

/** One PromQL target. */
export function query(expr: string, legend: string, refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend).refId(refId).range();
}

/** A time series panel; `targets` are [expr, legend] pairs. */
export function graph(title: string, description: string, unit: string, targets: Array<[string, string]>): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .height(8)
    .span(12)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  targets.forEach(([expr, legend], index) => {
    panel.withTarget(query(expr, legend, String.fromCharCode(65 + index)));
  });
  return panel;
}

/** A stat panel showing the latest value of each series. */
export function single(title: string, description: string, unit: string, expr: string, legend: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .height(5)
    .span(6)
    .withTarget(query(expr, legend).instant());
}

/** Standard dashboard settings: UID, tags, last hour, 10 s refresh, shared crosshair. */
export function base(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['periscope'])
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('10s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly();
}
