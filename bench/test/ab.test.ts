import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const AB = fileURLToPath(new URL('../src/ab.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// bench/src/ab.mjs is a tool for deciding whether a change helps; these tests
// check that it runs from a clone and reports what it measured. Nothing here
// is timed or compared with a threshold.
describe('bench/src/ab.mjs', () => {
  it('runs two servers of one build, one with a signal off, and prints every round and the median B/A', () => {
    const result = spawnSync(
      process.execPath,
      [AB, ROOT, ROOT, '--rounds', '2', '--seconds', '1', '--connections', '4', '--experiment-b', '{"logs":{"accessLog":false}}'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('fastify:periscope:users, 2 rounds of 1 s, 2 connections each');
    expect(result.stdout).toContain('{"logs":{"accessLog":false}}');
    const rounds = [
      ...result.stdout.matchAll(
        /^round (\d): A ([\d.]+) µs\/req, (\d+) req\/s.* \| B ([\d.]+) µs\/req, (\d+) req\/s.* \| B\/A ([\d.]+)$/gm,
      ),
    ];
    expect(rounds.map((round) => round[1])).toEqual(['1', '2']);
    for (const [, , a, aRps, b, bRps, ratio] of rounds) {
      // Both servers answered and used CPU; the ratio is the two CPU figures' quotient.
      expect(Number(aRps)).toBeGreaterThan(0);
      expect(Number(bRps)).toBeGreaterThan(0);
      expect(Number(a)).toBeGreaterThan(0);
      expect(Number(ratio)).toBeCloseTo(Number(b) / Number(a), 2);
    }
    expect(result.stdout).toMatch(/^B\/A CPU per request: median [\d.]+ \([\d.]+–[\d.]+\)$/m);
  });

  it('refuses what it cannot run, with its usage', () => {
    const notARoot = spawnSync(process.execPath, [AB, ROOT, '/tmp'], { encoding: 'utf8', timeout: 20_000 });
    expect(notARoot.status).toBe(2);
    expect(notARoot.stderr).toContain('is not a checkout of this repository');
    const badJson = spawnSync(process.execPath, [AB, ROOT, ROOT, '--experiment-b', '{not json'], { encoding: 'utf8', timeout: 20_000 });
    expect(badJson.status).toBe(2);
    expect(badJson.stderr).toContain('Usage: node bench/src/ab.mjs');
    const oneRoot = spawnSync(process.execPath, [AB, ROOT], { encoding: 'utf8', timeout: 20_000 });
    expect(oneRoot.status).toBe(2);
  });
});
