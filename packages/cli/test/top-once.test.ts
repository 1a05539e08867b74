import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketDelta, bucketQuantile } from '../src/top/histogram.js';
import { startWatchedService, type WatchedService } from './support/instrumented-service.js';

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const top = (...args: string[]) =>
  exec(process.execPath, [cli, 'top', ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

let service: WatchedService;
beforeAll(async () => {
  service = await startWatchedService();
});
afterAll(() => service?.stop());

describe('periscope top --once', () => {
  it('prints one frame with the rate, the 5xx ratio and p95 per route, and the funnel conversion', async () => {
    const { code, stdout } = await top(
      `watched=${service.metricsUrl}`,
      '--funnel',
      'signup=landing.viewed,user.signed_up',
      '--once',
      '--interval',
      '600ms',
    );
    expect(code).toBe(0);
    expect(stdout).not.toContain('\x1b[');
    const work = /^watched\s+GET \/work\s+(\d+\.\d)\s+(\S+)\s+(\d+)ms$/m.exec(stdout);
    expect(work, stdout).not.toBeNull();
    expect(Number(work?.[1])).toBeGreaterThan(0);
    expect(work?.[2]).toBe('0.0%');
    expect(stdout).toMatch(/^watched\s+GET \/fail\s+\d+\.\d\s+100\.0%/m);
    const conversion = Number(/FUNNEL signup\s+conversion (\S+)/.exec(stdout)?.[1]);
    expect(conversion).toBeGreaterThan(0);
    expect(conversion).toBeLessThan(1);
  });

  it('reports a target it cannot read as DOWN and exits 1', async () => {
    const { code, stdout } = await top(`watched=${service.metricsUrl}`, 'gone=http://127.0.0.1:1/metrics', '--once', '--interval', '200ms');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^gone\s+DOWN: /m);
  });

  it('exits 2 naming the problem when no target or a malformed --funnel is given', async () => {
    expect(await top()).toMatchObject({ code: 2, stderr: expect.stringContaining('no targets') });
    const bad = await top(`watched=${service.metricsUrl}`, '--funnel', 'signup');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--funnel signup: expected') });
  });
});

describe('p95 from histogram buckets', () => {
  it('interpolates inside the bucket holding the 95th percentile, as histogram_quantile does', () => {
    // 100 requests: 90 at or under 0.1 s, 10 between 0.5 s and 1 s; rank 95 is half-way into (0.5, 1].
    const buckets = new Map([
      [0.1, 90],
      [0.5, 90],
      [1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(bucketQuantile(0.95, buckets)).toBeCloseTo(0.75);
  });

  it('reads only what was observed between two scrapes, and nothing when nothing was', () => {
    const before = new Map([
      [0.1, 90],
      [1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    const after = new Map([
      [0.1, 90],
      [1, 110],
      [Number.POSITIVE_INFINITY, 110],
    ]);
    expect(bucketQuantile(0.95, bucketDelta(after, before))).toBeGreaterThan(0.1);
    expect(bucketQuantile(0.95, bucketDelta(before, before))).toBeUndefined();
  });
});
