import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    // Loaded by `new Worker(...)` for --devices N; must be a file of its own.
    'parallel-worker': 'src/parallel-worker.ts',
  },
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Workspace packages stay external: the GPU packages must load only when train/eval run.
  external: [/^@trm\//],
});
