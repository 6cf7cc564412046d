import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { DatasetError } from '../errors.js';
import { fsError } from './fs-errors.js';
import { checkCreatable } from './paths.js';
import { StagedDirectory } from './staged.js';
import { removeStaleTemporaries } from './temporaries.js';

/** Options shared by everything that writes an output directory. */
export interface OutputOptions {
  /**
   * Replace an existing output directory. Default false: an existing non-empty directory is
   * an error. Only a directory holding nothing but what this package writes there (see
   * {@link OutputKind}) is ever replaced; anything else is refused, never deleted.
   */
  overwrite?: boolean;
}

/**
 * What an output directory holds, which decides what `overwrite` may replace: `'dataset'`
 * (`train/`, `test/` with `dataset.json` and `<set>__<array>.npy`, `identifiers.json`,
 * `test_puzzles.json`) or `'csv-splits'` (`train.csv`, `test.csv`).
 */
export type OutputKind = 'dataset' | 'csv-splits';

const SPLIT_FILE =
  /^(dataset\.json|.+__(inputs|labels|puzzle_identifiers|puzzle_indices|group_indices)\.npy)$/;

const LAYOUT: Record<
  OutputKind,
  { entries: ReadonlySet<string>; markers: string[]; what: string }
> = {
  dataset: {
    entries: new Set(['train', 'test', 'identifiers.json', 'test_puzzles.json']),
    markers: ['train/dataset.json', 'test/dataset.json'],
    what: 'a dataset (no train/dataset.json or test/dataset.json)',
  },
  'csv-splits': {
    entries: new Set(['train.csv', 'test.csv']),
    markers: ['train.csv', 'test.csv'],
    what: 'a directory of train.csv/test.csv',
  },
};

/** Whether `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/** Files under `dir` that this package does not write there (at most a few, for a message). */
function foreignEntries(dir: string, kind: OutputKind): string[] {
  const foreign: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!LAYOUT[kind].entries.has(name)) foreign.push(name);
    else if (kind === 'dataset' && (name === 'train' || name === 'test')) {
      const split = join(dir, name);
      if (!lstatSync(split).isDirectory()) foreign.push(name);
      else
        for (const f of readdirSync(split)) if (!SPLIT_FILE.test(f)) foreign.push(`${name}/${f}`);
    }
    if (foreign.length > 3) break;
  }
  return foreign;
}

/**
 * Why the existing `outDir` may not be replaced, or undefined when it may: it must be a real
 * directory (not a link), not the root, the home or the working directory or one holding them,
 * and hold only what this package writes for `kind` (or nothing at all).
 */
export function replaceProblem(outDir: string, kind: OutputKind): string | undefined {
  const abs = resolve(outDir);
  if (lstatSync(abs).isSymbolicLink()) return 'it is a symbolic link';
  const real = realpathSync(abs);
  const protectedDirs = [resolve(homedir()), process.cwd()].map((p) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  });
  if (protectedDirs.some((p) => within(p, real)))
    return 'it is the root, your home or the working directory, or holds one of them';
  if (!lstatSync(real).isDirectory()) return 'it is a file, not a directory';
  const names = readdirSync(real);
  if (names.length === 0) return undefined;
  const foreign = foreignEntries(real, kind);
  if (foreign.length > 0)
    return `it holds files trm does not write there (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''})`;
  if (!LAYOUT[kind].markers.some((m) => existsSync(join(real, m))))
    return `it is not ${LAYOUT[kind].what}`;
  return undefined;
}

/**
 * Runs `build` against a {@link StagedDirectory} beside `outDir` and publishes it only when
 * `build` succeeds; on failure the staging directory is removed, so a crashed or rejected
 * build never leaves a half-written output. An existing empty `outDir` is replaced; a
 * non-empty one only with `overwrite`, and then only when {@link replaceProblem} finds
 * nothing of the user's in it.
 *
 * @throws DatasetError naming `outDir` when it exists and may not be replaced, or when it
 *   cannot be created (e.g. a file in the way).
 */
export async function buildIntoDirectory<T>(
  outDir: string,
  options: OutputOptions & { kind?: OutputKind },
  build: (tmpDir: string) => Promise<T> | T,
): Promise<T> {
  checkCreatable(outDir);
  // First, so that an output a killed run had moved aside is back before it is looked at.
  removeStaleTemporaries(outDir);
  if (existsSync(outDir) || isDanglingLink(outDir)) {
    let problem: string | undefined;
    try {
      problem = replaceProblem(outDir, options.kind ?? 'dataset');
    } catch (e) {
      throw fsError('look inside', outDir, e);
    }
    if (problem)
      throw new DatasetError(
        `${outDir}: refusing to replace it: ${problem}. Choose another output directory, or move it away yourself.`,
        { file: outDir },
      );
    if (!options.overwrite && readdirSync(outDir).length > 0)
      throw new DatasetError(
        `${outDir}: output directory already exists (pass overwrite: true to replace it)`,
        { file: outDir },
      );
  }
  const staged = new StagedDirectory(outDir);
  try {
    const result = await build(staged.dir);
    staged.publish('replace');
    return result;
  } catch (e) {
    staged.abort();
    throw e;
  }
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
