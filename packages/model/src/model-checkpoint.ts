/**
 * Model checkpoints as files (Node): save, read, and read the header alone. The part that
 * works on bytes in memory, in a browser too, is `model-checkpoint-bytes.ts`.
 */
import { openFileSource } from './checkpoint/file-source.js';
import { sniffCheckpointFormat } from './checkpoint/format.js';
import { loadCheckpoint } from './checkpoint/load.js';
import type { HostTensorInput, ReadOptions } from './checkpoint/portable.js';
import { readSafetensorsHeader } from './checkpoint/safetensors.js';
import { saveSafetensors } from './checkpoint/safetensors-file.js';
import { DEFAULT_MAX_BYTES } from './checkpoint/types.js';
import type { TrmConfig } from './config.js';
import type { TinyRecursiveModel } from './model/act.js';
import {
  type CheckpointMeta,
  type LoadedModelCheckpoint,
  MODEL_MAX_HEADER_BYTES,
  modelCheckpointOf,
  modelReadOptions,
  parseMetadataJson,
  type ReadModelOptions,
} from './model-checkpoint-bytes.js';

/**
 * Saves the model's state dict as safetensors with the reference's tensor names,
 * atomically. `extra` tensors (optimiser state, EMA shadow, …) are stored beside the weights
 * under their own names; `weights` replaces the live values (e.g. the EMA shadow).
 */
export async function saveModelCheckpoint(
  path: string,
  model: TinyRecursiveModel,
  meta: CheckpointMeta = {},
  options: {
    weights?: ReadonlyMap<string, Float32Array>;
    extra?: ReadonlyMap<string, HostTensorInput>;
  } = {},
): Promise<void> {
  const tensors = new Map<string, HostTensorInput>();
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

/**
 * Reads our safetensors or a reference `torch.save` file: strips `_orig_mod.` / `module.`
 * prefixes, converts bf16/f16/f64 weights to f32, and keeps our metadata. Keys that do not
 * start with `model.` are returned as `extra`. (Bytes already in memory, such as a checkpoint a
 * web page fetched: {@link readModelCheckpointBytes}.)
 *
 * @throws CheckpointError (naming the file, and the tensor where there is one) for anything a
 *   model cannot load: a path that is not a readable file, a corrupt, truncated or hostile file,
 *   tensors needing more than `maxTensorBytes`, a weight that is not a float tensor, weights
 *   holding NaN or infinities, metadata that is not valid JSON.
 */
export async function readModelCheckpoint(
  path: string,
  options: ReadModelOptions = {},
): Promise<LoadedModelCheckpoint> {
  const { allowNonFinite = false, ...limits } = options;
  const ckpt = await loadCheckpoint(path, modelReadOptions(limits));
  return modelCheckpointOf(path, ckpt, allowNonFinite);
}

/**
 * A checkpoint's format and our metadata (architecture, training progress), read without its
 * tensors: for a safetensors file only the header, for a `torch.save` file nothing but the
 * first bytes. Lets a caller build the model, and so know the memory a checkpoint may need,
 * before reading it. Any file that is not safetensors is reported as `torch`: whether it
 * really is one is for {@link readModelCheckpoint} to say.
 *
 * @throws CheckpointError naming the file when it is not a readable regular file, or its
 *   safetensors header or `config` / `training` metadata is broken.
 */
export async function readCheckpointMetadata(
  path: string,
  options: Pick<ReadOptions, 'maxBytes' | 'maxHeaderBytes'> = {},
): Promise<Pick<LoadedModelCheckpoint, 'format' | 'config' | 'training'>> {
  const src = await openFileSource(path, options.maxBytes ?? DEFAULT_MAX_BYTES);
  try {
    const format = sniffCheckpointFormat(await src.read(0, Math.min(9, src.size)));
    if (format !== 'safetensors') return { format: 'torch' };
    const { metadata } = await readSafetensorsHeader(
      src,
      options.maxHeaderBytes ?? MODEL_MAX_HEADER_BYTES,
    );
    const config = parseMetadataJson(path, metadata, 'config') as TrmConfig | undefined;
    const training = parseMetadataJson(path, metadata, 'training');
    return {
      format: 'safetensors',
      ...(config ? { config } : {}),
      ...(training ? { training } : {}),
    };
  } finally {
    await src.close();
  }
}
