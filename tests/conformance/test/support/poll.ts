/**
 * Re-checks `done` until it holds or `attempts` run out, yielding to the event
 * loop between tries. Bounded by attempts, not by a clock: a slow machine makes
 * it wait longer, never fail sooner. Returns whether `done` ever held.
 */
export async function poll(done: () => boolean | Promise<boolean>, attempts = 400): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return done();
}
