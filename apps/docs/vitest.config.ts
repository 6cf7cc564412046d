import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser test crawls the whole built site; the packaging test installs tarballs.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One file at a time: Chromium and the npm install of the packaging test compete for CPU.
    fileParallelism: false,
  },
});
