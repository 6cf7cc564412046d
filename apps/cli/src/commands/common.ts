import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliIO, CommandContext } from '../cli/types.js';
import { InputError, UsageError } from '../errors.js';
import { checkNothingInTheWay } from '../util/output-dir.js';

/** A path argument resolved against the command's working directory. */
export function resolvePath(io: CliIO, p: string): string {
  return resolve(io.cwd, p);
}

/** String flag value (or undefined). */
export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return v === undefined ? undefined : String(v);
}

/** Integer flag value (or undefined), optionally with a lower bound. */
export function int(ctx: CommandContext, name: string, min?: number): number | undefined {
  const v = ctx.flags[name];
  if (v === undefined) return undefined;
  const n = v as number;
  if (min !== undefined && n < min)
    throw new UsageError(`--${name} must be at least ${min}, got ${n}.`, {
      command: ctx.command.name,
    });
  return n;
}

/** Boolean flag value. */
export function bool(ctx: CommandContext, name: string): boolean {
  return ctx.flags[name] === true;
}

/** Fails with exit 2 when an output exists and --overwrite was not given. */
export function checkOutputFree(path: string, overwrite: boolean, what = 'output'): void {
  checkNothingInTheWay(path, `The ${what}`);
  if (existsSync(path) && !overwrite) {
    throw new InputError(
      `The ${what} ${path} already exists. Pass --overwrite to replace it, or choose another path.`,
      { file: path },
    );
  }
}

/** Fails with exit 2 unless `path` is an existing directory. */
export function requireDir(path: string, what: string): void {
  if (!existsSync(path)) throw new InputError(`${what} ${path} does not exist.`, { file: path });
  if (!statSync(path).isDirectory())
    throw new InputError(`${what} ${path} is not a directory.`, { file: path });
}

/**
 * Fails with exit 2 unless `path` is an existing regular file: a directory, a device such as
 * /dev/null or a FIFO (which would block the reader forever) is refused by name.
 */
export function requireFile(path: string, what: string): void {
  if (!existsSync(path)) throw new InputError(`${what} ${path} does not exist.`, { file: path });
  const st = statSync(path);
  if (st.isFile()) return;
  const kind = st.isDirectory()
    ? 'a directory'
    : st.isFIFO()
      ? 'a named pipe'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device'
        : 'not a regular file';
  throw new InputError(`${what} ${path} is ${kind}, not a file.`, { file: path });
}

/** Singular/plural. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
