/**
 * Output directories that never cost the user a file: checked before anything is created,
 * written into a staging sibling, and published only when complete. Publishing into an
 * existing directory moves trm's own files in by name, so files of the user's that happen to
 * be there are never touched.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { checkCreatable, StagedDirectory } from '@trm/datasets';
import { InputError } from '../errors.js';
import { onInterrupt } from './interrupt.js';

/**
 * Fails with exit 2 when `path` cannot be created because something on the way is not a
 * directory (`a/file.txt/out`), naming that thing.
 */
export function checkNothingInTheWay(path: string, label: string): void {
  try {
    checkCreatable(path);
  } catch (error) {
    const file = (error as { file?: string }).file;
    throw new InputError(
      `${label} ${path} cannot be created: ${file} is a file, not a directory. Choose a path outside it.`,
      { file },
    );
  }
}

/** How an output directory stands before a command writes into it. */
export type OutputDirState = 'absent' | 'empty' | 'overwrite';

/**
 * Checks that `dir` can receive a command's outputs: it does not exist, is empty, or the user
 * passed `--overwrite` (then only the files the command writes are replaced). Anything else is
 * an {@link InputError} naming the directory and what is in it.
 */
export function checkOutputDir(
  dir: string,
  options: { overwrite: boolean; label: string; writes: string },
): OutputDirState {
  checkNothingInTheWay(dir, options.label);
  if (!existsSync(dir)) return 'absent';
  if (!lstatSync(dir).isDirectory())
    throw new InputError(
      `${options.label} ${dir} is a file, not a directory. Choose another path.`,
      {
        file: dir,
      },
    );
  const entries = readdirSync(dir);
  if (entries.length === 0) return 'empty';
  if (options.overwrite) return 'overwrite';
  const shown = entries.slice(0, 4).join(', ') + (entries.length > 4 ? ', …' : '');
  throw new InputError(
    `${options.label} ${dir} is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}: ${shown}). Choose a new directory, or pass --overwrite to replace the files trm writes there (${options.writes}) and leave everything else as it is.`,
    { file: dir },
  );
}

/**
 * A staging directory beside `target` whose contents are published whole (see
 * `StagedDirectory` of @trm/datasets, the one staging helper of trm), also removed when the
 * process is interrupted with Ctrl-C or `kill`.
 */
export class StagedOutput {
  private readonly staged: StagedDirectory;
  private readonly release: () => void;

  constructor(readonly target: string) {
    this.staged = new StagedDirectory(target);
    this.release = onInterrupt(() => this.staged.abort());
  }

  /** Where to write. */
  get dir(): string {
    return this.staged.dir;
  }

  /**
   * Moves the staged files into `target`: a rename when it does not exist, else file by file,
   * so that files of the user's already there are left alone.
   */
  publish(): void {
    this.staged.publish('merge');
    this.release();
  }

  /** Removes the staging directory and everything in it. */
  abort(): void {
    this.staged.abort();
    this.release();
  }
}
