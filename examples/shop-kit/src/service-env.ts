/**
 * Where a shop service listens, from the environment: `PORT` for the app,
 * `METRICS_PORT` for Periscope's `/metrics` listener, `HOST` for both
 * (default 127.0.0.1). The OTLP endpoint is the SDK's own
 * `OTEL_EXPORTER_OTLP_ENDPOINT`. Bad values fail start-up naming the variable.
 */
export interface ServiceEnv {
  host: string;
  port: number;
  metricsPort: number;
}

export function readServiceEnv(defaults: { port: number; metricsPort: number }, env: NodeJS.ProcessEnv = process.env): ServiceEnv {
  return {
    host: env.HOST || '127.0.0.1',
    port: readPort(env, 'PORT', defaults.port),
    metricsPort: readPort(env, 'METRICS_PORT', defaults.metricsPort),
  };
}

/** An upstream's base URL from `name` (e.g. `ACCOUNTS_URL`), without a trailing slash. */
export function readUrl(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  try {
    return new URL(raw).toString().replace(/\/$/, '');
  } catch {
    throw new Error(`${name} must be a URL such as http://127.0.0.1:8081, got "${raw}"`);
  }
}

function readPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number 0-65535, got "${raw}"`);
  return port;
}
