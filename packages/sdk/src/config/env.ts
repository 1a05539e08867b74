import { PeriscopeError } from '../errors.js';

type Env = Record<string, string | undefined>;

/** Reads one variable, treating empty and whitespace-only values as unset (as the OTel spec asks). */
export function readEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function readBooleanEnv(env: Env, name: string): boolean | undefined {
  const value = readEnv(env, name);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new PeriscopeError('PERISCOPE_INVALID_ENV', `${name} must be "true" or "false", got "${value}"`);
}

export function readNumberEnv(env: Env, name: string): number | undefined {
  const value = readEnv(env, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) {
    throw new PeriscopeError('PERISCOPE_INVALID_ENV', `${name} must be a number, got "${value}"`);
  }
  return parsed;
}

/**
 * Parses the W3C-baggage-like `k=v,k2=v2` lists of `OTEL_RESOURCE_ATTRIBUTES`
 * and `OTEL_EXPORTER_OTLP_HEADERS`; values are percent-decoded.
 */
export function readKeyValueEnv(env: Env, name: string): Record<string, string> | undefined {
  const raw = readEnv(env, name);
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const part of raw.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!key) {
      throw new PeriscopeError('PERISCOPE_INVALID_ENV', `${name} must be a list of key=value pairs, got "${part.trim()}"`);
    }
    try {
      out[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new PeriscopeError('PERISCOPE_INVALID_ENV', `${name} has a badly percent-encoded value for "${key}"`);
    }
  }
  return out;
}

const OTEL_LOG_LEVELS: Record<string, string> = {
  none: 'silent',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
  all: 'trace',
};

/** Maps `OTEL_LOG_LEVEL` (OpenTelemetry's diag levels) onto pino levels. */
export function readOtelLogLevel(env: Env): string | undefined {
  const value = readEnv(env, 'OTEL_LOG_LEVEL');
  if (value === undefined) return undefined;
  const level = OTEL_LOG_LEVELS[value.toLowerCase()];
  if (!level) {
    throw new PeriscopeError(
      'PERISCOPE_INVALID_ENV',
      `OTEL_LOG_LEVEL must be one of ${Object.keys(OTEL_LOG_LEVELS).join(', ')}, got "${value}"`,
    );
  }
  return level;
}
