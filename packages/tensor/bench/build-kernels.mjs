// Bundles the matmul kernel from src into bench/.build (the package's public dist may not export it).

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function buildKernels() {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const outfile = `${here}.build/matmul.mjs`;
  await build({
    entryPoints: [`${here}../src/kernels/matmul.ts`],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return import(`${outfile}?t=${Date.now()}`);
}
