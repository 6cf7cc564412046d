/**
 * Element types. Every element is stored on the GPU as one 32-bit word: `f32` as `f32`,
 * `i32` as `i32`, and `bool` as a `u32` that is 0 or 1 (WGSL has no 8-bit storage type).
 * `bool` values read back as a `Uint8Array` of 0/1.
 */
export type DType = 'f32' | 'i32' | 'bool';

/** Bytes per element on the GPU, the same for every dtype. */
export const BYTES_PER_ELEMENT = 4;

/** The WGSL scalar type a dtype is stored as on the device (bool as u32). */
export type WgslType = 'f32' | 'i32' | 'u32';

/** The WGSL storage type of a dtype. */
export function wgslType(dtype: DType): WgslType {
  return dtype === 'bool' ? 'u32' : dtype;
}

/** The typed array `data()` returns for a dtype. */
export type DataFor<D extends DType> = D extends 'f32'
  ? Float32Array
  : D extends 'i32'
    ? Int32Array
    : Uint8Array;

/** Any typed array a tensor can hold. */
export type TensorData = Float32Array | Int32Array | Uint8Array;

export function isDType(value: unknown): value is DType {
  return value === 'f32' || value === 'i32' || value === 'bool';
}

/** Encodes a JS number as the 32-bit pattern of `dtype` (for fill values and scalars). */
export function scalarBits(value: number, dtype: DType): number {
  if (dtype === 'f32') return new Uint32Array(Float32Array.of(value).buffer)[0]!;
  if (dtype === 'i32') return (Math.trunc(value) | 0) >>> 0;
  return value ? 1 : 0;
}
