import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { ResolvedConfig } from '../config/resolve-config.js';
import type { SelfTelemetryPort } from '../core/ports.js';
import { logCorrelationFields } from '../core/request-context.js';
import { compileRedaction } from './redaction.js';

export interface PinoLogging {
  logger: Logger;
  /**
   * The same stream, level, base fields and context mixin, without redaction:
   * for lines whose fields Periscope builds itself (the access log), so the
   * redaction walk (a tenth of a request's CPU in the benchmark profile) is
   * not paid on every request.
   */
  accessLogger: Logger;
  /** Writes out what is buffered; resolves (never rejects) once done or when the stream cannot say. */
  flush(): Promise<void>;
}

/**
 * The pino adapter. Context fields come from a mixin that reads the active
 * OpenTelemetry context, so any line written inside a request, by any child
 * logger, carries its trace and correlation IDs.
 */
export function createPinoLogging(config: ResolvedConfig, self: SelfTelemetryPort): PinoLogging {
  let destination: DestinationStream;
  let flush: () => Promise<void>;
  if (config.logs.destination) {
    destination = config.logs.destination as DestinationStream;
    flush = () => Promise.resolve();
  } else {
    // Asynchronous stdout so a slow log reader never blocks the event loop; the
    // buffer is bounded and what overflows is dropped and counted.
    const boom = pino.destination({ dest: 1, sync: false, maxLength: config.logs.bufferLimitBytes });
    boom.on('drop', () => self.logLinesDropped(1));
    boom.on('error', () => self.logLinesDropped(1));
    destination = boom;
    flush = () =>
      new Promise((resolve) => {
        try {
          boom.flushSync();
        } catch {
          // EAGAIN on a full pipe: what is left goes out asynchronously.
        }
        resolve();
      });
  }

  const base: Record<string, string> = { service: config.serviceName, env: config.environment };
  if (config.serviceVersion) base.service_version = config.serviceVersion;
  const options: LoggerOptions = {
    level: config.logs.level,
    base,
    messageKey: 'msg',
    // Epoch milliseconds (pino's default): cheaper than ISO strings on every line, and what Loki expects.
    timestamp: pino.stdTimeFunctions.epochTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => logCorrelationFields() as Record<string, string>,
    serializers: { err: pino.stdSerializers.err },
  };
  const redact = compileRedaction(config.logs.redact, (error) => pino.stdSerializers.err(error) as unknown as Record<string, unknown>);
  const logger = pino(
    { ...options, formatters: { ...options.formatters, log: redact, bindings: (bindings) => redact(bindings) } },
    destination,
  );
  const accessLogger = pino(options, destination);
  return { logger, accessLogger, flush };
}
