/**
 * Writer of `torch.save` files (the zip format of PyTorch ≥ 1.6) holding a state dict, readable
 * by `torch.load(path, weights_only=True)`: the pickle references only `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2` and storage classes such as `torch.FloatStorage`.
 */
import { writeFileAtomic } from './atomic.js';
import { CheckpointError } from './errors.js';
import { joinChunks } from './join-chunks.js';
import { PickleWriter } from './pickle-writer.js';
import { checkTensor, type HostTensorInput } from './safetensors.js';
import { TORCH_STORAGE_DTYPES } from './torch.js';
import type { CheckpointDType } from './types.js';
import { encodeZip, type ZipWriteEntry } from './zip-writer.js';

/** Top-level folder of the archive, as `torch.save` names it. */
export const TORCH_ARCHIVE_NAME = 'archive';

/** Storage class of each dtype `torch.save` can hold (the inverse of `TORCH_STORAGE_DTYPES`). */
const STORAGE_CLASS: Partial<Record<CheckpointDType, string>> = Object.fromEntries(
  Object.entries(TORCH_STORAGE_DTYPES).map(([cls, dtype]) => [dtype, cls.slice('torch.'.length)]),
);

/**
 * Encodes a state dict (name → tensor, in the map's order) as a `torch.save` archive, returned
 * as chunks to write in order:
 *
 * - `archive/data.pkl`: a protocol-2 pickle of an `OrderedDict` whose values are
 *   `torch._utils._rebuild_tensor_v2(storage, 0, shape, contiguous strides, False,
 *   OrderedDict())`, each storage a persistent id `('storage', torch.<T>Storage, key, 'cpu',
 *   numel)`;
 * - `archive/byteorder`: `little`;
 * - `archive/data/<key>`: each tensor's bytes (little-endian), keys `0`, `1`, … in state-dict
 *   order, stored in the string order `torch.save` uses;
 * - `archive/version`: `3`.
 *
 * Entries are stored (not compressed) with their data 64-byte aligned, as torch writes them.
 * The output depends only on the tensors: the same state dict gives the same bytes.
 *
 * @param file - the file being written, for error messages.
 * @throws CheckpointError naming the tensor for a dtype PyTorch's storages cannot hold (`U16`,
 *   `U32`, `U64`, `F8_*`), or data that does not match its dtype and shape.
 */
export function encodeTorchCheckpoint(
  tensors: ReadonlyMap<string, HostTensorInput> | Readonly<Record<string, HostTensorInput>>,
  file = '<memory>',
): Uint8Array[] {
  const items: Array<[string, HostTensorInput]> =
    tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const storages: Array<{ key: string; bytes: Uint8Array }> = [];
  const pickle = new PickleWriter();
  pickle.global('collections', 'OrderedDict').emptyTuple().reduce();
  const seen = new Set<string>();
  const prepared = items.map(([name, tensor]) => {
    if (seen.has(name)) throw new CheckpointError(file, 'duplicate tensor name', name);
    seen.add(name);
    const data = checkTensor(file, name, tensor);
    const cls = STORAGE_CLASS[tensor.dtype];
    if (cls === undefined) {
      throw new CheckpointError(
        file,
        `PyTorch has no storage type for ${tensor.dtype} tensors: convert it to a signed or floating-point dtype first`,
        name,
      );
    }
    const key = String(storages.length);
    storages.push({ key, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return { name, cls, key, shape: [...tensor.shape], numel: data.length };
  });
  pickle.dictItems(prepared.length, (i) => {
    const t = prepared[i]!;
    pickle.string(t.name);
    pickle.global('torch._utils', '_rebuild_tensor_v2');
    pickle.mark(); // the arguments of _rebuild_tensor_v2
    pickle.mark(); // the persistent id of the storage
    pickle.string('storage').global('torch', t.cls).string(t.key).string('cpu').int(t.numel);
    pickle.tupleFromMark().persistentId();
    pickle.int(0).intTuple(t.shape).intTuple(contiguousStrides(t.shape)).bool(false);
    pickle.global('collections', 'OrderedDict').emptyTuple().reduce();
    pickle.tupleFromMark().reduce();
  });
  const prefix = `${TORCH_ARCHIVE_NAME}/`;
  const entries: ZipWriteEntry[] = [
    { name: `${prefix}data.pkl`, data: pickle.finish() },
    { name: `${prefix}byteorder`, data: new TextEncoder().encode('little') },
  ];
  // torch.save writes the storages sorted by key as strings ("0", "1", "10", "2", …).
  const byKey = [...storages].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const s of byKey) entries.push({ name: `${prefix}data/${s.key}`, data: s.bytes });
  entries.push({ name: `${prefix}version`, data: new TextEncoder().encode('3\n') });
  return encodeZip(entries, file);
}

/** {@link encodeTorchCheckpoint} into one buffer. */
export function serializeTorchCheckpoint(
  tensors: ReadonlyMap<string, HostTensorInput> | Readonly<Record<string, HostTensorInput>>,
): Uint8Array {
  return joinChunks(encodeTorchCheckpoint(tensors));
}

/**
 * Writes a state dict as a `torch.save` file (see {@link encodeTorchCheckpoint}), atomically:
 * a temporary file in the same directory, fsync, rename. `torch.load(path, weights_only=True)`
 * reads it back as an `OrderedDict` of CPU tensors.
 */
export async function saveTorchCheckpoint(
  path: string,
  tensors: ReadonlyMap<string, HostTensorInput> | Readonly<Record<string, HostTensorInput>>,
): Promise<void> {
  await writeFileAtomic(path, encodeTorchCheckpoint(tensors, path));
}

/** Row-major (C-order) strides of `shape`, in elements, as torch computes them (a 0 counts as 1). */
function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= Math.max(shape[d]!, 1);
  }
  return strides;
}
