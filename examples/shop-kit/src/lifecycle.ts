import type { Telemetry } from '@periscope/sdk';
import type { ServiceEnv } from './service-env.js';

/** A started HTTP app: its base URL and how to stop accepting requests. */
export interface StartedApp {
  url: string;
  close(): Promise<void>;
}

/** What a service reports once it listens: in a log line, and to the demo through IPC when it was forked. */
export interface ReadyMessage {
  type: 'ready';
  service: string;
  pid: number;
  url: string;
  metricsUrl: string;
}

/**
 * Runs one shop service: starts it, fails start-up with a message naming the
 * busy port, announces readiness, and on SIGTERM/SIGINT (or when the demo
 * that forked it goes away) stops accepting requests, flushes telemetry and
 * exits. Shutdown is explicit here rather than `shutdown: { signals: true }`
 * because the HTTP server must close before telemetry flushes.
 */
export async function runService(name: string, env: ServiceEnv, telemetry: Telemetry, start: () => Promise<StartedApp>): Promise<void> {
  const fail = async (message: string): Promise<never> => {
    process.stderr.write(`${name}: ${message}\n`);
    await telemetry.shutdown();
    process.exit(1);
  };

  const metricsUrl = await telemetry.metricsUrl;
  if (!metricsUrl) return fail(`cannot serve metrics on ${env.host}:${env.metricsPort} (port in use? set METRICS_PORT)`);
  let app: StartedApp;
  try {
    app = await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'port in use, set PORT' : String((error as Error).message ?? error);
    return fail(`cannot listen on ${env.host}:${env.port} (${reason})`);
  }

  const ready: ReadyMessage = { type: 'ready', service: name, pid: process.pid, url: app.url, metricsUrl };
  telemetry.logger.info({ url: app.url, metrics_url: metricsUrl }, `${name} listening`);
  process.send?.(ready);

  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    telemetry.logger.info({ reason }, `${name} stopping`);
    // A stuck keep-alive client must not hold the exit: the close is bounded.
    await Promise.race([app.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // Forked by the demo: if the demo dies (even by SIGKILL) the IPC channel closes; leave no orphan.
  if (process.connected) process.once('disconnect', () => void stop('parent exited'));
}
