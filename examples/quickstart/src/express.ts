import { periscope, periscopeErrors } from '@periscope/express';
import { createTelemetry } from '@periscope/sdk';
import express from 'express';

export const telemetry = createTelemetry({ serviceName: 'users-api' }); // or OTEL_SERVICE_NAME
const app = express();
app.use(periscope(telemetry)); // first: IDs, span, RED metrics and access log for every request
app.get('/users/:id', async (req, res) => {
  telemetry.setUser(req.params.id);
  telemetry.logger.info('loading user'); // carries trace_id, correlation_id, request_id, user_id
  res.json({ id: req.params.id });
});
app.use(periscopeErrors(telemetry)); // last: records exceptions on the span and log, then next(err)
export const server = app.listen(Number(process.env.PORT ?? 3000));
