import { createServer } from 'node:http';
import { createTelemetry, observeRequestListener } from '@periscope/sdk';

export const telemetry = createTelemetry({ serviceName: 'users-api' }); // or OTEL_SERVICE_NAME
const route = (url = '') => (/^\/users\/[^/?]+/.test(url) ? '/users/:id' : undefined); // your router's template
export const server = createServer(
  observeRequestListener(telemetry.http, (req, res) => {
    telemetry.logger.info('loading user'); // carries trace_id, correlation_id, request_id
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ id: req.url?.split('/')[2] }));
  }, { route: (req) => route(req.url) }),
);
server.listen(Number(process.env.PORT ?? 3000));
