import { context } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { ResolvedConfig } from '../config/resolve-config.js';
import type { LogPort, SelfTelemetryPort } from '../core/ports.js';
import { logCorrelationFields } from '../core/request-context.js';
import { correlationJson } from './correlation-json.js';
import { LineWriter } from './line-writer.js';
import { createOwnLines } from './own-lines.js';
import { compileRedaction, compileUserRedactor } from './redaction.js';

export interface PinoLogging {
  logger: Logger;
  /**
   * The same stream, level, base fields and context mixin, without redaction:
   * for lines whose fields Periscope builds itself (the access log), so the
   * redaction walk (a tenth of a request's CPU in the benchmark profile) is
   * not paid on every request.
   */
  accessLogger: Logger;
  /**
   * Where Periscope's own lines go (access log, business events): written
   * directly in the logger's JSON shape (see `createOwnLines`), or through
   * `accessLogger` when a user enricher must see them.
   */
  ownLines: LogPort;
  /** Writes out what is buffered; resolves (never rejects) once done or when the stream cannot say. */
  flush(): Promise<void>;
}

/**
 * The pino adapter. Every line written inside a request, by any child logger,
 * carries the request's trace and correlation IDs, read from the active
 * OpenTelemetry context.
 *
 * They are spliced in by pino's `timestamp` function, which pino calls once a
 * line and whose result it writes verbatim after the level: the time, then the
 * request's IDs as JSON kept on the request (see `correlationJson`). A `mixin`
 * would build an object per line and pino would serialise its six fields one
 * by one, and the redaction walk would visit them too: 3.5 times the cost of a
 * plain pino line in the microbenchmark. With a `logs.enrich` or
 * `logs.redactor` hook the IDs come through a mixin instead, so the hook sees
 * them.
 */
export function createPinoLogging(
  config: ResolvedConfig,
  self: SelfTelemetryPort,
  /** Counts and logs (once) a failure of a user hook; the guard's `report`. */
  report: (where: string, error: unknown) => void = () => {},
): PinoLogging {
  let destination: DestinationStream;
  let flush: () => Promise<void>;
  if (config.logs.destination) {
    destination = config.logs.destination as DestinationStream;
    flush = () => Promise.resolve();
  } else {
    // Stdout, written after each turn of the event loop and never blocking it: a
    // slow log reader leaves lines in a bounded buffer, and what overflows is
    // dropped and counted.
    const writer = new LineWriter({ fd: 1, maxPendingBytes: config.logs.bufferLimitBytes, onDrop: (lines) => self.logLinesDropped(lines) });
    destination = writer;
    flush = () => writer.flush();
  }

  const base: Record<string, string> = { service: config.serviceName, env: config.environment };
  if (config.serviceVersion) base.service_version = config.serviceVersion;
  const options: LoggerOptions = {
    level: config.logs.level,
    base,
    messageKey: 'msg',
    // Epoch milliseconds (pino's default): cheaper than ISO strings on every line, and what Loki expects.
    timestamp: () => `,"time":${Date.now()}${correlationJson(context.active())}`,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
  };
  const hooks = userHooks(config, report, self);
  const rules = compileRedaction(config.logs.redact, (error) => pino.stdSerializers.err(error) as unknown as Record<string, unknown>);
  const redact = hooks.redact ? (input: Record<string, unknown>) => (hooks.redact as typeof rules)(rules(input)) : rules;
  // With a user hook, the IDs join the line's object through a mixin instead: the
  // enricher is given them, and a user redactor sees them (user_id may be an email).
  const idsInObject = (mixin: () => Fields): LoggerOptions => ({ mixin, timestamp: pino.stdTimeFunctions.epochTime });
  const logger = pino(
    {
      ...options,
      // The enricher's fields join the object before the log formatter, so they are redacted with the rest of the line.
      ...(hooks.enrich
        ? idsInObject(hooks.enrich((fields) => fields))
        : hooks.redact && idsInObject(() => logCorrelationFields() as Fields)),
      formatters: { ...options.formatters, log: redact, bindings: (bindings) => redact(bindings) },
    },
    destination,
  );
  // The access logger skips the redaction walk; only the enricher's fields (user data) are redacted, in its mixin.
  const accessLogger = pino({ ...options, ...(hooks.enrich && idsInObject(hooks.enrich(redact))) }, destination);
  const ownLines = hooks.enrich ? accessLogger : createOwnLines(accessLogger, destination, base);
  return { logger, accessLogger, ownLines, flush };
}

type Fields = Record<string, unknown>;

/**
 * The user hooks `logs.enrich` and `logs.redactor`, guarded: a failure is
 * reported (counted, logged once) and never reaches the line's caller. A
 * hook runs with a re-entry flag set, so a hook that logs, or the warning
 * about its own failure, does not call it again.
 */
function userHooks(
  config: ResolvedConfig,
  report: (where: string, error: unknown) => void,
  self: SelfTelemetryPort,
): { enrich?: (redactExtra: (fields: Fields) => Fields) => () => Fields; redact?: (input: Fields) => Fields } {
  let inHook = false;
  const reportOutside = (where: string, error: unknown): void => {
    const was = inHook;
    inHook = true;
    try {
      report(where, error);
    } catch {
      // Only before the guard exists (a child logger built during start-up): still count it.
      self.internalError(where);
    } finally {
      inHook = was;
    }
  };

  const { enrich: enricher, redactor } = config.logs;
  const enrich = enricher
    ? (redactExtra: (fields: Fields) => Fields) => (): Fields => {
        const ids = logCorrelationFields();
        if (ids.request_id === undefined || inHook) return ids as Fields;
        let extra: unknown;
        inHook = true;
        try {
          extra = enricher({ ...ids });
          if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
            throw new TypeError(
              `logs.enrich must return an object, got ${extra === null ? 'null' : Array.isArray(extra) ? 'an array' : typeof extra}`,
            );
          }
        } catch (error) {
          reportOutside('logs.enrich', error);
          return ids as Fields;
        } finally {
          inHook = false;
        }
        return { ...redactExtra(extra as Fields), ...ids };
      }
    : undefined;

  let redact: ((input: Fields) => Fields) | undefined;
  if (redactor) {
    const walk = compileUserRedactor(redactor, (error) => reportOutside('logs.redactor', error));
    redact = (input) => {
      if (inHook) return input;
      inHook = true;
      try {
        return walk(input);
      } finally {
        inHook = false;
      }
    };
  }
  return { enrich, redact };
}
