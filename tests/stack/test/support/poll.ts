import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads until `accept` holds, at most `tries` more times, `intervalMs` apart,
 * and returns the last value read, accepted or not: the caller's assertions
 * then say what was wrong. Bounded, never a wall-clock assertion.
 */
export async function poll<T>(read: () => Promise<T>, accept: (value: T) => boolean, tries = 60, intervalMs = 250): Promise<T> {
  let last = await read();
  for (let i = 0; i < tries && !accept(last); i++) {
    await sleep(intervalMs);
    last = await read();
  }
  return last;
}
