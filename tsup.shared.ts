/**
 * Build options every library package shares (ESM, types, source maps, Node 20). Kept free
 * of imports so a package's tsup.config.ts can pull it in without the root installing tsup.
 */
export const libraryBuild = {
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
} as const;
