/**
 * The puzzle kinds of the live demo (src/demo.md) and what the page checks and shows of a
 * grid, without the model: plain code that also runs when VitePress renders the page in Node.
 *
 * A grid is text, one character per cell row by row, as in the datasets' CSV files: a Sudoku
 * question holds `1`–`n` and `.` for a blank; a maze holds `#` (wall), space (open), `S`
 * (start) and `G` (goal), and its answer marks the path with `o`.
 */

/** Which solver a puzzle is for. */
export type KindId = 'sudoku-4x4' | 'sudoku-6x6' | 'maze-5x5';

/** A kind of puzzle the demo solves, with the shape of the model that solves it. */
export interface PuzzleKind {
  id: KindId;
  /** What the page calls it. */
  label: string;
  family: 'sudoku' | 'maze';
  /** Side length of the square grid. */
  size: number;
  /** The dataset's vocabulary size (pad, then one token per cell character). */
  vocabSize: number;
  /**
   * Test puzzles of the solver's own data. The Sudokus never occur in training; there are so
   * few 5×5 perfect mazes that every test maze does (itself or turned or mirrored).
   */
  examples: readonly { name: string; question: string }[];
}

/**
 * The three kinds. Examples are test puzzles of each solver's training data, as `pnpm trm
 * generate` writes them with the preset's recipe (size, counts, seed 0): the first ones, except
 * for 6×6, where two of the three are among those its solver gets right (it solves a third of
 * them), so that the page shows a solve as well as a near miss.
 */
export const KINDS: readonly PuzzleKind[] = [
  {
    id: 'sudoku-4x4',
    label: '4×4 Sudoku',
    family: 'sudoku',
    size: 4,
    vocabSize: 6,
    examples: [
      { name: 'Test puzzle 1', question: '.3..1.3...12....' },
      { name: 'Test puzzle 2', question: '......1.2...1..3' },
      { name: 'Test puzzle 3', question: '...23....1....4.' },
    ],
  },
  {
    id: 'sudoku-6x6',
    label: '6×6 Sudoku',
    family: 'sudoku',
    size: 6,
    vocabSize: 8,
    examples: [
      { name: 'Test puzzle 1', question: '.......2.5..1....3..241...1....54.2.' },
      { name: 'Test puzzle 4', question: '........3.54.6..4..32...6..3.5......' },
      { name: 'Test puzzle 5', question: '......2...413.......4.2..3.1....2..6' },
    ],
  },
  {
    id: 'maze-5x5',
    label: '5×5 maze',
    family: 'maze',
    size: 5,
    vocabSize: 6,
    examples: [
      { name: 'Test maze 1', question: ' G   ## # S# #  ###      ' },
      { name: 'Test maze 2', question: ' #  S # ##   #  ###G     ' },
      { name: 'Test maze 3', question: '   #  # # S#   #### G    ' },
    ],
  },
];

/** What a click on a maze cell does: toggle wall and open, or place the start or the goal. */
export type MazeTool = 'wall' | 'start' | 'goal';

/** The kind with this id. */
export function kindOf(id: KindId): PuzzleKind {
  return KINDS.find((k) => k.id === id)!;
}

/** Rows and columns of a Sudoku box: 2×2, 2×3 or 3×3. */
export function sudokuBox(n: number): { rows: number; cols: number } {
  const rows = n === 6 ? 2 : Math.round(Math.sqrt(n));
  return { rows, cols: n / rows };
}

/** Whether cell `k` of an n×n grid has a thick border on its right and below (box edges). */
export function boxEdges(n: number, k: number): { right: boolean; below: boolean } {
  const { rows, cols } = sudokuBox(n);
  const r = Math.floor(k / n);
  const c = k % n;
  return {
    right: c % cols === cols - 1 && c < n - 1,
    below: r % rows === rows - 1 && r < n - 1,
  };
}

