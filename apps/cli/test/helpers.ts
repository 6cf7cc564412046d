import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { CommandHandler, OutputStream } from '../src/cli/types.js';
import { runCli } from '../src/index.js';

/** A stream that records what is written. */
export class Capture implements OutputStream {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `trm` in-process with captured output. */
export async function trm(
  argv: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    handlers?: Record<string, CommandHandler>;
    tty?: boolean;
  } = {},
): Promise<RunResult> {
  const stdout = new Capture(opts.tty ?? false);
  const stderr = new Capture(opts.tty ?? false);
  const code = await runCli(argv, {
    io: {
      stdout,
      stderr,
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? { HF_HOME: '/nonexistent-hf-home' },
    },
    ...(opts.handlers ? { handlers: opts.handlers } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const dirs: string[] = [];

/** A temporary directory removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trm-cli-test-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
