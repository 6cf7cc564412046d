import { SourceDataError } from '../errors.js';
import { MAX_JSON_BYTES, parseJsonText, readTextFile } from './read-text.js';
import { writeFileAtomic } from './write-all.js';

/** An ARC grid: rows of colours 0..9, at most 30×30. */
export type ArcGrid = number[][];

/** One input/output pair. `output` is absent in challenge files without solutions. */
export interface ArcPair {
  input: ArcGrid;
  output?: ArcGrid;
}

/** An ARC puzzle: demonstration pairs (`train`) and test pairs (`test`). */
export interface ArcPuzzle {
  train: ArcPair[];
  test: ArcPair[];
}

/** Puzzles keyed by name, as in Kaggle challenge files and `test_puzzles.json`. */
export type ArcPuzzleSet = Record<string, ArcPuzzle>;

/** Largest ARC grid side. */
export const ARC_MAX_GRID_SIZE = 30;

/** Why a grid is not a valid ARC grid, or undefined when it is. */
export function arcGridProblem(grid: unknown): string | undefined {
  if (!Array.isArray(grid) || grid.length === 0) return 'grid must be a non-empty list of rows';
  if (grid.length > ARC_MAX_GRID_SIZE)
    return `grid has ${grid.length} rows (max ${ARC_MAX_GRID_SIZE})`;
  const first = grid[0];
  if (!Array.isArray(first) || first.length === 0) return 'grid rows must be non-empty lists';
  const w = first.length;
  if (w > ARC_MAX_GRID_SIZE) return `grid has ${w} columns (max ${ARC_MAX_GRID_SIZE})`;
  for (let r = 0; r < grid.length; r++) {
    const row = grid[r];
    if (!Array.isArray(row) || row.length !== w)
      return `row ${r} has a different length than row 0 (${w})`;
    for (let c = 0; c < w; c++) {
      const x = row[c];
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 9) {
        return `cell (${r}, ${c}) is ${JSON.stringify(x)}, not a colour 0..9`;
      }
    }
  }
  return undefined;
}

/** Checks every grid of a puzzle; the error names the puzzle, the pair and the grid. */
export function checkArcPuzzle(
  name: string,
  puzzle: unknown,
  file: string,
  requireOutputs: boolean,
): ArcPuzzle {
  if (typeof puzzle !== 'object' || puzzle === null) {
    throw new SourceDataError(`${file}: puzzle ${name} is not an object`, { file, puzzle: name });
  }
  const p = puzzle as Record<string, unknown>;
  for (const kind of ['train', 'test'] as const) {
    const pairs = p[kind];
    if (!Array.isArray(pairs)) {
      throw new SourceDataError(`${file}: puzzle ${name} has no '${kind}' list`, {
        file,
        puzzle: name,
      });
    }
    // A challenge needs demonstrations to learn from and at least one test input; a solutions
    // file (requireOutputs) only needs its test pairs.
    if (pairs.length === 0 && (kind === 'test' || !requireOutputs))
      throw new SourceDataError(`${file}: puzzle ${name} has an empty '${kind}' list`, {
        file,
        puzzle: name,
      });
    pairs.forEach((pair: unknown, i: number) => {
      const where = `${file}: puzzle ${name} ${kind}[${i}]`;
      if (typeof pair !== 'object' || pair === null) {
        throw new SourceDataError(`${where} is not an object`, { file, puzzle: name });
      }
      const q = pair as Record<string, unknown>;
      const inProblem = arcGridProblem(q.input);
      if (inProblem)
        throw new SourceDataError(`${where}.input: ${inProblem}`, { file, puzzle: name });
      if (q.output !== undefined || requireOutputs) {
        const outProblem = arcGridProblem(q.output);
        if (outProblem)
          throw new SourceDataError(`${where}.output: ${outProblem}`, { file, puzzle: name });
      }
    });
  }
  return p as unknown as ArcPuzzle;
}

/** Reads an ARC JSON file (challenges or solutions): an object keyed by puzzle name. */
export function readArcJsonObject(path: string): Record<string, unknown> {
  const text = readTextFile(path, 'ARC JSON file', MAX_JSON_BYTES.large);
  const value = parseJsonText(
    text,
    path,
    'ARC JSON file',
    (message, options) => new SourceDataError(message, options),
  );
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SourceDataError(`${path}: expected an object of puzzles keyed by name`, {
      file: path,
    });
  }
  return value as Record<string, unknown>;
}

/** Reads and validates an ARC JSON file of puzzles keyed by name. */
export function readArcPuzzles(path: string, requireOutputs = false): ArcPuzzleSet {
  const value = readArcJsonObject(path);
  const out: ArcPuzzleSet = {};
  for (const [name, puzzle] of Object.entries(value)) {
    out[name] = checkArcPuzzle(name, puzzle, path, requireOutputs);
  }
  return out;
}

/**
 * Reads and validates an ARC challenges file (`<prefix>_<subset>_challenges.json`): every
 * demonstration pair needs its output; test pairs need only their input.
 */
export function readArcChallenges(path: string): ArcPuzzleSet {
  const puzzles = readArcPuzzles(path);
  for (const [name, p] of Object.entries(puzzles)) {
    p.train.forEach((pair, i) => {
      if (pair.output === undefined) {
        throw new SourceDataError(`${path}: puzzle ${name} train[${i}] has no output`, {
          file: path,
          puzzle: name,
        });
      }
    });
  }
  return puzzles;
}

/**
 * The output given to a test input whose solution is unknown, as the reference does: a 1×1
 * grid of colour 0 (puzzle hashes and the test split's labels need some output).
 */
export const UNSOLVED_TEST_OUTPUT: ArcGrid = [[0]];

/** Reads `test_puzzles.json` (original test puzzles with solutions, written by the ARC builder). */
export function readTestPuzzles(path: string): ArcPuzzleSet {
  return readArcPuzzles(path, true);
}

/** Writes `test_puzzles.json`. */
export function writeTestPuzzles(path: string, puzzles: ArcPuzzleSet): void {
  writeFileAtomic(path, JSON.stringify(puzzles));
}
