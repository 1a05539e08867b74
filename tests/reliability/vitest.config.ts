import { defineProject } from 'vitest/config';

export default defineProject({
  // hookTimeout: the hostile-URL suite sends its 10,000 URLs in a hook, which a busy shared machine can stretch past 10 s.
  test: { name: 'reliability', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
