/**
 * `@trm/datasets` in a browser (the `browser` export condition): the parts that need no file
 * system. Sudoku tokens as the builder writes them, the Sudoku generator and solver, the seeded
 * random numbers they draw from, and the SVG renderers. Building, loading and downloading
 * datasets are Node's.
 *
 * @packageDocumentation
 */

export { SudokuAugmenter, type SudokuGeometry, sudokuGeometry } from './augment/sudoku.js';
export { encodeSudoku, sudokuSolutionProblem } from './builders/sudoku-codec.js';
export type { GeneratedPuzzle } from './generators/csv.js';
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
