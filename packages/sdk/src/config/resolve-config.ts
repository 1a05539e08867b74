import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { EventSinkPort } from '../core/event-dispatcher.js';
import { PeriscopeError } from '../errors.js';
import { defineEvents, type EventCatalog, type FunnelDefinitions, validateFunnels } from '../events/catalog.js';
import { readBooleanEnv, readEnv, readKeyValueEnv, readNumberEnv, readOtelLogLevel } from './env.js';
import type { LogDestination, LogLevel, LogOptions, MetricsAuth, SamplerName, TelemetryOptions } from './options.js';

/** Options after validation and merging with the environment: every field decided. */
export interface ResolvedConfig {
  serviceName: string;
  serviceVersion: string | undefined;
  environment: string;
  resourceAttributes: Record<string, string>;
  disabled: boolean;
  outbound: boolean;
  diagnosticLevel: LogLevel;
  correlation: { header: string; requestIdHeader: string; maxLength: number };
  logs: {
    level: LogLevel;
    redact: string[];
    accessLog: boolean;
    destination: LogDestination | undefined;
    bufferLimitBytes: number;
    enrich: LogOptions['enrich'];
    redactor: LogOptions['redactor'];
  };
  metrics: {
    enabled: boolean;
    server: false | { host: string; port: number; auth: MetricsAuth | undefined };
    durationBuckets: number[];
    maxLabelSets: number;
    runtime: boolean;
    exemplars: boolean;
  };
  traces: {
    exporter: 'otlp' | 'console' | 'none' | SpanExporter;
    endpoint: string;
    headers: Record<string, string>;
    protocol: 'http/protobuf' | 'http/json';
    compression: 'gzip' | 'none';
    sampler: SamplerName;
    samplerArg: number;
    maxQueueSize: number;
    maxExportBatchSize: number;
    scheduledDelayMillis: number;
    exportTimeoutMillis: number;
  };
  shutdown: { timeoutMillis: number; signals: NodeJS.Signals[]; beforeFlush: (() => unknown) | undefined };
  vcsRevision: string | undefined;
  events: {
    catalog: EventCatalog;
    funnels: FunnelDefinitions;
    sink: EventSinkPort | undefined;
    buffer: { maxBuffer: number; batchSize: number; flushMillis: number; timeoutMillis: number };
  };
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
/** OpenTelemetry's advised boundaries for http.server.request.duration. */
export const DEFAULT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Header names are tokens (RFC 9110); we also require lower case, as Node hands them to us. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function fail(message: string): never {
  throw new PeriscopeError('PERISCOPE_INVALID_OPTION', message);
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], source?: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    const where = source ? ` (from ${source})` : '';
    fail(`${name} must be one of ${allowed.join(', ')}, got "${value}"${where}`);
  }
  return value as T;
}

function integer(name: string, value: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nonEmptyString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') fail(`${name} must be a non-empty string`);
  return (value as string).trim();
}

function headerName(name: string, value: unknown): string | undefined {
  const header = nonEmptyString(name, value)?.toLowerCase();
  if (header !== undefined && !HEADER_NAME.test(header)) fail(`${name} must be a valid HTTP header name, got "${header}"`);
  return header;
}

function url(name: string, value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    fail(`${name} must be an http(s) URL, got "${value}"`);
  }
  return value;
}

function resolveEndpoint(options: TelemetryOptions['traces'], env: Record<string, string | undefined>): string {
  if (options?.endpoint !== undefined) return url('traces.endpoint', options.endpoint);
  const signal = readEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (signal) return url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', signal);
  const base = readEnv(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base) return `${url('OTEL_EXPORTER_OTLP_ENDPOINT', base).replace(/\/+$/, '')}/v1/traces`;
  return 'http://localhost:4318/v1/traces';
}

function resolveSignals(value: boolean | NodeJS.Signals[] | undefined): NodeJS.Signals[] {
  if (value === undefined || value === false) return [];
  if (value === true) return ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || !/^SIG[A-Z0-9]+$/.test(s))) {
    fail('shutdown.signals must be a boolean or a list of signal names such as "SIGTERM"');
  }
  return value;
}

function metricsAuth(auth: unknown): MetricsAuth | undefined {
  if (auth === undefined) return undefined;
  const a = auth as Record<string, unknown>;
  if (typeof a?.bearerToken === 'string' && a.bearerToken.length >= 16) return { bearerToken: a.bearerToken };
  if (typeof a?.username === 'string' && a.username && typeof a.password === 'string' && a.password.length >= 8) {
    return { username: a.username, password: a.password };
  }
  return fail('metrics.server.auth must be { bearerToken } (16+ characters) or { username, password } (password 8+ characters)');
}

function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') fail(`${name} must be a function`);
  return value;
}

