/** The NumPy dtypes this package reads and writes (little-endian, C order). */
export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'i8' | 'f4' | 'f8';

/** The typed array that holds each dtype. `i8` uses `BigInt64Array`. */
export interface NpyArrayTypes {
  u1: Uint8Array;
  i1: Int8Array;
  u2: Uint16Array;
  i2: Int16Array;
  u4: Uint32Array;
  i4: Int32Array;
  i8: BigInt64Array;
  f4: Float32Array;
  f8: Float64Array;
}

/** Any typed array this package can store in a `.npy` file. */
export type NpyTypedArray = NpyArrayTypes[NpyDtype];

interface DtypeInfo {
  size: number;
  ctor: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NpyTypedArray;
}

/** Element size and typed-array constructor of each dtype. */
export const DTYPES: Record<NpyDtype, DtypeInfo> = {
  u1: { size: 1, ctor: Uint8Array },
  i1: { size: 1, ctor: Int8Array },
  u2: { size: 2, ctor: Uint16Array },
  i2: { size: 2, ctor: Int16Array },
  u4: { size: 4, ctor: Uint32Array },
  i4: { size: 4, ctor: Int32Array },
  i8: { size: 8, ctor: BigInt64Array },
  f4: { size: 4, ctor: Float32Array },
  f8: { size: 8, ctor: Float64Array },
};

/** The dtype of a typed array, or undefined for unsupported ones (e.g. `BigUint64Array`). */
export function dtypeOf(arr: ArrayBufferView): NpyDtype | undefined {
  if (arr instanceof Uint8Array) return 'u1';
  if (arr instanceof Int8Array) return 'i1';
  if (arr instanceof Uint16Array) return 'u2';
  if (arr instanceof Int16Array) return 'i2';
  if (arr instanceof Uint32Array) return 'u4';
  if (arr instanceof Int32Array) return 'i4';
  if (arr instanceof BigInt64Array) return 'i8';
  if (arr instanceof Float32Array) return 'f4';
  if (arr instanceof Float64Array) return 'f8';
  return undefined;
}

/** The `descr` string NumPy writes for a dtype (`|` for single-byte types, `<` otherwise). */
export function descrOf(dtype: NpyDtype): string {
  return `${DTYPES[dtype].size === 1 ? '|' : '<'}${dtype}`;
}

/** Parses a NumPy `descr`; returns an error message instead of a dtype when unsupported. */
export function parseDescr(descr: string): { dtype: NpyDtype } | { error: string } {
  const m = /^([<>|=])([a-zA-Z]\d+)$/.exec(descr);
  if (!m) {
    return {
      error: `unsupported dtype descr '${descr}' (structured or non-numeric dtypes are not supported)`,
    };
  }
  const order = m[1]!;
  const code = m[2]!;
  if (!(code in DTYPES)) {
    return { error: `unsupported dtype '${descr}'; supported: ${Object.keys(DTYPES).join(' ')}` };
  }
  const dtype = code as NpyDtype;
  if (order === '>' && DTYPES[dtype].size > 1) {
    return {
      error: `big-endian dtype '${descr}' is not supported; convert with arr.astype('<${code}')`,
    };
  }
  return { dtype };
}
