import type { StateEntry } from '@trm/nn';
import {
  type HostTensor,
  loadCheckpoint,
  normalizeStateDict,
  PUZZLE_EMB_KEY,
  resizePuzzleEmbedding,
  saveSafetensors,
  type TensorInput,
} from './checkpoint/index.js';
import type { TrmConfig } from './config.js';
import type { TinyRecursiveModel } from './model/act.js';

/** What our own checkpoints carry besides the weights (safetensors `__metadata__`). */
export interface CheckpointMeta {
  /** The model's architecture config; `.pt` files from the reference have none. */
  config?: TrmConfig;
  /** Free-form training metadata (step, epoch, run name, …), JSON-serialisable. */
  training?: Record<string, unknown>;
}

/**
 * Saves the model's state dict as safetensors with the reference's tensor names (spec §9),
 * atomically. `extra` tensors (optimiser state, EMA shadow, …) are stored beside the weights
 * under their own names; `weights` replaces the live values (e.g. the EMA shadow).
 */
export async function saveModelCheckpoint(
  path: string,
  model: TinyRecursiveModel,
  meta: CheckpointMeta = {},
  options: {
    weights?: ReadonlyMap<string, Float32Array>;
    extra?: ReadonlyMap<string, TensorInput>;
  } = {},
): Promise<void> {
  const tensors = new Map<string, TensorInput>();
  for (const [name, entry] of await model.stateDictData()) {
    const data = options.weights?.get(name) ?? entry.data;
    tensors.set(name, {
      dtype: data instanceof Float32Array ? 'F32' : 'I32',
      shape: [...entry.shape],
      data,
    });
  }
  for (const [name, t] of options.extra ?? []) tensors.set(name, t);
  const metadata: Record<string, string> = {
    format: 'trm',
    config: JSON.stringify(meta.config ?? model.config),
  };
  if (meta.training) metadata.training = JSON.stringify(meta.training);
  await saveSafetensors(path, tensors, metadata);
}

/** A checkpoint read for loading into a model: normalised weights and our metadata. */
export interface LoadedModelCheckpoint {
  format: 'safetensors' | 'torch';
  /** Weights by state-dict key (prefixes stripped, half precision converted to f32). */
  weights: Map<string, StateEntry>;
  /** Tensors that are not model weights (optimiser state, EMA shadow of our checkpoints). */
  extra: Map<string, HostTensor>;
  config?: TrmConfig;
  training?: Record<string, unknown>;
}

const WEIGHT_PREFIX = 'model.';

/**
 * Reads our safetensors or a reference `torch.save` file (spec §8–9): strips `_orig_mod.` /
 * `module.` prefixes, converts bf16/f16 to f32, and keeps our metadata. Keys that do not start
 * with `model.` are returned as `extra`.
 */
export async function readModelCheckpoint(path: string): Promise<LoadedModelCheckpoint> {
  const ckpt = await loadCheckpoint(path, { int64: 'int32' });
  const tensors = normalizeStateDict(ckpt.tensors);
  const weights = new Map<string, StateEntry>();
  const extra = new Map<string, HostTensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith(WEIGHT_PREFIX)) {
      if (!(t.data instanceof Float32Array || t.data instanceof Int32Array)) {
        throw new Error(`${path}: weight "${name}" has dtype ${t.dtype}; expected a float tensor`);
      }
      weights.set(name, { shape: t.shape, data: t.data });
    } else {
      extra.set(name, t);
    }
  }
  const parse = (key: string) => (ckpt.metadata[key] ? JSON.parse(ckpt.metadata[key]!) : undefined);
  return {
    format: ckpt.format,
    weights,
    extra,
    config: parse('config'),
    training: parse('training'),
  };
}

/**
 * Loads checkpoint weights into a model. The puzzle-embedding table follows the reference's
 * rule: if its shape differs from the model's (another dataset), it becomes the mean row
 * broadcast to the model's shape. Every other mismatch is an error naming the keys.
 */
export function loadWeightsInto(
  model: TinyRecursiveModel,
  weights: ReadonlyMap<string, StateEntry>,
): void {
  const own = model.stateDict().get(PUZZLE_EMB_KEY);
  let entries = weights;
  if (own && weights.has(PUZZLE_EMB_KEY)) {
    const asHost = new Map<string, HostTensor>([
      [
        PUZZLE_EMB_KEY,
        {
          dtype: 'F32',
          shape: [...weights.get(PUZZLE_EMB_KEY)!.shape],
          data: weights.get(PUZZLE_EMB_KEY)!.data,
        },
      ],
    ]);
    const resized = resizePuzzleEmbedding(asHost, [...own.shape]).get(PUZZLE_EMB_KEY)!;
    entries = new Map(weights);
    (entries as Map<string, StateEntry>).set(PUZZLE_EMB_KEY, {
      shape: resized.shape,
      data: resized.data as Float32Array,
    });
  }
  model.loadStateDict(entries);
}
