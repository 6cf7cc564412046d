/**
 * `trm predict arc`, the running side: finds the puzzles' trained identifiers, runs every
 * augmented test input to halting as `trm eval` does, and lets the ARC evaluator invert,
 * vote and build the submission. Its input, the checked options, comes from ./predict-arc.ts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ARC_PREDICT_DEFAULT_AUG,
  ARC_SEQ_LEN,
  ARC_VOCAB_SIZE,
  type ArcPredictionTask,
  type ArcPuzzleSet,
  arcPredictionRowCount,
  arcPredictionRows,
  BLANK_IDENTIFIER,
  type DatasetMetadata,
  planArcPrediction,
  readIdentifiers,
  readMetadata,
  writeFileAtomic,
} from '@trm/datasets';
import { ArcEvaluator, validateSubmission } from '@trm/evaluators';
import {
  IGNORE_LABEL,
  PUZZLE_EMB_KEY,
  readCheckpointMetadata,
  readModelCheckpoint,
  type TinyRecursiveModel,
  type TrmConfig,
} from '@trm/model';
import { invocation, spellCommands } from '../cli/invocation.js';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { predictToHalting } from '../train/evaluate-model.js';
import { loadModelForDataset } from '../train/load-model.js';
import { openDevice } from '../train/model-setup.js';
import { createProgress } from '../util/progress.js';
import { checkpointConfig, localCheckpoint } from './checkpoint-arg.js';
import { plural } from './common.js';
import type { PredictArcOptions } from './predict-arc.js';

/** Where the puzzles' trained identifiers come from, when they come from anywhere. */
interface TrainedIds {
  /** The dataset directory holding identifiers.json. */
  dataset: string;
  metadata: DatasetMetadata;
  identifiers: string[];
}

/** What the model is built for: an ARC canvas, and the checkpoint's puzzle-embedding rows. */
function arcMetadata(numPuzzleIdentifiers: number): DatasetMetadata {
  return {
    pad_id: 0,
    ignore_label_id: 0,
    blank_identifier_id: 0,
    vocab_size: ARC_VOCAB_SIZE,
    seq_len: ARC_SEQ_LEN,
    num_puzzle_identifiers: numPuzzleIdentifiers,
    total_groups: 0,
    mean_puzzle_examples: 0,
    total_puzzles: 0,
    sets: ['all'],
  };
}

/** Refuses a checkpoint whose header says it is not an ARC model (a Sudoku or maze one). */
function checkArcModel(header: TrmConfig | undefined, path: string): void {
  if (!header) return;
  if (header.seq_len !== ARC_SEQ_LEN || header.vocab_size !== ARC_VOCAB_SIZE)
    throw new InputError(
      `${basename(path)} is not an ARC model: it was trained on sequences of ${header.seq_len} tokens from a vocabulary of ${header.vocab_size}, and ARC needs ${ARC_SEQ_LEN} (a 30×30 canvas) from ${ARC_VOCAB_SIZE}. Give a checkpoint trained on an ARC dataset (trm build-dataset arc).`,
      { file: path },
    );
}

/**
 * The trained identifiers: those of --dataset, else of the checkpoint config's single data
 * path when it is there and has identifiers.json. Returns the reason when there are none.
 */
