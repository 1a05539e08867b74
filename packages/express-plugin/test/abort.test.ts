import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { periscope, periscopeErrors } from '../src/index.js';
import { EXPRESS_VERSIONS } from './support/express-versions.js';
import { DURATION, deferred, expectRecorded, type Harness, startApp } from './support/harness.js';
import { isAccessLine } from './support/log-collector.js';
import { labelSets } from './support/openmetrics.js';

describe.each(EXPRESS_VERSIONS)('$name: client abort', ({ express }) => {
  let h: Harness;
  afterEach(() => h?.close());

  /** An app whose handler signals it was reached, then waits for `release` before answering. */
  const serveSlow = async () => {
    const reached = deferred<string>();
    const release = deferred();
    h = await startApp(express, (app, telemetry) => {
      app.use(periscope(telemetry));
      app.get('/slow/:id', async (_req, res) => {
        reached.resolve(String(res.getHeader('x-request-id')));
        await release.promise;
        res.send('too late');
      });
      app.use(periscopeErrors(telemetry));
    });
    return { reached: reached.promise, release: release.resolve };
  };

  it('a fetch aborted while the handler waits is recorded once, as error_type="aborted"', async () => {
    const { reached, release } = await serveSlow();
    const controller = new AbortController();
    const pending = fetch(h.url('/slow/1'), { signal: controller.signal });
    const requestId = await reached;
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);

    const { line, span } = await expectRecorded(h, requestId, {
      method: 'GET',
      route: '/slow/:id',
      status: undefined,
      errorType: 'aborted',
    });
    expect(line).toMatchObject({ aborted: true, msg: 'request aborted' });
    expect(span.attributes['http.response.status_code']).toBeUndefined();

    // The handler answering after the client left changes nothing.
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.logs.accessLines()).toHaveLength(1);
    expect(labelSets(await h.samples(), `${DURATION}_count`)).toEqual([
      { http_request_method: 'GET', http_route: '/slow/:id', error_type: 'aborted' },
    ]);
  });

  it('a socket destroyed mid-request is recorded once, as aborted', async () => {
    const { reached } = await serveSlow();
    const socket = connect(Number(new URL(h.baseUrl).port), '127.0.0.1');
    socket.write('GET /slow/2 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-correlation-id: raw-socket\r\n\r\n');
    const requestId = await reached;
    socket.destroy();

    const { line } = await expectRecorded(h, requestId, { method: 'GET', route: '/slow/:id', status: undefined, errorType: 'aborted' });
    expect(line.correlation_id).toBe('raw-socket');
    expect(h.logs.lines.filter(isAccessLine)).toHaveLength(1);
  });
});
