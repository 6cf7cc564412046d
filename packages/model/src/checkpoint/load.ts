import { CheckpointFormatError } from './errors.js';
import { readInput } from './file-source.js';
import { sniffCheckpointFormat } from './format.js';
import { readSafetensorsSource } from './safetensors.js';
import type { ByteSource } from './source.js';
import { readTorchSource } from './torch.js';
import type { Checkpoint, ReadOptions } from './types.js';

/**
 * Loads a checkpoint file (or buffer), recognising the format by its magic bytes: safetensors,
 * or a `torch.save` zip archive (the format of the published TRM weights). Tensor names are
 * returned as stored; see `normalizeStateDict` and `resizePuzzleEmbedding` for the reference
 * loader's rules. By default F16/BF16 tensors come back as F32 (exactly) and I64 as
 * BigInt64Array. Memory is bounded by `options.maxTensorBytes` before anything is inflated.
 *
 * @throws CheckpointFormatError for unknown, legacy, truncated or corrupt files;
 *   CheckpointSecurityError for a pickle that references a global outside the allow-list.
 */
export async function loadCheckpoint(
  input: string | Uint8Array,
  options: ReadOptions = {},
): Promise<Checkpoint> {
  return readInput(input, options, (src) => loadFromSource(src, options));
}

async function loadFromSource(src: ByteSource, options: ReadOptions): Promise<Checkpoint> {
  const head = await src.read(0, Math.min(9, src.size));
  const format = sniffCheckpointFormat(head);
  switch (format) {
    case 'torch':
      return { format: 'torch', tensors: await readTorchSource(src, options), metadata: {} };
    case 'safetensors': {
      const { tensors, metadata } = await readSafetensorsSource(src, options);
      return { format: 'safetensors', tensors, metadata };
    }
    case 'torch-legacy':
      throw new CheckpointFormatError(
        src.name,
        'this is the legacy (pre-1.6, non-zip) torch.save format, which is not supported: re-save it with a recent PyTorch (torch.save(torch.load(f), f)) or convert it to safetensors',
      );
    default:
      throw new CheckpointFormatError(
        src.name,
        src.size < 9
          ? `${src.size} bytes is too short to be a checkpoint (truncated?)`
          : 'unrecognised checkpoint format (bad magic bytes): expected safetensors or a torch.save zip archive',
      );
  }
}
