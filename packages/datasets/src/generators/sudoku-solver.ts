import { sudokuGeometry } from '../augment/sudoku.js';

/** Outcome of {@link solveSudoku}. */
export interface SudokuSolveResult {
  /** Solutions found, capped at the requested limit. */
  solutions: number;
  /** The first solution found (digits 1..n), if any. */
  solution: Uint8Array | undefined;
  /** Search nodes visited. */
  nodes: number;
  /** Nodes where the chosen cell had two or more candidates: the solver's guesses. */
  guesses: number;
}

/**
 * Counts solutions of a Sudoku (digits 0..n, 0 blank) up to `limit`, with bitmask
 * candidates and a fewest-candidates-first cell choice. Deterministic: candidates are tried
 * in ascending order, so `guesses` is a reproducible measure of search effort.
 */
export function solveSudoku(grid: ArrayLike<number>, n: number, limit = 2): SudokuSolveResult {
  const { boxRows, boxCols } = sudokuGeometry(n);
  const cells = n * n;
  const cell = new Uint8Array(cells);
  const rowM = new Int32Array(n);
  const colM = new Int32Array(n);
  const boxM = new Int32Array(n);
  const boxOf = new Int32Array(cells);
  const stacks = n / boxCols;
  for (let k = 0; k < cells; k++) {
    const r = Math.floor(k / n);
    const c = k % n;
    boxOf[k] = Math.floor(r / boxRows) * stacks + Math.floor(c / boxCols);
  }
  const result: SudokuSolveResult = { solutions: 0, solution: undefined, nodes: 0, guesses: 0 };
  for (let k = 0; k < cells; k++) {
    const d = grid[k]!;
    if (d === 0) continue;
    const bit = 1 << d;
    const r = Math.floor(k / n);
    const c = k % n;
    if (rowM[r]! & bit || colM[c]! & bit || boxM[boxOf[k]!]! & bit) return result;
    rowM[r]! |= bit;
    colM[c]! |= bit;
    boxM[boxOf[k]!]! |= bit;
    cell[k] = d;
  }
  const all = ((1 << n) - 1) << 1;

  const search = (): boolean => {
    result.nodes++;
    let best = -1;
    let bestCount = 99;
    let bestMask = 0;
    for (let k = 0; k < cells; k++) {
      if (cell[k] !== 0) continue;
      const r = Math.floor(k / n);
      const mask = all & ~(rowM[r]! | colM[k - r * n]! | boxM[boxOf[k]!]!);
      const count = popcount(mask);
      if (count < bestCount) {
        best = k;
        bestCount = count;
        bestMask = mask;
        if (count <= 1) break;
      }
    }
    if (best < 0) {
      result.solutions++;
      if (!result.solution) result.solution = cell.slice();
      return result.solutions >= limit;
    }
    if (bestCount === 0) return false;
    if (bestCount > 1) result.guesses++;
    const r = Math.floor(best / n);
    const c = best - r * n;
    const b = boxOf[best]!;
    for (let d = 1; d <= n; d++) {
      const bit = 1 << d;
      if (!(bestMask & bit)) continue;
      cell[best] = d;
      rowM[r]! |= bit;
      colM[c]! |= bit;
      boxM[b]! |= bit;
      const stop = search();
      rowM[r]! &= ~bit;
      colM[c]! &= ~bit;
      boxM[b]! &= ~bit;
      cell[best] = 0;
      if (stop) return true;
    }
    return false;
  };
  search();
  return result;
}

function popcount(x: number): number {
  let c = 0;
  while (x) {
    x &= x - 1;
    c++;
  }
  return c;
}
