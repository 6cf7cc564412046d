import { defineConfig } from 'vitest/config';

/** The fuzz suite (fuzz/): the real CLI on a few hundred malformed inputs, two at a time. */
export default defineConfig({
  test: {
    include: ['fuzz/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    maxConcurrency: 2,
  },
});
