import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { base, graph, serviceVariables, single } from './common.js';

/** Error budgets: keep in step with observability/prometheus/rules/slo.yml. */
export const SLO = { availabilityBudget: 0.001, latencyBudget: 0.01 } as const;

const WINDOWS = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;
const SEL = 'service=~"$service"';

const burnRates = (record: string, budget: number): Array<[string, string]> =>
  WINDOWS.map((window) => [`service:${record}:ratio_rate${window}{${SEL}} / ${budget}`, `{{service}} ${window}`]);

/** SLOs: how much error budget is left over 30 days, and how fast each window is spending it. */
export function sloDashboard(): dashboard.Dashboard {
  const { availabilityBudget: a, latencyBudget: l } = SLO;
  return base(
    'periscope-slo',
    'Periscope / SLOs',
    'Availability (99.9% non-5xx) and latency (99% under 500 ms) over 30 days, from the recording rules in slo.yml; burn rate 1 spends the budget in exactly 30 days.',
  )
    .variables(serviceVariables(false))
    .withRow(new dashboard.RowBuilder('Availability: 99.9% of requests without a 5xx'))
    .withPanel(
      single(
        'Availability (30d)',
        'Share of requests without a 5xx over 30 days.',
        'percentunit',
        `1 - service:slo_errors:ratio_rate30d{${SEL}}`,
        '{{service}}',
      ),
    )
    .withPanel(
      single(
        'Availability error budget left (30d)',
        '1 = untouched, 0 = spent, negative = overspent.',
        'percentunit',
        `1 - service:slo_errors:ratio_rate30d{${SEL}} / ${a}`,
        '{{service}}',
      ),
    )
    .withPanel(
      graph(
        'Availability burn rate by window',
        'Pages at 14.4 (1h and 5m) or 6 (6h and 30m); tickets at 3 (1d and 2h) or 1 (3d and 6h).',
        'short',
        burnRates('slo_errors', a),
      ),
    )
    .withRow(new dashboard.RowBuilder('Latency: 99% of requests in 500 ms or less'))
    .withPanel(
      single(
        'Requests under 500 ms (30d)',
        'Share of requests that took 500 ms or less over 30 days.',
        'percentunit',
        `1 - service:slo_slow_requests:ratio_rate30d{${SEL}}`,
        '{{service}}',
      ),
    )
    .withPanel(
      single(
        'Latency error budget left (30d)',
        '1 = untouched, 0 = spent, negative = overspent.',
        'percentunit',
        `1 - service:slo_slow_requests:ratio_rate30d{${SEL}} / ${l}`,
        '{{service}}',
      ),
    )
    .withPanel(graph('Latency burn rate by window', 'Same thresholds as availability.', 'short', burnRates('slo_slow_requests', l)))
    .withRow(new dashboard.RowBuilder('Alerts'))
    .withPanel(
      graph('SLO alerts firing', 'The multi-window, multi-burn-rate alerts currently firing (severity page or ticket).', 'short', [
        [`ALERTS{alertname=~"Periscope.*BudgetBurn.*", alertstate="firing", ${SEL}}`, '{{service}} {{alertname}} ({{severity}})'],
      ]),
    )
    .build();
}
