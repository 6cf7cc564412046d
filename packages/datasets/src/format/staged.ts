import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsError } from './fs-errors.js';
import { checkCreatable } from './paths.js';
import { removeStaleTemporaries, stagingNamesFor } from './temporaries.js';

/**
 * A staging directory beside `target` (`.NAME.tmp-<pid>-<stamp>`, on the same file system,
 * so publishing is a rename). Write into {@link dir}, then {@link publish} or {@link abort}.
 * Creating one first removes the staging directories of earlier runs that were killed.
 */
export class StagedDirectory {
  /** Where to write. */
  readonly dir: string;
  private readonly old: string;
  private done = false;

  /** @throws DatasetError naming the path when `target`'s parent cannot hold a directory. */
  constructor(readonly target: string) {
    checkCreatable(target);
    removeStaleTemporaries(target);
    const names = stagingNamesFor(target);
    this.dir = names.staged;
    this.old = names.old;
    try {
      mkdirSync(dirname(target), { recursive: true });
      mkdirSync(this.dir);
    } catch (e) {
      throw fsError('create a directory', this.dir, e);
    }
  }

  /**
   * Moves the result into place. `replace`: the staged directory becomes `target`; an
   * existing one is moved aside first and removed after, so a complete output exists at every
   * moment (and is put back if the move fails). `merge`: the staged entries are moved into an
   * existing `target` by name, replacing only entries of the same names.
   */
  publish(mode: 'replace' | 'merge' = 'replace'): void {
    if (this.done) return;
    const { target } = this;
    try {
      if (!existsSync(target)) renameSync(this.dir, target);
      else if (mode === 'merge') {
        mergeInto(this.dir, target);
        rmSync(this.dir, { recursive: true, force: true });
      } else {
        renameSync(target, this.old);
        try {
          renameSync(this.dir, target);
        } catch (e) {
          renameSync(this.old, target);
          throw e;
        }
        rmSync(this.old, { recursive: true, force: true });
      }
    } catch (e) {
      throw fsError('move the finished output into place', target, e);
    }
    this.done = true;
  }

  /** Removes the staging directory and everything in it. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function mergeInto(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dest = join(to, name);
    if (statSync(src).isDirectory() && existsSync(dest) && statSync(dest).isDirectory())
      mergeInto(src, dest);
    else renameSync(src, dest);
  }
}
