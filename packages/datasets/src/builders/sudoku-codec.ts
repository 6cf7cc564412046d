/**
 * The token encoding of Sudoku datasets, apart from the builder's file handling so that it
 * also runs in a browser (the docs' live demo encodes the puzzle a reader types with it).
 */
import { sudokuGeometry } from '../augment/sudoku.js';
import type { GridCsvCodec } from './grid-csv.js';

/** Side length of a Sudoku by its number of cells. */
export const SUDOKU_SIZE_BY_CELLS: Record<number, number> = { 16: 4, 36: 6, 81: 9 };

/**
 * How the builder reads a Sudoku CSV row. Tokens: 0 pad, 1 blank (`.` or `0`), d + 1 for digit d. For 9×9 this is the reference's
 * vocabulary of 11; 4×4 and 6×6 use the same scheme with fewer digits.
 */
export const sudokuCodec: GridCsvCodec = {
  kind: 'Sudoku',
  cellsFor(len) {
    return SUDOKU_SIZE_BY_CELLS[len] !== undefined
      ? len
      : `question has ${len} characters, expected 81 (9×9), 36 (6×6) or 16 (4×4)`;
  },
  questionToken(code, cells) {
    if (code === 46 || code === 48) return 1;
    const d = code - 48;
    return d >= 1 && d <= SUDOKU_SIZE_BY_CELLS[cells]! ? d + 1 : -1;
  },
  answerToken(code, cells) {
    const d = code - 48;
    return d >= 1 && d <= SUDOKU_SIZE_BY_CELLS[cells]! ? d + 1 : -1;
  },
  checkRow(q, a, cells) {
    for (let k = 0; k < cells; k++) {
      if (q[k] !== 1 && q[k] !== a[k])
        return `answer ${a[k]! - 1} at position ${k} contradicts the given ${q[k]! - 1}`;
    }
    return sudokuSolutionProblem(a, SUDOKU_SIZE_BY_CELLS[cells]!);
  },
};

/** Why `tokens` (d + 1 per cell) is not a complete valid Sudoku of size n, or undefined. */
export function sudokuSolutionProblem(tokens: ArrayLike<number>, n: number): string | undefined {
  const { boxRows, boxCols } = sudokuGeometry(n);
  for (let u = 0; u < n; u++) {
    let rows = 0;
    let cols = 0;
    let box = 0;
    const br = Math.floor(u / (n / boxCols)) * boxRows;
    const bc = (u % (n / boxCols)) * boxCols;
    for (let v = 0; v < n; v++) {
      rows |= 1 << (tokens[u * n + v]! - 1);
      cols |= 1 << (tokens[v * n + u]! - 1);
      box |= 1 << (tokens[(br + Math.floor(v / boxCols)) * n + bc + (v % boxCols)]! - 1);
    }
    const full = ((1 << n) - 1) << 1;
    if (rows !== full) return `answer row ${u} is not a permutation of 1..${n}`;
    if (cols !== full) return `answer column ${u} is not a permutation of 1..${n}`;
    if (box !== full) return `answer box ${u} is not a permutation of 1..${n}`;
  }
  return undefined;
}

/**
 * A Sudoku written as text, one character per cell row by row (`1`–`n`, and `.` or `0` for a
 * blank in a question), in the dataset's tokens: what the builder writes to `inputs`
 * (`field` `'question'`) or `labels` (`'answer'`, which has no blanks).
 *
 * @throws RangeError when the text is not 16, 36 or 81 characters long or holds a character
 *   the field does not allow, naming its position.
 */
export function encodeSudoku(text: string, field: 'question' | 'answer' = 'question'): Uint8Array {
  const cells = sudokuCodec.cellsFor(text.length);
  if (typeof cells === 'string') throw new RangeError(`Sudoku ${field}: ${cells}`);
  const tokens = new Uint8Array(cells);
  for (let k = 0; k < cells; k++) {
    const code = text.charCodeAt(k);
    const t =
      field === 'question'
        ? sudokuCodec.questionToken(code, cells)
        : sudokuCodec.answerToken(code, cells);
    if (t < 0)
      throw new RangeError(
        `Sudoku ${field}: invalid character ${JSON.stringify(text[k])} at position ${k}`,
      );
    tokens[k] = t;
  }
  return tokens;
}
