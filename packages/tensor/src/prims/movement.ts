/**
 * The movement primitives: a view with another shape; lazy views that permute, broadcast or cut
 * (pending reads through an index map, fused with what reads them, see `lazy/fusion.ts`); and
 * the copies that pad or join (through the strided kernels of `kernels/copy.ts`). Arguments are
 * assumed valid: the public ops in `ops/shape.ts` check them.
 */
import { backendOf } from '../device/device.js';
import { scalarBits, wgslType } from '../dtype.js';
import { denseStrides, encodeFill, encodeStrided } from '../kernels/copy.js';
import { fuseTranspose, fuseView } from '../lazy/fusion.js';
import { indexMap } from '../lazy/index-map.js';
import { broadcastStrides, empty } from '../ops/util.js';
import { bufferOf, storageFor, type Tensor } from '../tensor.js';
import { recordPrim } from './primitive.js';

/** The same storage seen with another shape of as many elements. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return recordPrim(x.view(shape), 'reshape', [x], null);
}

/** A copy with its own storage; with `record` false, off the tape. */
export function copy(x: Tensor, record = true): Tensor {
  const out = empty(x.shape, x.dtype, x.device);
  if (x.size > 0) backendOf(x.device).copy(bufferOf(x), bufferOf(out), x.byteLength);
  return record ? recordPrim(out, 'copy', [x], null) : out;
}

/** Reads `x` through strides into a new dense tensor of `shape` (no autograd). */
export function stridedRead(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset = 0,
): Tensor {
  const out = empty(shape, x.dtype, x.device);
  encodeStrided(
    x.device,
    'gather',
    wgslType(x.dtype),
    bufferOf(x),
    x.size,
    bufferOf(out),
    out.size,
    {
      shape,
      strides,
      offset,
    },
  );
  return out;
}

/** `out.shape[i] = x.shape[dims[i]]` (`dims` a permutation of the axes). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const r = x.rank;
  if (r >= 2 && x.size > 0 && dims.every((a, i) => a === (i < r - 2 ? i : 2 * r - 3 - i))) {
    return recordPrim(transposeLast(x), 'permute', [x], { dims });
  }
  const strides = denseStrides(x.shape);
  const out = view(
    x,
    dims.map((a) => x.shape[a]!),
    dims.map((a) => strides[a]!),
  );
  return recordPrim(out, 'permute', [x], { dims });
}

/** A lazy view of `x` with `shape`, element `i` reading `x` through `strides` and `offset`. */
function view(x: Tensor, shape: readonly number[], strides: readonly number[], offset = 0): Tensor {
  const out = empty(shape, x.dtype, x.device);
  if (out.size > 0) {
    fuseView(storageFor(out), out.size, {
      storage: storageFor(x),
      size: x.size,
      type: wgslType(x.dtype),
      map: indexMap(shape, strides, offset),
    });
  }
  return out;
}

/**
 * Swaps the last two dims lazily: the result is pending (see lazy/fusion.ts) until something
 * needs its buffer, and a matmul reads the source in place instead.
 */
function transposeLast(x: Tensor): Tensor {
  const shape = [...x.shape.slice(0, -2), x.shape[x.rank - 1]!, x.shape[x.rank - 2]!];
  const out = empty(shape, x.dtype, x.device);
  const [rows, cols] = shape.slice(-2) as [number, number];
  fuseTranspose(
    storageFor(out),
    { storage: storageFor(x), size: x.size, type: wgslType(x.dtype) },
    rows,
    cols,
  );
  return out;
}

/** `x` broadcast to `shape` (NumPy rules; a lazy view). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return recordPrim(view(x, shape, broadcastStrides(x.shape, shape)), 'expand', [x], null);
}

/** The box `bounds[d] = [start, end)` of every dimension (a lazy view). */
export function shrink(x: Tensor, bounds: readonly (readonly [number, number])[]): Tensor {
  const strides = denseStrides(x.shape);
  const offset = bounds.reduce((o, [s], d) => o + s * strides[d]!, 0);
  const out = view(
    x,
    bounds.map(([s, e]) => e - s),
    strides,
    offset,
  );
  return recordPrim(out, 'shrink', [x], { bounds });
}

/** Pads the leading dimensions by `widths[d] = [before, after]`, filled with `value`. */
export function pad(
  x: Tensor,
  widths: readonly (readonly [number, number])[],
  value: number,
): Tensor {
  const shape = x.shape.map((d, i) => d + (widths[i]?.[0] ?? 0) + (widths[i]?.[1] ?? 0));
  const out = empty(shape, x.dtype, x.device);
  encodeFill(out.device, bufferOf(out), out.size, scalarBits(value, x.dtype));
  const strides = denseStrides(shape);
  const offset = strides.reduce((o, s, d) => o + (widths[d]?.[0] ?? 0) * s, 0);
  encodeStrided(
    x.device,
    'scatter',
    wgslType(x.dtype),
    bufferOf(x),
    x.size,
    bufferOf(out),
    out.size,
    {
      shape: x.shape,
      strides,
      offset,
    },
  );
  return recordPrim(out, 'pad', [x], { widths, value });
}

/** Joins tensors of one rank, equal outside `axis`, along `axis`. */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  const first = tensors[0]!;
  const shape = [...first.shape];
  shape[axis] = tensors.reduce((n, t) => n + t.shape[axis]!, 0);
  const out = empty(shape, first.dtype, first.device);
  const strides = denseStrides(shape);
  let start = 0;
  for (const t of tensors) {
    encodeStrided(
      t.device,
      'scatter',
      wgslType(t.dtype),
      bufferOf(t),
      t.size,
      bufferOf(out),
      out.size,
      {
        shape: t.shape,
        strides,
        offset: start * strides[axis]!,
      },
    );
    start += t.shape[axis]!;
  }
  return recordPrim(out, 'concat', tensors, { axis });
}
