import { createRequire } from 'node:module';
import { TraceFlags } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const require = createRequire(import.meta.url);

/**
 * The OpenTelemetry anchor, set up the way its docs show: a NodeTracerProvider
 * with a default BatchSpanProcessor and the OTLP/HTTP (JSON) exporter, and
 * the HTTP instrumentation plus the framework's. Must run before the framework
 * is required, so require-in-the-middle can patch it.
 *
 * A second processor only counts ended, sampled spans, so the harness can tell
 * how many the BatchSpanProcessor dropped without saying so.
 */
export function setupOtel({ sinkUrl, framework }) {
  let ended = 0;
  const counter = {
    onStart() {},
    onEnd(span) {
      if (span.spanContext().traceFlags & TraceFlags.SAMPLED) ended++;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otel-bench' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: sinkUrl })), counter],
  });
  provider.register();

  const instrumentations = [new HttpInstrumentation()];
  let fastifyOtel;
  if (framework === 'express') {
    const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
    instrumentations.push(new ExpressInstrumentation());
  } else {
    const { FastifyOtelInstrumentation } = require('@fastify/otel');
    fastifyOtel = new FastifyOtelInstrumentation();
    instrumentations.push(fastifyOtel);
  }
  registerInstrumentations({ tracerProvider: provider, instrumentations });
  return {
    fastifyOtel,
    flush: () => provider.forceFlush(),
    spansEnded: () => ended,
  };
}
