import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // lavapipe runs WebGPU on the CPU: one device per worker and generous time-outs.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
