import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { boundariesDashboard } from './boundaries.js';
import { businessDashboard } from './business.js';
import { redDashboard } from './red.js';
import { runtimeDashboard } from './runtime.js';
import { sloDashboard } from './slo.js';

export { SLO } from './slo.js';

/** Every dashboard, by the file name it is written to under observability/grafana/dashboards. */
export function buildDashboards(): Record<string, dashboard.Dashboard> {
  return {
    'periscope-red.json': redDashboard(),
    'periscope-business.json': businessDashboard(),
    'periscope-runtime.json': runtimeDashboard(),
    'periscope-slo.json': sloDashboard(),
    'periscope-boundaries.json': boundariesDashboard(),
  };
}

/** The file's text: stable key order from the builders, two-space indent, final newline. */
export function renderDashboard(built: dashboard.Dashboard): string {
  return `${JSON.stringify(built, null, 2)}\n`;
}
