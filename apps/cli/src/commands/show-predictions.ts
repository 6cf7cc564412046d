import { join, resolve } from 'node:path';
import { loadDatasetSplit, puzzleOfExample } from '@trm/datasets';
import type { CliIO } from '../cli/types.js';
import { InputError } from '../errors.js';
import { predictToHalting } from '../train/evaluate-model.js';
import { loadModelForDataset } from '../train/load-model.js';
import { openDevice } from '../train/model-setup.js';
import { checkpointConfig, localCheckpoint } from './checkpoint-arg.js';

/** What `trm show --checkpoint` asks for. */
export interface PredictRequest {
  /** Checkpoint path or hub id `owner/repo/file`. */
  checkpoint: string;
  /** Dataset directory. */
  datasetDir: string;
  split: 'train' | 'test';
  set: string;
  /** Example indices within the set. */
  indices: readonly number[];
  io: CliIO;
  debug: boolean;
}

/**
 * The model's predicted tokens for some examples of a dataset (one `seq_len` row each),
 * running the ACT loop to halting as evaluation does.
 */
export async function predictExamples(req: PredictRequest): Promise<ArrayLike<number>[]> {
  const path = await localCheckpoint(req.checkpoint, req.io, '--checkpoint');
  const { config } = checkpointConfig(path, req.io);
  const { metadata, sets } = loadDatasetSplit(resolve(req.io.cwd, req.datasetDir), req.split);
  const S = metadata.seq_len;
  const data = sets.get(req.set);
  if (!data)
    throw new InputError(`No set "${req.set}" in ${join(req.datasetDir, req.split)}.`, {
      file: join(req.datasetDir, req.split),
    });
  const total = data.numExamples;
  const bad = req.indices.find((i) => i < 0 || i >= total);
  if (bad !== undefined)
    throw new InputError(
      `Example ${bad} is out of range: ${join(req.datasetDir, req.split)} has ${total} examples.`,
    );
  const B = req.indices.length;
  const batch = {
    inputs: new Int32Array(B * S),
    labels: new Int32Array(B * S).fill(-100),
    puzzleIdentifiers: new Int32Array(B),
  };
  req.indices.forEach((ex, row) => {
    for (let j = 0; j < S; j++) batch.inputs[row * S + j] = data.inputs[ex * S + j]!;
    // Each example's own puzzle identifier: the model's puzzle embedding is keyed by it (ARC
    // predictions made with blank identifiers are wrong).
    batch.puzzleIdentifiers[row] = data.puzzleIdentifiers[puzzleOfExample(data.puzzleIndices, ex)]!;
  });
  const device = await openDevice();
  try {
    const { model } = await loadModelForDataset({
      path,
      config,
      overrides: [],
      metadata,
      datasetDir: req.datasetDir,
      batchSize: B,
      choice: { applyEma: true },
    });
    model.eval();
    const { preds } = await predictToHalting(model, batch);
    model.dispose();
    return req.indices.map((_, row) => preds.subarray(row * S, (row + 1) * S));
  } finally {
    device.destroy();
  }
}
