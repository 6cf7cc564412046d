import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Test-only fault injection (inert unless a test asks for it): see the file. */
const faultInjection = fileURLToPath(
  new URL('./test/support/fault-injection.mjs', import.meta.url),
);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Every test process loads it first; the worker threads of `--devices N` inherit it.
    execArgv: ['--import', faultInjection],
  },
});
