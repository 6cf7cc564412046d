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

/**
 * Packages that also run in a browser build a second entry, `dist/browser.js` (the `browser`
 * export condition). Without code splitting each entry is self-contained: the browser file
 * holds only what `src/browser.ts` imports, and no chunk shared with the Node entry. Types come
 * from the Node entry alone (`types` precedes `browser` in `exports`): the browser API is a
 * subset of it, and a bundler refuses an import the browser file lacks.
 */
export const withBrowserEntry = {
  entry: ['src/index.ts', 'src/browser.ts'],
  splitting: false,
  dts: { entry: 'src/index.ts' },
} as const;
