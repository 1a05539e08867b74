import { describe, expect, it } from 'vitest';
import { checkTargets, summarizeCells, targetValue } from '../src/report.mjs';
import { makeCell } from '../src/scenarios.mjs';

describe('the targets table', () => {
  it('shows a third decimal when two would print the limit of a missed (or barely met) target', () => {
    expect(targetValue({ value: 0.3957, limit: '≥ 0.40' })).toBe('0.396');
    expect(targetValue({ value: 1.1049, limit: '≤ 1.10' })).toBe('1.105');
    expect(targetValue({ value: 0.4, limit: '≥ 0.40' })).toBe('0.40');
    expect(targetValue({ value: 0.4913, limit: '≥ 0.40' })).toBe('0.49');
    expect(targetValue({ value: 0, limit: '= 0' })).toBe('0.00');
    expect(targetValue({ value: 45.82, limit: '≤ 40' })).toBe('45.82');
  });
});

describe('the Express throughput targets', () => {
  it('reads Periscope against bare and against bare with the same hidden-class change, round by round', () => {
    const cells = ['bare', 'bare-dictionary', 'periscope'].map((stack) => makeCell('express', stack, 'users'));
    const rps = { bare: [100, 200, 100], 'bare-dictionary': [120, 240, 125], periscope: [90, 186, 95] };
    const samples = new Map(
      cells.map((cell) => [
        cell.id,
        rps[cell.stack as keyof typeof rps].map((value, round) => ({ ok: true, rps: value, p50Us: 1, p99Us: 1, round: round + 1 })),
      ]),
    );
    const targets = checkTargets(summarizeCells(cells, samples));
    const throughput = (what: string) => targets.find((target) => target.what === what);
    // Per round: 0.90, 0.93, 0.95 against bare; 0.75, 0.775, 0.76 against bare-dictionary.
    expect(throughput('throughput × bare')?.value).toBeCloseTo(0.93, 5);
    expect(throughput('throughput × bare')?.met).toBe(true);
    expect(throughput('throughput × bare-dictionary')?.value).toBeCloseTo(0.76, 5);
    expect(throughput('throughput × bare-dictionary')?.met).toBe(false);
  });
});
