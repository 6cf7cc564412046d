// Bundles bench/internals.ts (the public API plus the backend and raw kernels) from src into
// bench/.build: the package's dist deliberately exports no GPU buffers or dispatch paths.

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function buildInternals() {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const outfile = `${here}.build/internals.mjs`;
  await build({
    entryPoints: [`${here}internals.ts`],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    external: ['webgpu'],
  });
  return import(`${outfile}?t=${Date.now()}`);
}
