import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { announcedPids, isAlive, parseFrames } from './support/frames.js';
import { runDemo } from './support/run-demo.js';

const SERVICES = ['web', 'accounts', 'billing'];

describe('the demo, headless', () => {
  it('shows traffic on every service, a funnel conversion between 0 and 1 and exemplar trace IDs, then leaves no process behind', async () => {
    const run = runDemo(['--seconds', '8', '--interval', '2s', '--rate', '10']);
    expect(await run.exited, run.stderr).toBe(0);

    const frames = parseFrames(run.stdout);
    expect(frames.length, run.stdout).toBeGreaterThanOrEqual(2);
    const rate = (frame: (typeof frames)[number], service: string) =>
      frame.routes.filter((r) => r.service === service).reduce((total, r) => total + (r.rate ?? 0), 0);
    // At least one frame in which all three services were serving at once.
    const busy = frames.find((frame) => SERVICES.every((service) => rate(frame, service) > 0));
    expect(busy, run.stdout).toBeDefined();

    const conversion = frames.at(-1)?.conversions.signup;
    expect(conversion).toBeGreaterThan(0);
    expect(conversion).toBeLessThan(1);

    const traceIds = frames.flatMap((f) => f.traceIds);
    expect(traceIds.length).toBeGreaterThan(0);
    for (const id of traceIds) expect(id).toMatch(/^[0-9a-f]{32}$/);

    const pids = announcedPids(run.stdout);
    expect([...pids.keys()].sort()).toEqual(['accounts', 'billing', 'periscope top', 'traffic', 'web']);
    for (const [name, pid] of pids) expect(isAlive(pid), `${name} (pid ${pid}) still running`).toBe(false);
    expect(run.stdout).toMatch(/demo: stopped: .*web \(pid \d+, exit 0\)/);
  });
});

describe('the demo, given bad input', () => {
  it('refuses an unknown --fault syntax with exit code 2, naming the flag, before starting anything', async () => {
    const run = runDemo(['--fault', 'billing:latncy=800ms']);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toContain('--fault billing:latncy=800ms: unknown fault "latncy"');
    expect(announcedPids(run.stdout).size).toBe(0);
  });

  it('names a busy service port and its variable, and starts nothing', async () => {
    await withBusyPort(async (port) => {
      const run = runDemo(['--seconds', '5'], { WEB_PORT: String(port) });
      expect(await run.exited).toBe(1);
      expect(run.stderr).toContain(`port ${port} for web is in use`);
      expect(run.stderr).toContain('WEB_PORT');
      expect(announcedPids(run.stdout).size).toBe(0);
    });
  });

  it('stops the services already started when one fails to start, naming it and its port', async () => {
    await withBusyPort(async (port) => {
      const run = runDemo(['--seconds', '5'], { BILLING_METRICS_PORT: String(port) });
      expect(await run.exited).toBe(1);
      expect(run.stderr).toContain('billing failed to start');
      expect(run.stderr).toContain(`BILLING_METRICS_PORT=${port}`);
      const pids = announcedPids(run.stdout);
      expect(pids.has('accounts')).toBe(true);
      expect(pids.has('web')).toBe(false);
      for (const [name, pid] of pids) expect(isAlive(pid), `${name} (pid ${pid}) still running`).toBe(false);
    });
  });
});

async function withBusyPort(fn: (port: number) => Promise<void>): Promise<void> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn((server.address() as { port: number }).port);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
