import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toSharedShape } from '../src/index.js';

/** An object as Express leaves a response: its prototype swapped for the app's, then properties added. */
function swapped(proto: object, n: number): Record<string, unknown> {
  const target = { statusCode: 200, finished: false } as Record<string, unknown>;
  Object.setPrototypeOf(target, proto);
  target.locals = { n };
  target.req = { url: `/users/${n}` };
  return target;
}

describe('toSharedShape', () => {
  it('changes nothing an application can see: keys and their order, values, prototype, inherited accessors', () => {
    const proto = {
      get sent(): boolean {
        return (this as { finished?: boolean }).finished === true;
      },
    };
    const target = swapped(proto, 1);
    const before = { keys: Object.keys(target), entries: Object.entries(target), symbols: Object.getOwnPropertySymbols(target).length };
    toSharedShape(target);
    expect(Object.keys(target)).toEqual(before.keys);
    expect(Object.entries(target)).toEqual(before.entries);
    expect(Object.getPrototypeOf(target)).toBe(proto);
    expect((target as { sent?: boolean }).sent).toBe(false);
    target.finished = true;
    target.extra = 'later';
    expect((target as { sent?: boolean }).sent).toBe(true);
    expect(Object.keys(target)).toEqual([...before.keys, 'extra']);
    // One symbol-keyed marker is left, not enumerable by Object.keys or JSON.
    expect(Object.getOwnPropertySymbols(target)).toHaveLength(before.symbols + 1);
    expect(JSON.parse(JSON.stringify(target))).toEqual({
      statusCode: 200,
      finished: true,
      locals: { n: 1 },
      req: { url: '/users/1' },
      extra: 'later',
    });
  });

  it('never throws: a frozen object or a proxy that refuses keeps its shape', () => {
    const frozen = Object.freeze(swapped({}, 2));
    expect(() => toSharedShape(frozen)).not.toThrow();
    expect(Object.getOwnPropertySymbols(frozen)).toHaveLength(0);
    const refusing = new Proxy(
      {},
      {
        set() {
          throw new Error('no');
        },
      },
    );
    expect(() => toSharedShape(refusing)).not.toThrow();
  });

  it('gives objects whose prototype was swapped one shared hidden class (V8, checked with its natives syntax)', () => {
    // The mechanism itself: V8's %HaveSameMap, only available to a process started with --allow-natives-syntax.
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const { toSharedShape } = await import(${JSON.stringify(dist)});
      const proto = { kind: 'app response' };
      const make = (n) => { const o = { statusCode: 200 }; Object.setPrototypeOf(o, proto); o.locals = { n }; o.sent = false; return o; };
      const a = make(1), b = make(2);
      const before = %HaveSameMap(a, b);
      toSharedShape(a); toSharedShape(b);
      const plain = [{ x: 1 }, { x: 2 }];
      console.log(JSON.stringify({ before, after: %HaveSameMap(a, b), fast: %HasFastProperties(a), plainSame: %HaveSameMap(plain[0], plain[1]) }));`;
    const child = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ before: false, after: true, fast: false, plainSame: true });
  });
});
