import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { base, graph, PROMETHEUS, serviceVariables, single } from './common.js';

const SEL = 'env=~"$env", service=~"$service"';

/** Business events and funnels: is the product working for users, and is it worse than last week? */
export function businessDashboard(): dashboard.Dashboard {
  const funnel = new dashboard.QueryVariableBuilder('funnel')
    .label('Funnel')
    .datasource(PROMETHEUS)
    .query('label_values(periscope:funnel_conversion:ratio5m, funnel)')
    .definition('label_values(periscope:funnel_conversion:ratio5m, funnel)')
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
  return base(
    'periscope-business',
    'Periscope / Business events and funnels',
    'Events tracked with telemetry.track(), the funnel recording rules (periscope rules), and the same hour last week.',
  )
    .variables([...serviceVariables(false), funnel])
    .withRow(new dashboard.RowBuilder('Events'))
    .withPanel(
      graph('Event rate', 'business_events_total per second, by event.', 'ops', [
        [`sum by (event) (rate(business_events_total{${SEL}}[$__rate_interval]))`, '{{event}}'],
      ]),
    )
    .withPanel(
      graph('Event value per second', 'business_event_value_total: the summed value (e.g. amount_usd) per second, by event.', 'short', [
        [`sum by (event) (rate(business_event_value_total{${SEL}}[$__rate_interval]))`, '{{event}}'],
      ]),
    )
    .withPanel(
      single(
        'Value in the time range',
        'Sum of each valued event over the dashboard time range.',
        'short',
        `sum by (event) (increase(business_event_value_total{${SEL}}[$__range]))`,
        '{{event}}',
      ),
    )
    .withPanel(
      single(
        'Events in the time range',
        'Count of each event over the dashboard time range.',
        'short',
        `sum by (event) (increase(business_events_total{${SEL}}[$__range]))`,
        '{{event}}',
      ),
    )
    .withRow(new dashboard.RowBuilder('Funnels'))
    .withPanel(
      graph('Step conversion (5m)', 'periscope:funnel_conversion:ratio5m: each step to the next, and first to last.', 'percentunit', [
        ['periscope:funnel_conversion:ratio5m{funnel=~"$funnel"}', '{{funnel}}: {{from_step}} → {{to_step}}'],
      ]),
    )
    .withPanel(
      graph('Step events per second (5m)', 'periscope:funnel_step_events:rate5m: traffic entering each step.', 'ops', [
        ['periscope:funnel_step_events:rate5m{funnel=~"$funnel"}', '{{funnel}} {{step_index}}. {{step}}'],
      ]),
    )
    .withPanel(
      graph(
        'Conversion (1h) against the same hour last week',
        'The series the PeriscopeFunnelConversionDropped alert compares: now, and one week earlier.',
        'percentunit',
        [
          ['periscope:funnel_conversion:ratio1h{funnel=~"$funnel"}', '{{from_step}} → {{to_step}} now'],
          ['periscope:funnel_conversion:ratio1h{funnel=~"$funnel"} offset 1w', '{{from_step}} → {{to_step}} last week'],
        ],
      ),
    )
    .withPanel(
      graph('Events per hour against last week', 'Hourly count of each event, now and the same hour a week earlier.', 'short', [
        [`sum by (event) (increase(business_events_total{${SEL}}[1h]))`, '{{event}} now'],
        [`sum by (event) (increase(business_events_total{${SEL}}[1h] offset 1w))`, '{{event}} last week'],
      ]),
    )
    .build();
}
