import { type Context, context } from '@opentelemetry/api';
import type { DestinationStream, Logger } from 'pino';
import type { AccessLineFields, LogPort } from '../core/ports.js';
import { correlationJson } from './correlation-json.js';
import { jsonNumber, jsonString } from './json-text.js';

type Level = 'info' | 'warn' | 'error';

/**
 * The lines Periscope builds itself (the access log, business events), written
 * in exactly the JSON shape of its pino logger but without going through
 * pino: the request's correlation fields are serialised once per request and
 * reused for every line, and the caller's fields in one native
 * `JSON.stringify`. About 0.6 µs a line instead of 1.5 µs in the
 * microbenchmark. The access line, whose fields are known, is written field
 * by field (`writeAccess`), with the same bytes as the generic path.
 *
 * pino still decides: a level pino would not write is not written, and the
 * lines go to the same destination. Fields are primitives and plain objects
 * (never errors: lines with an exception go through pino and its serializer).
 */
export function createOwnLines(pinoLogger: Logger, destination: DestinationStream, base: Readonly<Record<string, string>>): LogPort {
  const baseJson = Object.keys(base).length > 0 ? `,${JSON.stringify(base).slice(1, -1)}` : '';

  // What every line starts with, in pino's order: level, time, the request's IDs, the base fields.
  const head = (level: Level, ctx: Context): string => `{"level":"${level}","time":${Date.now()}${correlationJson(ctx)}${baseJson}`;

  const write = (level: Level, fields: object, message: string, ctx: Context = context.active()): void => {
    if (!pinoLogger.isLevelEnabled(level)) return;
    const body = JSON.stringify(fields);
    const own = body.length > 2 ? `,${body.slice(1, -1)}` : '';
    destination.write(`${head(level, ctx)}${own},"msg":${jsonString(message)}}\n`);
  };

  // The access line, written field by field: no object walk, and no slicing of a serialised object.
  const writeAccess = (ctx: Context, level: Level, fields: AccessLineFields, message: string): void => {
    if (!pinoLogger.isLevelEnabled(level)) return;
    let line = `${head(level, ctx)},"method":${jsonString(fields.method)},"route":${jsonString(fields.route)},"path":${jsonString(fields.path)}`;
    if (fields.status_code !== undefined) line += `,"status_code":${jsonNumber(fields.status_code)}`;
    line += `,"duration_ms":${jsonNumber(fields.duration_ms)}`;
    if (fields.error_type !== undefined) line += `,"error_type":${jsonString(fields.error_type)}`;
    if (fields.aborted) line += ',"aborted":true';
    destination.write(`${line},"msg":${jsonString(message)}}\n`);
  };

  return {
    info: (fields, message) => write('info', fields, message),
    warn: (fields, message) => write('warn', fields, message),
    error: (fields, message) => write('error', fields, message),
    writeIn: (ctx, level, fields, message) => write(level, fields, message, ctx),
    writeAccess,
  };
}
