#!/usr/bin/env node
// `pnpm trm <args>` from the repository root: the `trm` command of this checkout.
//
// Builds @trm/cli and the workspace packages it depends on when their sources changed (turbo,
// cached: a no-op build takes about a second), quietly: the build's output is shown only when it
// fails. Then runs the CLI in this process with exactly the given arguments, in the directory
// pnpm was started from (so relative paths mean what they would for an installed `trm`), and
// exits with its exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = join(root, 'apps', 'cli', 'dist', 'cli.js');
const turboJs = join(root, 'node_modules', 'turbo', 'bin', 'turbo');

/** Runs the cached turbo build of @trm/cli; resolves to its exit code, output kept for errors. */
function build() {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [turboJs, 'run', 'build', '--filter=@trm/cli', '--output-logs=errors-only'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
    );
    const output = [];
    child.stdout.on('data', (b) => output.push(b));
    child.stderr.on('data', (b) => output.push(b));
    // Say something when the build is real work (a fresh checkout: about a minute).
    const slow = setTimeout(() => process.stderr.write('[trm] building the trm command…\n'), 2000);
    child.on('error', (error) => {
      clearTimeout(slow);
      output.push(Buffer.from(`${error.message}\n`));
      done({ code: 1, output });
    });
    child.on('close', (code) => {
      clearTimeout(slow);
      done({ code: code ?? 1, output });
    });
  });
}

if (!existsSync(turboJs)) {
  process.stderr.write(
    '[trm] the dependencies are not installed: run `bash scripts/setup.sh` at the repository root first.\n',
  );
  process.exit(1);
}
const { code, output } = await build();
if (code !== 0 || !existsSync(cliJs)) {
  process.stderr.write(Buffer.concat(output));
  process.stderr.write(`[trm] building @trm/cli failed (exit code ${code}).\n`);
  process.exit(code || 1);
}

// pnpm runs scripts in the repository root; INIT_CWD is where the command was typed.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by pnpm for this script; no turbo task reads it.
const cwd = process.env.INIT_CWD;
if (cwd && existsSync(cwd)) process.chdir(cwd);

// Help texts and hints then spell commands as this user runs them.
process.env.TRM_COMMAND ??= 'pnpm trm';
// The CLI reads process.argv.slice(2) and sets process.exitCode.
await import(pathToFileURL(cliJs).href);
