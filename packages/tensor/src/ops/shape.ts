/**
 * Shape and layout ops. `reshape`/`squeeze`/`unsqueeze` are views of the same buffer; the
 * others copy through the strided kernels of `kernels/copy.ts`.
 */
import { adopt } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import * as prim from '../prims/movement.js';
import type { Tensor } from '../tensor.js';
import {
  assertSameDevice,
  assertSameDType,
  broadcastShapes,
  fmt,
  normAxis,
  shapeSize,
} from './util.js';

export { stridedRead } from '../prims/movement.js';
export { sumToShape } from '../prims/reduce.js';

/** A view with another shape and no autograd. @internal */
export function viewAs(x: Tensor, shape: readonly number[]): Tensor {
  return x.view(shape);
}

/** A copy with its own storage and no autograd. @internal */
export function copyOf(x: Tensor): Tensor {
  x.assertLive();
  return prim.copy(x, false);
}

/** A copy with its own storage (the gradient passes through). */
export function clone(x: Tensor): Tensor {
  x.assertLive();
  return prim.copy(x);
}

/** Same data with a new shape (a view, no copy). One dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive();
  const target = [...shape];
  const unknown = target.indexOf(-1);
  if (unknown !== target.lastIndexOf(-1))
    throw new ShapeError('reshape: only one dimension may be -1.');
  if (unknown >= 0) {
    const known = shapeSize(target.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${x.describe()} to ${fmt(shape)}.`);
    }
    target[unknown] = x.size / known;
  }
  if (target.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(target) !== x.size) {
    throw new ShapeError(
      `reshape: cannot reshape ${x.describe()} (${x.size} elements) to ${fmt(shape)}.`,
    );
  }
  return prim.reshape(x, target);
}

/** Removes `axis` (which must have size 1), or every size-1 axis. */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis('squeeze', axis, x.rank);
  if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${axis} of ${x.describe()} is not 1.`);
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}

/** Inserts a size-1 axis at `axis` (negative counts from the end of the result). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Reorders the dimensions: `out.shape[i] = x.shape[dims[i]]`. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  x.assertLive();
  const axes = dims.map((d) => normAxis('permute', d, x.rank));
  if (axes.length !== x.rank || new Set(axes).size !== x.rank) {
    throw new ShapeError(
      `permute: ${fmt(dims)} is not a permutation of the ${x.rank} dims of ${x.describe()}.`,
    );
  }
  return prim.permute(x, axes);
}

/** Swaps two dimensions (by default the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normAxis('transpose', dim0, x.rank);
  const b = normAxis('transpose', dim1, x.rank);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/** A slice range: `[start, end]` (end exclusive, default the end), or null for everything. */
export type SliceRange = readonly [number, number?] | null;

function resolveRanges(x: Tensor, ranges: readonly SliceRange[]): [number, number][] {
  if (ranges.length > x.rank) {
    throw new ShapeError(`slice: ${ranges.length} ranges for ${x.describe()} of rank ${x.rank}.`);
  }
  return x.shape.map((extent, d) => {
    const r = ranges[d];
    if (!r) return [0, extent];
    const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + extent : v, 0), extent);
    const start = clampIdx(r[0]);
    const end = Math.max(start, clampIdx(r[1] ?? extent));
    return [start, end];
  });
}

/** Sub-ranges along the leading dimensions (NumPy-like clamping of out-of-range bounds). */
export function slice(x: Tensor, ranges: readonly SliceRange[]): Tensor {
  x.assertLive();
  return prim.shrink(x, resolveRanges(x, ranges));
}

/** `length` entries of `axis` starting at `start`. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis('narrow', axis, x.rank);
  const ranges: SliceRange[] = x.shape.map(() => null);
  ranges[a] = [start, start + length];
  return slice(x, ranges);
}

/** Pads the leading dims: `widths[d] = [before, after]` (non-negative), filled with `value`. */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  x.assertLive();
  if (widths.length > x.rank || widths.flat().some((w) => !Number.isInteger(w) || w < 0)) {
    throw new ShapeError(`pad: widths ${JSON.stringify(widths)} do not fit ${x.describe()}.`);
  }
  return prim.pad(x, widths, value);
}

/** Joins tensors along an existing axis. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('concat: needs at least one tensor.');
  assertSameDevice('concat', tensors);
  assertSameDType('concat', tensors);
  const first = tensors[0]!;
  const a = normAxis('concat', axis, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(
        `concat: ${t.describe()} does not match ${first.describe()} outside axis ${axis}.`,
      );
    }
  }
  return prim.concat(tensors, a);
}

/** Joins tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('stack: needs at least one tensor.');
  const first = tensors[0]!;
  for (const t of tensors) {
    if (t.shape.join() !== first.shape.join()) {
      throw new ShapeError(`stack: ${t.describe()} and ${first.describe()} differ in shape.`);
    }
  }
  const a = normAxis('stack', axis, first.rank + 1);
  const expanded = tensors.map((t) => unsqueeze(t, a));
  return adopt(concat(expanded, a), expanded);
}

/** Splits along `axis` into pieces of `sizes` (a list), or of `sizes` each (the last may be smaller). */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.rank);
  const extent = x.shape[a]!;
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0)
      throw new ShapeError('split: size must be a positive integer.');
    parts = [];
    for (let s = 0; s < extent; s += sizes) parts.push(Math.min(sizes, extent - s));
  } else {
    parts = [...sizes];
    if (parts.reduce((n, s) => n + s, 0) !== extent) {
      throw new ShapeError(
        `split: sizes ${fmt(parts)} do not add up to ${extent} (axis ${axis} of ${x.describe()}).`,
      );
    }
  }
  let start = 0;
  return parts.map((len) => {
    const piece = narrow(x, a, start, len);
    start += len;
    return piece;
  });
}

/** Splits along `axis` into `chunks` nearly equal pieces (like `torch.chunk`). */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  const a = normAxis('chunk', axis, x.rank);
  return split(x, Math.ceil(x.shape[a]! / chunks), a);
}

/** Broadcasts to `shape` (a copy). The gradient sums over the broadcast dimensions. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive();
  const target = broadcastShapes('broadcastTo', x.shape, shape);
  if (target.join() !== shape.join()) {
    throw new ShapeError(`broadcastTo: ${x.describe()} cannot be broadcast to ${fmt(shape)}.`);
  }
  return prim.expand(x, shape);
}
