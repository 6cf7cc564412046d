/**
 * `@trm/datasets` in a browser (the `browser` export condition): the parts that need no file
 * system. Sudoku and maze tokens as the builders write them, the Sudoku and maze generators and
 * solvers, the seeded random numbers they draw from, and the SVG renderers. Building, loading and downloading
 * datasets are Node's.
 *
 * @packageDocumentation
 */

export { SudokuAugmenter, type SudokuGeometry, sudokuGeometry } from './augment/sudoku.js';
export { encodeMaze, MAZE_CHARSET, mazeText } from './builders/maze-codec.js';
export { encodeSudoku, sudokuSolutionProblem } from './builders/sudoku-codec.js';
export type { GeneratedPuzzle } from './generators/csv.js';
export {
  generateMaze,
  type MazeGeneratorOptions,
  type MazeSolution,
  solveMaze,
} from './generators/maze.js';
export {
  generateSudoku,
  generateSudokus,
  SUDOKU_HARD_RATING,
  type SudokuGeneratorOptions,
} from './generators/sudoku.js';
export { type SudokuSolveResult, solveSudoku } from './generators/sudoku-solver.js';
export {
  ARC_PALETTE,
  renderArcSvg,
  renderMazeSvg,
  renderSudokuSvg,
  type SvgRenderOptions,
} from './render/svg.js';
export { Rng } from './rng.js';
