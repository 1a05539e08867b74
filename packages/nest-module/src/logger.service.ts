import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { Telemetry } from '@periscope/sdk';
import { PERISCOPE_TELEMETRY } from './tokens.js';

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Nest's `ConsoleLogger` test for "this string is a stack trace". */
const STACK_FORMAT = /^(.)+\n\s+at .+:\d+:\d+/;

/**
 * A Nest `LoggerService` writing through `telemetry.logger` (pino), so Nest's
 * own lines and `new Logger(Ctx)` calls are JSON lines that carry the
 * request's `trace_id`, `correlation_id` and `request_id` when written
 * inside a request. Nest's context argument becomes the `context` field.
 *
 * Levels: `log` → info, `verbose` → trace, `debug`, `warn`, `error`, `fatal`
 * as named; what is written depends on `logs.level` of the telemetry.
 *
 * @example
 * const app = await NestFactory.create(AppModule, { bufferLogs: true });
 * app.useLogger(app.get(PeriscopeLogger));
 */
@Injectable()
export class PeriscopeLogger implements LoggerService {
  readonly #logger: Telemetry['logger'];

  constructor(@Inject(PERISCOPE_TELEMETRY) telemetry: Telemetry) {
    this.#logger = telemetry.logger;
  }

  /** Writes at `info`. The last string argument, when there are several, is the context. */
  log(message: unknown, ...optionalParams: unknown[]): void {
    this.#write('info', [message, ...optionalParams], false);
  }

  /** Writes at `error`: `error(message, stack?, context?)`, as Nest calls it. */
  error(message: unknown, ...optionalParams: unknown[]): void {
    this.#write('error', [message, ...optionalParams], true);
  }

  /** Writes at `warn`. */
  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.#write('warn', [message, ...optionalParams], false);
  }

  /** Writes at `debug`. */
  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.#write('debug', [message, ...optionalParams], false);
  }

  /** Writes at pino's `trace`, its most verbose level. */
  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.#write('trace', [message, ...optionalParams], false);
  }

  /** Writes at `fatal`: `fatal(message, stack?, context?)`. */
  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.#write('fatal', [message, ...optionalParams], true);
  }

  #write(level: PinoLevel, args: unknown[], withStack: boolean): void {
    if (!this.#logger.isLevelEnabled(level)) return;
    const { messages, context, stack } = withStack ? splitWithStack(args) : split(args);
    const fields: Record<string, unknown> = {};
    let msg: string | undefined;
    const [first, ...rest] = messages;
    if (first instanceof Error) {
      fields.err = first;
      msg = first.message;
    } else if (typeof first === 'object' && first !== null) {
      Object.assign(fields, first);
    } else if (first !== undefined) {
      msg = String(first);
    }
    if (rest.length > 0) fields.messages = rest;
    if (context !== undefined) fields.context = context;
    if (stack !== undefined) fields.stack = stack;
    if (msg === undefined) this.#logger[level](fields);
    else this.#logger[level](fields, msg);
  }
}

interface Parts {
  messages: unknown[];
  context?: string;
  stack?: string;
}

/** Nest's convention: with more than one argument, a trailing string is the context. */
function split(args: unknown[]): Parts {
  if (args.length <= 1) return { messages: args };
  const last = args[args.length - 1];
  return typeof last === 'string' ? { messages: args.slice(0, -1), context: last } : { messages: args };
}

/** As `split`, then (for `error`/`fatal`) a trailing string before the context is the stack. */
function splitWithStack(args: unknown[]): Parts {
  if (args.length === 2) {
    const second = args[1];
    if (typeof second === 'string' && STACK_FORMAT.test(second)) return { messages: [args[0]], stack: second };
    return split(args);
  }
  const parts = split(args);
  if (parts.messages.length <= 1) return parts;
  const last = parts.messages[parts.messages.length - 1];
  if (typeof last !== 'string' && last !== undefined) return parts;
  return { ...parts, messages: parts.messages.slice(0, -1), stack: last };
}
