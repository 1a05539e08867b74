import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as nodegraph from '@grafana/grafana-foundation-sdk/nodegraph';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { base, graph, PROMETHEUS } from './common.js';

/**
 * Module boundaries of a modular monolith (telemetry.boundary(), or the Nest
 * module's `boundaries: { auto: true }`): the module graph, the hottest
 * boundaries, and which modules to extract first.
 */
const SEL = 'env=~"$env", service=~"$service"';
const CALLS = `module_calls_total{${SEL}}`;
const ERRORS = `module_calls_total{${SEL}, outcome="error"}`;
const SECONDS = `module_call_duration_seconds_sum{${SEL}}`;
const COUNT = `module_call_duration_seconds_count{${SEL}}`;
const BUCKETS = `module_call_duration_seconds_bucket{${SEL}}`;
const EDGE = 'from_module, to_module';

/** Per-edge rate of a metric over `window`. */
const edgeRate = (metric: string, window: string) => `sum by (${EDGE}) (rate(${metric}[${window}]))`;
/** Per-edge error ratio; edges without errors are 0, not missing. */
const edgeErrorRatio = (window: string) => `(${edgeRate(ERRORS, window)} or ${edgeRate(CALLS, window)} * 0) / ${edgeRate(CALLS, window)}`;
/**
 * The fields Grafana's node graph wants on an edge: id, source, target
 * (label_join with one source label copies it). Only the first edge query
 * carries source and target; the others carry just the id they are joined on,
 * so the join leaves one column of each name.
 */
const asEdge = (expr: string) =>
  `sum by (id, source, target) (label_join(label_join(label_join(${expr}, "source", "", "from_module"), "target", "", "to_module"), "id", "->", "from_module", "to_module"))`;
const edgeId = (expr: string) => `sum by (id) (label_join(${expr}, "id", "->", "from_module", "to_module"))`;
/** Time spent in each called module (seconds per second), as a node `id`. */
const nodeTime = (window: string) => `sum by (id) (label_join(sum by (to_module) (rate(${SECONDS}[${window}])), "id", "", "to_module"))`;
/** Every module seen as a node: callees with their time, callers (entry points like http) with 0. */
const nodes = (window: string) =>
  `${nodeTime(window)} or sum by (id) (label_join(sum by (from_module) (rate(${CALLS}[${window}])), "id", "", "from_module")) * 0`;
/** Time a module waits on the modules it calls, keyed by it as a callee (`to_module`). */
const timeOut = (window: string) =>
  `sum by (to_module) (label_join(sum by (from_module) (rate(${SECONDS}[${window}])), "to_module", "", "from_module"))`;

/** An instant table query, for tables and the node graph. */
function tableQuery(expr: string, refId: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .expr(expr)
    .refId(refId)
    .instant()
    .format(prometheus.PromQueryFormat.Table)
    .legendFormat('__auto');
}

const byRefId = (pattern: string): dashboard.MatcherConfig => ({ id: 'byRefId', options: `/^(${pattern})$/` });

/** The node graph: nodes sized by time spent, edges labelled with call rate and coloured by error ratio. */
function moduleGraph(): nodegraph.PanelBuilder {
  const R = '$__range';
  return (
    new nodegraph.PanelBuilder()
      .title('Module graph')
      .description(
        'Nodes are modules (http and none are entry points): main stat = time spent in the module (busy seconds per second), size = share of the busiest. ' +
          'Edges are calls: main stat = calls per second, secondary = mean duration, colour = error ratio (green none, orange some, red 5% and more). Over the dashboard time range.',
      )
      .datasource(PROMETHEUS)
      .height(14)
      .span(24)
      .withTarget(tableQuery(nodes(R), 'A'))
      .withTarget(tableQuery(`20 + 40 * (${nodes(R)}) / scalar(clamp_min(max(${nodeTime(R)}), 1e-9))`, 'B'))
      .withTarget(tableQuery(asEdge(edgeRate(CALLS, R)), 'C'))
      .withTarget(tableQuery(edgeId(`${edgeRate(SECONDS, R)} / ${edgeRate(COUNT, R)}`), 'D'))
      .withTarget(tableQuery(edgeId(edgeErrorRatio(R)), 'E'))
      // Nodes: A and B joined on id; edges: C, D and E joined on id. Grafana reads the field names below.
      .withTransformation({ id: 'joinByField', filter: byRefId('A|B'), options: { byField: 'id', mode: 'outer' } })
      .withTransformation({ id: 'joinByField', filter: byRefId('C|D|E'), options: { byField: 'id', mode: 'outer' } })
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true, 'Time 1': true, 'Time 2': true, 'Time 3': true },
          renameByName: {
            'Value #A': 'mainstat',
            'Value #B': 'nodeRadius',
            'Value #C': 'mainstat',
            'Value #D': 'secondarystat',
            'Value #E': 'color',
          },
        },
      })
      .nodes(new nodegraph.NodeOptionsBuilder().mainStatUnit('s'))
      .edges(new nodegraph.EdgeOptionsBuilder().mainStatUnit('reqps').secondaryStatUnit('s'))
      .overrideByName('color', [
        {
          id: 'color',
          value: { mode: 'thresholds' },
        },
        {
          id: 'thresholds',
          value: {
            mode: 'absolute',
            steps: [
              { value: null, color: 'green' },
              { value: 0.000001, color: 'orange' },
              { value: 0.05, color: 'red' },
            ],
          },
        },
      ])
  );
}

