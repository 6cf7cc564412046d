#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { NATIVE_STDERR_ENV, opensDevice, runFiltered } from './cli/native-stderr.js';
import { runCli } from './cli/run.js';
import type { OutputStream } from './cli/types.js';

const argv = process.argv.slice(2);

function main(): Promise<number> {
  const env = process.env[NATIVE_STDERR_ENV];
  if (env === undefined && opensDevice(argv))
    return runFiltered(fileURLToPath(import.meta.url), argv);
  // In the filtered child, stderr is a pipe: keep the terminal's behaviour (progress bars).
  const stderr: OutputStream | undefined =
    env === 'filtered'
      ? {
          write: (s: string) => process.stderr.write(s),
          isTTY: process.env.TRM_STDERR_TTY === '1',
          columns: Number(process.env.TRM_STDERR_COLUMNS) || 80,
        }
      : undefined;
  return runCli(argv, stderr ? { io: { stderr } } : {});
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `trm: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
