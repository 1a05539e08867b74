import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseTrafficArgs } from '../src/args.js';
import { faultsByService, parseFaultSpec } from '../src/fault-spec.js';

const services = ['web', 'accounts', 'billing'];

describe('--fault', () => {
  it('reads latency in ms or s and errors as a percentage', () => {
    expect(parseFaultSpec('billing:latency=800ms', services)).toMatchObject({ service: 'billing', latencyMs: 800 });
    expect(parseFaultSpec('web:latency=1.5s', services)).toMatchObject({ service: 'web', latencyMs: 1500 });
    expect(parseFaultSpec('accounts:errors=30%', services)).toMatchObject({ service: 'accounts', errorRatio: 0.3 });
  });

  it('merges two faults on one service into one /_faults body', () => {
    const specs = ['billing:latency=200ms', 'billing:errors=10%'].map((s) => parseFaultSpec(s, services));
    expect(faultsByService(specs).get('billing')).toEqual({ latencyMs: 200, errorRatio: 0.1 });
  });

  it.each([
    ['billing:latncy=800ms', 'unknown fault "latncy"'],
    ['shipping:latency=800ms', 'unknown service "shipping"'],
    ['billing:latency=800', 'is not a duration'],
    ['accounts:errors=130%', 'is not a percentage'],
    ['billing', 'expected <service>:latency='],
  ])('rejects %s, naming the flag', (spec, reason) => {
    expect(() => parseFaultSpec(spec, services)).toThrow(`--fault ${spec}: `);
    expect(() => parseFaultSpec(spec, services)).toThrow(reason);
  });

  it('rejects a bad --fault-window and --rate by name', () => {
    expect(() => parseTrafficArgs(['--fault-window', 'soon'], {})).toThrow('--fault-window: "soon" is not a duration');
    expect(() => parseTrafficArgs(['--rate', '0'], {})).toThrow('--rate:');
  });

  it('makes the built command exit 2 with the message on stderr', async () => {
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const result = await promisify(execFile)(process.execPath, [main, '--fault', 'accounts:errors=lots']).catch((e) => e);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--fault accounts:errors=lots: "lots" is not a percentage');
  });
});
