import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Range {
  median: number;
  min: number;
  max: number;
  n: number;
}
interface Summary {
  id: string;
  stack: string;
  failures: string[];
  errors: number;
  rps: Range;
  rpsRatio: Range;
  p50Ratio: Range;
  p99Ratio: Range;
  peakRssMiB: Range;
  youngGenMiB: Range;
  spansPerRequest?: Range;
  sinkSpans?: number;
  spansDropped?: number;
  spansExported?: number;
  spansUncounted?: number;
}

const RUN = fileURLToPath(new URL('../src/run.mjs', import.meta.url));

// The smoke run of `pnpm bench` (1 round, 2 s per cell). Nothing here is
// timed: these tests check that every scenario starts, serves and is counted.
describe('pnpm bench --smoke', () => {
  let dir: string;
  let exitCode: number | null;
  let stderr: string;
  let summaries: Summary[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'periscope-bench-'));
    const out = join(dir, 'smoke.json');
    const result = spawnSync(process.execPath, [RUN, '--smoke', '--json', out], { encoding: 'utf8', timeout: 220_000 });
    exitCode = result.status;
    stderr = result.stderr;
    summaries = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')).summaries : [];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0', () => {
    expect(exitCode, stderr).toBe(0);
  });

  it('writes its JSON report', () => {
    expect(summaries.length, stderr).toBeGreaterThan(0);
  });

  it('covers bare and all signals on Fastify and Express', () => {
    const ids = summaries.map((summary) => summary.id);
    expect(ids).toEqual(
      expect.arrayContaining(['fastify:bare:users', 'fastify:periscope:users', 'express:bare:users', 'express:periscope:users']),
    );
  });

  it('paced cells are driven at their rate, not as fast as the server answers', () => {
    const paced = summaries.filter((summary) => summary.id.endsWith(':realistic-2k'));
    expect(paced.map((summary) => summary.id).sort()).toEqual(['fastify:bare:realistic-2k', 'fastify:periscope:realistic-2k']);
    // The closed-loop realistic cell serves several times 2,000 req/s here; a paced one never goes past its rate.
    for (const summary of paced) expect(summary.rps.median, summary.id).toBeLessThanOrEqual(2000 * 1.05);
  });

  it('the steady-state memory cells run, and every cell reports its young generation', () => {
    const steady = summaries.filter((summary) => summary.route === 'users-steady');
    expect(steady.map((summary) => summary.id).sort()).toEqual(['fastify:bare:users-steady', 'fastify:periscope:users-steady']);
    // V8's young generation is a few MiB at least and at most its default 64 MiB cap on 64-bit Node 20.
    for (const summary of summaries) {
      expect(summary.youngGenMiB.median, summary.id).toBeGreaterThan(0);
      expect(summary.youngGenMiB.median, summary.id).toBeLessThanOrEqual(64);
    }
  });

  it('every scenario served requests with no errors', () => {
    for (const summary of summaries) {
      expect(summary.failures, summary.id).toEqual([]);
      expect(summary.errors, summary.id).toBe(0);
      expect(summary.rps.median, summary.id).toBeGreaterThan(0);
      expect(summary.peakRssMiB.median, summary.id).toBeGreaterThan(0);
    }
  });

  it('ratios to bare are finite numbers', () => {
    for (const summary of summaries) {
      for (const ratio of [summary.rpsRatio, summary.p50Ratio, summary.p99Ratio]) {
        expect(Number.isFinite(ratio.median), summary.id).toBe(true);
        expect(ratio.median, summary.id).toBeGreaterThan(0);
      }
    }
  });

  it('traced scenarios report span counts', () => {
    const tracedStacks = ['periscope', 'periscope-10pct', 'otel', 'otel-metrics-logs'];
    const traced = summaries.filter((summary) => tracedStacks.includes(summary.stack));
    expect(traced.length).toBeGreaterThan(0);
    for (const summary of traced) {
      expect(summary.sinkSpans, summary.id).toBeGreaterThan(0);
      expect(Number.isFinite(summary.spansPerRequest?.median), summary.id).toBe(true);
      expect(summary.spansDropped, summary.id).toBeGreaterThanOrEqual(0);
    }
    for (const summary of summaries.filter((s) => s.stack.startsWith('periscope'))) {
      // One server span per request, and every span the exporter counted reached the sink.
      expect(summary.spansExported, summary.id).toBe(summary.sinkSpans);
      expect(summary.spansUncounted, summary.id).toBe(0);
    }
  });
});
