import {
  type HostTensor,
  type HostTensorInput,
  loadCheckpoint,
  readModelCheckpoint,
  saveModelCheckpoint,
  saveSafetensors,
  type TinyRecursiveModel,
} from '@trm/model';
import type { AdamState, GradScalerState } from '@trm/optim';
import { listCheckpoints, stateFile, weightsFile } from './run-dir.js';

/** Where a run is in its schedule; saved in every checkpoint. */
export interface TrainingProgress {
  /** Optimiser steps taken. */
  step: number;
  /** Completed training iterations (eval_interval epochs each). */
  iteration: number;
  /** Data-loader iteration counter (seeds the next shuffle). */
  loaderIteration: number;
}

/** Everything beyond the model weights that a resumed run needs. */
export interface TrainingState extends TrainingProgress {
  adam: AdamState | null;
  /** EMA shadow; when present, the weights file holds it and `rawWeights` the trained values. */
  ema: Record<string, Float32Array> | null;
  rawWeights: Record<string, Float32Array> | null;
  /** The loss scaler of a model in f16 (absent in older checkpoints). */
  lossScale?: GradScalerState | null;
}

/**
 * Writes a checkpoint: the training state first, then the weights (each atomically: temp
 * file, fsync, rename). A checkpoint counts only when both exist, so a process killed at any
 * moment leaves the previous checkpoint whole.
 */
export async function saveTrainingCheckpoint(
  dir: string,
  model: TinyRecursiveModel,
  state: TrainingState,
  meta: Record<string, unknown>,
  files: { weights: typeof weightsFile; state: typeof stateFile } = {
    weights: weightsFile,
    state: stateFile,
  },
): Promise<string> {
  const tensors = new Map<string, HostTensorInput>();
  const put = (prefix: string, record: Record<string, Float32Array> | null) => {
    for (const [name, data] of Object.entries(record ?? {})) {
      tensors.set(`${prefix}${name}`, { dtype: 'F32', shape: [data.length], data });
    }
  };
  put('adam/m/', state.adam?.m ?? null);
  put('adam/v/', state.adam?.v ?? null);
  put('ema/', state.ema);
  put('raw/', state.rawWeights);
  const progress = {
    step: state.step,
    iteration: state.iteration,
    loaderIteration: state.loaderIteration,
    adamStep: state.adam?.step ?? 0,
    hasAdam: state.adam !== null,
    ...(state.lossScale ? { lossScale: state.lossScale } : {}),
  };
  await saveSafetensors(files.state(dir, state.step), tensors, {
    format: 'trm-train-state',
    progress: JSON.stringify(progress),
  });
  const path = files.weights(dir, state.step);
  await saveModelCheckpoint(path, model, { training: { ...meta, ...progress } });
  return path;
}

/** A checkpoint read back for resuming. */
export interface ResumePoint {
  step: number;
  weights: Awaited<ReturnType<typeof readModelCheckpoint>>;
  state: TrainingState;
}

/**
 * The newest checkpoint of `dir` that reads back completely; damaged ones (a torn write from
 * another tool, say) are skipped with a note in `skipped`.
 */
export async function latestResumePoint(
  dir: string,
  skipped: string[] = [],
  maxTensorBytes?: number,
): Promise<ResumePoint | null> {
  const limit = maxTensorBytes === undefined ? {} : { maxTensorBytes };
  for (const step of listCheckpoints(dir)) {
    try {
      const weights = await readModelCheckpoint(weightsFile(dir, step), limit);
      // The state file holds the optimiser moments, EMA shadow and raw weights: four copies.
      const raw = await loadCheckpoint(
        stateFile(dir, step),
        maxTensorBytes === undefined ? {} : { maxTensorBytes: 4 * maxTensorBytes },
      );
      const progress = JSON.parse(raw.metadata.progress ?? 'null') as
        | (TrainingProgress & {
            adamStep: number;
            hasAdam: boolean;
            lossScale?: GradScalerState;
          })
        | null;
      if (
        !progress ||
        ![progress.step, progress.iteration, progress.loaderIteration].every(Number.isInteger)
      )
        throw new Error('no valid progress record in the state file');
      const group = (prefix: string): Record<string, Float32Array> | null => {
        const out: Record<string, Float32Array> = {};
        for (const [name, t] of raw.tensors as Map<string, HostTensor>) {
          if (name.startsWith(prefix)) out[name.slice(prefix.length)] = t.data as Float32Array;
        }
        return Object.keys(out).length > 0 ? out : null;
      };
      const state: TrainingState = {
        step: progress.step,
        iteration: progress.iteration,
        loaderIteration: progress.loaderIteration,
        adam: progress.hasAdam
          ? { step: progress.adamStep, m: group('adam/m/') ?? {}, v: group('adam/v/') ?? {} }
          : null,
        ema: group('ema/'),
        rawWeights: group('raw/'),
        lossScale: progress.lossScale ?? null,
      };
      return { step, weights, state };
    } catch (error) {
      skipped.push(`step_${step}: ${(error as Error).message}`);
    }
  }
  return null;
}
