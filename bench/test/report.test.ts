import { describe, expect, it } from 'vitest';
import { targetValue } from '../src/report.mjs';

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