/** The cells that break a rule among a Sudoku's digits (a digit twice in a row, column or box). */
export function clashes(question: string, n: number): Set<number> {
  const { rows, cols } = sudokuBox(n);
  const box = (k: number) =>
    Math.floor(Math.floor(k / n) / rows) * (n / cols) + Math.floor((k % n) / cols);
  const out = new Set<number>();
  for (let a = 0; a < question.length; a++) {
    for (let b = a + 1; b < question.length; b++) {
      if (question[a] === '.' || question[a] !== question[b]) continue;
      const sameRow = Math.floor(a / n) === Math.floor(b / n);
      const sameCol = a % n === b % n;
      if (sameRow || sameCol || box(a) === box(b)) {
        out.add(a);
        out.add(b);
      }
    }
  }
  return out;
}

/**
 * Why the model cannot be asked about `question` as it stands, in words for the reader, or
 * undefined when it can: a Sudoku with a repeated digit, a maze without exactly one start and
 * one goal. (Whether the goal can be reached is checked with the maze solver, see codecs.ts.)
 */
export function inputProblem(kind: PuzzleKind, question: string): string | undefined {
  if (kind.family === 'sudoku') {
    const clash = clashes(question, kind.size);
    if (clash.size === 0) return undefined;
    return `A digit repeats in a row, column or box (the cells in red). Change or clear one of them: a Sudoku has each digit once per row, column and box.`;
  }
  const count = (ch: string) => [...question].filter((c) => c === ch).length;
  for (const [ch, name, tool] of [
    ['S', 'start', 'Start'],
    ['G', 'goal', 'Goal'],
  ] as const) {
    const n = count(ch);
    if (n === 0) return `The maze has no ${name}: pick ${tool} and click an open cell.`;
    if (n > 1) return `The maze has ${n} ${name}s; it needs exactly one.`;
  }
  return undefined;
}

/** A blank grid of the kind: an empty Sudoku, or a maze with no walls, start or goal. */
export function emptyGrid(kind: PuzzleKind): string {
  return (kind.family === 'sudoku' ? '.' : ' ').repeat(kind.size * kind.size);
}

/** How one cell of a step's answer compares with the puzzle, the step before and the solution. */
export interface CellState {
  /** A Sudoku digit of the puzzle, or a maze's wall, start or goal. */
  given: boolean;
  /** The model puts a digit here (Sudoku) or marks the cell as path (maze). */
  predicted: boolean;
  /** Differs from the step before. */
  changed: boolean;
  /** Differs from the solution (when the puzzle has exactly one). */
  wrong: boolean;
}

/**
 * Where the site serves a kind's checkpoint: `scripts/showcase.mjs` copies each of its
 * `DEMO_CHECKPOINTS` there at every build.
 */
export function checkpointUrl(kind: KindId): string {
  return `/generated/demo/${kind}.safetensors`;
}

/** What a grid of the demo shows: a puzzle, a step's answer, the step before and the solution. */
export interface GridView {
  kind: PuzzleKind;
  question: string;
  /** The shown step's answer text; undefined before the first step. */
  answer: string | undefined;
  /** The answer of the step before, when there is one. */
  before: string | undefined;
  /** The solution's text, when known. */
  solution: string | undefined;
}

/** The state of cell `k` of a grid's answer. */
export function cellState(view: GridView, k: number): CellState {
  const { kind, question, answer, before, solution } = view;
  const q = question[k]!;
  const a = answer?.[k];
  if (kind.family === 'sudoku') {
    const given = q !== '.';
    return {
      given,
      predicted: !given && a !== undefined && a !== '.',
      changed: !given && a !== undefined && before !== undefined && before[k] !== a,
      wrong: !given && a !== undefined && solution !== undefined && solution[k] !== a,
    };
  }
  return {
    given: q !== ' ',
    predicted: a === 'o',
    changed: a !== undefined && before !== undefined && before[k] !== a,
    wrong: a !== undefined && solution !== undefined && solution[k] !== a,
  };
}

/**
 * `question` with cell `k` set to `ch`. A maze keeps one start and one goal: placing `S` or
 * `G` moves it there from wherever it was.
 */
export function withCell(kind: PuzzleKind, question: string, k: number, ch: string): string {
  const cells = [...question];
  if (kind.family === 'maze' && (ch === 'S' || ch === 'G')) {
    for (let i = 0; i < cells.length; i++) if (cells[i] === ch) cells[i] = ' ';
  }
  cells[k] = ch;
  return cells.join('');
}
