import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelemetry, defineEvents, observeRequestListener, type Telemetry } from '@periscope/sdk';

const events = defineEvents({ 'landing.viewed': {}, 'user.signed_up': {} });

/** A real instrumented node:http service on 127.0.0.1 (port 0) with a steady trickle of requests, for `top` to watch. */
export interface WatchedService {
  metricsUrl: string;
  stop(): Promise<void>;
}

export async function startWatchedService(): Promise<WatchedService> {
  const telemetry: Telemetry<typeof events> = createTelemetry({
    serviceName: 'watched',
    events,
    funnels: { signup: ['landing.viewed', 'user.signed_up'] },
    traces: { exporter: 'none' },
    logs: { destination: { write() {} } },
    metrics: { server: { host: '127.0.0.1', port: 0 } },
  });
  let served = 0;
  const server: Server = createServer(
    observeRequestListener(
      telemetry.http,
      (req, res) => {
        served++;
        telemetry.track('landing.viewed');
        if (served % 2 === 0) telemetry.track('user.signed_up');
        res.statusCode = req.url === '/fail' ? 500 : 200;
        res.end('ok');
      },
      { route: (req) => (req.url === '/fail' ? '/fail' : '/work') },
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const traffic = setInterval(() => {
    for (const path of ['/work', '/work', '/fail'])
      void fetch(`${base}${path}`).then(
        (r) => r.body?.cancel(),
        () => {},
      );
  }, 50);
  const metricsUrl = await telemetry.metricsUrl;
  if (!metricsUrl) throw new Error('metrics listener did not start');
  return {
    metricsUrl,
    async stop() {
      clearInterval(traffic);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await telemetry.shutdown();
    },
  };
}