/** A table of instant queries merged on their labels, columns renamed. */
function mergedTable(title: string, description: string, columns: Array<[string, string, string]>, sortBy: string): table.PanelBuilder {
  const panel = new table.PanelBuilder().title(title).description(description).datasource(PROMETHEUS).height(9).span(24);
  const rename: Record<string, string> = {};
  columns.forEach(([expr, name, unit], index) => {
    const refId = String.fromCharCode(65 + index);
    panel.withTarget(tableQuery(expr, refId));
    rename[`Value #${refId}`] = name;
    panel.overrideByName(name, [{ id: 'unit', value: unit }]);
  });
  return panel
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: rename } })
    .sortBy([new common.TableSortByFieldStateBuilder().displayName(sortBy).desc(true)]);
}

export function boundariesDashboard(): dashboard.Dashboard {
  const variable = (name: string, label: string, q: string) =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .datasource(PROMETHEUS)
      .query(q)
      .definition(q)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*');
  const R = '$__range';
  const I = '$__rate_interval';
  return base(
    'periscope-boundaries',
    'Periscope / Module boundaries',
    'Calls between the modules of a modular monolith (telemetry.boundary(), @periscope/nest boundaries: { auto: true }): who calls whom, how often, with which errors, how slowly; and the modules worth extracting first. See docs/boundaries.md.',
  )
    .variables([
      variable('env', 'Environment', 'label_values(module_calls_total, env)'),
      variable('service', 'Service', 'label_values(module_calls_total{env=~"$env"}, service)'),
    ])
    .withRow(new dashboard.RowBuilder('Module graph'))
    .withPanel(moduleGraph())
    .withRow(new dashboard.RowBuilder('Hottest boundaries'))
    .withPanel(
      mergedTable(
        'Hottest boundaries',
        'Each from → to edge over the time range: calls per second, error ratio, p95 and mean duration, and the time spent across it (busy seconds per second). Sorted by time spent.',
        [
          [edgeRate(CALLS, R), 'calls/s', 'reqps'],
          [edgeErrorRatio(R), 'error ratio', 'percentunit'],
          [`histogram_quantile(0.95, sum by (${EDGE}, le) (rate(${BUCKETS}[${R}])))`, 'p95', 's'],
          [`${edgeRate(SECONDS, R)} / ${edgeRate(COUNT, R)}`, 'mean', 's'],
          [edgeRate(SECONDS, R), 'time spent', 's'],
        ],
        'time spent',
      ),
    )
    .withPanel(
      graph('Call rate by boundary', 'module_calls_total per second, by calling and called module.', 'reqps', [
        [edgeRate(CALLS, I), '{{from_module}} → {{to_module}}'],
      ]),
    )
    .withPanel(
      graph('Error ratio by boundary', 'Share of calls that threw or rejected, by edge.', 'percentunit', [
        [edgeErrorRatio(I), '{{from_module}} → {{to_module}}'],
      ]),
    )
    .withPanel(
      graph('p95 duration by boundary', 'module_call_duration_seconds p95, by edge.', 's', [
        [`histogram_quantile(0.95, sum by (${EDGE}, le) (rate(${BUCKETS}[${I}])))`, '{{from_module}} → {{to_module}}'],
      ]),
    )
    .withPanel(
      graph(
        'Time spent in each module',
        'Busy seconds per second in calls into each module (nested calls included): the load a module carries.',
        's',
        [[`sum by (to_module) (rate(${SECONDS}[${I}]))`, '{{to_module}}']],
      ),
    )
    .withPanel(
      graph('Top operations', 'The ten busiest operations, by called module.', 'reqps', [
        [`topk(10, sum by (to_module, operation) (rate(${CALLS}[${I}])))`, '{{to_module}}.{{operation}}'],
      ]),
    )
    .withPanel(
      graph('Failing operations', 'Operations that threw or rejected, per second.', 'reqps', [
        [`sum by (to_module, operation) (rate(${ERRORS}[${I}]))`, '{{to_module}}.{{operation}}'],
      ]),
    )
    .withRow(new dashboard.RowBuilder('Extraction candidates'))
    .withPanel(
      mergedTable(
        'Extraction candidates',
        'Modules ranked by the latency they contribute themselves (time in calls to them minus the time they wait on the modules they call), ' +
          'with their load (calls per second), distinct callers, error ratio and mean duration. A module high here, called by many, is the boundary worth a service of its own.',
        [
          [
            `clamp_min(sum by (to_module) (rate(${SECONDS}[${R}])) - (${timeOut(R)} or sum by (to_module) (rate(${SECONDS}[${R}])) * 0), 0)`,
            'latency contributed',
            's',
          ],
          [`sum by (to_module) (rate(${CALLS}[${R}]))`, 'load', 'reqps'],
          [`count by (to_module) (sum by (to_module, from_module) (increase(${CALLS}[${R}])) > 0)`, 'distinct callers', 'none'],
          [
            `(sum by (to_module) (rate(${ERRORS}[${R}])) or sum by (to_module) (rate(${CALLS}[${R}])) * 0) / sum by (to_module) (rate(${CALLS}[${R}]))`,
            'error ratio',
            'percentunit',
          ],
          [`sum by (to_module) (rate(${SECONDS}[${R}])) / sum by (to_module) (rate(${COUNT}[${R}]))`, 'mean', 's'],
        ],
        'latency contributed',
      ),
    )
    .withPanel(
      graph('Latency contributed by module', 'The ranking’s first column over time.', 's', [
        [
          `clamp_min(sum by (to_module) (rate(${SECONDS}[${I}])) - (${timeOut(I)} or sum by (to_module) (rate(${SECONDS}[${I}])) * 0), 0)`,
          '{{to_module}}',
        ],
      ]),
    )
    .build();
}
