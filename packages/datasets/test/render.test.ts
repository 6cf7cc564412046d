import { describe, expect, it } from 'vitest';
import { MAZE_CHARSET } from '../src/builders/maze-codec.js';
import { generateMaze } from '../src/generators/maze.js';
import { renderArcSvg, renderMazeSvg, renderSudokuSvg } from '../src/render/svg.js';
import { renderArcText, renderMazeText, renderSudokuText } from '../src/render/text.js';
import { Rng } from '../src/rng.js';
import { sudokuTokens } from './helpers.js';

const q = '53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79';
const a = '534678912672195348198342567859761423426853791713924856961537284287419635345286179';

describe('text rendering', () => {
  it('draws a Sudoku with box separators', () => {
    const text = renderSudokuText(sudokuTokens(q));
    const lines = text.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('5 3 . | . 7 . | . . .');
    expect(lines[3]).toBe('------+-------+------');
    expect(renderSudokuText(sudokuTokens('1234341221434321'))).toBe(
      '1 2 | 3 4\n3 4 | 1 2\n----+----\n2 1 | 4 3\n4 3 | 2 1',
    );
  });

  it('counts and colours cells that differ from a reference', () => {
    const wrong = sudokuTokens(a);
    wrong[0] = 2;
    expect(renderSudokuText(wrong, { compareTo: sudokuTokens(a) })).toMatch(/1 cell differ/);
    expect(renderSudokuText(wrong, { compareTo: sudokuTokens(a), ansi: true })).toContain(
      '\x1b[31;1m1\x1b[0m',
    );
    expect(renderSudokuText(sudokuTokens(a), { compareTo: sudokuTokens(a) })).toMatch(
      /matches the reference$/,
    );
  });

  it('draws mazes and ARC grids', () => {
    const m = generateMaze(new Rng(2), { size: 9 });
    const tokens = Uint8Array.from(m.answer, (ch) => MAZE_CHARSET.indexOf(ch) + 1);
    expect(renderMazeText(tokens).replace(/\n/g, '')).toBe(m.answer);
    expect(
      renderArcText([
        [0, 1],
        [2, 3],
      ]),
    ).toBe('0 1\n2 3');
    expect(renderArcText([[4]], { ansi: true })).toContain('\x1b[48;5;');
  });
});

describe('SVG rendering', () => {
  it('produces well-formed SVG for each puzzle type', () => {
    const s = renderSudokuSvg(sudokuTokens(a), { givens: sudokuTokens(q), title: 'Sudoku <1>' });
    expect(s.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="216" height="216"')).toBe(
      true,
    );
    expect(s).toContain('<title>Sudoku &#60;1&#62;</title>');
    expect(s.match(/<text /g)).toHaveLength(81);
    expect(s.match(/font-weight="bold"/g)).toHaveLength(q.replace(/\./g, '').length);
    const m = generateMaze(new Rng(2), { size: 9 });
    const maze = renderMazeSvg(Uint8Array.from(m.answer, (ch) => MAZE_CHARSET.indexOf(ch) + 1));
    expect(maze.match(/fill="#0074d9"/g)).toHaveLength(m.rating - 1);
    const arc = renderArcSvg([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(arc).toContain('width="48" height="32"');
    expect(arc.match(/<rect /g)).toHaveLength(6);
    expect(arc).toContain('#0074D9');
  });
});
