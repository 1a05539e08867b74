import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { base, graph, serviceVariables } from './common.js';

const SEL = 'env=~"$env", service=~"$service"';
const perSecond = (metric: string, by: string) => `sum by (${by}) (rate(${metric}{${SEL}}[$__rate_interval]))`;

/** Runtime and Periscope self-telemetry: is the process healthy, and is Periscope losing or refusing anything? */
export function runtimeDashboard(): dashboard.Dashboard {
  return base(
    'periscope-runtime',
    'Periscope / Runtime and self-telemetry',
    'Node.js event loop, GC, heap and CPU per instance, and the counters Periscope keeps about itself.',
  )
    .variables(serviceVariables(false))
    .withRow(new dashboard.RowBuilder('Node.js runtime'))
    .withPanel(
      graph('Event loop lag', 'Mean and p99 event loop delay since the previous scrape.', 's', [
        [`max by (service, instance) (nodejs_eventloop_lag_p99_seconds{${SEL}})`, '{{service}} {{instance}} p99'],
        [`max by (service, instance) (nodejs_eventloop_lag_seconds{${SEL}})`, '{{service}} {{instance}} mean'],
      ]),
    )
    .withPanel(
      graph('Event loop utilization', 'Share of time the event loop was busy.', 'percentunit', [
        [`max by (service, instance) (nodejs_eventloop_utilization_ratio{${SEL}})`, '{{service}} {{instance}}'],
      ]),
    )
    .withPanel(
      graph('GC time per second', 'Seconds spent in garbage collection per second, by GC kind.', 's', [
        [perSecond('nodejs_gc_duration_seconds_sum', 'service, kind'), '{{service}} {{kind}}'],
      ]),
    )
    .withPanel(
      graph('Heap and resident memory', 'V8 heap used and total, and the process resident set size.', 'bytes', [
        [`sum by (service, instance) (nodejs_heap_size_used_bytes{${SEL}})`, '{{service}} {{instance}} heap used'],
        [`sum by (service, instance) (nodejs_heap_size_total_bytes{${SEL}})`, '{{service}} {{instance}} heap total'],
        [`sum by (service, instance) (process_resident_memory_bytes{${SEL}})`, '{{service}} {{instance}} rss'],
      ]),
    )
    .withPanel(
      graph('CPU', 'CPU seconds per second (1 = one core), user and system together.', 'percentunit', [
        [perSecond('process_cpu_seconds_total', 'service, instance'), '{{service}} {{instance}}'],
      ]),
    )
    .withRow(new dashboard.RowBuilder('Periscope self-telemetry'))
    .withPanel(
      graph(
        'Spans exported and dropped',
        'Spans the backend accepted, and spans dropped by reason (queue_full, export_failed, shutdown).',
        'ops',
        [
          [perSecond('periscope_spans_exported_total', 'service'), '{{service}} exported'],
          [perSecond('periscope_spans_dropped_total', 'service, reason'), '{{service}} dropped: {{reason}}'],
        ],
      ),
    )
    .withPanel(
      graph('Export failures', 'Failed exports per second, by signal.', 'ops', [
        [perSecond('periscope_export_failures_total', 'service, signal'), '{{service}} {{signal}}'],
      ]),
    )
    .withPanel(
      graph('Log lines dropped', 'Lines dropped because the stdout buffer was full.', 'ops', [
        [perSecond('periscope_log_lines_dropped_total', 'service'), '{{service}}'],
      ]),
    )
    .withPanel(
      graph('Cardinality overflow', 'Values folded into __overflow__ because a metric reached metrics.maxLabelSets.', 'ops', [
        [perSecond('periscope_metric_cardinality_overflow_total', 'service, metric'), '{{service}} {{metric}}'],
      ]),
    )
    .withPanel(
      graph(
        'Rejected input',
        'Inbound correlation IDs and traceparent headers Periscope refused (a new ID or trace was used instead).',
        'ops',
        [
          [perSecond('periscope_correlation_id_rejected_total', 'service, reason'), '{{service}} correlation id: {{reason}}'],
          [perSecond('periscope_invalid_input_total', 'service, input'), '{{service}} {{input}}'],
        ],
      ),
    )
    .withPanel(
      graph('Business events rejected and dropped', 'track() calls refused (by reason), and events the sink buffer dropped.', 'ops', [
        [perSecond('periscope_events_rejected_total', 'service, reason'), '{{service}} rejected: {{reason}}'],
        [perSecond('periscope_events_dropped_total', 'service, reason'), '{{service}} dropped: {{reason}}'],
      ]),
    )
    .withPanel(
      graph(
        'Contained internal errors',
        'Failures inside Periscope that the guard caught, by step; the app carried on. Should stay empty.',
        'ops',
        [[perSecond('periscope_internal_errors_total', 'service, where'), '{{service}} {{where}}']],
      ),
    )
    .build();
}
