import { writeFileAtomic } from './checkpoint/atomic.js';
import { CheckpointFormatError } from './checkpoint/errors.js';
import { loadCheckpoint } from './checkpoint/load.js';
import { stripStateDictPrefix } from './checkpoint/state-dict.js';
import { encodeTorchCheckpoint } from './checkpoint/torch-writer.js';
import type { ReadOptions, TensorMap } from './checkpoint/types.js';

/** A model's state dict read from a checkpoint for conversion, bit for bit. */
export interface ExportableStateDict {
  /** Which reader parsed the file. */
  format: 'safetensors' | 'torch';
  /**
   * The model weights under the reference's state-dict names (`model.inner.…`, with
   * `_orig_mod.` / `module.` prefixes stripped), in file order, with their stored dtype and
   * bits (half precision kept as raw bits, int64 as bigint).
   */
  tensors: TensorMap;
  /** Names of tensors that are not model weights and were left out. */
  skipped: string[];
}

/**
 * Reads the model weights of a checkpoint (our safetensors or a `torch.save` file) unchanged,
 * for writing them in another format: the tensors whose name, once the `_orig_mod.` /
 * `module.` prefixes are stripped, starts with `model.` — the reference's state dict, which
 * its `model.load_state_dict` accepts as it is. Anything else (optimiser or EMA state) is
 * listed in `skipped`.
 *
 * @throws CheckpointError naming the file: unreadable, corrupt or hostile files, two keys that
 *   become one name, or a file without model weights.
 */
export async function readExportableStateDict(
  path: string,
  options: Pick<ReadOptions, 'maxBytes' | 'maxHeaderBytes' | 'maxTensorBytes'> = {},
): Promise<ExportableStateDict> {
  const ckpt = await loadCheckpoint(path, {
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    float16: 'raw',
    int64: 'bigint',
  });
  const tensors: TensorMap = new Map();
  const from = new Map<string, string>();
  const skipped: string[] = [];
  for (const [key, tensor] of ckpt.tensors) {
    const name = stripStateDictPrefix(key);
    if (!name.startsWith('model.')) {
      skipped.push(key);
      continue;
    }
    const other = from.get(name);
    if (other !== undefined) {
      throw new CheckpointFormatError(
        path,
        `state dict keys "${other}" and "${key}" both become "${name}" after prefix stripping: the file holds two copies of one tensor; keep one`,
      );
    }
    from.set(name, key);
    tensors.set(name, tensor);
  }
  if (tensors.size === 0) {
    throw new CheckpointFormatError(
      path,
      `holds no model weights (no tensor named model.…${skipped.length > 0 ? `; it has ${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''}` : ''}): give the weights file of a checkpoint (step_<N>.safetensors, not its .state.safetensors) or a reference torch.save state dict`,
    );
  }
  return { format: ckpt.format, tensors, skipped };
}

/**
 * Converts a checkpoint's model weights ({@link readExportableStateDict}) into a `torch.save`
 * file at `outPath`, written atomically. Names, dtypes, shapes and bits are kept.
 *
 * @returns what was written.
 */
export async function exportTorchCheckpoint(
  inPath: string,
  outPath: string,
  options: Pick<ReadOptions, 'maxBytes' | 'maxHeaderBytes' | 'maxTensorBytes'> = {},
): Promise<ExportableStateDict & { bytes: number }> {
  const read = await readExportableStateDict(inPath, options);
  const chunks = encodeTorchCheckpoint(read.tensors, outPath);
  await writeFileAtomic(outPath, chunks);
  return { ...read, bytes: chunks.reduce((n, c) => n + c.byteLength, 0) };
}
