import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { DatasetMetadata } from '@trm/datasets';
import {
  checkpointBudget,
  groupOfStateDict,
  loadCheckpoint,
  loadWeightsInto,
  readCheckpointMetadata,
  readModelCheckpoint,
  resolveTrmConfig,
  type TinyRecursiveModel,
  type TrmConfig,
} from '@trm/model';
import { StateDictError, type StateEntry } from '@trm/nn';
import { getDefaultDevice } from '@trm/tensor';
import { overrideKey } from '../config/overrides.js';
import type { TrainConfig } from '../config/schema.js';
import { ConfigError, InputError } from '../errors.js';
import {
  archProblems,
  checkModelFits,
  createModel,
  modelConfig,
  modelPrecision,
} from './model-setup.js';

export { fetchHubCheckpoint } from '../util/hub.js';

/**
 * `arch.*` keys that change how a model is run but not its weights: overriding one keeps the
 * architecture of the checkpoint's header (the supervision steps of test-time depth, the
 * halting rule of `trm eval --act-inference`, the precision).
 */
export const RUN_ONLY_ARCH_KEYS = [
  'arch.halt_max_steps',
  'arch.no_ACT_continue',
  'arch.forward_dtype',
] as const;

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
}): Promise<{ model: TinyRecursiveModel; format: string; notice: string | null }> {
  const { path, config, metadata: meta, choice } = args;
  // The architecture first (from the header alone), so that the model, and with it the memory
  // the checkpoint may legitimately need, is known before any tensor is read.
  const header = await readCheckpointMetadata(path);
  let arch: TrmConfig;
  const archKeys = args.overrides.map(overrideKey).filter((k) => k.startsWith('arch.'));
  // Keys that change how the model is run, not its weights, apply on top of the header.
  const runOnly = archKeys.filter((k) => (RUN_ONLY_ARCH_KEYS as readonly string[]).includes(k));
  const archOverride = archKeys.length > runOnly.length;
  try {
    arch =
      header.config && !archOverride
        ? resolveTrmConfig({
            ...header.config,
            ...Object.fromEntries(
              runOnly.map((k) => [k.slice(5), config.arch[k.slice(5) as keyof typeof config.arch]]),
            ),
            batch_size: args.batchSize,
            seq_len: meta.seq_len,
            vocab_size: meta.vocab_size,
            num_puzzle_identifiers: meta.num_puzzle_identifiers,
          })
        : modelConfig(config.arch, meta, args.batchSize);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(archProblems(error));
  }
  checkModelFits(arch, getDefaultDevice());
  const precision = modelPrecision(arch, getDefaultDevice());
  const model = createModel(arch, config.seed, precision.precision);
  const budget = checkpointBudget(model);
  let weights: Map<string, StateEntry>;
  let ckpt: Awaited<ReturnType<typeof readModelCheckpoint>>;
  try {
    ckpt = await readModelCheckpoint(path, { maxTensorBytes: budget });
    weights = new Map<string, StateEntry>(ckpt.weights);
    if (choice.emaShadow) {
      const shadow = await readModelCheckpoint(choice.emaShadow, { maxTensorBytes: budget });
      for (const [k, v] of shadow.weights) weights.set(k, v);
    } else if (!choice.applyEma) {
      const statePath = path.replace(/\.safetensors$/, '.state.safetensors');
      if (ckpt.training && existsSync(statePath)) {
        // Optimiser moments, EMA shadow and raw weights: four copies of the parameters.
        const state = await loadCheckpoint(statePath, { maxTensorBytes: 2 * budget });
        for (const [name, t] of state.tensors) {
          if (!name.startsWith('raw/')) continue;
          const key = name.slice(4);
          weights.set(key, {
            shape: weights.get(key)?.shape ?? t.shape,
            data: t.data as Float32Array,
          });
        }
      }
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  try {
    loadWeightsInto(model, weights);
  } catch (error) {
    const keys = { checkpointKeys: weights.keys(), ownKeys: model.stateDict().keys() };
    model.dispose();
    throw fitError(error, path, meta, args.datasetDir, keys);
  }
  return { model, format: ckpt.format, notice: precision.notice };
}

/**
 * The error for a checkpoint whose tensors do not fit the model built for a dataset: an
 * {@link InputError} (exit 2) that says what disagrees and what to do. Other errors pass
 * through unchanged.
 */
export function fitError(
  error: unknown,
  path: string,
  meta: DatasetMetadata,
  datasetDir: string,
  model?: { checkpointKeys: Iterable<string>; ownKeys: Iterable<string> },
): unknown {
  if (!(error instanceof StateDictError)) return error;
  const vocab = error.wrongShape.some((w) => /embed_tokens|lm_head/.test(w));
  // Another architecture's tensors: say which group they belong to.
  const group = model && groupOfStateDict(model.checkpointKeys);
  const hint = vocab
    ? ` The dataset's vocabulary (${meta.vocab_size} tokens) disagrees with the checkpoint's: was it trained on another kind of puzzle?`
    : group && group !== groupOfStateDict(model.ownKeys)
      ? ` Its tensors are those of the ${group} architecture: pass arch=${group} with the sizes it was trained with (e.g. arch.hidden_size=256), or keep its all_config.yaml beside it.`
      : ' Pass the architecture the checkpoint was trained with (e.g. arch.mlp_t=True arch.hidden_size=256), or keep its all_config.yaml beside it.';
  return new InputError(
    `${basename(path)} does not fit the model built for ${datasetDir}. ${error.message}${hint}`,
    { file: path },
  );
}