function beforeFlushOf(value: unknown): (() => unknown) | undefined {
  return optionalFunction('shutdown.beforeFlush', value as (() => unknown) | undefined);
}

/**
 * Validates options once, at start-up, and merges them with the `OTEL_*`
 * environment. Every error names the option or variable at fault.
 */
export function resolveConfig(options: TelemetryOptions = {}): ResolvedConfig {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const env = options.env ?? process.env;
  const envResource = readKeyValueEnv(env, 'OTEL_RESOURCE_ATTRIBUTES') ?? {};
  const resourceAttributes = { ...envResource, ...(options.resourceAttributes ?? {}) };
  for (const [key, value] of Object.entries(resourceAttributes)) {
    if (typeof value !== 'string') fail(`resourceAttributes.${key} must be a string`);
  }

  const serviceName =
    nonEmptyString('serviceName', options.serviceName) ?? readEnv(env, 'OTEL_SERVICE_NAME') ?? envResource['service.name'];
  if (!serviceName) fail('serviceName is required (or set OTEL_SERVICE_NAME)');

  const m = options.metrics ?? {};
  const t = options.traces ?? {};
  const l = options.logs ?? {};
  const c = options.correlation ?? {};

  let server: ResolvedConfig['metrics']['server'] = false;
  if (m.server !== false) {
    const host = nonEmptyString('metrics.server.host', m.server?.host) ?? readEnv(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? '0.0.0.0';
    const port =
      integer('metrics.server.port', m.server?.port, 0, 65535) ??
      integer('OTEL_EXPORTER_PROMETHEUS_PORT', readNumberEnv(env, 'OTEL_EXPORTER_PROMETHEUS_PORT'), 0, 65535) ??
      9464;
    server = { host, port, auth: metricsAuth(m.server?.auth) };
  }

  const buckets = m.durationBuckets ?? DEFAULT_DURATION_BUCKETS;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= (buckets[i - 1] as number)))
  ) {
    fail('metrics.durationBuckets must be a non-empty, strictly increasing list of positive numbers');
  }

  let exporter: ResolvedConfig['traces']['exporter'];
  if (t.exporter !== undefined && typeof t.exporter === 'object') {
    if (typeof t.exporter.export !== 'function') fail('traces.exporter must be "otlp", "console", "none" or a SpanExporter');
    exporter = t.exporter;
  } else {
    exporter =
      oneOf('traces.exporter', t.exporter, ['otlp', 'console', 'none'] as const) ??
      oneOf('OTEL_TRACES_EXPORTER', readEnv(env, 'OTEL_TRACES_EXPORTER'), ['otlp', 'console', 'none'] as const) ??
      'otlp';
  }

  const sampler =
    oneOf('traces.sampler', t.sampler, SAMPLERS) ??
    oneOf('OTEL_TRACES_SAMPLER', readEnv(env, 'OTEL_TRACES_SAMPLER'), SAMPLERS) ??
    'parentbased_always_on';
  const samplerArgSource = t.samplerArg !== undefined ? 'traces.samplerArg' : 'OTEL_TRACES_SAMPLER_ARG';
  const samplerArg = t.samplerArg ?? readNumberEnv(env, 'OTEL_TRACES_SAMPLER_ARG') ?? 1;
  if (typeof samplerArg !== 'number' || !(samplerArg >= 0 && samplerArg <= 1)) fail(`${samplerArgSource} must be a number from 0 to 1`);

  const protocols = ['http/protobuf', 'http/json'] as const;
  const protocol =
    oneOf('traces.protocol', t.protocol, protocols) ??
    oneOf('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', readEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'), protocols) ??
    oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', readEnv(env, 'OTEL_EXPORTER_OTLP_PROTOCOL'), protocols) ??
    'http/protobuf';

  const compressions = ['gzip', 'none'] as const;
  const compression =
    oneOf('traces.compression', t.compression, compressions) ??
    oneOf('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', readEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION'), compressions) ??
    oneOf('OTEL_EXPORTER_OTLP_COMPRESSION', readEnv(env, 'OTEL_EXPORTER_OTLP_COMPRESSION'), compressions) ??
    'none';

  const maxQueueSize = integer('traces.maxQueueSize', t.maxQueueSize, 1, 1_000_000) ?? 2048;
  const maxExportBatchSize = integer('traces.maxExportBatchSize', t.maxExportBatchSize, 1, 1_000_000) ?? 512;
  if (maxExportBatchSize > maxQueueSize) fail('traces.maxExportBatchSize must not exceed traces.maxQueueSize');

  const catalog = (options.events ?? {}) as EventCatalog;
  if (typeof catalog !== 'object' || catalog === null) fail('events must be the catalog from defineEvents()');
  defineEvents(catalog as never);
  const funnels = (options.funnels ?? {}) as FunnelDefinitions;
  validateFunnels(funnels, catalog);
  if (options.eventSink !== undefined && typeof options.eventSink?.send !== 'function') fail('eventSink must have a send(events) method');
  const eb = options.eventBuffer ?? {};

  const diagnosticLevel =
    oneOf('diagnosticLevel', options.diagnosticLevel, LOG_LEVELS) ?? (readOtelLogLevel(env) as LogLevel | undefined) ?? 'warn';
  if (l.destination !== undefined && typeof l.destination?.write !== 'function') fail('logs.destination must have a write() method');
  if (l.redact !== undefined && (!Array.isArray(l.redact) || l.redact.some((p) => typeof p !== 'string' || !p))) {
    fail('logs.redact must be a list of non-empty path strings');
  }

  return {
    serviceName,
    serviceVersion:
      nonEmptyString('serviceVersion', options.serviceVersion) ?? envResource['service.version'] ?? readEnv(env, 'npm_package_version'),
    environment:
      nonEmptyString('environment', options.environment) ??
      envResource['deployment.environment.name'] ??
      envResource['deployment.environment'] ??
      readEnv(env, 'NODE_ENV') ??
      'development',
    resourceAttributes,
    disabled: options.disabled ?? readBooleanEnv(env, 'OTEL_SDK_DISABLED') ?? false,
    outbound: options.outbound ?? true,
    diagnosticLevel,
    correlation: {
      header: headerName('correlation.header', c.header) ?? 'x-correlation-id',
      requestIdHeader: headerName('correlation.requestIdHeader', c.requestIdHeader) ?? 'x-request-id',
      maxLength: integer('correlation.maxLength', c.maxLength, 1, 128) ?? 128,
    },
    logs: {
      level: oneOf('logs.level', l.level, LOG_LEVELS) ?? 'info',
      redact: [...(l.replaceDefaultRedaction ? [] : DEFAULT_REDACT_PATHS), ...(l.redact ?? [])],
      accessLog: l.accessLog ?? true,
      destination: l.destination,
      bufferLimitBytes: integer('logs.bufferLimitBytes', l.bufferLimitBytes, 1024, 2 ** 31) ?? 16 * 1024 * 1024,
      enrich: optionalFunction('logs.enrich', l.enrich),
      redactor: optionalFunction('logs.redactor', l.redactor),
    },
    metrics: {
      enabled: m.enabled ?? true,
      server,
      durationBuckets: [...buckets],
      maxLabelSets: integer('metrics.maxLabelSets', m.maxLabelSets, 1, 1_000_000) ?? 1000,
      runtime: m.runtime ?? true,
      exemplars: m.exemplars ?? true,
    },
    traces: {
      exporter,
      endpoint: resolveEndpoint(t, env),
      headers: {
        ...(readKeyValueEnv(env, 'OTEL_EXPORTER_OTLP_HEADERS') ?? {}),
        ...(readKeyValueEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') ?? {}),
        ...(t.headers ?? {}),
      },
      protocol,
      compression,
      sampler,
      samplerArg,
      maxQueueSize,
      maxExportBatchSize,
      scheduledDelayMillis: integer('traces.scheduledDelayMillis', t.scheduledDelayMillis, 1, 3_600_000) ?? 1000,
      exportTimeoutMillis:
        integer('traces.exportTimeoutMillis', t.exportTimeoutMillis, 1, 600_000) ??
        integer('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', readNumberEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'), 1, 600_000) ??
        integer('OTEL_EXPORTER_OTLP_TIMEOUT', readNumberEnv(env, 'OTEL_EXPORTER_OTLP_TIMEOUT'), 1, 600_000) ??
        10_000,
    },
    events: {
      catalog,
      funnels,
      sink: options.eventSink,
      buffer: {
        maxBuffer: integer('eventBuffer.maxEvents', eb.maxEvents, 1, 10_000_000) ?? 10_000,
        batchSize: integer('eventBuffer.batchSize', eb.batchSize, 1, 100_000) ?? 500,
        flushMillis: integer('eventBuffer.flushMillis', eb.flushMillis, 1, 3_600_000) ?? 1000,
        timeoutMillis: integer('eventBuffer.timeoutMillis', eb.timeoutMillis, 1, 600_000) ?? 10_000,
      },
    },
    shutdown: {
      timeoutMillis: integer('shutdown.timeoutMillis', options.shutdown?.timeoutMillis, 1, 600_000) ?? 5000,
      signals: resolveSignals(options.shutdown?.signals),
      beforeFlush: beforeFlushOf(options.shutdown?.beforeFlush),
    },
    vcsRevision: nonEmptyString('vcsRevision', options.vcsRevision) ?? envResource['vcs.ref.head.revision'],
  };
}

/**
 * Keys redacted by default, at any depth and in any letter case: in log
 * lines, business-event properties, span events and the event sink.
 */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'token',
  'secret',
  'apiKey',
  'x-api-key',
];
