import { describe, expect, it } from 'vitest';
import { CENSOR, compileRedaction } from '../src/adapters/redaction.js';
import { DEFAULT_REDACT_PATHS } from '../src/index.js';

const redact = compileRedaction([...DEFAULT_REDACT_PATHS, 'card.number', '*.pin']);

describe('redaction', () => {
  it('redacts secret keys at any depth and in any letter case', () => {
    const input = { Authorization: 'x', a: { b: { c: { password: 'p', keep: 1 } } }, list: [{ token: 't' }, 'plain'] };
    expect(redact(input)).toEqual({
      Authorization: CENSOR,
      a: { b: { c: { password: CENSOR, keep: 1 } } },
      list: [{ token: CENSOR }, 'plain'],
    });
  });

  it('never mutates the logged object, and returns it as is when nothing matched', () => {
    const secret = { headers: { cookie: 'sid=1' } };
    const clean = { route: '/users/:id', nested: { status: 200 } };
    expect(redact(secret)).toEqual({ headers: { cookie: CENSOR } });
    expect(secret.headers.cookie).toBe('sid=1');
    expect(redact(clean)).toBe(clean);
  });

  it('dotted rules are exact paths, * matching any key at its level', () => {
    expect(redact({ card: { number: '4242', brand: 'visa' }, number: 7 })).toEqual({ card: { number: CENSOR, brand: 'visa' }, number: 7 });
    expect(redact({ user: { pin: '1234' }, pin: 'top-level stays' })).toEqual({ user: { pin: CENSOR }, pin: 'top-level stays' });
  });

  it('redacts the secret own properties of an error, and leaves clean errors and dates to their serializers', () => {
    const leaky = Object.assign(new Error('boom'), { token: 'in an error', code: 'E1' });
    const clean = new Error('fine');
    const when = new Date(0);
    const out = redact({ err: leaky, other: clean, when });
    expect(out.err).toMatchObject({ message: 'boom', token: CENSOR, code: 'E1' });
    expect(leaky.token).toBe('in an error');
    expect(out.other).toBe(clean);
    expect(out.when).toBe(when);
  });
});

describe('objects with an unusual prototype', () => {
  it('walks objects whose prototype is a bare null-prototype object, as Fastify query strings are', () => {
    const query = Object.create(Object.create(null)) as Record<string, string>;
    query.token = 'from-the-url';
    query.next = '/home';
    expect(redact({ query })).toEqual({ query: { token: CENSOR, next: '/home' } });
  });

  it('leaves class instances alone', () => {
    class Money {
      token = 'not walked';
    }
    const money = new Money();
    expect(redact({ money }).money).toBe(money);
  });
});
