import { describe, expect, it } from 'vitest';
import { EncodedSpanQueue } from '../src/adapters/encoded-span-queue.js';

const scopeA = { name: 'a' };
const scopeB = { name: 'b', version: '2' };

/** Span i's bytes: a size that varies (large ones every 997th), filled with a pattern of i. */
function bytesOf(i: number): Uint8Array {
  const size = i % 997 === 0 ? 70_000 + i : 200 + ((i * 37) % 900);
  const bytes = new Uint8Array(size);
  for (let j = 0; j < size; j++) bytes[j] = (i * 31 + j) & 0xff;
  return bytes;
}

describe('the encoded span queue', () => {
  it('gives every span back whole, in order, with its scope, across chunks and interleaved pushes and takes', () => {
    const queue = new EncodedSpanQueue(2048);
    const taken: { encoded: Uint8Array; scope: unknown }[] = [];
    let pushed = 0;
    while (pushed < 6_000) {
      for (let k = 0; k < 700 && pushed < 6_000; k++, pushed++) {
        expect(queue.push(bytesOf(pushed), pushed % 3 === 0 ? scopeB : scopeA)).toBe(true);
      }
      for (const span of queue.take(512)) taken.push({ encoded: span.encoded, scope: span.instrumentationScope });
    }
    while (queue.length > 0) for (const span of queue.take(512)) taken.push({ encoded: span.encoded, scope: span.instrumentationScope });
    expect(taken).toHaveLength(6_000);
    taken.forEach(({ encoded, scope }, i) => {
      expect(Buffer.from(encoded).equals(Buffer.from(bytesOf(i))), `span ${i}`).toBe(true);
      expect(scope).toBe(i % 3 === 0 ? scopeB : scopeA);
    });
  });

  it('holds at most its capacity and refuses the rest', () => {
    const queue = new EncodedSpanQueue(100);
    let accepted = 0;
    for (let i = 1; i <= 150; i++) if (queue.push(bytesOf(i), scopeA)) accepted++;
    expect(accepted).toBe(100);
    expect(queue.length).toBe(100);
    expect(queue.take(1000)).toHaveLength(100);
    expect(queue.push(bytesOf(1), scopeA)).toBe(true);
  });

  it('releases the chunks of spans taken: drained, it keeps only the chunk being written to', () => {
    const queue = new EncodedSpanQueue(4096);
    for (let i = 1; i <= 4000; i++) queue.push(bytesOf(i), scopeA);
    const full = queue.heldBytes;
    expect(full).toBeGreaterThan(2_000_000);
    while (queue.length > 0) queue.take(512);
    expect(queue.heldBytes).toBeLessThanOrEqual(64 * 1024);
    queue.push(bytesOf(1), scopeA);
    queue.clear();
    expect(queue.length).toBe(0);
    expect(queue.heldBytes).toBe(0);
    expect(queue.take(10)).toEqual([]);
  });
});
