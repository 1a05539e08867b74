import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge } from 'prom-client';
import type { MetricsRegistry as Registry } from './registry.js';

/**
 * Runtime metrics: prom-client's defaults (event loop lag, GC durations, heap
 * spaces, CPU, handles) plus event loop utilisation, which prom-client lacks
 * and which tells a saturated loop from an idle one better than lag does.
 */
export function registerRuntimeMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  let last = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape.',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, last).utilization);
      last = now;
    },
  });
}
