import type { CheckpointDType, HostTensor, HostTensorData, ReadOptions } from './types.js';

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<CheckpointDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

export function isDType(value: unknown): value is CheckpointDType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZE, value);
}

type TypedArrayCtor = new (
  buffer: ArrayBuffer,
  byteOffset?: number,
  length?: number,
) => HostTensorData;

const CTORS: Readonly<Record<CheckpointDType, TypedArrayCtor>> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
  F8_E4M3: Uint8Array,
  F8_E5M2: Uint8Array,
};

/** The typed-array class that holds `dtype` (raw bits for F16/BF16/F8). */
export function typedArrayFor(dtype: CheckpointDType): TypedArrayCtor {
  return CTORS[dtype];
}

/** Whether `data` is the typed array that holds `dtype`. */
export function dataMatchesDType(dtype: CheckpointDType, data: HostTensorData): boolean {
  return data instanceof CTORS[dtype];
}

/**
 * Views `bytes` (little-endian, `bytes.byteOffset` aligned to the element size) as `dtype`.
 * No copy.
 */
export function viewAs(dtype: CheckpointDType, bytes: Uint8Array): HostTensorData {
  const size = DTYPE_SIZE[dtype];
  return new CTORS[dtype](bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
}

/** Number of elements of a shape (1 for a scalar). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Bytes an element of `dtype` occupies once read with `options` (half precision becomes f32,
 * int64 may become int32).
 */
export function readElementSize(dtype: CheckpointDType, options: ReadOptions): number {
  if ((dtype === 'F16' || dtype === 'BF16') && (options.float16 ?? 'float32') === 'float32')
    return 4;
  if (dtype === 'I64' && options.int64 === 'int32') return 4;
  return DTYPE_SIZE[dtype];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits → float32 value (exact). */
export function bf16ToF32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/** float16 bits → float32 value (exact, subnormals, ±inf and NaN included). */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 value → bfloat16 bits, rounding to nearest even (NaN stays a quiet NaN). */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 value → float16 bits, rounding to nearest even (overflow → ±inf). */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand into place, rounding to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m += 1;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let m = mant >>> 13;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m += 1;
    if (m === 0x400) {
      m = 0;
      e += 1;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** Converts raw F16/BF16 bits to a Float32Array. */
export function halfBitsToF32(dtype: 'F16' | 'BF16', bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  if (dtype === 'BF16') {
    const outBits = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  } else {
    const table = f16Table();
    for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  }
  return out;
}

let f16TableCache: Float32Array | undefined;

/** All 65536 float16 values as float32 (256 KiB, built on first use). */
function f16Table(): Float32Array {
  if (!f16TableCache) {
    f16TableCache = new Float32Array(0x10000);
    for (let b = 0; b < 0x10000; b++) f16TableCache[b] = f16ToF32(b);
  }
  return f16TableCache;
}

/** Converts float32 values to raw F16/BF16 bits (round to nearest even). */
export function f32ToHalfBits(dtype: 'F16' | 'BF16', values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const conv = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
  return out;
}

/**
 * Applies the `float16` / `int64` read options to a freshly read tensor.
 * @throws RangeError naming the element when an I64 value does not fit in int32.
 */
export function applyReadOptions(tensor: HostTensor, options: ReadOptions): HostTensor {
  const { dtype, data } = tensor;
  if ((dtype === 'F16' || dtype === 'BF16') && (options.float16 ?? 'float32') === 'float32') {
    return { dtype: 'F32', shape: tensor.shape, data: halfBitsToF32(dtype, data as Uint16Array) };
  }
  if (dtype === 'I64' && options.int64 === 'int32') {
    const src = data as BigInt64Array;
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (v > 2147483647n || v < -2147483648n) {
        throw new RangeError(`I64 element ${i} (${v}) does not fit in int32`);
      }
      out[i] = Number(v);
    }
    return { dtype: 'I32', shape: tensor.shape, data: out };
  }
  return tensor;
}
