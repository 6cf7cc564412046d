import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatasetError } from '../errors.js';

/** Writes a file under a temporary name and renames it, so readers never see half a file. */
export function writeFileAtomic(path: string, contents: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, contents);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new DatasetError(`${path}: cannot write: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
}

/** Options shared by everything that writes an output directory. */
export interface OutputOptions {
  /** Replace an existing output directory. Default false: an existing directory is an error. */
  overwrite?: boolean;
}

/**
 * Runs `build` against a fresh temporary sibling of `outDir` and renames it into place only
 * when `build` succeeds. On failure the temporary directory is removed, so a crashed or
 * rejected build never leaves a half-written dataset behind.
 */
export async function buildIntoDirectory<T>(
  outDir: string,
  options: OutputOptions,
  build: (tmpDir: string) => Promise<T> | T,
): Promise<T> {
  if (existsSync(outDir) && !options.overwrite) {
    throw new DatasetError(
      `${outDir}: output directory already exists (pass overwrite: true to replace it)`,
      {
        file: outDir,
      },
    );
  }
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(outDir)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(tmp);
  try {
    const result = await build(tmp);
    if (existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
