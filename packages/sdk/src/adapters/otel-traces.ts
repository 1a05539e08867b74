import { context, propagation, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { ResolvedConfig } from '../config/resolve-config.js';
import type { SelfTelemetryPort } from '../core/ports.js';
import { BoundedBatchSpanProcessor } from './bounded-batch-span-processor.js';
import { LightTracerProvider } from './light-tracer.js';
import { encodeExportRequest, encodeSpan } from './otlp-span-encoder.js';
import { createOtlpTraceExporter } from './otlp-trace-exporter.js';

export interface OtelTracing {
  tracer: Tracer;
  propagator: TextMapPropagator;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /** Drops what is still queued; for when shutdown runs out of time. */
  abandon(): void;
}

let contextManagerInstalled = false;

/**
 * Installs AsyncLocalStorage as OpenTelemetry's global context manager, once
 * per process. If another SDK installed one first, we use it: both are the
 * same AsyncLocalStorage machinery.
 */
export function ensureContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
}

export function createPropagator(): TextMapPropagator {
  return new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
}

function createSampler(name: ResolvedConfig['traces']['sampler'], ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function createExporter(traces: ResolvedConfig['traces'], resource: Resource): SpanExporter | undefined {
  if (typeof traces.exporter === 'object') return traces.exporter;
  if (traces.exporter === 'none') return undefined;
  if (traces.exporter === 'console') return new ConsoleSpanExporter();
  return createOtlpTraceExporter({
    // Protobuf bodies come from Periscope's encoder, which takes spans encoded as they ended.
    encode: traces.protocol === 'http/protobuf' ? (spans) => encodeExportRequest(spans, resource) : undefined,
    url: traces.endpoint,
    headers: traces.headers,
    protocol: traces.protocol,
    compression: traces.compression,
    timeoutMillis: traces.exportTimeoutMillis,
    // The processor keeps one batch in flight; a second slot serves forceFlush during an export.
    concurrencyLimit: 2,
  });
}

/**
 * The OpenTelemetry adapter: a tracer provider with Periscope's bounded batch
 * processor and the configured exporter. With no exporter spans are still
 * created, so logs keep real trace IDs and outbound calls still propagate.
 */
export function createOtelTracing(config: ResolvedConfig, self: SelfTelemetryPort): OtelTracing {
  ensureContextManager();
  const propagator = createPropagator();
  const attributes: Record<string, string> = {
    ...config.resourceAttributes,
    [ATTR_SERVICE_NAME]: config.serviceName,
    'deployment.environment.name': config.environment,
  };
  if (config.serviceVersion) attributes[ATTR_SERVICE_VERSION] = config.serviceVersion;
  const resource = resourceFromAttributes(attributes);
  const exporter = createExporter(config.traces, resource);
  const processor = exporter ? new BoundedBatchSpanProcessor(exporter, self, config.traces) : undefined;
  const encodeOnEnd = config.traces.exporter === 'otlp' && config.traces.protocol === 'http/protobuf';
  const provider = new LightTracerProvider({
    resource,
    sampler: createSampler(config.traces.sampler, config.traces.samplerArg),
    processor,
    encodeOnEnd: encodeOnEnd ? encodeSpan : undefined,
  });
  // Register globally only if nobody has, so third-party instrumentations join our traces.
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(propagator);
  return {
    tracer: provider.getTracer('@periscope/sdk'),
    propagator,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
    abandon: () => processor?.abandon(),
  };
}
