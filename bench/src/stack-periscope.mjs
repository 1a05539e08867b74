import { createTelemetry } from '@periscope/sdk';
import pino from 'pino';

/**
 * Periscope with every signal on, as a service would run it, except that the
 * access log goes to /dev/null (through the same asynchronous SonicBoom
 * stream Periscope uses for stdout) and `/metrics` listens on a free port.
 */
export function createBenchTelemetry({ sinkUrl, sampleRatio }) {
  return createTelemetry({
    serviceName: 'periscope-bench',
    env: {}, // no OTEL_* variables from the caller's shell
    logs: { destination: pino.destination({ dest: '/dev/null', sync: false }) },
    metrics: { server: { host: '127.0.0.1', port: 0 } },
    traces: {
      endpoint: sinkUrl,
      protocol: 'http/protobuf',
      sampler: sampleRatio === 1 ? 'parentbased_always_on' : 'parentbased_traceidratio',
      samplerArg: sampleRatio,
    },
  });
}
