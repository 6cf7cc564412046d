import { halfBitsToF32, numelOf } from './dtype.js';
import { CheckpointFormatError } from './errors.js';
import type { HostTensor, TensorMap } from './types.js';

/** Key of the puzzle-embedding table in a TRM state dict (after prefix stripping). */
export const PUZZLE_EMB_KEY = 'model.inner.puzzle_emb.weights';

/** Prefixes added by `torch.compile` (`_orig_mod.`) and DataParallel/DDP (`module.`). */
export const STATE_DICT_PREFIXES: readonly string[] = ['_orig_mod.', 'module.'];

/**
 * Strips leading `_orig_mod.` and/or `module.` prefixes (in any order, each at most once per
 * occurrence) from a state-dict key, as the reference loader does.
 */
export function stripStateDictPrefix(key: string): string {
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of STATE_DICT_PREFIXES) {
      if (key.startsWith(p)) {
        key = key.slice(p.length);
        changed = true;
      }
    }
  }
  return key;
}

/**
 * Normalises a loaded state dict: strips the `_orig_mod.` / `module.` key prefixes and
 * converts F16/BF16 tensors to F32. Returns a new map.
 *
 * @param file - the checkpoint the tensors came from, for error messages.
 * @throws CheckpointFormatError naming `file` when two keys collide after stripping.
 */
export function normalizeStateDict(
  tensors: ReadonlyMap<string, HostTensor>,
  file = '<memory>',
): TensorMap {
  const out: TensorMap = new Map();
  const from = new Map<string, string>();
  for (const [key, tensor] of tensors) {
    const name = stripStateDictPrefix(key);
    const other = from.get(name);
    if (other !== undefined) {
      throw new CheckpointFormatError(
        file,
        `state dict keys "${other}" and "${key}" both become "${name}" after prefix stripping: the file holds two copies of one tensor; keep one`,
      );
    }
    from.set(name, key);
    out.set(name, toF32IfHalf(tensor));
  }
  return out;
}

function toF32IfHalf(t: HostTensor): HostTensor {
  if (t.dtype !== 'F16' && t.dtype !== 'BF16') return t;
  return { dtype: 'F32', shape: t.shape, data: halfBitsToF32(t.dtype, t.data as Uint16Array) };
}

/**
 * The reference's puzzle-embedding rule: if `model.inner.puzzle_emb.weights` is present and
 * its shape differs from `expectedShape`, it is replaced by its mean row (the mean over dim 0)
 * broadcast to `expectedShape`. Returns a new map (the input is not modified); the other tensors
 * are shared. A missing key or matching shape returns the tensors unchanged.
 *
 * The mean is accumulated in float64 and rounded to float32 once (PyTorch sums in float32, so the
 * last bit may differ). F16/BF16 tables are converted to F32 first.
 *
 * @throws Error when the table is not 2-D, is empty, or `expectedShape` is not
 *   `[rows, ndim]` with the same `ndim` (a mean row cannot broadcast to it).
 */
export function resizePuzzleEmbedding(
  loaded: ReadonlyMap<string, HostTensor>,
  expectedShape: readonly number[],
  key = PUZZLE_EMB_KEY,
): TensorMap {
  const out: TensorMap = new Map(loaded);
  const table = loaded.get(key);
  if (!table) return out;
  if (
    table.shape.length === expectedShape.length &&
    table.shape.every((d, i) => d === expectedShape[i])
  ) {
    return out;
  }
  if (expectedShape.length !== 2) {
    throw new Error(
      `"${key}" has shape [${table.shape.join(', ')}], expected [${expectedShape.join(', ')}]: only 2-D [num_ids, ndim] tables can be resized`,
    );
  }
  const [newRows, newNdim] = expectedShape as [number, number];
  const { row, ndim, rows } = meanRow(table, key);
  if (ndim !== newNdim) {
    throw new Error(
      `"${key}" has shape [${rows}, ${ndim}], expected [${newRows}, ${newNdim}]: a mean row of ${ndim} cannot broadcast to ${newNdim} columns`,
    );
  }
  const data = new Float32Array(numelOf(expectedShape));
  for (let r = 0; r < newRows; r++) data.set(row, r * ndim);
  out.set(key, { dtype: 'F32', shape: [newRows, newNdim], data });
  return out;
}

/**
 * Appends `count` rows to the puzzle-embedding table, each its mean row (the value the
 * reference gives every row of a table it resizes, see {@link resizePuzzleEmbedding}); the
 * table's own rows keep their values and indices. This is how `trm adapt` makes room for
 * puzzles a trained model has never seen. Returns a new map (the input is not modified); the
 * other tensors are shared.
 *
 * @throws Error when the table is missing, not a 2-D floating-point table, or empty, or when
 *   `count` is not a non-negative integer.
 */
export function appendPuzzleEmbeddingRows(
  loaded: ReadonlyMap<string, HostTensor>,
  count: number,
  key = PUZZLE_EMB_KEY,
): TensorMap {
  if (!(Number.isInteger(count) && count >= 0))
    throw new RangeError(`appendPuzzleEmbeddingRows: count must be an integer ≥ 0, got ${count}`);
  const table = loaded.get(key);
  if (!table) throw new Error(`the state dict has no "${key}" to append rows to`);
  const { row, ndim, rows, values } = meanRow(table, key);
  const data = new Float32Array((rows + count) * ndim);
  data.set(values);
  for (let r = rows; r < rows + count; r++) data.set(row, r * ndim);
  const out: TensorMap = new Map(loaded);
  out.set(key, { dtype: 'F32', shape: [rows + count, ndim], data });
  return out;
}

/**
 * The mean over dim 0 of a 2-D float table, accumulated in float64 and rounded to float32
 * once (PyTorch sums in float32, so the last bit may differ), with the table's values as f32.
 */
function meanRow(
  table: HostTensor,
  key: string,
): { row: Float32Array; rows: number; ndim: number; values: Float32Array } {
  const t = toF32IfHalf(table);
  if (t.dtype !== 'F32' && t.dtype !== 'F64') {
    throw new Error(`"${key}" is ${t.dtype}; a floating-point table is needed to take its mean`);
  }
  if (t.shape.length !== 2) {
    throw new Error(
      `"${key}" has shape [${t.shape.join(', ')}]: only 2-D [num_ids, ndim] tables can be resized`,
    );
  }
  const [rows, ndim] = t.shape as [number, number];
  if (rows === 0) throw new Error(`"${key}" is empty; it has no mean row`);
  const src = t.data as Float32Array | Float64Array;
  const mean = new Float64Array(ndim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < ndim; c++) mean[c] = mean[c]! + src[r * ndim + c]!;
  }
  const row = new Float32Array(ndim);
  for (let c = 0; c < ndim; c++) row[c] = mean[c]! / rows;
  return { row, rows, ndim, values: src instanceof Float32Array ? src : Float32Array.from(src) };
}
