import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGridCsv } from '../src/builders/grid-csv.js';
import { mazeCodec } from '../src/builders/maze-codec.js';
import { writePuzzleCsv } from '../src/generators/csv.js';
import { generateMaze, mazeHardPathLength, solveMaze } from '../src/generators/maze.js';
import { generateSudoku, generateSudokus } from '../src/generators/sudoku.js';
import { solveSudoku } from '../src/generators/sudoku-solver.js';
import { Rng } from '../src/rng.js';
import { tempDir } from './helpers.js';

/**
 * An independent solution counter: plain cell-order backtracking with explicit row, column
 * and box scans (no bitmasks, no cell ordering heuristics).
 */
function countSolutions(grid: number[], n: number, br: number, bc: number, limit = 2): number {
  const g = grid.slice();
  const allowed = (k: number, d: number) => {
    const r = Math.floor(k / n);
    const c = k % n;
    for (let i = 0; i < n; i++) if (g[r * n + i] === d || g[i * n + c] === d) return false;
    const r0 = r - (r % br);
    const c0 = c - (c % bc);
    for (let i = 0; i < br; i++)
      for (let j = 0; j < bc; j++) if (g[(r0 + i) * n + c0 + j] === d) return false;
    return true;
  };
  let count = 0;
  const go = (k: number): void => {
    if (count >= limit) return;
    if (k === n * n) {
      count++;
      return;
    }
    if (g[k] !== 0) {
      go(k + 1);
      return;
    }
    for (let d = 1; d <= n; d++) {
      if (!allowed(k, d)) continue;
      g[k] = d;
      go(k + 1);
      g[k] = 0;
    }
  };
  go(0);
  return count;
}

const BOXES: Record<number, [number, number]> = { 4: [2, 2], 6: [2, 3], 9: [3, 3] };

describe('Sudoku generator', () => {
  it.each([4, 6, 9] as const)(
    'generates size-%i puzzles with a unique solution (independent check)',
    (size) => {
      const [br, bc] = BOXES[size]!;
      for (const p of generateSudokus(size === 9 ? 6 : 15, 123, { size })) {
        expect(p.question).toHaveLength(size * size);
        const grid = Array.from(p.question, (ch) => (ch === '.' ? 0 : Number(ch)));
        expect(countSolutions(grid, size, br, bc)).toBe(1);
        const answer = Array.from(p.answer, Number);
        grid.forEach((d, k) => {
          if (d !== 0) expect(answer[k]).toBe(d);
        });
        expect(countSolutions(answer, size, br, bc)).toBe(1);
        expect(p.rating).toBe(solveSudoku(grid, size).guesses);
      }
    },
  );

  it('is deterministic and honours a minimum rating ("hard")', () => {
    const a = [...generateSudokus(3, 5)];
    const b = [...generateSudokus(3, 5)];
    expect(a).toEqual(b);
    const hard = generateSudoku(new Rng(1), { minRating: 30 });
    expect(hard.rating).toBeGreaterThanOrEqual(30);
    expect(() => generateSudoku(new Rng(1), { size: 4, minRating: 1000, maxAttempts: 3 })).toThrow(
      /no 4×4 Sudoku/,
    );
  });

  it('rates puzzles by solver effort', () => {
    const solved =
      '534678912672195348198342567859761423426853791713924856961537284287419635345286179';
    const oneBlank = `.${solved.slice(1)}`;
    const r = solveSudoku(
      Array.from(oneBlank, (c) => (c === '.' ? 0 : Number(c))),
      9,
    );
    expect(r.solutions).toBe(1);
    expect(r.guesses).toBe(0);
    expect(solveSudoku(new Array(81).fill(0), 9).solutions).toBe(2);
  });
});

/** Independent BFS that returns every shortest path length and the number of them. */
function bfsCount(q: string, n: number, s: number, g: number): { dist: number; count: number } {
  const dist = new Map<number, number>([[s, 0]]);
  const count = new Map<number, number>([[s, 1]]);
  let frontier = [s];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const k of frontier) {
      const r = Math.floor(k / n);
      const c = k % n;
      const nbrs = [
        r > 0 ? k - n : -1,
        r < n - 1 ? k + n : -1,
        c > 0 ? k - 1 : -1,
        c < n - 1 ? k + 1 : -1,
      ];
      for (const j of nbrs) {
        if (j < 0 || q[j] === '#') continue;
        if (!dist.has(j)) {
          dist.set(j, dist.get(k)! + 1);
          count.set(j, 0);
          next.push(j);
        }
        if (dist.get(j) === dist.get(k)! + 1) count.set(j, count.get(j)! + count.get(k)!);
      }
    }
    frontier = next;
  }
  return { dist: dist.get(g) ?? -1, count: count.get(g) ?? 0 };
}

describe('Maze generator', () => {
  const dir = tempDir();
  it('marks a path that is the unique shortest path from S to G', () => {
    const rng = new Rng(9);
    for (const size of [7, 15, 30]) {
      for (let i = 0; i < 5; i++) {
        const m = generateMaze(rng, { size });
        expect(m.question).toHaveLength(size * size);
        const s = m.question.indexOf('S');
        const g = m.question.indexOf('G');
        expect(m.question.split('S').length).toBe(2);
        expect(m.question.split('G').length).toBe(2);
        expect(m.question).not.toContain('o');
        const { dist, count } = bfsCount(m.question, size, s, g);
        expect(count).toBe(1);
        expect(m.rating).toBe(dist);
        // The marked cells form exactly that path: dist - 1 'o' cells, each adjacent chain S→G.
        const path = [...m.answer].flatMap((ch, k) => (ch === 'o' ? [k] : []));
        expect(path.length).toBe(dist - 1);
        const onPath = new Set([s, g, ...path]);
        const walk = bfsCount(
          [...m.answer].map((ch, k) => (onPath.has(k) ? ch : '#')).join(''),
          size,
          s,
          g,
        );
        expect(walk.dist).toBe(dist);
        for (let k = 0; k < size * size; k++) {
          if (!onPath.has(k)) expect(m.answer[k]).toBe(m.question[k]);
        }
        expect(solveMaze(m.question, size, s, g)!.shortestPaths).toBe(1);
      }
    }
  });

  it('meets the "hard" threshold (110 steps at 30×30) and writes builder-ready CSV', () => {
    expect(mazeHardPathLength(30)).toBe(110);
    const rng = new Rng(4);
    const mazes = Array.from({ length: 3 }, () => generateMaze(rng, { hard: true }));
    for (const m of mazes) expect(m.rating).toBeGreaterThanOrEqual(110);
    const path = join(dir, 'm.csv');
    writePuzzleCsv(path, mazes);
    const data = loadGridCsv(path, mazeCodec, { rng: new Rng(0) });
    expect([data.count, data.cells]).toEqual([3, 900]);
    expect(() =>
      generateMaze(new Rng(1), { size: 5, minPathLength: 1000, maxAttempts: 2 }),
    ).toThrow(/no 5×5 maze/);
  });
});
