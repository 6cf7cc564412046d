import { writeFileAtomic } from './atomic.js';
import { readInput } from './file-source.js';
import {
  encodeSafetensors,
  type HostTensorInput,
  readSafetensorsSource,
  type SafetensorsContents,
} from './safetensors.js';
import type { ReadOptions } from './types.js';

/**
 * Reads a safetensors file (a path) or buffer. Every header field is validated first; errors
 * name the file and tensor. See {@link ReadOptions} for the dtype conversions.
 */
export async function readSafetensors(
  input: string | Uint8Array,
  options: ReadOptions = {},
): Promise<SafetensorsContents> {
  return readInput(input, options, (src) => readSafetensorsSource(src, options));
}

/**
 * Writes tensors and a `__metadata__` string map to a safetensors file, atomically (temporary
 * file in the same directory, fsync, rename). Readable by Python's `safetensors` and PyTorch.
 */
export async function saveSafetensors(
  path: string,
  tensors: ReadonlyMap<string, HostTensorInput> | Readonly<Record<string, HostTensorInput>>,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata, path));
}
