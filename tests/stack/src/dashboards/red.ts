import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as tempo from '@grafana/grafana-foundation-sdk/tempo';
import { base, graph, LOKI, query, serviceVariables, TEMPO } from './common.js';

const SEL = 'env=~"$env", service=~"$service", http_route=~"$route"';
const rate = (metric: string, extra = '', by = 'service, http_route') =>
  `sum by (${by}) (rate(${metric}{${SEL}${extra}}[$__rate_interval]))`;
const quantile = (q: number, by = 'le') =>
  `histogram_quantile(${q}, sum by (${by}) (rate(http_server_request_duration_seconds_bucket{${SEL}}[$__rate_interval])))`;

/** Service RED overview: is a service healthy, which route is not, and one slow request's trace. */
export function redDashboard(): dashboard.Dashboard {
  const count = 'http_server_request_duration_seconds_count';
  const latency = graph(
    'Latency p50 / p95 / p99 (exemplars: click a dot for its trace)',
    'From the duration histogram. Exemplar dots carry the trace_id of a real request in that bucket; they open in Tempo.',
    's',
    [],
  );
  [0.5, 0.95, 0.99].forEach((q, index) => {
    latency.withTarget(query(quantile(q), `p${Math.round(q * 100)}`, String.fromCharCode(65 + index)).exemplar(true));
  });
  return base('periscope-red', 'Periscope / Service RED overview', 'Rate, errors and duration per service and route, with exemplar traces.')
    .variables(serviceVariables(true))
    .withRow(new dashboard.RowBuilder('Traffic and errors'))
    .withPanel(
      graph('Request rate', 'Requests per second by service and route template.', 'reqps', [[rate(count), '{{service}} {{http_route}}']]),
    )
    .withPanel(
      graph('Error ratio (5xx)', 'Share of requests answered with a 5xx, by service and route.', 'percentunit', [
        [`(${rate(count, ', http_response_status_code=~"5.."')} or 0 * ${rate(count)}) / ${rate(count)}`, '{{service}} {{http_route}}'],
      ]),
    )
    .withPanel(
      graph('Responses by status code', 'Requests per second by HTTP status code.', 'reqps', [
        [rate(count, '', 'service, http_response_status_code'), '{{service}} {{http_response_status_code}}'],
      ]),
    )
    .withPanel(
      graph('Failures by error type', 'Exception class, 5xx code or `aborted`, per service.', 'reqps', [
        [rate(count, ', error_type!=""', 'service, error_type'), '{{service}} {{error_type}}'],
      ]),
    )
    .withRow(new dashboard.RowBuilder('Duration'))
    .withPanel(latency)
    .withPanel(
      graph('p95 by route', 'The slowest routes first: the 95th percentile per service and route.', 's', [
        [quantile(0.95, 'service, http_route, le'), '{{service}} {{http_route}}'],
      ]),
    )
    .withPanel(
      graph('Active requests', 'Requests in flight now, per service and method.', 'short', [
        [
          'sum by (service, http_request_method) (http_server_active_requests{env=~"$env", service=~"$service"})',
          '{{service}} {{http_request_method}}',
        ],
      ]),
    )
    .withPanel(
      graph('Scrape health', "1 when Prometheus reached the service's /metrics at the last scrape.", 'short', [
        ['up{env=~"$env", service=~"$service"}', '{{service}} {{instance}}'],
      ]),
    )
    .withRow(new dashboard.RowBuilder('Traces and logs'))
    .withPanel(
      new table.PanelBuilder()
        .title('Slow or failed server requests (Tempo)')
        .description('TraceQL: server spans of the selected services that failed or took over 500 ms; open one for its logs.')
        .datasource(TEMPO)
        .height(8)
        .span(12)
        .withTarget(
          new tempo.DataqueryBuilder()
            .datasource(TEMPO)
            .refId('A')
            .queryType('traceql')
            .query('{ resource.service.name =~ "$service" && kind = server && (status = error || duration > 500ms) }')
            .limit(20)
            .tableType(tempo.SearchTableType.Traces),
        ),
    )
    .withPanel(
      new logs.PanelBuilder()
        .title('Failed requests in the logs (Loki)')
        .description('Access-log lines of failed requests; the trace_id field opens the trace in Tempo.')
        .datasource(LOKI)
        .height(8)
        .span(12)
        .withTarget(
          new loki.DataqueryBuilder()
            .datasource(LOKI)
            .refId('A')
            .expr('{service=~"$service", env=~"$env", level="error"} | json | msg="request failed"'),
        ),
    )
    .build();
}
