import { checkInboundId, type HeaderValue } from '@periscope/sdk';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkAnswer } from './support/app-logic.js';
import { fastifyApp, type RunningApp } from './support/apps.js';
import { type Observed, observed } from './support/harness.js';

/**
 * Issue 9, item 4: property-based tests (fast-check) of the header parsers,
 * each against an oracle written independently of the SDK's code: the
 * correlation-ID check directly, and W3C `traceparent` / `baggage` extraction
 * through real requests to a Fastify app that answers with the trace ID its
 * handler runs in. Seeds are printed by fast-check on failure.
 */
const ID_ALPHABET = new Set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:');
const HOSTILE = ['\r', '\n', '\0', '"', '\\', ' ', '\t', '{', '}', '%', 'é', '😀', '\u2028'];

/** Independent oracle of the documented rule: `[A-Za-z0-9-_.:]{1,maxLength}`, one value. */
function expectedRejection(value: HeaderValue, maxLength: number): string | undefined {
  if (Array.isArray(value)) return 'multiple_values';
  if (typeof value !== 'string') return 'invalid_characters';
  if (value.length === 0) return 'empty';
  if (value.length > maxLength) return 'too_long';
  return [...value].every((char) => ID_ALPHABET.has(char)) ? undefined : 'invalid_characters';
}

/** Strings biased towards the edge: mostly the ID alphabet, with hostile characters mixed in. */
const idLike = fc.string({
  unit: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...ID_ALPHABET) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) }),
  maxLength: 160,
});
const headerValue: fc.Arbitrary<HeaderValue> = fc.oneof(
  { weight: 6, arbitrary: idLike },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.array(idLike, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(undefined)) },
);

describe('checkInboundId', () => {
  it('never throws and agrees with the documented rule for any value and maxLength', () => {
    fc.assert(
      fc.property(headerValue, fc.integer({ min: 1, max: 128 }), (value, maxLength) => {
        expect(checkInboundId(value, maxLength)).toBe(expectedRejection(value, maxLength));
      }),
      { numRuns: 5000 },
    );
  });

  it('an accepted ID can neither split a log line or header nor break out of a JSON string', () => {
    fc.assert(
      fc.property(idLike, (value) => {
        if (checkInboundId(value, 128) === undefined) expect(value).not.toMatch(/[\r\n\0"\\\s{}%\u0080-\uffff]/);
      }),
      { numRuns: 5000 },
    );
  });
});

const HEX = '0123456789abcdef';
const hexString = (length: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: length, maxLength: length });
/** Near-valid traceparents: right shape, every field drawn from valid values and the classic mistakes. */
const structuredTraceparent = fc
  .record({
    version: fc.oneof(fc.constantFrom('00', '01', 'ff', 'fe', '0', 'zz', '0A'), hexString(2)),
    traceId: fc.oneof(
      { weight: 4, arbitrary: hexString(32) },
      fc.constant('0'.repeat(32)),
      hexString(31),
      hexString(33),
      fc.constant('A'.repeat(32)),
    ),
    spanId: fc.oneof({ weight: 4, arbitrary: hexString(16) }, fc.constant('0'.repeat(16)), hexString(15), fc.constant('g'.repeat(16))),
    flags: fc.oneof(fc.constantFrom('00', '01', '03', 'ff', '1', 'x1'), hexString(2)),
    suffix: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, fc.constantFrom('-', '-extra', '-00', 'x')),
  })
  .map(({ version, traceId, spanId, flags, suffix }) => `${version}-${traceId}-${spanId}-${flags}${suffix}`);
/** What a client can put in a header value: visible ASCII and spaces (undici refuses CR, LF and NUL itself). */
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 120 });

/** Independent oracle (W3C Trace Context level 1): the parent a traceparent names, or undefined when it is invalid. */
function w3cParent(value: string): string | undefined {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, , rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === '0'.repeat(32) || spanId === '0'.repeat(16)) return undefined;
  return traceId;
}

describe('traceparent and baggage through a real request (Fastify)', () => {
  let out: Observed;
  let server: RunningApp;
  let pool: Pool;

  beforeAll(async () => {
    out = await observed({ traces: { exporter: 'none' } });
    server = await fastifyApp.start(out.telemetry);
    pool = new Pool(server.url, { connections: 4 });
  });

  afterAll(async () => {
    await pool?.close();
    await server?.close();
    await out?.close();
  });

  it('any traceparent and baggage: answered 200, continued exactly when W3C-valid, otherwise a fresh trace', async () => {
    let continued = 0;
    let fresh = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.oneof({ weight: 3, arbitrary: structuredTraceparent }, printable), { nil: undefined }),
        fc.option(printable, { nil: undefined }),
        async (traceparent, baggage) => {
          const headers: Record<string, string> = {};
          if (traceparent !== undefined) headers.traceparent = traceparent;
          if (baggage !== undefined) headers.baggage = baggage;
          const response = await pool.request({ method: 'GET', path: '/work/p', headers });
          const answer = (await response.body.json()) as WorkAnswer;
          expect(response.statusCode).toBe(200);
          expect(answer.traceId).toMatch(/^[0-9a-f]{32}$/);
          const parent = traceparent === undefined ? undefined : w3cParent(traceparent);
          if (parent !== undefined) {
            continued++;
            expect(answer.traceId).toBe(parent);
          } else {
            fresh++;
            expect(answer.traceId).not.toBe('0'.repeat(32));
            if (traceparent !== undefined) expect(traceparent).not.toContain(answer.traceId);
          }
        },
      ),
      { numRuns: 400 },
    );
    // Both branches of the oracle were exercised, or the property proved little.
    expect(continued).toBeGreaterThan(20);
    expect(fresh).toBeGreaterThan(20);
    const internal = (await out.metricsText()).split('\n').filter((line) => line.startsWith('periscope_internal_errors_total{'));
    expect(internal.filter((line) => !line.endsWith(' 0'))).toEqual([]);
  });
});
