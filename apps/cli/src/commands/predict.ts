import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readMetadata, readNpy } from '@trm/datasets';
import { type ActCarry, TinyRecursiveModel } from '@trm/model';
import type { CliIO } from '../cli/types.js';
import { loadTrainConfigFile, resolveTrainConfig } from '../config/resolve.js';
import { InputError } from '../errors.js';
import { fetchHubCheckpoint, loadModelForDataset } from '../train/load-model.js';
import { openDevice } from '../train/model-setup.js';

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
  const local = resolve(req.io.cwd, req.checkpoint);
  const isHubId = /^[A-Za-z0-9][\w.-]*\/[\w.-]+\/.+$/.test(req.checkpoint);
  if (!existsSync(local) && !isHubId) {
    throw new InputError(
      `Checkpoint ${req.checkpoint} not found (neither a local file nor a hub id owner/repo/filename).`,
      { file: local },
    );
  }
  const path = existsSync(local) ? local : await fetchHubCheckpoint(req.checkpoint, req.io);
  const configFile = join(dirname(path), 'all_config.yaml');
  const { config } = existsSync(configFile)
    ? loadTrainConfigFile(configFile, [], req.io.env)
    : resolveTrainConfig([], { cwd: req.io.cwd, env: req.io.env });
  const splitDir = join(resolve(req.io.cwd, req.datasetDir), req.split);
  const metadata = readMetadata(join(splitDir, 'dataset.json'));
  const S = metadata.seq_len;
  const file = (f: string) => join(splitDir, `${req.set}__${f}.npy`);
  if (!existsSync(file('inputs')))
    throw new InputError(`No set "${req.set}" in ${splitDir}.`, { file: file('inputs') });
  const inputs = readNpy(file('inputs'));
  const total = inputs.shape[0] ?? 0;
  const bad = req.indices.find((i) => i < 0 || i >= total);
  if (bad !== undefined)
    throw new InputError(`Example ${bad} is out of range: ${splitDir} has ${total} examples.`);
  const B = req.indices.length;
  const batch = {
    inputs: new Int32Array(B * S),
    labels: new Int32Array(B * S).fill(-100),
    puzzleIdentifiers: new Int32Array(B),
  };
  req.indices.forEach((ex, row) => {
    for (let j = 0; j < S; j++) batch.inputs[row * S + j] = Number(inputs.data[ex * S + j]);
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
    let carry: ActCarry = model.initialCarry(B);
    let preds: Int32Array = new Int32Array(0);
    for (;;) {
      const r = await model.step(carry, batch);
      carry = r.carry;
      preds = r.preds;
      if (r.allHalted) break;
    }
    TinyRecursiveModel.disposeCarry(carry);
    model.dispose();
    return req.indices.map((_, row) => preds.subarray(row * S, (row + 1) * S));
  } finally {
    device.destroy();
  }
}
