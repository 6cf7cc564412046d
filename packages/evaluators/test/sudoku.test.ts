import { describe, expect, it } from 'vitest';
import {
  createEvaluator,
  type EvalBatch,
  isValidSudokuSolution,
  SudokuEvaluator,
} from '../src/index.js';

/** A valid 9×9 solution as digits. */
const SOLUTION = Array.from({ length: 81 }, (_, k) => {
  const r = Math.floor(k / 9);
  const c = k % 9;
  return ((r * 3 + Math.floor(r / 3) + c) % 9) + 1;
});
const tokens = (digits: number[]): Int32Array => Int32Array.from(digits, (d) => d + 1);
/** The puzzle: every third cell given, the rest blank (digit 0 → token 1). */
const PUZZLE = SOLUTION.map((d, k) => (k % 3 === 0 ? d : 0));

describe('isValidSudokuSolution', () => {
  it('accepts the solution', () => {
    expect(isValidSudokuSolution(tokens(PUZZLE), tokens(SOLUTION))).toBe(true);
  });

  it('accepts a different valid solution of a puzzle it is consistent with', () => {
    // Relabel digits; with no givens at all, every valid grid is a solution.
    const other = SOLUTION.map((d) => (d % 9) + 1);
    expect(isValidSudokuSolution(tokens(new Array(81).fill(0)), tokens(other))).toBe(true);
    // …but it contradicts the givens of PUZZLE.
    expect(isValidSudokuSolution(tokens(PUZZLE), tokens(other))).toBe(false);
  });

  it('rejects duplicates in a row, column or box', () => {
    const swapped = [...SOLUTION];
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!]; // swap inside row 0: columns break
    expect(isValidSudokuSolution(tokens(new Array(81).fill(0)), tokens(swapped))).toBe(false);
    const dup = [...SOLUTION];
    dup[80] = dup[79]!;
    expect(isValidSudokuSolution(tokens(new Array(81).fill(0)), tokens(dup))).toBe(false);
  });

  it('rejects blanks, padding and out-of-range tokens', () => {
    for (const bad of [0, 1, 11, -100]) {
      const pred = tokens(SOLUTION);
      pred[40] = bad;
      expect(isValidSudokuSolution(tokens(PUZZLE), pred)).toBe(false);
    }
  });

  it('works for 4×4 and 6×6 (2×3 boxes) and rejects other sizes', () => {
    const four = [1, 2, 3, 4, 3, 4, 1, 2, 2, 1, 4, 3, 4, 3, 2, 1];
    expect(isValidSudokuSolution(tokens(new Array(16).fill(0)), tokens(four))).toBe(true);
    // Rows and columns fine, boxes not.
    const latin = [1, 2, 3, 4, 2, 3, 4, 1, 3, 4, 1, 2, 4, 1, 2, 3];
    expect(isValidSudokuSolution(tokens(new Array(16).fill(0)), tokens(latin))).toBe(false);
    // Row r of a 6×6 grid with 2×3 boxes: shift by 3 within a band, by 1 between bands.
    const six = Array.from({ length: 36 }, (_, k) => {
      const r = Math.floor(k / 6);
      return ((3 * (r % 2) + Math.floor(r / 2) + (k % 6)) % 6) + 1;
    });
    expect(isValidSudokuSolution(tokens(new Array(36).fill(0)), tokens(six))).toBe(true);
    // Rows r and r + 2 swapped keeps rows and columns but breaks two 2×3 boxes.
    const broken = [
      ...six.slice(12, 18),
      ...six.slice(6, 12),
      ...six.slice(0, 6),
      ...six.slice(18),
    ];
    expect(isValidSudokuSolution(tokens(new Array(36).fill(0)), tokens(broken))).toBe(false);
    // 3×2 boxes would pass where 2×3 fail: the transpose of a valid grid.
    const transposed = six.map((_, k) => six[(k % 6) * 6 + Math.floor(k / 6)]!);
    expect(isValidSudokuSolution(tokens(new Array(36).fill(0)), tokens(transposed))).toBe(false);
    expect(() => isValidSudokuSolution(new Int32Array(25), new Int32Array(25))).toThrow(
      /not a 4×4, 6×6 or 9×9/,
    );
    expect(() => isValidSudokuSolution(new Int32Array(80), new Int32Array(80))).toThrow(/square/);
    expect(() => isValidSudokuSolution(new Int32Array(81), new Int32Array(16))).toThrow(/differ/);
  });
});

describe('SudokuEvaluator', () => {
  it('reports the valid-solution rate over non-padding rows', () => {
    const ev = createEvaluator('sudoku', { metadata: { seq_len: 81, blank_identifier_id: 0 } });
    expect(ev).toBeInstanceOf(SudokuEvaluator);
    const wrong = tokens(SOLUTION);
    wrong[0] = wrong[1]!;
    const rows = [tokens(SOLUTION), wrong, tokens(SOLUTION)];
    const b = rows.length + 1; // plus one padding row
    const inputs = new Int32Array(b * 81);
    const labels = new Int32Array(b * 81).fill(-100);
    const preds = new Int32Array(b * 81);
    rows.forEach((p, i) => {
      inputs.set(tokens(PUZZLE), i * 81);
      labels.set(tokens(SOLUTION), i * 81);
      preds.set(p, i * 81);
    });
    const batch: EvalBatch = {
      inputs,
      labels,
      puzzleIdentifiers: new Int32Array(b),
      batchSize: b,
      seqLen: 81,
    };
    ev.begin();
    ev.update(batch, { preds, qHaltLogits: new Float32Array(b) });
    expect(ev.result()).toEqual({ 'sudoku/valid_solution_rate': 2 / 3, 'sudoku/N': 3 });
    ev.begin();
    expect(ev.result()).toEqual({ 'sudoku/valid_solution_rate': 0, 'sudoku/N': 0 });
  });

  it('rejects a sequence length without a square grid', () => {
    expect(
      () => new SudokuEvaluator({ metadata: { seq_len: 900, blank_identifier_id: 0 } }),
    ).toThrow(/not a 4×4, 6×6 or 9×9/);
  });
});
