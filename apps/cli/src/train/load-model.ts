import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { type DatasetMetadata, downloadHubFile } from '@trm/datasets';
import {
  loadCheckpoint,
  loadWeightsInto,
  readModelCheckpoint,
  resolveTrmConfig,
  type TinyRecursiveModel,
  type TrmConfig,
} from '@trm/model';
import { StateDictError, type StateEntry } from '@trm/nn';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { ConfigError, InputError } from '../errors.js';
import { createModel, modelConfig } from './model-setup.js';

/** Downloads `owner/repo/file` from the hub's model repos into the cache; returns the path. */
export async function fetchHubCheckpoint(id: string, io: CliIO): Promise<string> {
  const [owner, repo, ...rest] = id.split('/');
  io.stderr.write(`downloading ${id} from the Hugging Face hub…\n`);
  return downloadHubFile(`${owner}/${repo}`, rest.join('/'), { repoType: 'model' });
}

/** How to choose the weights inside a checkpoint. */
export interface WeightChoice {
  /** Our checkpoints hold the EMA weights when trained with EMA; false picks the trained ones. */
  applyEma: boolean;
  /** A file whose weights replace the checkpoint's (the reference's `--ema-shadow`). */
  emaShadow?: string;
}

/**
 * Builds the model for a dataset and loads a checkpoint into it. The architecture comes from
 * our checkpoint's header when it has one (and no `arch.*` override is given), otherwise from
 * the resolved config; the dataset supplies vocabulary, sequence length and puzzle count.
 * Shape mismatches become an {@link InputError} (exit 2) that says what disagrees.
 */
export async function loadModelForDataset(args: {
  path: string;
  config: TrainConfig;
  overrides: readonly string[];
  metadata: DatasetMetadata;
  datasetDir: string;
  batchSize: number;
  choice: WeightChoice;
}): Promise<{ model: TinyRecursiveModel; format: string }> {
  const { path, config, metadata: meta, choice } = args;
  const ckpt = await readModelCheckpoint(path);
  const weights = new Map<string, StateEntry>(ckpt.weights);
  if (choice.emaShadow) {
    for (const [k, v] of (await readModelCheckpoint(choice.emaShadow)).weights) weights.set(k, v);
  } else if (!choice.applyEma) {
    const statePath = path.replace(/\.safetensors$/, '.state.safetensors');
    if (ckpt.training && existsSync(statePath)) {
      for (const [name, t] of (await loadCheckpoint(statePath)).tensors) {
        if (!name.startsWith('raw/')) continue;
        const key = name.slice(4);
        weights.set(key, {
          shape: weights.get(key)?.shape ?? t.shape,
          data: t.data as Float32Array,
        });
      }
    }
  }
  let arch: TrmConfig;
  const archOverride = args.overrides.some((o) => o.replace(/^\+/, '').startsWith('arch.'));
  try {
    arch =
      ckpt.config && !archOverride
        ? resolveTrmConfig({
            ...ckpt.config,
            batch_size: args.batchSize,
            seq_len: meta.seq_len,
            vocab_size: meta.vocab_size,
            num_puzzle_identifiers: meta.num_puzzle_identifiers,
          })
        : modelConfig(config.arch, meta, args.batchSize);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError((error as Error).message);
  }
  const model = createModel(arch, config.seed);
  try {
    loadWeightsInto(model, weights);
  } catch (error) {
    model.dispose();
    if (error instanceof StateDictError) {
      const vocab = error.wrongShape.some((w) => /embed_tokens|lm_head/.test(w));
      const hint = vocab
        ? ` The dataset's vocabulary (${meta.vocab_size} tokens) disagrees with the checkpoint's: was it trained on another kind of puzzle?`
        : ' Pass the architecture the checkpoint was trained with (e.g. arch.mlp_t=True arch.hidden_size=256), or keep its all_config.yaml beside it.';
      throw new InputError(
        `${basename(path)} does not fit the model built for ${args.datasetDir}. ${error.message}${hint}`,
        { file: path },
      );
    }
    throw error;
  }
  return { model, format: ckpt.format };
}
