/**
 * `@trm/datasets`: build, validate, load and render Tiny Recursive Model datasets in the
 * PyTorch reference's on-disk format. No GPU and no other `@trm/*` package required.
 *
 * @packageDocumentation
 */

export {
  type ArcAugmentation,
  augmentedName,
  augmentGrid,
  gridHash,
  inverseAugment,
  PUZZLE_ID_SEPARATOR,
  parseAugmentedName,
} from './augment/arc.js';
export {
  ARC_AUGMENT_RETRIES_FACTOR,
  type ArcVariant,
  augmentFlatGrid,
  drawArcVariants,
  type FlatGrid,
  type FlatPair,
  toFlatGrid,
} from './augment/arc-variants.js';
export {
  type ColourMap,
  colourMapFromString,
  colourMapToString,
  inverseColourMap,
  mapColours,
  randomColourMap,
} from './augment/colour.js';
export {
  DIHEDRAL_INVERSE,
  type DihedralId,
  dihedralFlat,
  dihedralIndex,
  dihedralShape,
  dihedralTransform,
  inverseDihedral,
} from './augment/dihedral.js';
export { SudokuAugmenter, type SudokuGeometry, sudokuGeometry } from './augment/sudoku.js';
export {
  ARC_COLOUR_OFFSET,
  ARC_EOS,
  ARC_PAD,
  ARC_SEQ_LEN,
  ARC_VOCAB_SIZE,
  type ArcBuildOptions,
  buildArcDataset,
  placeArcGrid,
  placeArcPair,
} from './builders/arc.js';
export {
  ARC_PREDICT_DEFAULT_AUG,
  type ArcPredictionOptions,
  type ArcPredictionRow,
  type ArcPredictionTask,
  type ArcPredictionVariant,
  arcPredictionRowCount,
  arcPredictionRows,
  planArcPrediction,
} from './builders/arc-prediction.js';
export type { BuildProgress, BuildResult } from './builders/common.js';
export {
  buildMazeDataset,
  MAZE_HUB_REPO,
  type MazeBuildOptions,
} from './builders/maze.js';
export { encodeMaze, MAZE_CHARSET, mazeText } from './builders/maze-codec.js';
export { type CsvSource, resolveCsvSource } from './builders/source.js';
export {
  buildSudokuDataset,
  SUDOKU_HUB_REPO,
  type SudokuBuildOptions,
} from './builders/sudoku.js';
export { encodeSudoku, sudokuSolutionProblem } from './builders/sudoku-codec.js';
export { forEachPuzzleCsvRow, PUZZLE_CSV_HEADER, type PuzzleCsvRow } from './csv/reader.js';
export {
  DatasetError,
  DatasetValidationError,
  HubError,
  NpyError,
  SourceDataError,
} from './errors.js';
export * from './format/index.js';
export * from './generators/index.js';
export * from './hub/index.js';
export * from './loader/index.js';
export * from './npy/index.js';
export * from './render/index.js';
export { Rng } from './rng.js';
