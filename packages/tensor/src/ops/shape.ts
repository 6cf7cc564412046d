/**
 * Shape and layout ops. `reshape`/`squeeze`/`unsqueeze` are views of the same buffer; the
 * others copy through the strided kernels of `kernels/copy.ts`.
 */
import { adopt, noGrad, record } from '../autograd/tape.js';
import { backendOf } from '../device/device.js';
import { scalarBits, wgslType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { denseStrides, encodeFill, encodeStrided } from '../kernels/copy.js';
import { fuseTranspose } from '../lazy/fusion.js';
import { bufferOf, storageFor, type Tensor } from '../tensor.js';
import {
  assertSameDevice,
  assertSameDType,
  broadcastShapes,
  broadcastStrides,
  empty,
  fmt,
  normAxis,
  shapeSize,
} from './util.js';

/** A view with another shape and no autograd. @internal */
export function viewAs(x: Tensor, shape: readonly number[]): Tensor {
  return x.view(shape);
}

/** A copy with its own storage and no autograd. @internal */
export function copyOf(x: Tensor): Tensor {
  x.assertLive();
  const out = empty(x.shape, x.dtype, x.device);
  if (x.size > 0) backendOf(x.device).copy(bufferOf(x), bufferOf(out), x.byteLength);
  return out;
}

/** A copy with its own storage (the gradient passes through). */
export function clone(x: Tensor): Tensor {
  const out = copyOf(x);
  record(out, 'clone', [x], (g) => [copyOf(g)]);
  return out;
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
  const out = x.view(target);
  record(out, 'reshape', [x], (g) => [g.view(x.shape)]);
  return out;
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

/** Reads `x` through strides into a new dense tensor of `shape` (no autograd). @internal */
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

/** Reorders the dimensions: `out.shape[i] = x.shape[dims[i]]`. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  x.assertLive();
  const axes = dims.map((d) => normAxis('permute', d, x.rank));
  if (axes.length !== x.rank || new Set(axes).size !== x.rank) {
    throw new ShapeError(
      `permute: ${fmt(dims)} is not a permutation of the ${x.rank} dims of ${x.describe()}.`,
    );
  }
  const r = x.rank;
  if (r >= 2 && axes.every((a, i) => a === (i < r - 2 ? i : 2 * r - 3 - i)) && x.size > 0) {
    return transposeLast(x);
  }
  const strides = denseStrides(x.shape);
  const out = stridedRead(
    x,
    axes.map((a) => x.shape[a]!),
    axes.map((a) => strides[a]!),
  );
  const inverse = new Array<number>(axes.length);
  axes.forEach((a, i) => {
    inverse[a] = i;
  });
  record(out, 'permute', [x], (g) => [permute(g, inverse)]);
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
  record(out, 'transpose', [x], (g) => [transposeLast(g)]);
  return out;
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
  const bounds = resolveRanges(x, ranges);
  const shape = bounds.map(([s, e]) => e - s);
  const strides = denseStrides(x.shape);
  const offset = bounds.reduce((o, [s], d) => o + s * strides[d]!, 0);
  const out = stridedRead(x, shape, strides, offset);
  record(out, 'slice', [x], (g) => [
    padRaw(
      g,
      bounds.map(([s, e], d) => [s, x.shape[d]! - e] as [number, number]),
      0,
    ),
  ]);
  return out;
}

/** `length` entries of `axis` starting at `start`. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis('narrow', axis, x.rank);
  const ranges: SliceRange[] = x.shape.map(() => null);
  ranges[a] = [start, start + length];
  return slice(x, ranges);
}

/** Pads with a constant, no autograd. @internal */
function padRaw(x: Tensor, widths: readonly (readonly [number, number])[], value: number): Tensor {
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
  return out;
}

/** Pads the leading dims: `widths[d] = [before, after]` (non-negative), filled with `value`. */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  x.assertLive();
  if (widths.length > x.rank || widths.flat().some((w) => !Number.isInteger(w) || w < 0)) {
    throw new ShapeError(`pad: widths ${JSON.stringify(widths)} do not fit ${x.describe()}.`);
  }
  const out = padRaw(x, widths, value);
  record(out, 'pad', [x], (g) => [
    noGrad(() =>
      slice(
        g,
        x.shape.map((d, i) => [widths[i]?.[0] ?? 0, (widths[i]?.[0] ?? 0) + d]),
      ),
    ),
  ]);
  return out;
}

/** Joins tensors along an existing axis. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('concat: needs at least one tensor.');
  const device = assertSameDevice('concat', tensors);
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
  const shape = [...first.shape];
  shape[a] = tensors.reduce((n, t) => n + t.shape[a]!, 0);
  const out = empty(shape, first.dtype, device);
  const strides = denseStrides(shape);
  let start = 0;
  const starts: number[] = [];
  for (const t of tensors) {
    starts.push(start);
    encodeStrided(
      device,
      'scatter',
      wgslType(t.dtype),
      bufferOf(t),
      t.size,
      bufferOf(out),
      out.size,
      {
        shape: t.shape,
        strides,
        offset: start * strides[a]!,
      },
    );
    start += t.shape[a]!;
  }
  record(out, 'concat', tensors, (g) =>
    tensors.map((t, i) =>
      t.requiresGrad ? noGrad(() => narrow(g, a, starts[i]!, t.shape[a]!)) : null,
    ),
  );
  return out;
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
  const out = stridedRead(x, shape, broadcastStrides(x.shape, shape));
  record(out, 'broadcastTo', [x], (g) => [sumToShape(g, x.shape)]);
  return out;
}

/**
 * Sums `g` over the dimensions along which `shape` was broadcast to `g.shape`, giving a
 * tensor of `shape` (or `g` itself when nothing was broadcast). Used by gradients.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.join() === shape.join()) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = g.sum(axes, true);
  return adopt(reshape(summed, shape), [summed]);
}
