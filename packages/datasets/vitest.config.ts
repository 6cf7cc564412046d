import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The pack test builds and installs a tarball, which takes a few seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
