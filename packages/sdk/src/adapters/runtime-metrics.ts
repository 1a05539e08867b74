import { constants, monitorEventLoopDelay, type PerformanceEntry, PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsRegistry as Registry } from './registry.js';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * `periscope_build_info{service_name, service_version, vcs_revision} 1`: which
 * build each target runs, so an incident review can line a change of version
 * up against a change of behaviour (`periscope review` reads it).
 */
export function registerBuildInfo(
  registry: Registry,
  build: { serviceName: string; serviceVersion?: string | undefined; vcsRevision?: string | undefined },
): void {
  new Gauge({
    name: 'periscope_build_info',
    help: 'The build a service runs: always 1, the information is in the labels.',
    labelNames: ['service_name', 'service_version', 'vcs_revision'],
    registers: [registry],
  }).set({ service_name: build.serviceName, service_version: build.serviceVersion ?? '', vcs_revision: build.vcsRevision ?? '' }, 1);
}

/**
 * Runtime metrics, under the names prom-client's defaults use so existing
 * dashboards work: event loop lag and utilisation, GC pauses, heap, CPU, RSS.
 * Written here rather than with `collectDefaultMetrics` because that one can
 * never be stopped: its GC observer and loop monitor would outlive
 * `shutdown()` and keep the registry alive. Values are read at scrape time;
 * only the loop monitor and GC observer run in between.
 */
export function registerRuntimeMetrics(registry: Registry): { stop(): void } {
  const registers = [registry];
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  const lagGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(seconds(read()));
      },
    });
  lagGauge('nodejs_eventloop_lag_seconds', 'Mean event loop delay since the previous scrape.', () => loop.mean);
  lagGauge('nodejs_eventloop_lag_p50_seconds', 'Median event loop delay since the previous scrape.', () => loop.percentile(50));
  lagGauge('nodejs_eventloop_lag_p99_seconds', '99th percentile event loop delay since the previous scrape.', () => loop.percentile(99));
  new Gauge({
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'Longest event loop delay since the previous scrape.',
    registers,
    collect() {
      this.set(seconds(loop.max));
      // Every lag gauge has been read by now (registration order): start a new window.
      loop.reset();
    },
  });

  let lastElu = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape.',
    registers,
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, lastElu).utilization);
      lastElu = now;
    },
  });

  const gc = new Histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection pauses, by kind.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers,
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
      gc.observe({ kind: GC_KINDS[entry.detail?.kind ?? -1] ?? 'other' }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  const heap = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  heap('nodejs_heap_size_total_bytes', 'V8 heap size.', () => getHeapStatistics().total_heap_size);
  heap('nodejs_heap_size_used_bytes', 'V8 heap in use.', () => getHeapStatistics().used_heap_size);
  heap('nodejs_external_memory_bytes', 'Memory held by C++ objects bound to JavaScript.', () => process.memoryUsage().external);
  heap('process_resident_memory_bytes', 'Resident set size.', () => process.memoryUsage.rss());
  new Gauge({
    name: 'nodejs_heap_space_size_used_bytes',
    help: 'V8 heap in use, by space.',
    labelNames: ['space'],
    registers,
    collect() {
      for (const space of getHeapSpaceStatistics()) this.set({ space: space.space_name.replace(/_space$/, '') }, space.space_used_size);
    },
  });

  const cpu = (name: string, help: string, read: (usage: NodeJS.CpuUsage) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        // A counter mirrored from an absolute reading: reset, then add the total.
        this.reset();
        this.inc(read(process.cpuUsage()) / 1e6);
      },
    });
  cpu('process_cpu_user_seconds_total', 'User CPU time.', (u) => u.user);
  cpu('process_cpu_system_seconds_total', 'System CPU time.', (u) => u.system);
  cpu('process_cpu_seconds_total', 'User and system CPU time.', (u) => u.user + u.system);
  const start = new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process, Unix seconds.', registers });
  start.set(Math.round(performance.timeOrigin / 1000));
  new Gauge({ name: 'nodejs_version_info', help: 'Node.js version.', labelNames: ['version'], registers }).set(
    { version: process.version },
    1,
  );

  return {
    stop() {
      loop.disable();
      observer.disconnect();
    },
  };
}
