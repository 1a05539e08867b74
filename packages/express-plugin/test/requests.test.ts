import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { periscope, periscopeErrors } from '../src/index.js';
import { EXPRESS_VERSIONS } from './support/express-versions.js';
import { DURATION, deferred, expectRecorded, type Harness, startApp } from './support/harness.js';
import { series } from './support/openmetrics.js';

describe.each(EXPRESS_VERSIONS)('$name: request outcomes', ({ express, major }) => {
  let h: Harness;
  afterEach(() => h?.close());

  const serve = (routes: (app: ReturnType<typeof express>) => void) =>
    startApp(express, (app, telemetry) => {
      app.use(periscope(telemetry));
      routes(app);
      app.use(periscopeErrors(telemetry));
    }).then((harness) => {
      h = harness;
      return harness;
    });

  it('a 200 is recorded once in the metric, span, access log and headers', async () => {
    await serve((app) => app.get('/health', (_req, res) => void res.json({ ok: true })));
    const res = await fetch(h.url('/health'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const { line, span } = await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: '/health', status: 200 }, res);
    expect(line.msg).toBe('request completed');
    expect(line.path).toBe('/health');
    expect(span.parentSpanContext).toBeUndefined();
  });

  it('404 is labelled http_route="unmatched", never with the raw URL', async () => {
    await serve((app) => app.get('/health', (_req, res) => void res.end()));
    const res = await fetch(h.url('/no/such/path?x=1'));
    expect(res.status).toBe(404);
    await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: 'unmatched', status: 404 }, res);
    expect(await h.telemetry.metrics('openmetrics')).not.toContain('/no/such/path');
  });

  it('a handler that throws synchronously answers 500 and records the exception', async () => {
    await serve((app) =>
      app.get('/boom', () => {
        throw new TypeError('sync failure');
      }),
    );
    const res = await fetch(h.url('/boom'));
    expect(res.status).toBe(500);
    const { span, line } = await expectRecorded(
      h,
      res.headers.get('x-request-id')!,
      { method: 'GET', route: '/boom', status: 500, errorType: 'TypeError' },
      res,
    );
    expect(line.msg).toBe('request failed');
    expect((line.err as { message: string }).message).toBe('sync failure');
    expect(span.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'sync failure']]);
  });

  it(`an asynchronous failure (${major === 5 ? 'rejected promise' : 'next(err)'}) answers 500 and records the exception`, async () => {
    await serve((app) =>
      app.get('/async-boom', async (_req, res, next) => {
        await tick();
        const error = new RangeError('async failure');
        if (major === 5) throw error; // Express 5 forwards a rejected promise to next(err)
        next(error);
        return res;
      }),
    );
    const res = await fetch(h.url('/async-boom'));
    expect(res.status).toBe(500);
    const { span } = await expectRecorded(
      h,
      res.headers.get('x-request-id')!,
      { method: 'GET', route: '/async-boom', status: 500, errorType: 'RangeError' },
      res,
    );
    expect(span.events[0]?.attributes?.['exception.type']).toBe('RangeError');
  });

  it("an error's own 4xx status (err.status = 418) reaches the client unchanged and counts as a client error", async () => {
    await serve((app) =>
      app.get('/teapot', () => {
        throw Object.assign(new Error('short and stout'), { status: 418 });
      }),
    );
    const res = await fetch(h.url('/teapot'));
    expect(res.status).toBe(418);
    const requestId = res.headers.get('x-request-id')!;
    await expectRecorded(h, requestId, { method: 'GET', route: '/teapot', status: 418 }, res);
    // A client error: no exception event either, the same rule as Fastify and Nest.
    const span = (await h.spans()).find((s) => s.attributes['periscope.request_id'] === requestId);
    expect(span?.events).toEqual([]);
  });

  it('a 400 from res.status(400) is a client error: no error_type, span status unset', async () => {
    await serve((app) => app.post('/orders', (_req, res) => void res.status(400).json({ error: 'bad order' })));
    const res = await fetch(h.url('/orders'), { method: 'POST' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad order' });
    const { line } = await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'POST', route: '/orders', status: 400 }, res);
    expect(line.level).toBe('warn');
  });

  it('a streamed response is recorded when it ends, not at its first chunk', async () => {
    const gate = deferred();
    await serve((app) =>
      app.get('/stream', async (_req, res) => {
        res.status(200).type('text/plain');
        res.write('first;');
        await gate.promise;
        res.write('second;');
        res.end('last');
      }),
    );
    const res = await fetch(h.url('/stream'));
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first;');
    const requestId = res.headers.get('x-request-id')!;
    // Mid-stream: nothing recorded yet.
    expect(h.logs.accessLines()).toHaveLength(0);
    expect(
      series(await h.samples(), `${DURATION}_count`, {
        http_request_method: 'GET',
        http_route: '/stream',
        http_response_status_code: '200',
      }),
    ).toEqual([]);
    gate.resolve();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('second;last');
    const { line } = await expectRecorded(h, requestId, { method: 'GET', route: '/stream', status: 200 }, res);
    expect(line.aborted).toBeUndefined();
  });

  it('the response is given the hidden class all responses share (the marker toSharedShape leaves), and nothing else changes', async () => {
    await serve((app) =>
      app.get('/shape', (_req, res) => {
        const symbols = Object.getOwnPropertySymbols(res).map((key) => key.description);
        res.json({ marked: symbols.includes('periscope.shape.shared'), scratch: symbols.includes('periscope.shape.scratch') });
      }),
    );
    const res = await fetch(h.url('/shape'));
    expect(await res.json()).toEqual({ marked: true, scratch: false });
    await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: '/shape', status: 200 }, res);
  });

  it('a route with params is labelled with its template (/users/:id), not the URL', async () => {
    await serve((app) => app.get('/users/:id', (req, res) => void res.json({ id: req.params.id })));
    const res = await fetch(h.url('/users/42'));
    expect(await res.json()).toEqual({ id: '42' });
    const { line, span } = await expectRecorded(
      h,
      res.headers.get('x-request-id')!,
      { method: 'GET', route: '/users/:id', status: 200 },
      res,
    );
    expect(line.path).toBe('/users/42');
    expect(span.attributes['url.path']).toBe('/users/42');
    expect(span.name).toBe('GET /users/:id');
  });

  it('a route in a mounted router is labelled with the mount path (/api + /users/:id)', async () => {
    await serve((app) => {
      const api = express.Router();
      api.get('/users/:id', (_req, res) => void res.send('user'));
      app.use('/api', api);
    });
    const res = await fetch(h.url('/api/users/7'));
    expect(res.status).toBe(200);
    await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: '/api/users/:id', status: 200 }, res);
  });

  it('routers mounted on parameterised paths are labelled with their templates at every level', async () => {
    await serve((app) => {
      const members = express.Router();
      members.get('/members/:memberId', (_req, res) => void res.send('member'));
      const teams = express.Router();
      teams.use('/teams/:teamId', members);
      app.use('/orgs/:orgId', teams);
    });
    const res = await fetch(h.url('/orgs/acme/teams/42/members/7'));
    expect(res.status).toBe(200);
    await expectRecorded(
      h,
      res.headers.get('x-request-id')!,
      { method: 'GET', route: '/orgs/:orgId/teams/:teamId/members/:memberId', status: 200 },
      res,
    );
    expect(await h.telemetry.metrics('openmetrics')).not.toContain('acme');
  });

  it('every request, the first included, is labelled alike and the app reads req.baseUrl and req.route as Express set them', async () => {
    // Repeated requests through a parameterised router and a mounted app (whose request prototype Express swaps in
    // and out): the accessors must hand Express back what it set, on the first request and on later ones alike.
    await serve((app) => {
      const teams = express.Router();
      teams.get('/teams/:teamId', (req, res) => void res.json({ baseUrl: req.baseUrl, route: req.route?.path }));
      app.use('/orgs/:orgId', teams);
      const admin = express(); // a mounted app: its request prototype inherits from this app's
      admin.get('/users/:id', (req, res) => void res.json({ baseUrl: req.baseUrl, route: req.route?.path }));
      app.use('/admin', admin);
    });
    for (let i = 0; i < 3; i++) {
      const team = await fetch(h.url(`/orgs/acme/teams/${i}`));
      expect(await team.json()).toEqual({ baseUrl: '/orgs/acme', route: '/teams/:teamId' });
      await expectRecorded(
        h,
        team.headers.get('x-request-id')!,
        { method: 'GET', route: '/orgs/:orgId/teams/:teamId', status: 200, observations: i + 1 },
        team,
      );
      const user = await fetch(h.url(`/admin/users/${i}`));
      expect(await user.json()).toEqual({ baseUrl: '/admin', route: '/users/:id' });
      await expectRecorded(
        h,
        user.headers.get('x-request-id')!,
        { method: 'GET', route: '/admin/users/:id', status: 200, observations: i + 1 },
        user,
      );
    }
  });

  it('a route answered before periscope(), and periscope() registered in a mounted app only, read req.baseUrl and req.route as Express set them', async () => {
    const seen = (req: { baseUrl?: unknown; route?: { path?: unknown } }) => ({ baseUrl: req.baseUrl, route: req.route?.path });
    h = await startApp(express, (app, telemetry) => {
      app.get('/early/:id', (req, res) => void res.json(seen(req))); // before periscope(): not observed
      const sub = express(); // periscope() registered inside a mounted app only
      sub.use(periscope(telemetry));
      sub.get('/items/:id', (req, res) => void res.json(seen(req)));
      app.use('/sub', sub);
      app.use(periscope(telemetry));
      app.get('/late/:id', (req, res) => void res.json(seen(req)));
    });
    for (let i = 1; i <= 3; i++) {
      const early = await fetch(h.url(`/early/${i}`));
      expect(early.headers.get('x-request-id')).toBeNull();
      expect(await early.json()).toEqual({ baseUrl: '', route: '/early/:id' });
      const item = await fetch(h.url(`/sub/items/${i}`));
      expect(await item.json()).toEqual({ baseUrl: '/sub', route: '/items/:id' });
      await expectRecorded(
        h,
        item.headers.get('x-request-id')!,
        { method: 'GET', route: '/sub/items/:id', status: 200, observations: i },
        item,
      );
      const late = await fetch(h.url(`/late/${i}`));
      expect(await late.json()).toEqual({ baseUrl: '', route: '/late/:id' });
      await expectRecorded(h, late.headers.get('x-request-id')!, { method: 'GET', route: '/late/:id', status: 200, observations: i }, late);
    }
  });

  it('an error forwarded out of a mounted router keeps the full route label', async () => {
    await serve((app) => {
      const api = express.Router();
      api.get('/jobs/:id', (_req, _res, next) => void setImmediate(() => next(new Error('job failed'))));
      app.use('/api', api);
    });
    const res = await fetch(h.url('/api/jobs/9'));
    expect(res.status).toBe(500);
    await expectRecorded(
      h,
      res.headers.get('x-request-id')!,
      { method: 'GET', route: '/api/jobs/:id', status: 500, errorType: 'Error' },
      res,
    );
  });

  it('a RegExp route is labelled String(regex) and an array route with its paths joined by ","', async () => {
    await serve((app) => {
      app.get(/^\/files\/.+\.txt$/, (_req, res) => void res.send('file'));
      app.get(['/a', '/b'], (_req, res) => void res.send('either'));
    });
    const file = await fetch(h.url('/files/readme.txt'));
    expect(file.status).toBe(200);
    await expectRecorded(h, file.headers.get('x-request-id')!, { method: 'GET', route: String(/^\/files\/.+\.txt$/), status: 200 }, file);
    const either = await fetch(h.url('/b'));
    expect(either.status).toBe(200);
    await expectRecorded(h, either.headers.get('x-request-id')!, { method: 'GET', route: '/a,/b', status: 200 }, either);
  });

  it('a response sent by middleware before any route matched is labelled unmatched', async () => {
    await serve((app) => {
      app.use((req, res, next) => (req.headers.authorization ? next() : void res.status(401).end()));
      app.get('/private', (_req, res) => void res.send('secret'));
    });
    const res = await fetch(h.url('/private'));
    expect(res.status).toBe(401);
    await expectRecorded(h, res.headers.get('x-request-id')!, { method: 'GET', route: 'unmatched', status: 401 }, res);
  });
});
