import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'example-traffic', include: ['test/**/*.test.ts'], testTimeout: 20_000 },
});
