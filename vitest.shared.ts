/**
 * Test options of the packages whose tests run WebGPU. lavapipe runs it on the CPU: one device
 * per worker process and generous time-outs. Import-free, like tsup.shared.ts.
 */
export const gpuTests = {
  include: ['test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
} as const;
