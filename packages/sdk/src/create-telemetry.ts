import { type Context, context, type Tracer } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import { type ExpositionFormat, renderMetrics } from './adapters/exposition.js';
import { createMetricsHandler, type MetricsHandler, MetricsServer } from './adapters/metrics-server.js';
import { createOtelTracing, createPropagator, ensureContextManager, type OtelTracing } from './adapters/otel-traces.js';
import { installNodeHttpPropagation } from './adapters/outbound-node-http.js';
import { installUndiciPropagation } from './adapters/outbound-undici.js';
import { createPinoLogging } from './adapters/pino-logger.js';
import { PromBoundaryMetrics } from './adapters/prom-boundary-metrics.js';
import { noopEventMetrics, PromEventMetrics } from './adapters/prom-event-metrics.js';
import { noopHttpMetrics, noopSelfTelemetry, PromHttpMetrics, PromSelfTelemetry } from './adapters/prom-metrics.js';
import { createRegistry, type MetricsRegistry } from './adapters/registry.js';
import { registerBuildInfo, registerRuntimeMetrics } from './adapters/runtime-metrics.js';
import type { TelemetryOptions } from './config/options.js';
import { type ResolvedConfig, resolveConfig } from './config/resolve-config.js';
import { type Boundary, BoundaryRecorder, noopBoundaryMetrics } from './core/boundary.js';
import { EventTracker } from './core/business-events.js';
import { CardinalityGuard } from './core/cardinality.js';
import { ClientInstrumentation } from './core/client-observation.js';
import { EventDispatcher } from './core/event-dispatcher.js';
import { Guard } from './core/guard.js';
import { HttpInstrumentation, type HttpInstrumentationPort } from './core/http-observation.js';
import type { HttpMetricsPort, SelfTelemetryPort } from './core/ports.js';
import { getRequestContext, type LogCorrelationFields, logCorrelationFields } from './core/request-context.js';
import type { EventCatalog, EventProperties } from './events/catalog.js';
import { TELEMETRY_BRAND } from './telemetry-brand.js';

/** `track()`'s properties argument: optional when the event has nothing required. */
export type TrackArguments<D> = {} extends EventProperties<D> ? [properties?: EventProperties<D>] : [properties: EventProperties<D>];

/** The handle a service holds: its logger, the HTTP core the plugins call, metrics and lifecycle. */
export interface Telemetry<C extends EventCatalog = EventCatalog> {
  /** Resolved service name. */
  readonly serviceName: string;
  /** The pino logger; lines written inside a request carry its IDs. */
  readonly logger: Logger;
  /** The framework-neutral HTTP observation the plugins call. */
  readonly http: HttpInstrumentationPort;
  /** Brand checked by {@link isTelemetry}. */
  readonly [TELEMETRY_BRAND]: true;
  /** The tracer for your own spans; they join the request's trace. */
  readonly tracer: Tracer;
  /** prom-client registry holding every Periscope metric; register your own metrics here. */
  readonly registry: MetricsRegistry;
  /** Serves the metrics page (OpenMetrics when asked, else Prometheus text); mount it in any node:http-compatible router. */
  readonly metricsHandler: MetricsHandler;
  /** Resolves with the metrics listener's URL once it listens, or undefined when it is off or could not bind. */
  readonly metricsUrl: Promise<string | undefined>;
  /** Renders the metrics page. */
  metrics(format?: ExpositionFormat): Promise<string>;
  /**
   * Tracks a business event of the catalog: a counter (and value sum), a log
   * line with the request's IDs, a span event, and the optional sink. Checked
   * at compile time against the catalog; at run time a bad event is dropped
   * and counted in `periscope_events_rejected_total{reason}`. Never throws.
   */
  track<N extends keyof C & string>(name: N, ...properties: TrackArguments<C[N]>): void;
  /**
   * A module of this process (modular monolith): `boundary('billing').run('charge', fn)`
   * or `@billing.operation()` records the call into `billing` from the module
   * the code runs in (or `http` straight from a request handler, `none`
   * elsewhere): an INTERNAL span `billing.charge`,
   * `module_calls_total{from_module, to_module, operation, outcome}` and
   * `module_call_duration_seconds{from_module, to_module}`. See docs/boundaries.md.
   * @throws PeriscopeError `PERISCOPE_INVALID_BOUNDARY` when `module` is empty or not a string.
   */
  boundary(module: string): Boundary;
  /** Sets the user of the current request; later log lines carry `user_id`. No-op outside a request. */
  setUser(userId: string): void;
  /** Correlation fields of the code running now (`trace_id`, `correlation_id`...), empty outside a request. */
  currentContext(): LogCorrelationFields;
  /** Runs `fn` in `ctx` (e.g. an observation's context) through the AsyncLocalStorage context manager. */
  runInContext<T>(ctx: Context, fn: () => T): T;
  /** Exports queued spans and writes buffered logs now. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops within `shutdown.timeoutMillis`; resolves even if the backend is down. Idempotent. */
  shutdown(): Promise<void>;
}