function findTrainedIds(
  options: PredictArcOptions,
  config: TrainConfig,
  io: CliIO,
  header: TrmConfig | undefined,
): TrainedIds | { none: string } {
  if (options.blankIds) return { none: '--blank-ids' };
  let dataset = options.dataset;
  if (dataset === undefined) {
    if (config.data_paths.length !== 1)
      return {
        none: `the checkpoint's config has ${config.data_paths.length} data_paths (pass --dataset to name the one with identifiers.json)`,
      };
    dataset = resolve(io.cwd, config.data_paths[0]!);
    if (!existsSync(join(dataset, 'identifiers.json')))
      return {
        none: `no identifiers.json in ${config.data_paths[0]} (the checkpoint's data_paths)`,
      };
  }
  const idFile = join(dataset, 'identifiers.json');
  if (!existsSync(idFile))
    throw new InputError(
      `--dataset ${dataset} has no identifiers.json: give the dataset the checkpoint was trained on (built by trm build-dataset arc), or leave --dataset out.`,
      { file: dataset },
    );
  const metaFile = ['train', 'test']
    .map((split) => join(dataset, split, 'dataset.json'))
    .find((f) => existsSync(f));
  if (metaFile === undefined)
    throw new InputError(
      `${dataset} has identifiers.json but no train/dataset.json or test/dataset.json: it is not a dataset of trm build-dataset arc.`,
      { file: dataset },
    );
  const metadata = readMetadata(metaFile);
  if (metadata.seq_len !== ARC_SEQ_LEN || metadata.vocab_size !== ARC_VOCAB_SIZE)
    throw new InputError(
      `${dataset} is not an ARC dataset (seq_len ${metadata.seq_len}, vocab_size ${metadata.vocab_size}; ARC has ${ARC_SEQ_LEN} and ${ARC_VOCAB_SIZE}): give the ARC dataset the checkpoint was trained on.`,
      { file: metaFile },
    );
  const identifiers = readIdentifiers(idFile);
  const rows = header?.num_puzzle_identifiers;
  if (rows !== undefined && rows !== identifiers.length)
    throw new InputError(
      `${idFile} names ${identifiers.length} puzzle identifiers but the checkpoint's puzzle embedding has ${rows} rows, so it was trained on another dataset. Pass --dataset with the one it was trained on, or --blank-ids to predict without trained identifiers.`,
      { file: idFile },
    );
  return { dataset, metadata, identifiers };
}

/** The puzzle-embedding rows of a checkpoint without a config header (a torch.save file). */
async function puzzleEmbeddingRows(path: string): Promise<number> {
  const { weights } = await readModelCheckpoint(path);
  return weights.get(PUZZLE_EMB_KEY)?.shape[0] ?? 1;
}

/**
 * Runs every row of a plan to halting, `batchSize` rows at a time (the last batch padded as
 * the dataset loader pads: PAD inputs, the blank identifier), and feeds each batch to an ARC
 * evaluator of the challenges' puzzles, which it returns with every vote cast.
 */
async function voteOverVariants(
  model: TinyRecursiveModel,
  plan: readonly ArcPredictionTask[],
  puzzles: ArcPuzzleSet,
  batchSize: number,
  onProgress: (rowsDone: number) => void,
): Promise<ArcEvaluator> {
  // The evaluator knows each row by its variant's name (to invert it), while the model sees
  // the row's trained or blank identifier.
  const variantNames = [BLANK_IDENTIFIER, ...plan.flatMap((t) => t.variants.map((v) => v.name))];
  const variantIndex = new Map(variantNames.map((name, i) => [name, i]));
  const evaluator = new ArcEvaluator({
    metadata: { seq_len: ARC_SEQ_LEN, blank_identifier_id: 0 },
    identifiers: variantNames,
    testPuzzles: puzzles,
  });
  const S = ARC_SEQ_LEN;
  const inputs = new Int32Array(batchSize * S);
  const modelIds = new Int32Array(batchSize);
  const evalIds = new Int32Array(batchSize);
  const labels = new Int32Array(batchSize * S).fill(IGNORE_LABEL);
  let filled = 0;
  let done = 0;
  const flush = async () => {
    inputs.fill(0, filled * S);
    modelIds.fill(0, filled);
    evalIds.fill(0, filled);
    const out = await predictToHalting(model, { inputs, labels, puzzleIdentifiers: modelIds });
    evaluator.update(
      { inputs, labels, puzzleIdentifiers: evalIds, batchSize, seqLen: S },
      { preds: out.preds, qHaltLogits: out.qHalt, qContinueLogits: out.qContinue },
    );
    done += filled;
    filled = 0;
    onProgress(done);
  };
  for (const row of arcPredictionRows(plan)) {
    inputs.set(row.tokens, filled * S);
    modelIds[filled] = row.puzzleIdentifier;
    evalIds[filled] = variantIndex.get(row.variant)!;
    filled++;
    if (filled === batchSize) await flush();
  }
  if (filled > 0) await flush();
  return evaluator;
}

