import { startMonolith } from './server.js';
import { driveRound } from './traffic.js';

// PORT for the app; the metrics listener and the exporter follow the OTEL_* variables (see the SDK's README).
const monolith = await startMonolith({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
monolith.telemetry.logger.info({ url: monolith.url, metrics: monolith.metricsUrl }, 'modular monolith listening');

// `--traffic` keeps sending the test round, so the module graph fills up (the CLI's and the dashboard's demo).
if (process.argv.includes('--traffic')) {
  const loop = async (): Promise<void> => {
    await driveRound(monolith.url).catch((error: unknown) => monolith.telemetry.logger.warn({ err: error }, 'traffic round failed'));
    setTimeout(loop, 500).unref();
  };
  void loop();
}