const MAX_USER_ID_LENGTH = 128;

/**
 * The composition root: validates options (throwing {@link PeriscopeError} on
 * bad ones), builds the adapters and wires them into the core.
 */
export function createTelemetry<const C extends EventCatalog = {}>(options: TelemetryOptions<C> = {}): Telemetry<C> {
  const config = resolveConfig(options as unknown as TelemetryOptions);
  const registry = createRegistry();
  const metricsOn = config.metrics.enabled && !config.disabled;
  const self: SelfTelemetryPort = metricsOn ? new PromSelfTelemetry(registry) : noopSelfTelemetry;
  // The logger exists before the guard (the guard logs through it); its user hooks report through the guard once it is built.
  const logging = createPinoLogging(config, self, (where, error) => guard.report(where, error));
  const diag = logging.logger.child({ component: 'periscope' }, { level: config.diagnosticLevel });
  const guard = new Guard(self, diag);

  const cardinality = new CardinalityGuard(config.metrics.maxLabelSets, (metric) => self.cardinalityOverflow(metric));
  let httpMetrics: HttpMetricsPort = noopHttpMetrics;
  let stopRuntime = (): void => {};
  if (metricsOn) {
    httpMetrics = new PromHttpMetrics(registry, {
      buckets: config.metrics.durationBuckets,
      exemplars: config.metrics.exemplars,
      guard: cardinality,
    });
    if (config.metrics.runtime) stopRuntime = registerRuntimeMetrics(registry).stop;
    registerBuildInfo(registry, config);
  }

  const tracing = config.disabled ? disabledTracing() : createOtelTracing(config, self);
  let client: ClientInstrumentation | undefined;
  if (config.outbound) {
    client = new ClientInstrumentation({
      tracer: tracing.tracer,
      propagator: tracing.propagator,
      guard,
      correlationHeader: config.correlation.header,
      excludedUrls: config.traces.exporter === 'otlp' ? [config.traces.endpoint] : [],
      isSuppressed: isTracingSuppressed,
    });
    installUndiciPropagation();
    installNodeHttpPropagation();
  }
  const http = new HttpInstrumentation({
    tracer: tracing.tracer,
    propagator: tracing.propagator,
    metrics: httpMetrics,
    logger: logging.logger,
    accessLogger: logging.ownLines,
    self,
    guard,
    correlationHeader: config.correlation.header,
    requestIdHeader: config.correlation.requestIdHeader,
    maxIdLength: config.correlation.maxLength,
    accessLog: config.logs.accessLog,
    client,
  });

  const dispatcher = config.events.sink ? new EventDispatcher(config.events.sink, self, guard, config.events.buffer) : undefined;
  const events = new EventTracker({
    catalog: config.events.catalog,
    funnelsByStep: funnelsByStep(config.events.funnels),
    metrics:
      metricsOn && Object.keys(config.events.catalog).length > 0 ? new PromEventMetrics(registry, config.events.catalog) : noopEventMetrics,
    // Event properties are primitives already redacted by key here, so their lines skip the
    // log-wide redaction walk unless a rule or a user redactor could still change them.
    logger: eventLinesNeedRedactionWalk(config) ? logging.logger : logging.ownLines,
    self,
    guard,
    cardinality,
    dispatcher,
    redactKeys: redactionKeys(config.logs.redact),
  });

  // The boundary metrics are registered on first use, so services without boundaries expose no empty families.
  let boundaryMetrics: PromBoundaryMetrics | undefined;
  const boundaries = new BoundaryRecorder({
    tracer: tracing.tracer,
    metrics: metricsOn
      ? {
          callFinished: (labels, seconds) => {
            boundaryMetrics ??= new PromBoundaryMetrics(registry, cardinality);
            boundaryMetrics.callFinished(labels, seconds);
          },
        }
      : noopBoundaryMetrics,
    self,
    guard,
    enabled: !config.disabled,
  });

  const render = (format: ExpositionFormat = 'openmetrics') => renderMetrics(registry, format);
  const metricsHandler = createMetricsHandler(render, (error) => guard.report('metrics.render', error));
  let server: MetricsServer | undefined;
  if (metricsOn && config.metrics.server) {
    const { host, port, auth } = config.metrics.server;
    server = new MetricsServer(metricsHandler, host, port, (error) => guard.report('metrics.listen', error), auth);
  }
  const metricsUrl = server
    ? server.ready.then((address) => (address ? `http://${formatHost(address.address)}:${address.port}/metrics` : undefined))
    : Promise.resolve(undefined);

  const forceFlush = async (): Promise<void> => {
    await Promise.allSettled([tracing.forceFlush(), dispatcher?.flush(), logging.flush()]);
  };

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    if (!stopping) stopRuntime();
    stopping ??= withDeadline(
      runBeforeFlush(config.shutdown.beforeFlush, guard)
        .then(() => Promise.allSettled([tracing.shutdown(), dispatcher?.close(), server?.close()]))
        .then(() => logging.flush()),
      config.shutdown.timeoutMillis,
      () => {
        tracing.abandon();
        dispatcher?.abandon();
        // The logs still go out at the deadline: the process usually exits right after.
        void logging.flush();
      },
    ).then(() => removeSignalHandlers());
    return stopping;
  };
  const removeSignalHandlers = installSignalHandlers(config, shutdown);

  return {
    [TELEMETRY_BRAND]: true,
    serviceName: config.serviceName,
    logger: logging.logger,
    http,
    tracer: tracing.tracer,
    registry,
    metricsHandler,
    metricsUrl,
    metrics: render,
    track: (name: string, properties?: unknown) => events.track(name, properties),
    boundary: (module: string) => boundaries.boundary(module),
    setUser(userId: string) {
      guard.run(
        'setUser',
        () => {
          const request = getRequestContext();
          if (request) request.userId = String(userId).slice(0, MAX_USER_ID_LENGTH);
        },
        undefined,
      );
    },
    currentContext: () => logCorrelationFields(),
    runInContext: (ctx, fn) => context.with(ctx, fn),
    forceFlush,
    shutdown,
  };
}

