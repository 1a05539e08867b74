import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createTelemetry, PeriscopeError, type Telemetry, type TelemetryOptions } from '../src/index.js';
import { LogLines } from './support/log-lines.js';

const base: TelemetryOptions = { serviceName: 'svc', env: {} };

function errorOf(fn: () => unknown): PeriscopeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PeriscopeError);
    return error as PeriscopeError;
  }
  throw new Error('expected a PeriscopeError');
}

describe('option validation', () => {
  it.each<[string, TelemetryOptions, string]>([
    ['serviceName missing', { env: {} }, 'serviceName'],
    ['serviceName empty', { serviceName: '  ', env: {} }, 'serviceName'],
    ['bad sampler', { ...base, traces: { sampler: 'sometimes' as never } }, 'traces.sampler'],
    ['sampler arg above 1', { ...base, traces: { samplerArg: 2 } }, 'traces.samplerArg'],
    ['bad exporter', { ...base, traces: { exporter: 'zipkin' as never } }, 'traces.exporter'],
    ['non-URL endpoint', { ...base, traces: { endpoint: 'collector:4318' } }, 'traces.endpoint'],
    ['port out of range', { ...base, metrics: { server: { port: 70000 } } }, 'metrics.server.port'],
    ['decreasing buckets', { ...base, metrics: { durationBuckets: [1, 0.5] } }, 'metrics.durationBuckets'],
    ['zero label sets', { ...base, metrics: { maxLabelSets: 0 } }, 'metrics.maxLabelSets'],
    ['bad log level', { ...base, logs: { level: 'loud' as never } }, 'logs.level'],
    ['destination without write', { ...base, logs: { destination: {} as never } }, 'logs.destination'],
    ['header with a space', { ...base, correlation: { header: 'x correlation' } }, 'correlation.header'],
    ['ID length above 128', { ...base, correlation: { maxLength: 500 } }, 'correlation.maxLength'],
    ['batch larger than queue', { ...base, traces: { maxQueueSize: 10, maxExportBatchSize: 20 } }, 'traces.maxExportBatchSize'],
    ['negative shutdown timeout', { ...base, shutdown: { timeoutMillis: -1 } }, 'shutdown.timeoutMillis'],
  ])('%s fails at start-up with PERISCOPE_INVALID_OPTION naming the option', (_name, options, key) => {
    const error = errorOf(() => createTelemetry(options));
    expect(error.code).toBe('PERISCOPE_INVALID_OPTION');
    expect(error.message).toContain(key);
  });

  it.each<[string, Record<string, string>, string]>([
    ['OTEL_TRACES_SAMPLER', { OTEL_TRACES_SAMPLER: 'nope' }, 'OTEL_TRACES_SAMPLER'],
    ['OTEL_TRACES_SAMPLER_ARG', { OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG'],
    ['OTEL_TRACES_EXPORTER', { OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', { OTEL_EXPORTER_PROMETHEUS_PORT: 'ninety' }, 'OTEL_EXPORTER_PROMETHEUS_PORT'],
    ['OTEL_SDK_DISABLED', { OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED'],
    ['OTEL_LOG_LEVEL', { OTEL_LOG_LEVEL: 'chatty' }, 'OTEL_LOG_LEVEL'],
    ['OTEL_EXPORTER_OTLP_HEADERS', { OTEL_EXPORTER_OTLP_HEADERS: '=novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
  ])('a bad %s fails at start-up naming the variable', (_name, env, variable) => {
    const error = errorOf(() => resolveConfig({ serviceName: 'svc', env }));
    expect(error.message).toContain(variable);
  });
});

describe('environment variables', () => {
  it('are honoured when no option is given', () => {
    const config = resolveConfig({
      env: {
        OTEL_SERVICE_NAME: 'from-env',
        OTEL_RESOURCE_ATTRIBUTES: 'service.version=1.2.3,deployment.environment.name=prod,team=pay%20ments',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=t1',
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: '9999',
        OTEL_SDK_DISABLED: 'true',
        OTEL_LOG_LEVEL: 'debug',
      },
    });
    expect(config).toMatchObject({
      serviceName: 'from-env',
      serviceVersion: '1.2.3',
      environment: 'prod',
      resourceAttributes: { team: 'pay ments' },
      disabled: true,
      diagnosticLevel: 'debug',
      metrics: { server: { host: '127.0.0.1', port: 9999 } },
      traces: {
        endpoint: 'http://collector:4318/v1/traces',
        headers: { authorization: 'Bearer abc', 'x-tenant': 't1' },
        exporter: 'console',
        sampler: 'parentbased_traceidratio',
        samplerArg: 0.25,
      },
    });
  });

  it('the signal-specific traces endpoint wins over the base endpoint', () => {
    const config = resolveConfig({
      serviceName: 's',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' },
    });
    expect(config.traces.endpoint).toBe('http://b:4318/custom');
  });

  it('options beat variables', () => {
    const config = resolveConfig({
      serviceName: 'from-option',
      environment: 'dev',
      disabled: false,
      metrics: { server: { port: 1234 } },
      traces: { exporter: 'none', sampler: 'always_on', samplerArg: 1, endpoint: 'http://opt:4318/v1/traces' },
      env: {
        OTEL_SERVICE_NAME: 'from-env',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_TRACES_SAMPLER: 'always_off',
        OTEL_EXPORTER_PROMETHEUS_PORT: '9999',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env:4318/v1/traces',
        OTEL_SDK_DISABLED: 'true',
      },
    });
    expect(config).toMatchObject({
      serviceName: 'from-option',
      environment: 'dev',
      disabled: false,
      metrics: { server: { port: 1234 } },
      traces: { exporter: 'none', sampler: 'always_on', endpoint: 'http://opt:4318/v1/traces' },
    });
  });

  it('defaults match the documentation', () => {
    const config = resolveConfig({ serviceName: 's', env: {} });
    expect(config).toMatchObject({
      environment: 'development',
      disabled: false,
      diagnosticLevel: 'warn',
      correlation: { header: 'x-correlation-id', requestIdHeader: 'x-request-id', maxLength: 128 },
      logs: { level: 'info', accessLog: true },
      metrics: { enabled: true, server: { host: '0.0.0.0', port: 9464 }, maxLabelSets: 1000, runtime: true, exemplars: true },
      traces: {
        exporter: 'otlp',
        endpoint: 'http://localhost:4318/v1/traces',
        protocol: 'http/protobuf',
        sampler: 'parentbased_always_on',
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        exportTimeoutMillis: 10_000,
      },
      shutdown: { timeoutMillis: 5000, signals: [] },
    });
  });
});

describe('OTEL_SDK_DISABLED', () => {
  let telemetry: Telemetry | undefined;
  afterEach(() => telemetry?.shutdown());

  it('turns signals off while the logger and IDs keep working', async () => {
    const logs = new LogLines();
    const off = createTelemetry({ serviceName: 'off', env: { OTEL_SDK_DISABLED: 'true' }, logs: { destination: logs } });
    telemetry = off;
    expect(await off.metricsUrl).toBeUndefined();
    const observation = off.http.start({ method: 'GET', url: '/', headers: { 'x-correlation-id': 'keep-me' } });
    observation.run(() => off.logger.info('inside'));
    observation.finish({ route: '/', statusCode: 200 });
    expect(observation.responseHeaders['x-correlation-id']).toBe('keep-me');
    expect(logs.withMessage('inside')[0]).toMatchObject({ correlation_id: 'keep-me' });
    expect(await off.metrics('text')).not.toContain('http_server_request_duration_seconds');
  });
});
