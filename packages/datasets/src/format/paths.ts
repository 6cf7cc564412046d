import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatasetError } from '../errors.js';

/**
 * Fails unless `path` can be created as far as its ancestors go: the nearest existing one must
 * be a directory. Catches the common mistake (an output under a file) with a sentence naming
 * the file in the way, before anything is written.
 */
export function checkCreatable(path: string): void {
  const abs = resolve(path);
  for (let p = dirname(abs); ; p = dirname(p)) {
    let isDir: boolean | undefined;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // Missing (or unreadable): look further up; mkdir reports anything else.
    }
    if (isDir === false)
      throw new DatasetError(
        `${p} is a file, not a directory, so ${path} cannot be created under it; choose another path`,
        { file: p },
      );
    if (isDir || dirname(p) === p) return;
  }
}
