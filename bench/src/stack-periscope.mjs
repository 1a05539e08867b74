import { createTelemetry } from '@periscope/sdk';

/**
 * Periscope with every signal on, as a service would run it: logs to stdout
 * through Periscope's own writer (the harness points the server's stdout at
 * /dev/null), and `/metrics` on a free port.
 *
 * PERISCOPE_BENCH_EXPERIMENT (JSON, merged into `logs`, `metrics` and
 * `traces`) turns signals off one at a time, to find where the time goes:
 * e.g. `{"logs":{"accessLog":false}}` or `{"traces":{"exporter":"none"}}`.
 */
export function createBenchTelemetry({ sinkUrl, sampleRatio }) {
  const experiment = process.env.PERISCOPE_BENCH_EXPERIMENT ? JSON.parse(process.env.PERISCOPE_BENCH_EXPERIMENT) : {};
  return createTelemetry({
    serviceName: 'periscope-bench',
    env: {}, // no OTEL_* variables from the caller's shell
    logs: { ...experiment.logs },
    metrics: { server: { host: '127.0.0.1', port: 0 }, ...experiment.metrics },
    traces: {
      endpoint: sinkUrl,
      protocol: 'http/protobuf',
      sampler: sampleRatio === 1 ? 'parentbased_always_on' : 'parentbased_traceidratio',
      samplerArg: sampleRatio,
      ...experiment.traces,
    },
  });
}
