import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(PACKAGE_DIR, 'fixtures');
/** `<repo>/../shared/data/arc-agi`: the ARC JSON, present on development machines only. */
export const ARC_DATA = resolve(PACKAGE_DIR, '..', '..', '..', 'shared', 'data', 'arc-agi');
export const HAS_ARC_DATA = existsSync(join(ARC_DATA, 'arc-agi_evaluation_challenges.json'));

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = 'trm-datasets-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let numpyAvailable: boolean | undefined;
/** Whether `python3` with NumPy is available (optional extra checks only). */
export function hasNumpy(): boolean {
  if (numpyAvailable === undefined) {
    try {
      execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
      numpyAvailable = true;
    } catch {
      numpyAvailable = false;
    }
  }
  return numpyAvailable;
}

/** Runs a Python snippet and returns its stdout (only call when {@link hasNumpy}). */
export function python(code: string): string {
  return execFileSync('python3', ['-c', code], { encoding: 'utf8' });
}

/** Tokens (d + 1, '.' → 1) of a Sudoku string, for building expectations. */
export function sudokuTokens(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => (ch === '.' || ch === '0' ? 1 : Number(ch) + 1));
}
