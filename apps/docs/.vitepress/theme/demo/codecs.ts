/**
 * Each puzzle kind's encoding and solutions, by `@trm/datasets` (its browser entry): the
 * tokens the dataset builders write, so the model sees a reader's puzzle as it saw its
 * training data, and the generators' solvers to mark the model's answer right or wrong.
 * Loaded with the model code, in the browser only.
 */
import {
  encodeMaze,
  encodeSudoku,
  generateMaze,
  generateSudoku,
  mazeText,
  Rng,
  solveMaze,
  solveSudoku,
} from '@trm/datasets';
import type { PuzzleKind } from './puzzles.js';

/** The model's input tokens for a question (see puzzles.ts for the text). */
export function encode(kind: PuzzleKind, question: string): Uint8Array {
  return kind.family === 'sudoku' ? encodeSudoku(question) : encodeMaze(question);
}

/** A step's answer text from the model's predicted tokens: digits (`.` for none), or a maze. */
export function decode(kind: PuzzleKind, preds: ArrayLike<number>): string {
  if (kind.family === 'maze') return mazeText(preds);
  // Sudoku tokens are digit + 1 (0 pad, 1 blank): see encodeSudoku.
  return Array.from(preds, (t) => (t >= 2 && t <= kind.size + 1 ? String(t - 1) : '.')).join('');
}

/** What the solver makes of a question: its one solution, or why it has none to compare with. */
export interface SolutionCheck {
  /** The answer text when the puzzle has exactly one solution (for a maze: one shortest path). */
  answer?: string;
  /** The model cannot usefully be asked: the page says this and keeps Solve off. */
  problem?: string;
  /** The model may be asked, but its cells are not marked right or wrong: why. */
  note?: string;
}

/** Solves `question` (already free of the problems `inputProblem` names). */
export function checkSolution(kind: PuzzleKind, question: string): SolutionCheck {
  const n = kind.size;
  if (kind.family === 'sudoku') {
    const digits = Array.from(question, (c) => (c === '.' ? 0 : Number(c)));
    const { solutions, solution } = solveSudoku(digits, n, 2);
    if (solutions === 0) {
      return { problem: 'This Sudoku has no solution: no digit fits some blank. Change a digit.' };
    }
    if (solutions > 1 || !solution) {
      return {
        note: 'This grid has more than one solution, so cells are not marked right or wrong.',
      };
    }
    return { answer: solution.join('') };
  }
  const path = solveMaze(question, n, question.indexOf('S'), question.indexOf('G'));
  if (!path) {
    return { problem: 'The goal cannot be reached from the start: open a way through the walls.' };
  }
  if (path.shortestPaths > 1) {
    return {
      note: 'This maze has more than one shortest path, so cells are not marked right or wrong.',
    };
  }
  const on = new Set(path.path);
  return { answer: Array.from(question, (c, k) => (c === ' ' && on.has(k) ? 'o' : c)).join('') };
}

/** A fresh puzzle of the kind, by the generator its solver's data came from. */
export function randomPuzzle(kind: PuzzleKind, seed: number): string {
  const rng = new Rng(seed);
  return kind.family === 'sudoku'
    ? generateSudoku(rng, { size: kind.size as 4 | 6 | 9 }).question
    : generateMaze(rng, { size: kind.size }).question;
}
