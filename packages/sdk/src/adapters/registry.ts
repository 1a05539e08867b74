import { type OpenMetricsContentType, Registry } from 'prom-client';

/** The registry type Periscope uses: OpenMetrics, the only kind prom-client lets hold exemplars. */
export type MetricsRegistry = Registry<OpenMetricsContentType>;

/** A fresh registry per telemetry instance; the global prom-client registry is never touched. */
export function createRegistry(): MetricsRegistry {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}
