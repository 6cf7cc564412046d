export { type GeneratedPuzzle, writePuzzleCsv, writePuzzleCsvSplits } from './csv.js';
export {
  generateMaze,
  generateMazes,
  type MazeGeneratorOptions,
  type MazeSolution,
  mazeHardPathLength,
  solveMaze,
} from './maze.js';
export {
  generateSudoku,
  generateSudokus,
  SUDOKU_HARD_RATING,
  type SudokuGeneratorOptions,
} from './sudoku.js';
export { type SudokuSolveResult, solveSudoku } from './sudoku-solver.js';