/**
 * Runs `trm predict arc`: every test input of every puzzle under each of its variants, to
 * halting; the ARC evaluator inverts the augmentations, votes and builds the submission,
 * which is written to `options.out` only when complete.
 */
export async function runPredictArc(options: PredictArcOptions, io: CliIO): Promise<number> {
  const started = Date.now();
  const path = await localCheckpoint(options.checkpoint, io, '--checkpoint');
  const { config } = checkpointConfig(path, io, options.overrides);
  const header = (await readCheckpointMetadata(path)).config;
  checkArcModel(header, path);
  const trained = findTrainedIds(options, config, io, header);
  const ids = 'none' in trained ? undefined : trained;
  let plan: ArcPredictionTask[];
  try {
    plan = planArcPrediction(options.puzzles, {
      ...(ids ? { identifiers: ids.identifiers } : {}),
      ...(options.numAug !== undefined ? { numAug: options.numAug } : {}),
      seed: options.seed,
    });
  } catch (error) {
    // Only trained identifiers can be malformed: drawn variants are ours.
    if (!ids) throw error;
    throw new InputError(
      `${join(ids.dataset, 'identifiers.json')}: ${(error as Error).message}: it does not name ARC puzzle variants. Pass --dataset with the ARC dataset the checkpoint was trained on, or --blank-ids.`,
      { file: ids.dataset, cause: error },
    );
  }
  const untrained = plan.filter((t) => !t.trained);
  if (untrained.length > 0) {
    const why =
      'none' in trained ? trained.none : `not named in ${join(ids!.dataset, 'identifiers.json')}`;
    io.stderr.write(
      spellCommands(
        `note: ${untrained.length} of ${plural(plan.length, 'puzzle')} had no trained puzzle embedding (${why}): predicted with the blank identifier 0 under up to ${plural(options.numAug ?? ARC_PREDICT_DEFAULT_AUG, 'drawn augmentation')} each; trm adapt trains embeddings for new puzzles.\n`,
        invocation(io.env),
      ),
    );
  }
  const metadata =
    ids?.metadata ??
    arcMetadata(header?.num_puzzle_identifiers ?? (await puzzleEmbeddingRows(path)));
  const batchSize = options.globalBatchSize ?? config.global_batch_size;
  const totalRows = arcPredictionRowCount(plan);
  const device = await openDevice();
  try {
    const { model } = await loadModelForDataset({
      path,
      config,
      overrides: options.overrides,
      metadata,
      datasetDir: ids?.dataset ?? 'ARC challenges',
      batchSize,
      choice: { applyEma: true },
    });
    model.eval();
    io.stderr.write(
      `predicting ${plural(totalRows, 'augmented test input')} of ${plural(plan.length, 'puzzle')} with ${basename(path)}: ${model.parameterCount().toLocaleString('en-US')} parameters, batch ${batchSize}\n`,
    );
    const progress = createProgress(io.stderr, 'predicting');
    let evaluator: ArcEvaluator;
    try {
      evaluator = await voteOverVariants(model, plan, options.puzzles, batchSize, (done) =>
        progress.update(done, totalRows),
      );
    } catch (error) {
      progress.stop();
      throw error;
    }
    progress.finish();
    model.dispose();
    evaluator.result();
    const submission = evaluator.submission!;
    const problems = validateSubmission(submission, options.puzzles);
    if (problems.length > 0)
      throw new Error(`the submission came out malformed: ${problems.slice(0, 3).join('; ')}`);
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileAtomic(options.out, JSON.stringify(submission));
  } finally {
    await device.sync().catch(() => undefined);
    device.destroy();
  }
  const tests = plan.reduce((n, t) => n + t.puzzle.test.length, 0);
  io.stdout.write(
    `wrote ${options.out}: ${plural(plan.length, 'puzzle')}, ${plural(tests, 'test input')}, 2 attempts each, voted over ${plural(totalRows, 'prediction')} (${plan.length - untrained.length} puzzles with trained identifiers) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
  return 0;
}
