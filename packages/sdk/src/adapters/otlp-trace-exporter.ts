import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExportDelegate, httpAgentFactoryFromOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer, ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface OtlpTraceExporterConfig {
  url: string;
  headers: Record<string, string>;
  protocol: 'http/protobuf' | 'http/json';
  compression: 'gzip' | 'none';
  timeoutMillis: number;
  concurrencyLimit: number;
  /** Writes the protobuf request body instead of OpenTelemetry's serializer (Periscope's encoder); protobuf only. */
  encode?: (spans: ReadableSpan[]) => Uint8Array;
}

/**
 * The OTLP/HTTP trace exporter, built from explicit configuration only. The
 * packaged `OTLPTraceExporter` classes merge `process.env` under whatever
 * they are given, so headers (credentials) and compression would leak past
 * Periscope's own `env` option; the export delegate underneath them does not.
 * Retries with backoff (and `Retry-After`) come from that delegate.
 */
export function createOtlpTraceExporter(config: OtlpTraceExporterConfig): SpanExporter {
  const json = config.protocol === 'http/json';
  const contentType = json ? 'application/json' : 'application/x-protobuf';
  const delegate = createOtlpHttpExportDelegate(
    {
      url: config.url,
      headers: async () => ({ ...config.headers, 'Content-Type': contentType }),
      timeoutMillis: config.timeoutMillis,
      concurrencyLimit: config.concurrencyLimit,
      compression: config.compression,
      agentFactory: httpAgentFactoryFromOptions({ keepAlive: true }),
    },
    json
      ? JsonTraceSerializer
      : config.encode
        ? { serializeRequest: config.encode, deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data) }
        : ProtobufTraceSerializer,
    'otlp_http_span_exporter',
    TraceExporterMetricsHelper,
    undefined,
  );
  return new OTLPExporterBase<ReadableSpan[]>(delegate);
}
