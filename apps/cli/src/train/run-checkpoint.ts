import type { DatasetMetadata, PuzzleDataset } from '@trm/datasets';
import {
  checkpointBudget,
  loadWeightsInto,
  readModelCheckpoint,
  type TinyRecursiveModel,
} from '@trm/model';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { isHubFileId } from '../util/hub-id.js';
import { latestResumePoint, saveTrainingCheckpoint, type TrainingState } from './checkpoints.js';
import { fetchHubCheckpoint, fitError } from './load-model.js';
import { createEma, type Optimizers, type TrainedWeights } from './optimizers.js';
import { bestStateFile, bestWeightsFile } from './run-dir.js';
import type { TrainRun } from './train-run.js';

/**
 * Saves the run's checkpoint after `iteration` iterations (rank 0 calls it): the model's
 * weights (the EMA's while they are swapped in, the trained ones then in `rawWeights`), the
 * optimiser and EMA state, and where the run is, so that `--resume` goes on from here.
 */
export async function saveCheckpoint(
  run: TrainRun,
  iteration: number,
  rawWeights: TrainedWeights | null,
): Promise<void> {
  const state = await trainingState(run, iteration, rawWeights);
  const path = await saveTrainingCheckpoint(run.runDir, run.model, state, run.names);
  run.checkpoints.push(path);
  run.output.note(`checkpoint ${path}`);
}

/**
 * Saves the checkpoint after `iteration` as one of the best (`checkpoint_keep_best`):
 * `best_step_<N>.safetensors` and its state file, written as {@link saveCheckpoint} writes
 * `step_<N>` (state first, each atomically), so a best checkpoint can be resumed or loaded too.
 */
export async function saveBestCheckpoint(
  run: TrainRun,
  iteration: number,
  rawWeights: TrainedWeights | null,
): Promise<string> {
  const state = await trainingState(run, iteration, rawWeights);
  return saveTrainingCheckpoint(run.runDir, run.model, state, run.names, {
    weights: bestWeightsFile,
    state: bestStateFile,
  });
}

async function trainingState(
  run: TrainRun,
  iteration: number,
  rawWeights: TrainedWeights | null,
): Promise<TrainingState> {
  const { adam, ema, scaler } = run.optimizers;
  return {
    step: run.step,
    iteration,
    loaderIteration: run.trainSet.iteration,
    adam: adam ? await adam.stateDict() : null,
    ema: ema ? await ema.stateDict() : null,
    rawWeights,
    lossScale: scaler ? scaler.state() : null,
  };
}

/** Where a run starts: the optimiser steps already taken and the next iteration. */
export interface StartPoint {
  step: number;
  firstIteration: number;
}

/**
 * `--resume`: restores the run from the newest complete checkpoint of its directory — the
 * trained weights, the Adam moments, the EMA shadow (when `config.ema`), the loss scale (f16),
 * the step, the iteration and the loader's shuffle counter — so it goes on exactly as the
 * uninterrupted run does. Unreadable checkpoints are skipped with a warning.
 */
export async function resumeRun(args: {
  io: CliIO;
  model: TinyRecursiveModel;
  optimizers: Optimizers;
  trainSet: PuzzleDataset;
  config: TrainConfig;
  runDir: string;
  iterations: number;
}): Promise<StartPoint> {
  const { io, model, optimizers, trainSet, config, runDir, iterations } = args;
  const { params, adam } = optimizers;
  const skipped: string[] = [];
  const point = await latestResumePoint(runDir, skipped, checkpointBudget(model));
  for (const s of skipped) io.stderr.write(`warning: skipping unreadable checkpoint ${s}\n`);
  if (!point)
    throw new InputError(
      `--resume ${runDir}: no complete checkpoint (step_<N>.safetensors with its .state file) to resume from.`,
    );
  const raw = point.state.rawWeights;
  loadWeightsInto(model, point.weights.weights);
  if (raw) {
    for (const [name, p] of params) if (raw[name]) p.assign(raw[name]!);
  }
  if (adam && point.state.adam) adam.loadStateDict(point.state.adam);
  if (optimizers.scaler && point.state.lossScale)
    optimizers.scaler.loadState(point.state.lossScale);
  const step = point.state.step;
  const firstIteration = point.state.iteration;
  trainSet.iteration = point.state.loaderIteration;
  if (config.ema) {
    const ema = createEma(optimizers, config);
    if (point.state.ema) ema.loadStateDict(point.state.ema);
    optimizers.ema = ema;
  }
  io.stderr.write(
    `resuming ${runDir} at step ${step} (iteration ${firstIteration} of ${iterations})\n`,
  );
  return { step, firstIteration };
}

/**
 * `load_checkpoint`: initialises a new run's model from a checkpoint (a local file, or a hub
 * file `owner/repo/filename`); a checkpoint that does not fit the dataset's model is an input
 * error naming what disagrees.
 */
export async function loadInitialWeights(args: {
  io: CliIO;
  model: TinyRecursiveModel;
  config: TrainConfig;
  metadata: DatasetMetadata;
  resolve: (path: string) => string;
}): Promise<void> {
  const { io, model, config, metadata, resolve } = args;
  const source = config.load_checkpoint!;
  const path = isHubFileId(source, io.cwd) ? await fetchHubCheckpoint(source, io) : resolve(source);
  const ckpt = await readModelCheckpoint(path, {
    maxTensorBytes: checkpointBudget(model),
  });
  try {
    loadWeightsInto(model, ckpt.weights);
  } catch (error) {
    throw fitError(error, path, metadata, config.data_paths[0] ?? '', {
      checkpointKeys: ckpt.weights.keys(),
      ownKeys: model.stateDict().keys(),
    });
  }
  io.stderr.write(`initialised from ${source}\n`);
}
