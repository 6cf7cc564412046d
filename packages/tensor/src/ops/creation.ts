import { backendOf, type Device } from '../device/device.js';
import { type DType, isDType, scalarBits, wgslType } from '../dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { encodeArange } from '../kernels/copy.js';
import { fuse } from '../lazy/fusion.js';
import { bufferOf, type NestedArray, storageFor, type Tensor } from '../tensor.js';
import { empty, resolveDevice, shapeSize } from './util.js';

/** Where and as what to create a tensor. */
export interface CreateOptions {
  dtype?: DType;
  /** Defaults to {@link getDefaultDevice}. */
  device?: Device;
}

/** A tensor filled with `value`. */
export function full(
  shape: readonly number[],
  value: number | boolean,
  options: CreateOptions = {},
): Tensor {
  const dtype = options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'f32');
  checkDType(dtype);
  const out = empty(shape, dtype, resolveDevice(options.device));
  if (out.size === 0) return out;
  // A pending constant: folded into the elementwise op that uses it, or filled when needed.
  const type = wgslType(dtype);
  fuse(
    storageFor(out),
    out.size,
    {
      expr: 's',
      tin: type,
      tout: type,
      boolOut: false,
      scalarBits: scalarBits(Number(value), dtype),
    },
    [],
  );
  return out;
}

/** A tensor of zeros (f32 by default). */
export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

/** A tensor of ones (f32 by default). */
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, device: t.device, ...options });
}

export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, device: t.device, ...options });
}

export function fullLike(t: Tensor, value: number, options: CreateOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, device: t.device, ...options });
}

/**
 * `[start, start + step, …)` up to `end` (exclusive), like NumPy: `arange(5)`, `arange(2, 8)`,
 * `arange(0, 1, 0.25)`; options may follow the numbers (`arange(5, { dtype: 'f32' })`).
 * i32 when every argument is an integer, unless `dtype` says otherwise.
 */
export function arange(end: number, options?: CreateOptions): Tensor;
export function arange(start: number, end: number, options?: CreateOptions): Tensor;
export function arange(
  start: number,
  end: number | undefined,
  step: number,
  options?: CreateOptions,
): Tensor;
export function arange(...args: (number | undefined | CreateOptions)[]): Tensor {
  const last = args[args.length - 1];
  const options: CreateOptions = typeof last === 'object' && last !== null ? last : {};
  const nums = args.filter((a) => typeof a === 'number' || a === undefined) as (
    | number
    | undefined
  )[];
  const [first, second, third] = nums;
  const start = second === undefined ? 0 : (first ?? 0);
  const stop = second === undefined ? (first ?? 0) : second;
  const step = third ?? 1;
  if (step === 0 || !Number.isFinite(step)) throw new ShapeError('arange: step must be non-zero.');
  const dtype = options.dtype ?? ([start, stop, step].every(Number.isInteger) ? 'i32' : 'f32');
  if (dtype === 'bool') throw new DTypeError('arange: dtype must be f32 or i32.');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const out = empty([n], dtype, resolveDevice(options.device));
  encodeArange(
    out.device,
    dtype,
    bufferOf(out),
    n,
    scalarBits(start, dtype),
    scalarBits(step, dtype),
  );
  return out;
}

/** Values a tensor can be created from. */
export type TensorInput = NestedArray | Float32Array | Int32Array | Uint8Array | readonly number[];

/**
 * A tensor holding a copy of `data`: a number, a (nested) array of numbers or booleans, or a
 * typed array (Float32Array → f32, Int32Array → i32, Uint8Array → bool unless `dtype` is
 * given). `shape` is required for flat data that should not be 1-D.
 */
export function tensor(
  data: TensorInput,
  options: CreateOptions & { shape?: readonly number[] } = {},
): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  let inferredType: DType;
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array) {
    flat = data;
    inferred = [data.length];
    inferredType =
      data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'bool';
  } else {
    const values: number[] = [];
    let sawBool = false;
    inferred = nestedShape(data);
    const walk = (v: NestedArray | readonly number[], depth: number): void => {
      if (Array.isArray(v)) {
        if (v.length !== inferred[depth]) {
          throw new ShapeError(`tensor(): nested arrays are ragged at depth ${depth}.`);
        }
        for (const x of v) walk(x as NestedArray, depth + 1);
      } else {
        if (depth !== inferred.length) throw new ShapeError('tensor(): nested arrays are ragged.');
        if (typeof v === 'boolean') sawBool = true;
        values.push(Number(v));
      }
    };
    walk(data as NestedArray, 0);
    flat = values;
    inferredType = sawBool ? 'bool' : 'f32';
  }
  const dtype = options.dtype ?? inferredType;
  checkDType(dtype);
  const shape = options.shape ?? inferred;
  if (shapeSize(shape) !== flat.length) {
    throw new ShapeError(
      `tensor(): ${flat.length} values do not fill shape [${shape.join(',')}] (${shapeSize(shape)} elements).`,
    );
  }
  const out = empty(shape, dtype, resolveDevice(options.device));
  if (flat.length > 0) {
    const words =
      dtype === 'f32'
        ? Float32Array.from(flat)
        : dtype === 'i32'
          ? Int32Array.from(flat)
          : Uint32Array.from(flat, (v) => (v ? 1 : 0));
    // write() submits pending work first, so a reused pool buffer is never overwritten early.
    backendOf(out.device).write(bufferOf(out), words);
  }
  return out;
}

/** A 0-d tensor. */
export function scalar(value: number | boolean, options: CreateOptions = {}): Tensor {
  return full([], value, options);
}

function nestedShape(data: unknown): number[] {
  const shape: number[] = [];
  let v = data;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function checkDType(dtype: unknown): asserts dtype is DType {
  if (!isDType(dtype)) {
    throw new DTypeError(
      `Unknown dtype ${JSON.stringify(dtype)}; expected "f32", "i32" or "bool".`,
    );
  }
}
