import { sudokuGeometry } from '@trm/datasets';
import type { EvaluatorContext, EvaluatorOptions } from './interface.js';
import { OptionReader } from './options.js';
import { RowRateEvaluator } from './row-rate.js';
import { squareSide } from './rows.js';

/** Sudoku token of digit `d` is `d + 1`; the blank (digit 0) is token 1, padding token 0. */
export const SUDOKU_DIGIT_OFFSET = 1;

/**
 * Whether `pred` is a valid complete Sudoku solution consistent with the puzzle `input`.
 * Both are one row of tokens (digit + 1; token 1 = blank, 0 = padding) of an n×n grid
 * with n = 4, 6 or 9 (boxes 2×2, 2×3, 3×3), e.g. 81 tokens for 9×9. Valid means: every cell holds a digit 1..n, every
 * row, column and box holds each digit once, and every given (non-blank input cell) is kept.
 *
 * @throws RangeError when the lengths differ or are not 16, 36 or 81
 */
export function isValidSudokuSolution(input: ArrayLike<number>, pred: ArrayLike<number>): boolean {
  if (input.length !== pred.length) {
    throw new RangeError(
      `isValidSudokuSolution: input (${input.length}) and pred (${pred.length}) differ in length`,
    );
  }
  const { n, boxRows, boxCols } = geometry('isValidSudokuSolution', input.length);
  const boxesPerRow = n / boxCols;
  const rows = new Uint8Array(n * (n + 1));
  const cols = new Uint8Array(n * (n + 1));
  const boxes = new Uint8Array(n * (n + 1));
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const k = r * n + c;
      const d = pred[k]! - SUDOKU_DIGIT_OFFSET;
      if (!Number.isInteger(d) || d < 1 || d > n) return false;
      const given = input[k]! - SUDOKU_DIGIT_OFFSET;
      if (given >= 1 && given !== d) return false;
      const b = Math.floor(r / boxRows) * boxesPerRow + Math.floor(c / boxCols);
      if (rows[r * (n + 1) + d] || cols[c * (n + 1) + d] || boxes[b * (n + 1) + d]) return false;
      rows[r * (n + 1) + d] = 1;
      cols[c * (n + 1) + d] = 1;
      boxes[b * (n + 1) + d] = 1;
    }
  }
  return true;
}

/**
 * Sudoku evaluator (beyond the reference): the fraction of evaluated rows whose prediction
 * is a valid complete solution consistent with the givens ({@link isValidSudokuSolution}).
 * Padding rows (every label ignored) are skipped; identifiers are not used (Sudoku's are all
 * blank). Reports `sudoku/valid_solution_rate` and `sudoku/N` (rows evaluated).
 */
export class SudokuEvaluator extends RowRateEvaluator {
  constructor(context: EvaluatorContext, options?: EvaluatorOptions) {
    super('sudoku', 'Sudoku evaluator', 'valid_solution_rate');
    new OptionReader('Sudoku evaluator', options).done();
    geometry('Sudoku evaluator', context.metadata.seq_len);
  }

  protected passes(input: Int32Array, pred: Int32Array): boolean {
    return isValidSudokuSolution(input, pred);
  }
}

/** The box shape of a Sudoku of `cells` cells, or a RangeError naming `what`. */
function geometry(what: string, cells: number) {
  const n = squareSide(what, cells);
  if (n !== 4 && n !== 6 && n !== 9)
    throw new RangeError(`${what}: a ${n}×${n} grid is not a 4×4, 6×6 or 9×9 Sudoku`);
  return sudokuGeometry(n);
}
