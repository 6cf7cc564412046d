export { ARC_CANVAS_SIZE, arcGridToCanvas, cropArcGrid } from './arc/crop.js';
export { ArcEvaluator, type ArcEvaluatorOptions } from './arc/evaluator.js';
export {
  type ArcSubmission,
  EMPTY_ATTEMPT,
  type SubmissionAttempts,
  validateSubmission,
} from './arc/submission.js';
export {
  DEFAULT_PASS_KS,
  passAtK,
  type RankedCandidate,
  rankVotes,
  sigmoid,
  type Vote,
} from './arc/voting.js';
export {
  type EvalBatch,
  type EvalMetadata,
  type EvalOutputs,
  type Evaluator,
  type EvaluatorContext,
  type EvaluatorMetrics,
  type EvaluatorOptions,
  type Grid,
  IGNORE_LABEL_ID,
  type TestPuzzles,
} from './interface.js';
export { loadIdentifiers, loadTestPuzzles } from './loaders.js';
export { isOptimalMazePath, MAZE_TOKENS, MazeEvaluator, shortestMazePath } from './maze.js';
export {
  type BatchMetricInputs,
  type BatchMetrics,
  computeBatchMetrics,
  type LossDenominator,
  MetricAccumulator,
  type MetricAccumulatorOptions,
  type MetricSums,
  metricSums,
} from './metrics.js';
export {
  createEvaluator,
  createEvaluators,
  type EvaluatorFactory,
  type EvaluatorSpec,
  evaluatorDatasetFiles,
  knownEvaluators,
  registerEvaluator,
  resolveEvaluatorName,
} from './registry.js';
export { RowRateEvaluator } from './row-rate.js';
export { isValidSudokuSolution, SUDOKU_DIGIT_OFFSET, SudokuEvaluator } from './sudoku.js';
export { formatWilson, type WilsonInterval, wilsonInterval, Z_95 } from './wilson.js';
