import { sudokuGeometry } from '../augment/sudoku.js';
import { Rng } from '../rng.js';
import type { GeneratedPuzzle } from './csv.js';
import { solveSudoku } from './sudoku-solver.js';

/** Options of {@link generateSudoku}. */
export interface SudokuGeneratorOptions {
  /** Side length: 4, 6 or 9. Default 9. */
  size?: 4 | 6 | 9;
  /** Keep only puzzles whose rating (solver guesses) is at least this. Default 0. */
  minRating?: number;
  /** Shorthand for the default hard threshold of the size ({@link SUDOKU_HARD_RATING}). */
  hard?: boolean;
  /** Give up after this many candidate puzzles without meeting `minRating`. Default 1000. */
  maxAttempts?: number;
}

/**
 * Default "hard" rating per size: the number of guesses our solver needs to solve the
 * puzzle and prove the solution unique. For 9×9 about a fifth of freshly generated minimal
 * puzzles reach 100 (the median is about 35); 6×6 puzzles rarely need more than a few
 * guesses, and 4×4 puzzles never need one, so "hard" means nothing at that size.
 */
export const SUDOKU_HARD_RATING: Record<4 | 6 | 9, number> = { 4: 0, 6: 3, 9: 100 };

/**
 * Generates one Sudoku with a unique solution: a random complete grid, then clues removed in
 * random order as long as the solution stays unique (so the puzzle is minimal). The rating
 * is the solver's guess count; puzzles under `minRating` are discarded and retried.
 */
export function generateSudoku(rng: Rng, options: SudokuGeneratorOptions = {}): GeneratedPuzzle {
  const n = options.size ?? 9;
  sudokuGeometry(n);
  const minRating = options.minRating ?? (options.hard ? SUDOKU_HARD_RATING[n] : 0);
  const maxAttempts = options.maxAttempts ?? 1000;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const solution = randomSolution(rng, n);
    const puzzle = solution.slice();
    const order = rng.permutation(n * n);
    for (const k of order) {
      const keep = puzzle[k]!;
      puzzle[k] = 0;
      if (solveSudoku(puzzle, n, 2).solutions !== 1) puzzle[k] = keep;
    }
    const rating = solveSudoku(puzzle, n, 2).guesses;
    if (rating < minRating) continue;
    let question = '';
    let answer = '';
    for (let k = 0; k < n * n; k++) {
      question += puzzle[k] === 0 ? '.' : String(puzzle[k]);
      answer += String(solution[k]);
    }
    return { source: `generated-sudoku-${n}x${n}`, question, answer, rating };
  }
  throw new Error(`no ${n}×${n} Sudoku with rating >= ${minRating} in ${maxAttempts} attempts`);
}

/** A uniformly shuffled complete grid, by randomized backtracking. */
function randomSolution(rng: Rng, n: number): Uint8Array {
  const { boxRows, boxCols } = sudokuGeometry(n);
  const cells = n * n;
  const grid = new Uint8Array(cells);
  const digits = Array.from({ length: n }, (_, i) => i + 1);
  const ok = (k: number, d: number) => {
    const r = Math.floor(k / n);
    const c = k % n;
    for (let i = 0; i < n; i++) if (grid[r * n + i] === d || grid[i * n + c] === d) return false;
    const br = r - (r % boxRows);
    const bc = c - (c % boxCols);
    for (let i = 0; i < boxRows; i++)
      for (let j = 0; j < boxCols; j++) if (grid[(br + i) * n + bc + j] === d) return false;
    return true;
  };
  const fill = (k: number): boolean => {
    if (k === cells) return true;
    const order = rng.shuffle(digits.slice());
    for (const d of order) {
      if (!ok(k, d)) continue;
      grid[k] = d;
      if (fill(k + 1)) return true;
    }
    grid[k] = 0;
    return false;
  };
  fill(0);
  return grid;
}

/** Generates `count` puzzles from a seed (deterministic). */
export function* generateSudokus(
  count: number,
  seed = 0,
  options: SudokuGeneratorOptions = {},
): Generator<GeneratedPuzzle> {
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) yield generateSudoku(rng, options);
}
