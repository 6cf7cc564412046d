/**
 * The live demo's grid logic without a browser: what the page refuses (a repeated digit, a
 * maze without one start and one goal, an unsolvable grid), the 2×3 boxes of 6×6 Sudoku, the
 * examples being the solvers' test puzzles, and the codecs agreeing with the dataset builders.
 */
import { encodeMaze, encodeSudoku, generateMazes, generateSudokus } from '@trm/datasets';
import { describe, expect, it } from 'vitest';
import { checkSolution, decode, encode } from '../.vitepress/theme/demo/codecs.js';
import {
  boxEdges,
  cellState,
  clashes,
  inputProblem,
  KINDS,
  kindOf,
  withCell,
} from '../.vitepress/theme/demo/puzzles.js';

const sudoku6 = kindOf('sudoku-6x6');
const maze = kindOf('maze-5x5');

describe('the demo grids', () => {
  it('finds clashes within 2×3 boxes of a 6×6 Sudoku, not across them', () => {
    const empty = '.'.repeat(36);
    // Cells 0 and 8 (row 1, column 2) share the top-left 2×3 box.
    expect([...clashes(withCell(sudoku6, withCell(sudoku6, empty, 0, '5'), 8, '5'), 6)]).toEqual([
      0, 8,
    ]);
    // Cells 0 and 9 (row 1, column 3) are in different boxes, rows and columns.
    expect(clashes(withCell(sudoku6, withCell(sudoku6, empty, 0, '5'), 9, '5'), 6).size).toBe(0);
    expect(boxEdges(6, 2)).toEqual({ right: true, below: false });
    expect(boxEdges(6, 6)).toEqual({ right: false, below: true });
    expect(boxEdges(6, 35)).toEqual({ right: false, below: false });
  });

  it('names what keeps a grid from the model', () => {
    expect(inputProblem(sudoku6, `55${'.'.repeat(34)}`)).toMatch(/A digit repeats/);
    expect(inputProblem(maze, ' '.repeat(25))).toMatch(/no start: pick Start/);
    const start = withCell(maze, ' '.repeat(25), 0, 'S');
    expect(inputProblem(maze, start)).toMatch(/no goal: pick Goal/);
    // Placing the start again moves it: there is never a second one.
    const moved = withCell(maze, withCell(maze, start, 24, 'G'), 6, 'S');
    expect([...moved].filter((c) => c === 'S')).toHaveLength(1);
    expect(inputProblem(maze, moved)).toBeUndefined();
    const walled = `S#   #${' '.repeat(18)}G`;
    expect(checkSolution(maze, walled).problem).toMatch(/cannot be reached/);
    expect(checkSolution(maze, moved).note).toMatch(/more than one shortest path/);
    // No clash, but column 3 holds 3 and 4, so the first row's third cell has no digit left.
    expect(checkSolution(kindOf('sudoku-4x4'), '12........3...4.').problem).toMatch(/no solution/);
    expect(checkSolution(sudoku6, '.'.repeat(36)).note).toMatch(/more than one solution/);
  });

  it('shows the examples: test puzzles of each solver with their one solution', () => {
    const test = {
      'sudoku-4x4': [...generateSudokus(1200, 0, { size: 4 })].slice(1000),
      'sudoku-6x6': [...generateSudokus(2200, 0, { size: 6 })].slice(2000),
      'maze-5x5': [...generateMazes(2200, 0, { size: 5 })].slice(2000),
    };
    for (const kind of KINDS) {
      kind.examples.forEach((ex) => {
        const row = test[kind.id][Number(/\d+$/.exec(ex.name)![0]) - 1]!;
        expect(ex.question).toBe(row.question);
        expect(inputProblem(kind, ex.question)).toBeUndefined();
        expect(checkSolution(kind, ex.question)).toEqual({ answer: row.answer });
      });
    }
  });

  it('encodes like the builders and decodes the model tokens to answer text', () => {
    const q = sudoku6.examples[0]!.question;
    expect([...encode(sudoku6, q)]).toEqual([...encodeSudoku(q)]);
    expect(decode(sudoku6, [0, 1, 2, 7, 8])).toBe('..16.');
    const m = maze.examples[0]!.question;
    expect([...encode(maze, m)]).toEqual([...encodeMaze(m)]);
    expect(decode(maze, encodeMaze(m))).toBe(m);
  });

  it('marks changed and wrong cells of a maze answer', () => {
    const question = 'S G';
    const k3 = { ...maze, size: 3 };
    const state = (k: number, answer: string, before?: string) =>
      cellState({ kind: k3, question, answer, before, solution: 'SoG' }, k);
    expect(state(1, 'SoG', 'S G')).toEqual({
      given: false,
      predicted: true,
      changed: true,
      wrong: false,
    });
    expect(state(1, 'S G')).toMatchObject({ predicted: false, changed: false, wrong: true });
  });
});
