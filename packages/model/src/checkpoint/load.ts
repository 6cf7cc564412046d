import { CheckpointFormatError, resourceError } from './errors.js';
import { readSafetensorsSource } from './safetensors.js';
import { type ByteSource, memorySource, openFileSource } from './source.js';
import { readTorchSource } from './torch.js';
import { type Checkpoint, checkReadOptions, DEFAULT_MAX_BYTES, type ReadOptions } from './types.js';

/** A checkpoint format as recognised from the first bytes of a file. */
export type CheckpointFormat = 'safetensors' | 'torch' | 'torch-legacy' | 'unknown';

/**
 * Recognises a format from a file's first (up to) 9 bytes: `PK\x03\x04` (or an empty archive's
 * `PK\x05\x06`) is a torch.save zip, an 8-byte little-endian length followed by `{` a
 * safetensors file, and a pickle `PROTO` byte a legacy torch file. Safetensors is tried before
 * the pickle: a header of 640 bytes starts with the bytes `80 02`, like a pickle.
 */
export function sniffCheckpointFormat(head: Uint8Array): CheckpointFormat {
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'torch';
  if (head.length >= 9 && head[8] === 0x7b) return 'safetensors';
  if (head[0] === 0x80 && head[1] !== undefined && head[1] <= 5) return 'torch-legacy';
  return 'unknown';
}

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
  checkReadOptions(options);
  const src =
    typeof input === 'string'
      ? await openFileSource(input, options.maxBytes ?? DEFAULT_MAX_BYTES)
      : memorySource(input);
  try {
    return await loadFromSource(src, options);
  } catch (err) {
    throw resourceError(src.name, err);
  } finally {
    await src.close();
  }
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
