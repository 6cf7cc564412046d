/**
 * Element types of checkpoint tensors, using the safetensors spelling. `F16`/`BF16` data is
 * kept as raw bits (`Uint16Array`) unless converted to `F32`; `BOOL` is one byte per element
 * (`Uint8Array`); `F8_*` is raw bytes. (Named apart from `@trm/tensor`'s `DType`, the element
 * types of GPU tensors: `'f32' | 'i32' | 'bool'`. Called `DType` before 0.1.)
 */
export type CheckpointDType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL'
  | 'F8_E4M3'
  | 'F8_E5M2';

/**
 * Typed-array storage of a checkpoint tensor's elements on the host, row-major (C order),
 * little-endian: any array a {@link CheckpointDType} is held in. (Wider than `@trm/tensor`'s
 * `TensorData`, the arrays a GPU tensor reads back as. Called `TensorData` before 0.1.)
 */
export type HostTensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/**
 * One host-side tensor: contiguous row-major data of `prod(shape)` elements.
 *
 * | dtype | data |
 * | --- | --- |
 * | `F32` | `Float32Array` |
 * | `F64` | `Float64Array` |
 * | `F16`, `BF16` | `Uint16Array` of raw bits (only with `float16: 'raw'`; else converted to `F32`) |
 * | `I64` / `U64` | `BigInt64Array` / `BigUint64Array` (`I64` becomes `I32` with `int64: 'int32'`) |
 * | `I32`, `U32`, `I16`, `U16`, `I8`, `U8` | the matching typed array |
 * | `BOOL` | `Uint8Array` of 0/1 |
 * | `F8_E4M3`, `F8_E5M2` | `Uint8Array` of raw bits |
 */
export interface HostTensor {
  dtype: CheckpointDType;
  shape: number[];
  data: HostTensorData;
}

/** Tensors by name, in file order (safetensors) or pickle order (torch). */
export type TensorMap = Map<string, HostTensor>;

/** What {@link loadCheckpoint} returns. */
export interface Checkpoint {
  /** Which reader parsed the file. */
  format: 'safetensors' | 'torch';
  tensors: TensorMap;
  /** safetensors `__metadata__` (string → string); empty for torch files. */
  metadata: Record<string, string>;
}

/** Options shared by every reader. */
export interface ReadOptions {
  /**
   * What to do with `F16`/`BF16` tensors: `'float32'` (default) converts them exactly to `F32`
   * `Float32Array`s; `'raw'` keeps the bits in a `Uint16Array`.
   */
  float16?: 'float32' | 'raw';
  /**
   * What to do with `I64` tensors: `'bigint'` (default) keeps a `BigInt64Array`; `'int32'`
   * converts to `I32` `Int32Array`, throwing if a value does not fit.
   */
  int64?: 'bigint' | 'int32';
  /** Largest file accepted, in bytes (default 4 GiB). */
  maxBytes?: number;
  /** Largest safetensors JSON header / torch `data.pkl`, in bytes (default 100 MB). */
  maxHeaderBytes?: number;
  /** Check the CRC-32 of zip entries of torch files (default true). */
  verifyCrc?: boolean;
  /**
   * Most bytes the tensors may occupy in memory once read (storages plus materialised views),
   * checked from the header or pickle before anything is decompressed or allocated (default
   * 2 GiB). Pass what the model can legitimately need (see `checkpointBudget`) to refuse
   * decompression bombs and views that blow one element up into a huge tensor.
   */
  maxTensorBytes?: number;
}

export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
export const DEFAULT_MAX_TENSOR_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

/**
 * Throws a RangeError naming the option when a size limit of `options` is not a non-negative
 * number: a NaN limit would silently disable the check it configures.
 */
export function checkReadOptions(options: ReadOptions): void {
  for (const key of ['maxBytes', 'maxHeaderBytes', 'maxTensorBytes'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) {
      throw new RangeError(`ReadOptions.${key} must be a non-negative number of bytes, got ${v}`);
    }
  }
}