/** The app's own shutdown step, guarded: its failure is counted, never thrown, and shutdown goes on. */
async function runBeforeFlush(hook: (() => unknown) | undefined, guard: Guard): Promise<void> {
  if (!hook) return;
  try {
    await hook();
  } catch (error) {
    guard.report('shutdown.beforeFlush', error);
  }
}

function funnelsByStep(funnels: Readonly<Record<string, readonly string[]>>): Map<string, string[]> {
  const byStep = new Map<string, string[]>();
  for (const [funnel, steps] of Object.entries(funnels)) {
    for (const step of steps) byStep.set(step, [...(byStep.get(step) ?? []), funnel]);
  }
  return byStep;
}

/** Property names redacted on span events and sinks: the last segment of each log redaction path. */
function redactionKeys(paths: readonly string[]): Set<string> {
  return new Set(paths.map((p) => (p.split('.').pop() ?? p).replace(/^\*|^\[["']?|["']?\]$/g, '').toLowerCase()).filter(Boolean));
}

/**
 * Whether business-event lines must go through the redacting logger: only
 * when a user redactor exists, or a rule names the line's own fields
 * (`event`, `properties`, `msg`). Every other rule's last segment is applied
 * to the properties by the tracker itself (see {@link redactionKeys}).
 */
function eventLinesNeedRedactionWalk(config: ResolvedConfig): boolean {
  if (config.logs.redactor) return true;
  const keys = redactionKeys(config.logs.redact);
  return (
    keys.has('event') ||
    keys.has('properties') ||
    keys.has('msg') ||
    config.logs.redact.some((rule) => /^(event|properties|msg)\b/i.test(rule))
  );
}

function disabledTracing(): OtelTracing {
  ensureContextManager();
  const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });
  return {
    tracer: provider.getTracer('@periscope/sdk'),
    propagator: createPropagator(),
    forceFlush: async () => {},
    shutdown: async () => {},
    abandon: () => {},
  };
}

function formatHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}

/** Resolves when `work` settles or after `ms` (then calling `onTimeout`), whichever comes first; never rejects. */
function withDeadline(work: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        onTimeout();
      } finally {
        resolve();
      }
    }, ms);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/**
 * Shuts down on the configured signals, then re-raises the signal so the
 * process exits as it would have without us (a listener cancels the default).
 */
function installSignalHandlers(config: ResolvedConfig, shutdown: () => Promise<void>): () => void {
  if (config.shutdown.signals.length === 0) return () => {};
  const handlers = new Map<NodeJS.Signals, () => void>();
  const remove = (): void => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    handlers.clear();
  };
  for (const signal of config.shutdown.signals) {
    const handler = (): void => {
      void shutdown().then(() => {
        remove();
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    handlers.set(signal, handler);
    process.once(signal, handler);
  }
  return remove;
}
