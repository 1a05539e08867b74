import { type Context, context, trace } from '@opentelemetry/api';
import type { DestinationStream, Logger } from 'pino';
import type { LogPort } from '../core/ports.js';
import { getRequestContext, logCorrelationFields } from '../core/request-context.js';

type Level = 'info' | 'warn' | 'error';

/** A request's correlation fields as JSON, kept while its active span and user stay the same. */
interface CachedIds {
  spanId: string | undefined;
  userId: string | undefined;
  json: string;
}

/**
 * The lines Periscope builds itself (the access log, business events), written
 * in exactly the JSON shape of its pino logger but without going through
 * pino: the request's correlation fields are serialised once per request and
 * reused for every line, and the caller's fields in one native
 * `JSON.stringify`. About 0.6 µs a line instead of 1.5 µs in the
 * microbenchmark.
 *
 * pino still decides: a level pino would not write is not written, and the
 * lines go to the same destination. Fields are primitives and plain objects
 * (never errors: lines with an exception go through pino and its serializer).
 */
export function createOwnLines(pinoLogger: Logger, destination: DestinationStream, base: Readonly<Record<string, string>>): LogPort {
  const baseJson = Object.keys(base).length > 0 ? `,${JSON.stringify(base).slice(1, -1)}` : '';

  const idsJson = (ctx: Context): string => {
    const request = getRequestContext(ctx);
    if (!request) {
      const fields = logCorrelationFields(ctx);
      return fieldsJson(fields);
    }
    const spanId = trace.getSpanContext(ctx)?.spanId;
    const cached = request.logMemo as CachedIds | undefined;
    if (cached && cached.spanId === spanId && cached.userId === request.userId) return cached.json;
    const json = fieldsJson(logCorrelationFields(ctx));
    request.logMemo = { spanId, userId: request.userId, json } satisfies CachedIds;
    return json;
  };

  const write = (level: Level, fields: object, message: string, ctx: Context = context.active()): void => {
    if (!pinoLogger.isLevelEnabled(level)) return;
    const body = JSON.stringify(fields);
    const own = body.length > 2 ? `,${body.slice(1, -1)}` : '';
    destination.write(`{"level":"${level}","time":${Date.now()}${baseJson}${idsJson(ctx)}${own},"msg":${JSON.stringify(message)}}\n`);
  };

  return {
    info: (fields, message) => write('info', fields, message),
    warn: (fields, message) => write('warn', fields, message),
    error: (fields, message) => write('error', fields, message),
    writeIn: (ctx, level, fields, message) => write(level, fields, message, ctx),
  };
}

function fieldsJson(fields: object): string {
  const json = JSON.stringify(fields);
  return json.length > 2 ? `,${json.slice(1, -1)}` : '';
}
