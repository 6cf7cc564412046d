#!/usr/bin/env node
// Retakes the live demo's screenshots (src/public/demo/<kind>-{mid-solve,solved}.png, shown by
// src/demo.md): runs the demo's browser test, which solves a puzzle of each kind in headless
// Chromium on WebGPU (SwiftShader), with TRM_UPDATE_SCREENSHOTS=1 so that it writes its
// pictures into the site's sources as well as test-output/. It uses the built site, so build
// first after changing a checkpoint (`pnpm --filter @trm/docs build`); rebuild afterwards for
// the new pictures to be on the site.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const docsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(docsDir, '.vitepress', 'dist', 'generated', 'demo');
if (!existsSync(built)) {
  process.stderr.write(
    `demo-screenshots: ${built} is missing: build the site first (pnpm --filter @trm/docs build).\n`,
  );
  process.exit(2);
}
const vitest = join(docsDir, 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(process.execPath, [vitest, 'run', 'test/demo.test.ts'], {
  cwd: docsDir,
  stdio: 'inherit',
  env: { ...process.env, TRM_UPDATE_SCREENSHOTS: '1' },
});
process.exit(result.status ?? 1);
