/**
 * The evaluator contract shared by the trainer and every evaluator in this package.
 *
 * Everything here is host-side: batches and model outputs arrive as plain typed arrays that
 * the caller has already read back from the device.
 */

import type { ArcGrid } from '@trm/datasets';

/**
 * Label value that marks a position as "not scored" (§6 of the spec): the loader's
 * `IGNORE_LABEL_ID` of `@trm/datasets`, re-exported.
 */
export { IGNORE_LABEL_ID } from '@trm/datasets';

/**
 * One evaluation batch, as the data loader produced it (§10). Every per-token array is a
 * row-major `[batchSize, seqLen]` matrix flattened to one dimension.
 */
export interface EvalBatch {
  /** Input tokens, `[batchSize, seqLen]`. Padding rows hold `pad_id`. */
  inputs: Int32Array;
  /** Label tokens, `[batchSize, seqLen]`; unscored positions hold {@link IGNORE_LABEL_ID}. */
  labels: Int32Array;
  /** Puzzle identifier of each row, `[batchSize]`; padding rows hold `blank_identifier_id`. */
  puzzleIdentifiers: Int32Array;
  /** Rows in the batch (B). */
  batchSize: number;
  /** Tokens per row (the dataset's `seq_len`). */
  seqLen: number;
}

/**
 * What the model produced for an {@link EvalBatch} once every row halted. Extra named
 * outputs may ride along; evaluators ignore what they do not need.
 */
export interface EvalOutputs {
  /** Arg-max token per position, `[batchSize, seqLen]`. */
  preds: Int32Array;
  /** Halting logit per row, `[batchSize]` (before the sigmoid). */
  qHaltLogits: Float32Array;
  /** Continue logit per row, `[batchSize]`, when the model has one. */
  qContinueLogits?: Float32Array;
  /** Any further output, keyed by name. */
  [name: string]: Int32Array | Float32Array | Uint8Array | undefined;
}

/** Scalar results of an evaluator, keyed `<Evaluator>/<metric>` (e.g. `ARC/pass@2`). */
export type EvaluatorMetrics = Record<string, number>;

/**
 * An evaluator watches every evaluation batch and turns what it saw into metrics (and,
 * optionally, files) at the end. The loop is:
 *
 * ```ts
 * ev.begin();
 * for (const [batch, outputs] of evaluation) ev.update(batch, outputs);
 * const metrics = ev.result(saveDir);
 * ```
 */
export interface Evaluator {
  /** Registry name the evaluator was created under (e.g. `arc`). */
  readonly name: string;
  /** Names of batch/output fields `update` reads, so the caller knows what to read back. */
  readonly requiredOutputs: readonly string[];
  /** Called once before an evaluation pass. */
  begin(): void;
  /** Called with every evaluation batch and the model's outputs for it. */
  update(batch: EvalBatch, outputs: EvalOutputs): void;
  /**
   * Metrics of everything seen since `begin` (or since construction, for evaluators that
   * aggregate across passes). When `saveDir` is given, files the evaluator produces (e.g.
   * ARC's `submission.json`) are written there; the directory is created if missing.
   */
  result(saveDir?: string): EvaluatorMetrics;
}

/**
 * The subset of `dataset.json` (§10) evaluators need. `DatasetMetadata` from
 * `@trm/datasets` satisfies it.
 */
export interface EvalMetadata {
  /** Sequence length of each row. */
  seq_len: number;
  /** Identifier of padding rows (usually 0). */
  blank_identifier_id: number;
  /** Padding token (usually 0). */
  pad_id?: number;
}

/** Dataset context an evaluator is constructed with. */
export interface EvaluatorContext {
  /**
   * Root directory of the dataset (the one holding `identifiers.json` and, for ARC,
   * `test_puzzles.json`). Only read when the corresponding field below is absent.
   */
  datasetDir?: string;
  /** Metadata of the split being evaluated (`test/dataset.json`). */
  metadata: EvalMetadata;
  /** Contents of `identifiers.json` (entry 0 is `<blank>`); read from `datasetDir` if absent. */
  identifiers?: readonly string[];
  /** Contents of `test_puzzles.json` (ARC only); read from `datasetDir` if absent. */
  testPuzzles?: TestPuzzles;
}

/** An ARC grid: rows of colours 0..9 (`ArcGrid` of `@trm/datasets`). */
export type Grid = ArcGrid;

/** Original ARC test puzzles with solutions, keyed by puzzle name (`test_puzzles.json`). */
export type TestPuzzles = Record<
  string,
  { train?: { input: Grid; output?: Grid }[]; test: { input: Grid; output?: Grid }[] }
>;

/** Options given to an evaluator factory (the config entry without `name`). */
export type EvaluatorOptions = Record<string, unknown>;
